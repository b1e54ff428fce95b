//! The router's HTTP endpoint (GraphQL over HTTP): `POST /graphql` with a
//! JSON body, `GET /graphql` for queries (the playground for browsers, also
//! at `/playground`, its assets under `/playground/assets/`), and
//! `/health`. It maps engine outcomes onto status codes and media types; all
//! GraphQL work happens in the engine. Each request takes the engine in
//! force from an [`EngineHandle`] once, at its start, so a reload never
//! changes what a running request sees; the engine's config also gives the
//! server its own settings (body limit, readiness), so they reload with it.

use std::collections::HashMap;
use std::future::Future;

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::header::{ACCEPT, ALLOW, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;

use crate::engine::{EngineResponse, HttpMethod, ResponseStatus};
use crate::graphql::{self, Error, JsonMap};
use crate::pipeline::MISSING_QUERY;
use crate::pipeline::body::{self, Decoded};
use crate::pipeline::csrf;
use crate::reload::{EngineHandle, Reloader, Sources, Triggers};

pub use crate::pipeline::body::BAD_REQUEST;
const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const APPLICATION_JSON: &str = "application/json";

/// The routes, over the engine in force.
pub fn router(engine: impl Into<EngineHandle>) -> Router {
    let engine: EngineHandle = engine.into();
    let limit = RequestLimit::of(engine.current().config());
    routes(engine, &limit)
}

/// `max_concurrent_requests`, one count for every serving thread.
#[derive(Clone)]
pub(crate) struct RequestLimit(Option<tower::limit::GlobalConcurrencyLimitLayer>);

impl RequestLimit {
    pub(crate) fn of(config: &crate::config::RouterConfig) -> Self {
        RequestLimit((config.max_concurrent_requests > 0).then(|| {
            tower::limit::GlobalConcurrencyLimitLayer::new(config.max_concurrent_requests)
        }))
    }
}

/// The routes, their requests counted against `limit`.
pub(crate) fn routes(engine: EngineHandle, limit: &RequestLimit) -> Router {
    let config = engine.current().config().clone();
    if config.metrics.enabled {
        crate::metrics::handle();
    }
    let cors = config.cors.layer();
    let mut graphql = get(get_graphql).post(post_graphql);
    if let RequestLimit(Some(limit)) = limit {
        // Past the limit a request is refused at once, not queued: an
        // overload sheds load instead of piling up (health stays served).
        graphql = graphql.layer(
            tower::ServiceBuilder::new()
                .layer(axum::error_handling::HandleErrorLayer::new(overloaded))
                .load_shed()
                .layer(limit.clone()),
        );
    }
    let mut router = Router::new()
        .route("/graphql", graphql)
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/playground", get(playground_page))
        .route("/playground/", get(playground_page))
        .route("/playground/assets/{*path}", get(playground_asset))
        // The engine's `max_request_bytes` bounds bodies (`body::read`).
        .layer(DefaultBodyLimit::disable());
    if let Some(cors) = cors {
        router = router.layer(cors);
    }
    router
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(engine)
}

async fn playground_page() -> Response {
    crate::playground::response()
}

async fn playground_asset(axum::extract::Path(path): axum::extract::Path<String>) -> Response {
    crate::playground::asset(&path)
}

/// The admin routes: `GET /metrics` (Prometheus; `[metrics]` moves or
/// removes it), `GET /status`, each subgraph's endpoints, health,
/// latency, load and breaker.
pub fn admin_router(engine: impl Into<EngineHandle>) -> Router {
    let engine = engine.into();
    let metrics_config = engine.current().config().metrics.clone();
    let mut router = Router::new().route("/status", get(status));
    if metrics_config.enabled {
        crate::metrics::handle();
        router = router.route(&metrics_config.path, get(metrics));
    }
    router.with_state(engine)
}

/// Serves the admin routes until `shutdown` completes.
pub async fn serve_admin(
    listener: TcpListener,
    engine: impl Into<EngineHandle>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, admin_router(engine))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Serves until `shutdown` completes, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    engine: impl Into<EngineHandle>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_routes(listener, router(engine), shutdown).await
}

/// [`serve`] with routes already built.
pub(crate) async fn serve_routes(
    listener: TcpListener,
    routes: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Answers go out as soon as they are written, not held back to be
    // coalesced with a next segment (Nagle) while the client waits.
    let listener = listener.tap_io(|stream| {
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(%err, "could not set TCP_NODELAY on a client connection");
        }
    });
    // The peer's address reaches the handlers (per-client rate limits).
    let app = routes.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Builds the engine over HTTP subgraphs from `sources`, binds the
/// configured listeners and serves until `shutdown`, reloading on
/// `triggers`.
pub async fn run(
    sources: Sources,
    triggers: Triggers,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let reloader = Reloader::start(sources).await?;
    let engine = reloader.handle();
    let config = engine.current().config().clone();
    // Before the listeners: a SIGHUP from anyone who saw the router up
    // must find its handler installed.
    let _reloads = reloader.spawn(triggers)?;
    let workers = crate::workers::count(config.workers);
    let workers = crate::workers::Workers::start(config.listen, workers, engine.clone())
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let admin = TcpListener::bind(config.admin_listen)
        .await
        .with_context(|| format!("cannot listen on {} (admin_listen)", config.admin_listen))?;
    tracing::info!(
        "router listening on http://{}/graphql (status on http://{}/status)",
        workers.local_addr(),
        admin.local_addr()?
    );
    let (stop_admin, admin_stopped) = tokio::sync::oneshot::channel::<()>();
    let admin_task = tokio::spawn(serve_admin(admin, engine.clone(), async {
        let _ = admin_stopped.await;
    }));
    shutdown.await;
    workers.shutdown().await?;
    let _ = stop_admin.send(());
    let _ = admin_task.await;
    tracing::info!("router stopped");
    Ok(())
}

