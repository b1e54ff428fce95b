//! The HTTP surface every subgraph shares: `/graphql`, `/health`, `/ready`,
//! `/metrics` (Prometheus).
//!
//! A service hands over its schema and database; this module owns routing,
//! GraphiQL, readiness and graceful shutdown, so the four services serve
//! exactly the same endpoints.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use futures::future::BoxFuture;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::http::GraphiQLSource;
use async_graphql::{BatchRequest, BatchResponse, Executor, ObjectType, Schema, SubscriptionType};
use async_graphql_axum::{GraphQLBatchRequest, GraphQLProtocol, GraphQLResponse, GraphQLWebSocket};
use axum::Extension;
use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequest, FromRequestParts, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tracing::Instrument;

use crate::caller::{Access, Caller};

/// Routes for one subgraph service.
pub fn routes<Q, M, S>(
    name: &'static str,
    schema: Schema<Q, M, S>,
    db: DatabaseConnection,
) -> Router
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    routes_sampling(name, schema, db, None)
}

/// Reads a service's own gauges (a count in its database, say) at each
/// scrape of `/metrics`, so they cost nothing between scrapes.
pub type Sample = Arc<dyn Fn() -> BoxFuture<'static, ()> + Send + Sync>;

/// [`routes`], with `sample` run before each `/metrics` answer.
pub fn routes_sampling<Q, M, S>(
    name: &'static str,
    schema: Schema<Q, M, S>,
    db: DatabaseConnection,
    sample: Option<Sample>,
) -> Router
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    crate::metrics::handle();
    graphql_routes(name, schema).merge(
        Router::new()
            .route("/health", get(health))
            .route("/ready", get(ready))
            .route(
                "/metrics",
                get(move |State(db): State<DatabaseConnection>| metrics(name, db, sample.clone())),
            )
            .with_state(db),
    )
}

/// `/graphql`: POST executes; GET upgrades WebSocket requests to
/// subscriptions (graphql-transport-ws, and the older graphql-ws), serves
/// GraphiQL to browsers and runs queries from the query string otherwise.
/// Every operation runs with its `Caller` (see `crate::caller`): the one
/// the router's identity header names when the server has an `Access`
/// (`Server::with_access`), unchecked otherwise.
pub fn graphql_routes<E: Executor>(name: &'static str, executor: E) -> Router {
    let post = {
        let executor = executor.clone();
        move |access: Option<Extension<Arc<Access>>>,
              headers: HeaderMap,
              request: GraphQLBatchRequest| async move {
            run(name, executor, access, &headers, request).await
        }
    };
    let get = move |access: Option<Extension<Arc<Access>>>,
                    headers: HeaderMap,
                    request: axum::extract::Request| async move {
        if is_websocket_upgrade(&headers) {
            return subscribe(executor, access, &headers, request).await;
        }
        if wants_html(&headers) {
            return graphiql(name).into_response();
        }
        match GraphQLBatchRequest::from_request(request, &()).await {
            Ok(parsed) => run(name, executor, access, &headers, parsed).await,
            Err(rejection) => rejection.into_response(),
        }
    };
    Router::new().route("/graphql", axum::routing::post(post).get(get))
}

/// The caller the headers name, or the response refusing them.
#[allow(clippy::result_large_err)] // the refusal is the response, built once
fn caller_of(access: Option<&Access>, headers: &HeaderMap) -> Result<Caller, Response> {
    let Some(access) = access else {
        return Ok(Caller::Unchecked);
    };
    access.caller(headers).map_err(|err| {
        let body =
            async_graphql::Response::from_errors(vec![err.into_server_error(Default::default())]);
        (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response()
    })
}

async fn run<E: Executor>(
    service: &'static str,
    executor: E,
    access: Option<Extension<Arc<Access>>>,
    headers: &HeaderMap,
    request: GraphQLBatchRequest,
) -> Response {
    let caller = match caller_of(access.as_deref().map(|a| &**a), headers) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let request = request.into_inner().data(caller);
    let started = Instant::now();
    let operations: Vec<Option<String>> = match &request {
        BatchRequest::Single(one) => vec![one.operation_name.clone()],
        BatchRequest::Batch(many) => many.iter().map(|r| r.operation_name.clone()).collect(),
    };
    let span = crate::traces::request_span(service, headers);
    let response = executor.execute_batch(request).instrument(span).await;
    let elapsed = started.elapsed();
    let responses = match &response {
        BatchResponse::Single(one) => std::slice::from_ref(one),
        BatchResponse::Batch(many) => many.as_slice(),
    };
    for (operation, answered) in operations.iter().zip(responses) {
        let code = answered.errors.first().map(|error| {
            match error.extensions.as_ref().and_then(|e| e.get("code")) {
                Some(async_graphql::Value::String(code)) => code.as_str(),
                _ => "UNCLASSIFIED",
            }
        });
        crate::metrics::graphql_request(service, operation.as_deref(), code, elapsed);
    }
    GraphQLResponse::from(response).into_response()
}

/// Prometheus' text format, with the pool's use and the service's own
/// gauges read now.
async fn metrics(
    service: &'static str,
    db: DatabaseConnection,
    sample: Option<Sample>,
) -> Response {
    crate::metrics::sample_pool(service, &db);
    if let Some(sample) = sample {
        sample().await;
    }
    (
        [(header::CONTENT_TYPE, telemetry::metrics::CONTENT_TYPE)],
        crate::metrics::handle().render(),
    )
        .into_response()
}

/// A subscription over WebSocket, for its caller.
async fn subscribe<E: Executor>(
    executor: E,
    access: Option<Extension<Arc<Access>>>,
    headers: &HeaderMap,
    request: axum::extract::Request,
) -> Response {
    let caller = match caller_of(access.as_deref().map(|a| &**a), headers) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let (mut parts, _body) = request.into_parts();
    let protocol = match GraphQLProtocol::from_request_parts(&mut parts, &()).await {
        Ok(protocol) => protocol,
        Err(rejection) => return rejection.into_response(),
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            let mut data = async_graphql::Data::default();
            data.insert(caller);
            GraphQLWebSocket::new(stream, executor, protocol)
                .with_data(data)
                .serve()
        })
        .into_response()
}

fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

fn graphiql(name: &str) -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title(&format!("{name} subgraph"))
            .subscription_endpoint("/graphql")
            .finish(),
    )
}

async fn health() -> impl IntoResponse {
    (
        StatusCode::OK,
        axum::Json(serde_json::json!({ "status": "ok" })),
    )
}

/// Ready only while the service's own database answers.
async fn ready(State(db): State<DatabaseConnection>) -> Response {
    match db.ping().await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({ "status": "ready" })),
        )
            .into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({ "status": "unavailable", "reason": "database" })),
            )
                .into_response()
        }
    }
}

/// A bound listener plus the routes it will serve; built before running so
/// callers (and tests binding port 0) learn the address first.
pub struct Server {
    name: &'static str,
    listener: TcpListener,
    router: Router,
    background: Vec<BackgroundTask>,
    /// Where `/metrics` is served instead of `listener`, if elsewhere.
    metrics: Option<TcpListener>,
}

/// Work that runs beside the server (an outbox relay, an event consumer)
/// and stops when it does: it gets a future that resolves at shutdown.
type BackgroundTask = Box<dyn FnOnce(Stopping) -> BoxFuture<'static, ()> + Send>;

/// Resolves when the server begins to shut down.
pub type Stopping = BoxFuture<'static, ()>;

impl Server {
    pub async fn bind(
        name: &'static str,
        addr: SocketAddr,
        router: Router,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Server {
            name,
            listener,
            router,
            background: Vec::new(),
            metrics: None,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound TCP listener has a local address")
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Holds every operation to the caller the router's identity header
    /// names (see `crate::caller`), instead of checking nothing.
    pub fn with_access(mut self, access: Arc<Access>) -> Self {
        self.router = self.router.layer(Extension(access));
        self
    }

    /// Serves `/metrics` on `listener` only: the service's own listener
    /// answers it 404 from then on.
    pub fn with_metrics_listener(mut self, listener: TcpListener) -> Self {
        self.metrics = Some(listener);
        self
    }

    /// Where `/metrics` is served, when `with_metrics_listener` moved it.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// Runs `task` beside the server from `run_until` on; it is told when the
    /// server stops, and the server waits for it to finish.
    pub fn with_background<F, Fut>(mut self, task: F) -> Self
    where
        F: FnOnce(Stopping) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.background
            .push(Box::new(move |stopping| Box::pin(task(stopping))));
        self
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish
    /// and background tasks stop.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!(service = self.name, addr = %self.local_addr(), "listening");
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let tasks: Vec<_> = self
            .background
            .into_iter()
            .map(|task| {
                let mut stopped = stopped.clone();
                let stopping: Stopping = Box::pin(async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                });
                tokio::spawn(task(stopping))
            })
            .collect();
        let mut router = self.router;
        if let Some(listener) = self.metrics {
            tracing::info!(service = self.name, addr = ?listener.local_addr().ok(), "metrics listening");
            // The metrics listener answers `/metrics` from the service's
            // routes and nothing else; the service's listener stops
            // answering it.
            let scrape = router.clone();
            let metrics = Router::new().route(
                METRICS_PATH,
                get(move |request: axum::extract::Request| {
                    tower::ServiceExt::oneshot(scrape, request)
                }),
            );
            router = router.layer(axum::middleware::from_fn(not_metrics));
            let mut stopped = stopped.clone();
            let serving = axum::serve(listener, metrics).with_graceful_shutdown(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            });
            tokio::spawn(async move {
                if let Err(err) = serving.await {
                    tracing::warn!(error = %err, "the metrics listener failed");
                }
            });
        }
        let served = axum::serve(self.listener, router)
            .with_graceful_shutdown(shutdown)
            .await;
        let _ = stop.send(true);
        for task in tasks {
            let _ = task.await;
        }
        served
    }
}

/// Where the routes serve Prometheus' text format.
const METRICS_PATH: &str = "/metrics";

/// 404 for `/metrics` on a listener that no longer serves it.
async fn not_metrics(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if request.uri().path() == METRICS_PATH {
        return StatusCode::NOT_FOUND.into_response();
    }
    next.run(request).await
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
