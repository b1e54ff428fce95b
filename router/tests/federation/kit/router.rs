//! The one place that knows how to run an operation through the router:
//! `router::engine::Engine` over the real HTTP transport. Everything else in
//! the suite goes through [`Router::execute`].

use router::config::RouterConfig;
use router::engine::{Engine, HttpMethod, ResponseStatus};
use router::graphql::Request;

pub struct Router {
    engine: std::sync::Arc<Engine>,
}

/// The suite's router settings: the defaults, with introspection on (the
/// suite checks what introspection shows).
pub fn suite_config() -> RouterConfig {
    RouterConfig {
        introspection: true,
        ..RouterConfig::default()
    }
}

impl Router {
    pub async fn new(supergraph_sdl: &str) -> Result<Router, String> {
        Router::with_config(supergraph_sdl, suite_config()).await
    }

    pub async fn with_config(supergraph_sdl: &str, config: RouterConfig) -> Result<Router, String> {
        let engine = Engine::over_http(supergraph_sdl, &config)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Router {
            engine: std::sync::Arc::new(engine),
        })
    }

    pub fn engine(&self) -> &std::sync::Arc<Engine> {
        &self.engine
    }

    /// Runs one client request (POST); returns the response and the HTTP status
    /// it maps to (200, 400 for a request error, or the stage's own).
    pub async fn execute(&self, request: Request) -> (serde_json::Value, u16) {
        self.execute_with(request, Default::default()).await
    }

    /// [`Router::execute`] with the client's request headers.
    pub async fn execute_with(
        &self,
        request: Request,
        headers: http::HeaderMap,
    ) -> (serde_json::Value, u16) {
        let context = self.engine.context(HttpMethod::Post, headers);
        let answer = self.engine.execute(request, &context).await;
        let status = match answer.status {
            ResponseStatus::Ok => 200,
            ResponseStatus::RequestError => 400,
            ResponseStatus::Status(status) => status.as_u16(),
        };
        // As a client reads it: the body (shared with identical requests
        // in flight, or this request's own).
        let body = answer.into_body();
        let response = serde_json::from_slice(&body).expect("the router writes JSON");
        (response, status)
    }

    /// The query plan as text (or the error response as JSON), for failure messages.
    pub fn explain(&self, query: &str, operation_name: Option<&str>) -> String {
        match self.engine.explain(query, operation_name) {
            Ok(plan) => plan,
            Err(response) => serde_json::to_string(&response).unwrap_or_default(),
        }
    }
}