pub const OVERLOADED: &str = "OVERLOADED";

/// The answer to a request shed past `max_concurrent_requests`.
async fn overloaded(_: tower::BoxError) -> Response {
    let body = graphql::Response::request_error(Error::coded(
        "The router is serving as many requests as it may; try again shortly.",
        OVERLOADED,
    ));
    let mut response = json_response(StatusCode::SERVICE_UNAVAILABLE, APPLICATION_JSON, body);
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {err}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(err) => {
                tracing::error!("cannot listen for SIGTERM: {err}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

async fn health() -> Response {
    json_response(
        StatusCode::OK,
        APPLICATION_JSON,
        serde_json::json!({"status": "pass"}),
    )
}

/// Ready when every subgraph can be called (or, when the config does not
/// ask for that, once serving).
async fn ready(State(engine): State<EngineHandle>) -> Response {
    let engine = engine.current();
    let unavailable = if engine.config().ready_needs_subgraphs {
        engine.unavailable_subgraphs()
    } else {
        Vec::new()
    };
    if unavailable.is_empty() {
        return serving();
    }
    json_response(
        StatusCode::SERVICE_UNAVAILABLE,
        APPLICATION_JSON,
        serde_json::json!({"status": "unready", "unavailable": unavailable}),
    )
}

fn serving() -> Response {
    json_response(
        StatusCode::OK,
        APPLICATION_JSON,
        serde_json::json!({"status": "ready"}),
    )
}

/// Prometheus' text format.
async fn metrics() -> Response {
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static(telemetry::metrics::CONTENT_TYPE),
        )],
        crate::metrics::handle().render(),
    )
        .into_response()
}

async fn status(State(engine): State<EngineHandle>) -> Response {
    let engine = engine.current();
    json_response(
        StatusCode::OK,
        APPLICATION_JSON,
        serde_json::json!({
            "subgraphs": engine.upstreams(),
            "limits": engine.limit_counts(),
        }),
    )
}

/// The client's address, when the request came over a socket.
type Peer = Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>;

fn peer_ip(peer: Peer) -> Option<std::net::IpAddr> {
    peer.map(|axum::Extension(axum::extract::ConnectInfo(addr))| addr.ip())
}

async fn post_graphql(
    State(engine): State<EngineHandle>,
    peer: Peer,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let peer = peer_ip(peer);
    let engine = engine.current();
    let media = response_media(&headers);
    let config = engine.config();
    let decoded = body::read(&headers, body, config.max_request_bytes, &config.batching).await;
    match decoded {
        Err(err) => {
            let response = graphql::Response::request_error(err.to_graphql_error());
            json_response(err.status(), media_str(media), response)
        }
        Ok(Decoded::One(request)) => {
            let context = engine.context(HttpMethod::Post, headers).with_peer(peer);
            respond(media, engine.execute(request, &context).await)
        }
        Ok(Decoded::Batch(requests)) => {
            // Side by side, each answered as if sent alone; the array
            // keeps the batch's order.
            let context = engine.context(HttpMethod::Post, headers).with_peer(peer);
            let answers = requests
                .into_iter()
                .map(|request| engine.execute(request, &context));
            let answers = futures::future::join_all(answers).await;
            let mut out = Vec::with_capacity(answers.len() * 256);
            out.push(b'[');
            for (i, answer) in answers.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(&answer.into_body());
            }
            out.push(b']');
            (
                StatusCode::OK,
                [(CONTENT_TYPE, HeaderValue::from_static(media_str(media)))],
                out,
            )
                .into_response()
        }
    }
}

async fn get_graphql(
    State(engine): State<EngineHandle>,
    peer: Peer,
    headers: HeaderMap,
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let engine = engine.current();
    let media = response_media(&headers);
    let Query(mut params) = match params {
        Ok(params) => params,
        Err(rejection) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                media,
                &rejection.body_text(),
                BAD_REQUEST,
            );
        }
    };
    let query = params.remove("query");
    // A persisted query may come without its text.
    let persisted = params
        .get("extensions")
        .is_some_and(|e| e.contains("persistedQuery"));
    if query.is_none() && !persisted {
        if accepts(&headers, "text/html") {
            return crate::playground::response();
        }
        return error_response(
            StatusCode::BAD_REQUEST,
            media,
            "Must provide query string.",
            MISSING_QUERY,
        );
    }
    if let Err(refused) = csrf::check(&engine.config().csrf, &headers) {
        let response = graphql::Response::request_error(refused.to_graphql_error());
        return json_response(StatusCode::BAD_REQUEST, media_str(media), response);
    }
    let mut request = graphql::Request {
        query,
        operation_name: params
            .remove("operationName")
            .filter(|name| !name.is_empty()),
        variables: None,
        extensions: None,
    };
    for (param, slot) in [
        ("variables", &mut request.variables),
        ("extensions", &mut request.extensions),
    ] {
        let Some(text) = params.remove(param).filter(|text| !text.is_empty()) else {
            continue;
        };
        match serde_json::from_str::<Option<JsonMap>>(&text) {
            Ok(value) => *slot = value,
            Err(err) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    media,
                    &format!("The `{param}` parameter is not a JSON object: {err}"),
                    BAD_REQUEST,
                );
            }
        }
    }
    let context = engine
        .context(HttpMethod::Get, headers)
        .with_peer(peer_ip(peer));
    respond(media, engine.execute(request, &context).await)
}

/// The media type of the response, from the request's `Accept`: the GraphQL
/// response type when asked for, else (legacy clients) `application/json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Media {
    GraphqlResponseJson,
    Json,
}

fn response_media(headers: &HeaderMap) -> Media {
    if accepts(headers, GRAPHQL_RESPONSE_JSON) {
        Media::GraphqlResponseJson
    } else {
        Media::Json
    }
}

/// Whether `Accept` lists `media_type` with a non-zero quality.
fn accepts(headers: &HeaderMap, media_type: &str) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|entry| {
            let mut parts = entry.split(';');
            let kind = parts.next().unwrap_or_default().trim();
            let rejected = parts.any(|param| {
                let param = param.trim().replace(' ', "");
                param
                    .strip_prefix("q=")
                    .is_some_and(|q| q.parse::<f32>() == Ok(0.0))
            });
            kind.eq_ignore_ascii_case(media_type) && !rejected
        })
}

fn respond(media: Media, result: EngineResponse) -> Response {
    let status = match (result.status, media) {
        (ResponseStatus::Status(status), _) => status,
        (ResponseStatus::RequestError, Media::GraphqlResponseJson) => StatusCode::BAD_REQUEST,
        (ResponseStatus::RequestError | ResponseStatus::Ok, _) => StatusCode::OK,
    };
    let retry_after = result.retry_after_s;
    let mut response = (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static(media_str(media)))],
        result.into_body(),
    )
        .into_response();
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    if status == StatusCode::METHOD_NOT_ALLOWED {
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
    }
    if status == StatusCode::UNAUTHORIZED {
        // RFC 6750: the scheme, and that the token was the problem.
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
    }
    response
}

fn error_response(status: StatusCode, media: Media, message: &str, code: &str) -> Response {
    let body = graphql::Response::request_error(Error::coded(message, code));
    json_response(status, media_str(media), body)
}

fn media_str(media: Media) -> &'static str {
    match media {
        Media::GraphqlResponseJson => GRAPHQL_RESPONSE_JSON,
        Media::Json => APPLICATION_JSON,
    }
}

fn json_response(status: StatusCode, content_type: &'static str, body: impl JsonBody) -> Response {
    let bytes = body.json_bytes();
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static(content_type))],
        bytes,
    )
        .into_response()
}

/// A body the server can write: GraphQL responses splice their executor-written
/// `data` in as it is.
trait JsonBody {
    fn json_bytes(self) -> Vec<u8>;
}

impl JsonBody for graphql::Response {
    fn json_bytes(self) -> Vec<u8> {
        self.into_json_bytes()
    }
}

impl JsonBody for serde_json::Value {
    fn json_bytes(self) -> Vec<u8> {
        serde_json::to_vec(&self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::time::Duration;

    use serde_json::{Value, json};
    use tokio::sync::oneshot;

    use super::*;
    use crate::config::RouterConfig;
    use crate::engine::Engine;
    use crate::engine::tests::FakeTransport;

    struct TestServer {
        addr: SocketAddr,
        client: reqwest::Client,
        engine: EngineHandle,
        stop: Option<oneshot::Sender<()>>,
        task: tokio::task::JoinHandle<std::io::Result<()>>,
    }

    /// The test supergraph over a fake transport, set up by `config`.
    fn engine_with(config: &RouterConfig) -> Engine {
        let sdl = crate::api_schema::tests::supergraph_sdl();
        Engine::new(&sdl, config, Arc::new(FakeTransport::default())).unwrap()
    }

    /// Answers every fetch after `delay`, counting them.
    #[derive(Default)]
    struct CountingTransport {
        delay: Duration,
        fetches: std::sync::atomic::AtomicUsize,
    }

    #[async_trait::async_trait]
    impl crate::transport::Transport for CountingTransport {
        async fn fetch(
            &self,
            _: &crate::transport::SubgraphEndpoint,
            _: crate::transport::SubgraphRequest,
            _: &crate::request::RequestContext,
        ) -> Result<crate::transport::RawResponse, crate::transport::TransportError> {
            self.fetches
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            Ok(crate::transport::RawResponse::ok(
                bytes::Bytes::from_static(b"{\"data\":{\"lowStock\":[]}}"),
            ))
        }
    }

    impl TestServer {
        async fn start(config: RouterConfig) -> Self {
            Self::start_with(engine_with(&config)).await
        }

        async fn start_with(engine: Engine) -> Self {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let (stop, stopped) = oneshot::channel::<()>();
            let engine = EngineHandle::new(engine);
            let serving = engine.clone();
            let task = tokio::spawn(async move {
                serve(listener, serving, async {
                    let _ = stopped.await;
                })
                .await
            });
            TestServer {
                addr,
                client: reqwest::Client::new(),
                engine,
                stop: Some(stop),
                task,
            }
        }

        fn url(&self, path: &str) -> String {
            format!("http://{}{path}", self.addr)
        }

        async fn post(&self, accept: Option<&str>, body: &str) -> (u16, String, Value) {
            let mut request = self
                .client
                .post(self.url("/graphql"))
                .header("content-type", "application/json")
                .body(body.to_owned());
            if let Some(accept) = accept {
                request = request.header("accept", accept);
            }
            read(request.send().await.unwrap()).await
        }

        async fn get(&self, accept: &str, params: &[(&str, &str)]) -> (u16, reqwest::Response) {
            let query: Vec<String> = params
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect();
            let response = self
                .client
                .get(format!("{}?{}", self.url("/graphql"), query.join("&")))
                .header("accept", accept)
                .header("apollo-require-preflight", "true")
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response)
        }
    }

    fn encode(text: &str) -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }

    async fn read(response: reqwest::Response) -> (u16, String, Value) {
        let status = response.status().as_u16();
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        let body = response.json::<Value>().await.unwrap();
        (status, content_type, body)
    }

    const BOTH: &str = "application/graphql-response+json, application/json;q=0.9";

    #[tokio::test]
    async fn negotiates_the_response_media_type() {
        let server = TestServer::start(RouterConfig::default()).await;
        let ok = r#"{"query": "{ __typename }"}"#;
        let invalid = r#"{"query": "{ nope }"}"#;

        let (status, content_type, body) = server.post(Some(BOTH), ok).await;
        assert_eq!(
            (status, content_type.as_str()),
            (200, GRAPHQL_RESPONSE_JSON)
        );
        assert_eq!(body, json!({"data": {"__typename": "Query"}}));

        let (status, content_type, body) = server.post(Some(BOTH), invalid).await;
        assert_eq!(
            (status, content_type.as_str()),
            (400, GRAPHQL_RESPONSE_JSON)
        );
        assert!(body.get("data").is_none());

        for accept in [Some("application/json"), None, Some("*/*")] {
            let (status, content_type, _) = server.post(accept, invalid).await;
            assert_eq!(
                (status, content_type.as_str()),
                (200, APPLICATION_JSON),
                "{accept:?}"
            );
        }
        let refused = "application/graphql-response+json;q=0, application/json";
        let (_, content_type, _) = server.post(Some(refused), ok).await;
        assert_eq!(content_type, APPLICATION_JSON);
    }

    #[tokio::test]
    async fn validation_errors_are_shaped_per_spec() {
        let server = TestServer::start(RouterConfig::default()).await;
        let (_, _, body) = server
            .post(Some(BOTH), r#"{"query": "{\n  nope\n}"}"#)
            .await;
        let error = &body["errors"][0];
        assert!(
            error["message"].as_str().unwrap().contains("nope"),
            "{body}"
        );
        assert_eq!(error["locations"], json!([{"line": 2, "column": 3}]));
        assert_eq!(
            error["extensions"]["code"],
            json!("GRAPHQL_VALIDATION_FAILED")
        );

        let (_, _, body) = server
            .post(
                Some(BOTH),
                r#"{"query": "query($id: ID!) { product(id: $id) { name } }", "variables": {}}"#,
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            json!("BAD_USER_INPUT")
        );
    }

    #[tokio::test]
    async fn bad_bodies_are_400_with_a_graphql_error() {
        let server = TestServer::start(RouterConfig::default()).await;
        for body in [
            "",
            "{",
            "[1]",
            r#"{"query": 1}"#,
            "{}",
            r#"{"query": "{ __typename }", "variables": 3}"#,
        ] {
            let (status, content_type, json) = server.post(None, body).await;
            assert_eq!(status, 400, "{body}");
            assert_eq!(content_type, APPLICATION_JSON);
            assert!(json["errors"][0]["message"].is_string(), "{json}");
            assert!(json.get("data").is_none());
        }
        let response = server
            .client
            .post(server.url("/graphql"))
            .header("content-type", "text/plain")
            .body(r#"{"query": "{ __typename }"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 415);
    }

    #[tokio::test]
    async fn a_batch_is_answered_in_order_when_batching_is_on() {
        let config = RouterConfig {
            batching: crate::pipeline::body::BatchingConfig {
                enabled: true,
                max_operations: 3,
            },
            ..RouterConfig::default()
        };
        let server = TestServer::start(config).await;
        let batch = r#"[{"query": "{ __typename }"}, {"query": "{ nope }"}, {"query": "query Q { lowStock { id } }", "operationName": "Q"}]"#;
        let (status, _, body) = server.post(Some(BOTH), batch).await;
        assert_eq!(status, 200);
        let answers = body.as_array().expect("an array of responses");
        assert_eq!(answers.len(), 3);
        assert_eq!(answers[0]["data"]["__typename"], "Query");
        assert_eq!(
            answers[1]["errors"][0]["extensions"]["code"],
            "GRAPHQL_VALIDATION_FAILED"
        );
        assert!(answers[1].get("data").is_none());
        assert!(answers[2].get("data").is_some(), "{}", answers[2]);

        let four = format!("[{}]", [r#"{"query": "{ __typename }"}"#; 4].join(","));
        let (status, _, body) = server.post(Some(BOTH), &four).await;
        assert_eq!(status, 400);
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            "MAX_BATCH_EXCEEDED"
        );
    }

    #[tokio::test]
    async fn a_batch_is_refused_when_batching_is_off() {
        let server = TestServer::start(RouterConfig::default()).await;
        let (status, _, body) = server
            .post(Some(BOTH), r#"[{"query": "{ __typename }"}]"#)
            .await;
        assert_eq!(status, 400);
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            "BATCHING_NOT_ENABLED"
        );
    }

    #[tokio::test]
    async fn a_bad_token_is_401_and_no_token_is_anonymous() {
        use crate::auth::testing::{bearer, claims, jwks_file, now, sign};
        use jsonwebtoken::Algorithm;
        let (_file, path) = jwks_file();
        let config = RouterConfig::from_toml(&format!(
            "[authentication]\njwks = [{{ file = {:?} }}]\nissuers = [\"https://idp.test\"]",
            path.display().to_string()
        ))
        .unwrap();
        let server = TestServer::start(config).await;
        let post = |headers: HeaderMap| {
            let request = server
                .client
                .post(server.url("/graphql"))
                .header("content-type", "application/json")
                .headers(headers)
                .body(r#"{"query": "{ __typename }"}"#);
            async move {
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let challenge = response
                    .headers()
                    .get("www-authenticate")
                    .map(|v| v.to_str().unwrap().to_owned());
                let body: Value = response.json().await.unwrap();
                (status, challenge, body)
            }
        };
        let (status, _, body) = post(HeaderMap::new()).await;
        assert_eq!(
            (status, &body["data"]["__typename"]),
            (200, &json!("Query"))
        );
        let token = sign(Algorithm::ES256, Some("ec-1"), claims());
        let (status, _, _) = post(bearer(&token)).await;
        assert_eq!(status, 200);

        let mut expired = claims();
        expired["exp"] = json!(now() - 3600);
        let expired = sign(Algorithm::ES256, Some("ec-1"), expired);
        for (headers, reason) in [
            (bearer(&expired), "expired"),
            (bearer("nonsense"), "malformed"),
        ] {
            let (status, challenge, body) = post(headers).await;
            assert_eq!(status, 401, "{body}");
            assert_eq!(challenge.as_deref(), Some("Bearer error=\"invalid_token\""));
            assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
            assert_eq!(body["errors"][0]["extensions"]["reason"], reason);
            assert!(body.get("data").is_none());
        }
    }

    #[test]
    fn authentication_settings_read_from_toml_and_refuse_unknown_keys() {
        let config = RouterConfig::from_toml(
            "[authentication]\njwks = [{ url = \"https://idp.test/jwks.json\" }, { file = \"keys.json\" }]\nalgorithms = [\"RS256\", \"EdDSA\"]\naudiences = [\"shop\"]\nleeway_s = 5",
        )
        .unwrap();
        assert_eq!(config.authentication.jwks.len(), 2);
        assert_eq!(config.authentication.algorithms.len(), 2);
        assert!(RouterConfig::from_toml("[authentication]\nissuer = \"x\"").is_err());
        assert!(RouterConfig::from_toml("[authentication]\njwks = [{ path = \"x\" }]").is_err());
        assert!(RouterConfig::from_toml("[authentication]\nalgorithms = [\"XX999\"]").is_err());
    }

    #[tokio::test]
    async fn bodies_over_the_limit_are_refused() {
        let config = RouterConfig {
            max_request_bytes: 100,
            ..RouterConfig::default()
        };
        let server = TestServer::start(config).await;
        let big = format!(
            r#"{{"query": "{{ __typename }}", "extensions": {{"pad": "{}"}}}}"#,
            "x".repeat(200)
        );
        let (status, _, body) = server.post(Some(BOTH), &big).await;
        assert_eq!(status, 413);
        assert!(body["errors"][0]["message"].is_string());
        let (status, _, _) = server
            .post(Some(BOTH), r#"{"query": "{ __typename }"}"#)
            .await;
        assert_eq!(status, 200);
    }

    #[tokio::test]
    async fn the_body_limit_follows_the_engine_in_force() {
        let server = TestServer::start(RouterConfig::default()).await;
        let padded = |n: usize| {
            format!(
                r#"{{"query": "{{ __typename }}", "extensions": {{"pad": "{}"}}}}"#,
                "x".repeat(n)
            )
        };
        assert_eq!(server.post(None, &padded(500)).await.0, 200);
        server.engine.replace(engine_with(&RouterConfig {
            max_request_bytes: 100,
            ..RouterConfig::default()
        }));
        let (status, _, body) = server.post(None, &padded(500)).await;
        assert_eq!(status, 413);
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("100 bytes")),
            "{body}"
        );
        assert_eq!(server.post(None, &padded(10)).await.0, 200);
    }

    #[tokio::test]
    async fn a_get_a_browser_could_send_cross_site_is_refused() {
        let server = TestServer::start(RouterConfig::default()).await;
        let url = format!("{}?query=%7B__typename%7D", server.url("/graphql"));
        let plain = server.client.get(&url).send().await.unwrap();
        assert_eq!(plain.status().as_u16(), 400);
        let body: Value = plain.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "CSRF_PREVENTED");
        let marked = server
            .client
            .get(&url)
            .header("apollo-require-preflight", "true")
            .send()
            .await
            .unwrap();
        assert_eq!(marked.status().as_u16(), 200);
        let page = server
            .client
            .get(server.url("/graphql"))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(
            page.status().as_u16(),
            200,
            "the playground itself is served"
        );
    }

    #[tokio::test]
    async fn only_configured_origins_get_cors_headers() {
        let preflight = |server: &TestServer, origin: &'static str| {
            server
                .client
                .request(reqwest::Method::OPTIONS, server.url("/graphql"))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header(
                    "access-control-request-headers",
                    "content-type, authorization",
                )
                .send()
        };
        let allowed = |response: &reqwest::Response| {
            response
                .headers()
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let closed = TestServer::start(RouterConfig::default()).await;
        let response = preflight(&closed, "https://app.example.com").await.unwrap();
        assert_eq!(allowed(&response), None, "no origin by default");

        let config = RouterConfig::from_toml(
            "[cors]\norigins = [\"https://app.example.com\"]\nallow_credentials = true",
        )
        .unwrap();
        let open = TestServer::start(config).await;
        let response = preflight(&open, "https://app.example.com").await.unwrap();
        assert_eq!(
            allowed(&response).as_deref(),
            Some("https://app.example.com")
        );
        assert_eq!(
            response.headers()["access-control-allow-credentials"],
            "true"
        );
        let headers = response.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(headers.contains("authorization"), "{headers}");
        let other = preflight(&open, "https://evil.example").await.unwrap();
        assert_eq!(allowed(&other), None);
        assert!(
            RouterConfig::from_toml("[cors]\norigins = [\"*\"]\nallow_credentials = true").is_err()
        );
    }

    #[tokio::test]
    async fn past_max_concurrent_requests_the_router_sheds_load_with_503() {
        let config = RouterConfig {
            max_concurrent_requests: 2,
            ..RouterConfig::default()
        };
        let sdl = crate::api_schema::tests::supergraph_sdl();
        let slow = Arc::new(CountingTransport {
            delay: Duration::from_millis(400),
            ..Default::default()
        });
        let server = TestServer::start_with(Engine::new(&sdl, &config, slow).unwrap()).await;
        let started = std::time::Instant::now();
        let calls = (0..8).map(|_| server.post(Some(BOTH), r#"{"query": "{ lowStock { id } }"}"#));
        let (answers, health) = tokio::join!(futures::future::join_all(calls), async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            server
                .client
                .get(server.url("/health"))
                .send()
                .await
                .unwrap()
        });
        assert_eq!(health.status().as_u16(), 200, "health is never shed");
        let served = answers
            .iter()
            .filter(|(status, _, _)| *status == 200)
            .count();
        let shed: Vec<_> = answers
            .iter()
            .filter(|(status, _, _)| *status == 503)
            .collect();
        assert!(served >= 2, "{answers:?}");
        assert!(!shed.is_empty(), "{answers:?}");
        assert_eq!(served + shed.len(), 8);
        assert_eq!(shed[0].2["errors"][0]["extensions"]["code"], OVERLOADED);
        // Shed at once, not queued behind the slow ones.
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    async fn burst(server: &TestServer, bodies: &[&str]) -> Vec<(u16, String, Value)> {
        futures::future::join_all(bodies.iter().map(|body| server.post(Some(BOTH), body))).await
    }

    /// A server whose subgraph fetches are counted, each answered after
    /// `delay` (so a burst overlaps); subgraph-level sharing off, so only
    /// whole requests may share.
    async fn counted(delay_ms: u64, config: RouterConfig) -> (TestServer, Arc<CountingTransport>) {
        let transport = Arc::new(CountingTransport {
            delay: Duration::from_millis(delay_ms),
            ..Default::default()
        });
        let config = RouterConfig {
            dedup_queries: false,
            ..config
        };
        let sdl = crate::api_schema::tests::supergraph_sdl();
        let engine = Engine::new(&sdl, &config, transport.clone()).unwrap();
        (TestServer::start_with(engine).await, transport)
    }

    impl CountingTransport {
        /// Fetches so far, starting the count again.
        fn take(&self) -> usize {
            self.fetches.swap(0, std::sync::atomic::Ordering::SeqCst)
        }
    }

    #[tokio::test]
    async fn identical_queries_in_flight_share_one_execution() {
        let (server, transport) = counted(300, RouterConfig::default()).await;
        let same = r#"{"query": "{ lowStock { id } }"}"#;
        let answers = burst(&server, &[same; 10]).await;
        assert!(
            answers.iter().all(|(status, _, body)| *status == 200
                && *body == json!({ "data": { "lowStock": [] } })),
            "{answers:?}"
        );
        assert_eq!(transport.take(), 1);

        // Different variables do not share.
        let a = r#"{"query": "query($x: Boolean!) { lowStock { id @include(if: $x) } }", "variables": {"x": true}}"#;
        let b = r#"{"query": "query($x: Boolean!) { lowStock { id @include(if: $x) } }", "variables": {"x": false}}"#;
        burst(&server, &[a, b, a, b]).await;
        assert_eq!(transport.take(), 2);
    }

    #[tokio::test]
    async fn mutations_never_share_unless_configured_and_queries_can_be_told_not_to() {
        let (server, transport) = counted(200, RouterConfig::default()).await;
        let restock = r#"{"query": "mutation { restock(id: \"1\") }"}"#;
        burst(&server, &[restock; 4]).await;
        assert_eq!(transport.take(), 4);

        let mut config = RouterConfig::default();
        config.request_dedup.queries = false;
        let (server, transport) = counted(200, config).await;
        let same = r#"{"query": "{ lowStock { id } }"}"#;
        burst(&server, &[same; 4]).await;
        assert_eq!(transport.take(), 4);
    }

    #[tokio::test]
    async fn a_client_past_its_rate_gets_429_with_retry_after() {
        let (_jwks, path) = crate::auth::testing::jwks_file();
        let mut config = RouterConfig::default();
        config.rate_limit.enabled = true;
        config.rate_limit.requests_per_second = 1;
        config.rate_limit.burst = 2;
        config.authentication.jwks = vec![crate::auth::JwksSource::File { file: path }];
        let server = TestServer::start(config).await;
        let query = r#"{"query": "{ __typename }"}"#;
        let answers = burst(&server, &[query; 3]).await;
        let statuses: Vec<u16> = answers.iter().map(|(status, _, _)| *status).collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            2,
            "{answers:?}"
        );
        let refused = answers
            .iter()
            .find(|(status, _, _)| *status == 429)
            .expect("one refused");
        assert_eq!(refused.2["errors"][0]["extensions"]["code"], "RATE_LIMITED");

        // The header says when to come back; another client is not held back.
        let response = server
            .client
            .post(server.url("/graphql"))
            .header("content-type", "application/json")
            .body(query)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 429);
        let retry: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=2).contains(&retry), "{retry}");
        let token = crate::auth::testing::sign(
            jsonwebtoken::Algorithm::RS256,
            Some("rsa-1"),
            crate::auth::testing::claims(),
        );
        let signed_in = server
            .client
            .post(server.url("/graphql"))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .body(query)
            .send()
            .await
            .unwrap();
        assert_eq!(
            signed_in.status().as_u16(),
            200,
            "a token's subject has its own bucket"
        );
    }

    #[tokio::test]
    async fn a_persisted_query_may_come_without_its_text_over_post_and_get() {
        let server = TestServer::start(RouterConfig::default()).await;
        let hash = crate::pipeline::persisted::sha256_hex("{ lowStock { id } }");
        let extensions =
            format!(r#"{{"persistedQuery": {{"version": 1, "sha256Hash": "{hash}"}}}}"#);
        let (_, _, body) = server
            .post(Some(BOTH), &format!(r#"{{"extensions": {extensions}}}"#))
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            "PERSISTED_QUERY_NOT_FOUND"
        );
        let (_, response) = server.get(BOTH, &[("extensions", &extensions)]).await;
        let (_, _, body) = read(response).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            "PERSISTED_QUERY_NOT_FOUND"
        );
        // Registered by POST, then found by GET.
        let (status, _, _) = server
            .post(
                Some(BOTH),
                &format!(r#"{{"query": "{{ lowStock {{ id }} }}", "extensions": {extensions}}}"#),
            )
            .await;
        assert_eq!(status, 200);
        let (status, response) = server.get(BOTH, &[("extensions", &extensions)]).await;
        let (_, _, body) = read(response).await;
        assert_eq!(status, 200, "{body}");
        // Without either, still a missing query.
        let (status, _, body) = server.post(Some(BOTH), "{}").await;
        assert_eq!(status, 400);
        assert_eq!(body["errors"][0]["extensions"]["code"], MISSING_QUERY);
    }

    #[tokio::test]
    async fn the_admin_listener_serves_prometheus_metrics_of_requests() {
        let server = TestServer::start(RouterConfig::default()).await;
        let (status, _, _) = server
            .post(
                Some(BOTH),
                r#"{"query": "query MetricsProbe { lowStock { id } }", "operationName": "MetricsProbe"}"#,
            )
            .await;
        assert_eq!(status, 200);
        server.post(Some(BOTH), r#"{"query": "{ nope }"}"#).await;
        let admin = admin_router(server.engine.clone());
        let response = tower::ServiceExt::oneshot(
            admin,
            http::Request::get("/metrics")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(text.contains("# HELP router_requests_total"), "{text}");
        assert!(
            text.lines().any(|l| l.starts_with("router_requests_total{")
                && l.contains(r#"operation="MetricsProbe""#)
                && l.contains(r#"status="200""#)),
            "{text}"
        );
        assert!(
            text.lines().any(|l| l.starts_with("router_requests_total{")
                && l.contains(r#"code="GRAPHQL_VALIDATION_FAILED""#)),
            "{text}"
        );
        assert!(
            text.contains("router_request_duration_seconds_bucket{"),
            "{text}"
        );
        assert!(
            text.contains(r#"router_plan_cache_lookups_total{result="miss"}"#),
            "{text}"
        );
        assert!(
            text.contains("# TYPE router_requests_in_flight gauge"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn metrics_move_to_the_configured_path_or_are_switched_off() {
        let get = |router: Router, path: &'static str| async move {
            tower::ServiceExt::oneshot(
                router,
                http::Request::get(path)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap()
            .status()
        };
        let moved = TestServer::start(
            RouterConfig::from_toml("[metrics]\npath = \"/prometheus\"").unwrap(),
        )
        .await;
        let admin = admin_router(moved.engine.clone());
        assert_eq!(get(admin.clone(), "/prometheus").await, 200);
        assert_eq!(get(admin, "/metrics").await, 404);

        let off =
            TestServer::start(RouterConfig::from_toml("[metrics]\nenabled = false").unwrap()).await;
        let admin = admin_router(off.engine.clone());
        assert_eq!(get(admin.clone(), "/metrics").await, 404);
        assert_eq!(
            get(admin, "/status").await,
            200,
            "the rest of the admin view stays"
        );

        for bad in ["relative", "/", "/status"] {
            let toml = format!("[metrics]\npath = \"{bad}\"");
            assert!(RouterConfig::from_toml(&toml).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn runs_queries_over_get() {
        let server = TestServer::start(RouterConfig {
            introspection: true,
            ..RouterConfig::default()
        })
        .await;
        let (status, response) = server
            .get(
                BOTH,
                &[
                    (
                        "query",
                        "query Q($n: String!) { t: __type(name: $n) { name } }",
                    ),
                    ("operationName", "Q"),
                    ("variables", r#"{"n": "Product"}"#),
                ],
            )
            .await;
        assert_eq!(status, 200);
        let (_, _, body) = read(response).await;
        assert_eq!(body, json!({"data": {"t": {"name": "Product"}}}));

        let (status, response) = server
            .get(BOTH, &[("query", "{ __typename }"), ("variables", "[")])
            .await;
        assert_eq!(status, 400);
        let (_, _, body) = read(response).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], json!(BAD_REQUEST));

        let (status, _) = server.get("application/json", &[]).await;
        assert_eq!(status, 400, "no query and not a browser");
    }

    #[tokio::test]
    async fn mutations_over_get_are_405() {
        let server = TestServer::start(RouterConfig::default()).await;
        for accept in [BOTH, "application/json"] {
            let (status, response) = server
                .get(accept, &[("query", "mutation { __typename }")])
                .await;
            assert_eq!(status, 405);
            assert_eq!(response.headers()["allow"], "POST");
            let (_, _, body) = read(response).await;
            assert_eq!(
                body["errors"][0]["extensions"]["code"],
                json!("METHOD_NOT_ALLOWED")
            );
        }
    }

    #[tokio::test]
    async fn introspection_is_off_unless_configured() {
        let server = TestServer::start(RouterConfig::default()).await;
        let (status, _, body) = server
            .post(
                Some(BOTH),
                r#"{"query": "{ __schema { types { name } } }"}"#,
            )
            .await;
        assert_eq!(status, 400);
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            "INTROSPECTION_DISABLED"
        );
        assert!(body.get("data").is_none());
        let (status, _, body) = server
            .post(Some(BOTH), r#"{"query": "{ __typename }"}"#)
            .await;
        assert_eq!(status, 200);
        assert_eq!(body["data"]["__typename"], "Query");
        // No hint that names the schema's parts.
        let (_, _, body) = server
            .post(Some(BOTH), r#"{"query": "{ lowStock }"}"#)
            .await;
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(!message.contains("Did you mean"), "{message}");
    }

    #[tokio::test]
    async fn introspection_shows_no_federation_types() {
        let server = TestServer::start(RouterConfig {
            introspection: true,
            ..RouterConfig::default()
        })
        .await;
        let (status, _, body) = server
            .post(
                Some(BOTH),
                r#"{"query": "{ __schema { types { name } directives { name } } }"}"#,
            )
            .await;
        assert_eq!(status, 200);
        let names: Vec<&str> = body["data"]["__schema"]["types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"Product"), "{names:?}");
        assert!(names.contains(&"__Schema"), "{names:?}");
        assert!(
            names
                .iter()
                .all(|n| !n.starts_with("join__") && !n.starts_with("link__") && *n != "Secret"),
            "{names:?}"
        );
        let text = body["data"]["__schema"]["directives"].to_string();
        assert!(
            !text.contains("join__") && !text.contains("\"inaccessible\""),
            "{text}"
        );
    }

    #[tokio::test]
    async fn health_passes() {
        let server = TestServer::start(RouterConfig::default()).await;
        let response = server
            .client
            .get(server.url("/health"))
            .send()
            .await
            .unwrap();
        let (status, _, body) = read(response).await;
        assert_eq!(status, 200);
        assert_eq!(body, json!({"status": "pass"}));
    }

    #[tokio::test]
    async fn ready_once_every_subgraph_can_be_called() {
        // The fake transport keeps no upstreams: nothing is unavailable.
        // (Unavailable subgraphs: `suite::replicas` in the federation tests.)
        let server = TestServer::start(RouterConfig::default()).await;
        let response = server
            .client
            .get(server.url("/ready"))
            .send()
            .await
            .unwrap();
        let (status, _, body) = read(response).await;
        assert_eq!((status, body), (200, json!({"status": "ready"})));
    }

    #[tokio::test]
    async fn browsers_get_graphiql() {
        let server = TestServer::start(RouterConfig::default()).await;
        let (status, response) = server
            .get(
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                &[],
            )
            .await;
        assert_eq!(status, 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let html = response.text().await.unwrap();
        assert!(html.contains("GraphiQL"), "{html}");
        let script = html
            .split('"')
            .find(|part| part.starts_with("/playground/assets/") && part.ends_with(".js"))
            .expect("the page loads its script from the router");
        let asset = server.client.get(server.url(script)).send().await.unwrap();
        assert_eq!(asset.status(), 200);
        assert_eq!(
            asset.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert!(
            asset.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/javascript")
        );
        let same = server
            .client
            .get(server.url("/playground"))
            .send()
            .await
            .unwrap();
        assert_eq!(same.status(), 200);
        assert_eq!(same.text().await.unwrap(), html, "also at /playground");
    }

    #[tokio::test]
    async fn shuts_down_gracefully_and_releases_the_port() {
        let mut server = TestServer::start(RouterConfig::default()).await;
        let (status, _, _) = server.post(None, r#"{"query": "{ __typename }"}"#).await;
        assert_eq!(status, 200);
        server.stop.take().unwrap().send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), &mut server.task)
            .await
            .expect("stops promptly")
            .unwrap()
            .unwrap();
        TcpListener::bind(server.addr)
            .await
            .expect("the port is free again");
    }
}
