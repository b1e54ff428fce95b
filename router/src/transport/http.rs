//! The production [`Transport`]: GraphQL over HTTP POST with one pooled,
//! keep-alive client, a timeout per subgraph, and in-flight de-duplication so
//! identical queries issued at the same moment (common when many clients ask
//! for the same thing) cost the subgraph one call.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use reqwest::header::{ACCEPT, CONTENT_TYPE};

use bytes::Bytes;

use super::{RawResponse, SubgraphEndpoint, SubgraphRequest, Transport, TransportError};
use crate::config::RouterConfig;
use crate::request::RequestContext;

/// How the HTTP transport reaches subgraphs.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Timeout of a subgraph request (connect to end of body).
    pub default_timeout: Duration,
    /// Share identical in-flight queries (requests with `dedup` set).
    pub dedup_queries: bool,
    /// Per-subgraph URL replacing the supergraph's, by subgraph name.
    pub urls: HashMap<String, String>,
    /// Per-subgraph timeouts, by subgraph name.
    pub timeouts: HashMap<String, Duration>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions::from_config(&RouterConfig::default())
    }
}

impl HttpOptions {
    pub fn from_config(config: &RouterConfig) -> Self {
        let mut urls = HashMap::new();
        let mut timeouts = HashMap::new();
        for (name, subgraph) in &config.subgraphs {
            if let Some(url) = &subgraph.url {
                urls.insert(name.clone(), url.clone());
            }
            if let Some(ms) = subgraph.timeout_ms {
                timeouts.insert(name.clone(), Duration::from_millis(ms));
            }
        }
        HttpOptions {
            default_timeout: Duration::from_millis(config.timeout_ms),
            dedup_queries: config.dedup_queries,
            urls,
            timeouts,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct ClientBuildError(String);

type SharedFetch = Shared<BoxFuture<'static, Result<RawResponse, TransportError>>>;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct DedupKey {
    subgraph: String,
    url: String,
    body: Bytes,
}

struct InFlight {
    id: u64,
    fetch: SharedFetch,
}

struct Inner {
    client: reqwest::Client,
    options: HttpOptions,
    in_flight: Mutex<HashMap<DedupKey, InFlight>>,
    next_id: AtomicU64,
}

/// GraphQL over HTTP to subgraphs.
#[derive(Clone)]
pub struct HttpTransport {
    inner: Arc<Inner>,
}

impl HttpTransport {
    pub fn new(options: HttpOptions) -> Result<Self, ClientBuildError> {
        let client = reqwest::Client::builder()
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_keepalive(Duration::from_secs(60))
            .tcp_nodelay(true)
            .build()
            .map_err(|err| ClientBuildError(error_chain(&err)))?;
        Ok(HttpTransport {
            inner: Arc::new(Inner {
                client,
                options,
                in_flight: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(0),
            }),
        })
    }

    pub fn from_config(config: &RouterConfig) -> Result<Self, ClientBuildError> {
        Self::new(HttpOptions::from_config(config))
    }

    fn url<'a>(&'a self, subgraph: &'a SubgraphEndpoint) -> &'a str {
        self.inner
            .options
            .urls
            .get(&subgraph.name)
            .unwrap_or(&subgraph.url)
    }

    fn timeout(&self, subgraph: &SubgraphEndpoint) -> Duration {
        self.inner
            .options
            .timeouts
            .get(&subgraph.name)
            .copied()
            .unwrap_or(self.inner.options.default_timeout)
    }
}

#[async_trait::async_trait]
impl Transport for HttpTransport {
    async fn fetch(
        &self,
        subgraph: &SubgraphEndpoint,
        request: SubgraphRequest,
        context: &RequestContext,
    ) -> Result<RawResponse, TransportError> {
        // The subgraph's timeout, cut short by the client request's deadline.
        let left = context
            .deadline
            .saturating_duration_since(tokio::time::Instant::now());
        let timeout = self.timeout(subgraph).min(left);
        if timeout.is_zero() {
            return Err(TransportError::Timeout {
                subgraph: subgraph.name.clone(),
                timeout_ms: 0,
            });
        }
        let body = Bytes::from(request.body());
        let url = self.url(subgraph).to_owned();
        if !(request.dedup && self.inner.options.dedup_queries) {
            return send(&self.inner.client, &subgraph.name, &url, body, timeout).await;
        }

        let key = DedupKey {
            subgraph: subgraph.name.clone(),
            url,
            body,
        };
        let fetch = {
            let mut in_flight = self.inner.in_flight.lock().expect("in-flight map poisoned");
            match in_flight.get(&key) {
                Some(existing) => existing.fetch.clone(),
                None => {
                    let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
                    // The call runs in its own task so it completes (and leaves
                    // the map) even when every caller waiting on it goes away.
                    let inner = self.inner.clone();
                    let task_key = key.clone();
                    let task = tokio::spawn(async move {
                        let result = send(
                            &inner.client,
                            &task_key.subgraph,
                            &task_key.url,
                            task_key.body.clone(),
                            timeout,
                        )
                        .await;
                        let mut in_flight = inner.in_flight.lock().expect("in-flight map poisoned");
                        if in_flight.get(&task_key).is_some_and(|f| f.id == id) {
                            in_flight.remove(&task_key);
                        }
                        result
                    });
                    let subgraph_name = subgraph.name.clone();
                    let fetch = async move {
                        task.await.unwrap_or_else(|err| {
                            Err(TransportError::Unreachable {
                                subgraph: subgraph_name,
                                reason: format!("the request task failed: {err}"),
                            })
                        })
                    }
                    .boxed()
                    .shared();
                    in_flight.insert(
                        key,
                        InFlight {
                            id,
                            fetch: fetch.clone(),
                        },
                    );
                    fetch
                }
            }
        };
        // A shared call runs on its first caller's timeout; each caller
        // still waits no longer than its own.
        match tokio::time::timeout(timeout, fetch).await {
            Ok(result) => result,
            Err(_) => Err(TransportError::Timeout {
                subgraph: subgraph.name.clone(),
                timeout_ms: timeout.as_millis() as u64,
            }),
        }
    }
}

async fn send(
    client: &reqwest::Client,
    subgraph: &str,
    url: &str,
    body: Bytes,
    timeout: Duration,
) -> Result<RawResponse, TransportError> {
    let classify = |err: reqwest::Error| {
        if err.is_timeout() {
            TransportError::Timeout {
                subgraph: subgraph.to_owned(),
                timeout_ms: timeout.as_millis() as u64,
            }
        } else {
            TransportError::Unreachable {
                subgraph: subgraph.to_owned(),
                reason: error_chain(&err),
            }
        }
    };
    let response = client
        .post(url)
        .header(CONTENT_TYPE, "application/json")
        .header(
            ACCEPT,
            "application/graphql-response+json, application/json",
        )
        .timeout(timeout)
        .body(body)
        .send()
        .await
        .map_err(classify)?;
    let mut response = response;
    let status = response.status().as_u16();
    let headers = std::mem::take(response.headers_mut());
    let body = response.bytes().await.map_err(classify)?;
    Ok(RawResponse {
        status,
        headers,
        body,
    })
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use axum::Router;
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    use axum::routing::post;
    use serde_json::json;

    use super::*;

    #[derive(Clone, Default)]
    struct Hits {
        count: Arc<AtomicUsize>,
        headers: Arc<Mutex<Option<HeaderMap>>>,
    }

    async fn graphql(
        State(hits): State<Hits>,
        headers: HeaderMap,
        body: String,
    ) -> impl IntoResponse {
        hits.count.fetch_add(1, Ordering::SeqCst);
        *hits.headers.lock().unwrap() = Some(headers);
        let request: serde_json::Value = serde_json::from_str(&body).unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
        axum::Json(json!({"data": {"echo": request["query"]}}))
    }

    async fn server() -> (String, Hits) {
        let hits = Hits::default();
        let app = Router::new()
            .route("/graphql", post(graphql))
            .route(
                "/slow",
                post(|| async {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    axum::Json(json!({"data": {}}))
                }),
            )
            .route(
                "/error-with-body",
                post(|| async {
                    (
                        StatusCode::BAD_REQUEST,
                        axum::Json(json!({"errors": [{"message": "bad"}]})),
                    )
                }),
            )
            .route(
                "/error",
                post(|| async { (StatusCode::BAD_GATEWAY, "oops") }),
            )
            .with_state(hits.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (format!("http://{addr}"), hits)
    }

    fn data(response: &RawResponse) -> serde_json::Value {
        let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        body["data"].clone()
    }

    fn endpoint(url: String) -> SubgraphEndpoint {
        SubgraphEndpoint {
            name: "products".into(),
            url,
        }
    }

    fn context() -> RequestContext {
        RequestContext::post_within(Duration::from_secs(30))
    }

    fn request(query: &str, dedup: bool) -> SubgraphRequest {
        SubgraphRequest {
            query: query.into(),
            operation_name: None,
            variables: Vec::new(),
            dedup,
        }
    }

    async fn fire(
        transport: &HttpTransport,
        endpoint: &SubgraphEndpoint,
        dedup: bool,
    ) -> Vec<RawResponse> {
        let context = context();
        let calls = (0..10).map(|_| transport.fetch(endpoint, request("{ a }", dedup), &context));
        futures::future::join_all(calls)
            .await
            .into_iter()
            .map(|r| r.unwrap())
            .collect()
    }

    #[tokio::test]
    async fn identical_concurrent_queries_share_one_call() {
        let (base, hits) = server().await;
        let transport = HttpTransport::new(HttpOptions::default()).unwrap();
        let endpoint = endpoint(format!("{base}/graphql"));
        let responses = fire(&transport, &endpoint, true).await;
        assert_eq!(hits.count.load(Ordering::SeqCst), 1);
        assert!(
            responses
                .iter()
                .all(|r| data(r) == json!({"echo": "{ a }"}))
        );
        assert!(
            transport.inner.in_flight.lock().unwrap().is_empty(),
            "finished calls leave the map"
        );

        // Afterwards, a new call goes out again.
        transport
            .fetch(&endpoint, request("{ a }", true), &context())
            .await
            .unwrap();
        assert_eq!(hits.count.load(Ordering::SeqCst), 2);

        let headers = hits.headers.lock().unwrap().clone().unwrap();
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(
            headers["accept"],
            "application/graphql-response+json, application/json"
        );
    }

    #[tokio::test]
    async fn different_queries_are_not_shared() {
        let (base, hits) = server().await;
        let transport = HttpTransport::new(HttpOptions::default()).unwrap();
        let endpoint = endpoint(format!("{base}/graphql"));
        let context = context();
        let (a, b) = tokio::join!(
            transport.fetch(&endpoint, request("{ a }", true), &context),
            transport.fetch(&endpoint, request("{ b }", true), &context),
        );
        assert_eq!(data(&a.unwrap()), json!({"echo": "{ a }"}));
        assert_eq!(data(&b.unwrap()), json!({"echo": "{ b }"}));
        assert_eq!(hits.count.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn mutations_are_never_shared() {
        let (base, hits) = server().await;
        let transport = HttpTransport::new(HttpOptions::default()).unwrap();
        fire(&transport, &endpoint(format!("{base}/graphql")), false).await;
        assert_eq!(hits.count.load(Ordering::SeqCst), 10);
    }

    #[tokio::test]
    async fn dedup_can_be_turned_off() {
        let (base, hits) = server().await;
        let options = HttpOptions {
            dedup_queries: false,
            ..HttpOptions::default()
        };
        let transport = HttpTransport::new(options).unwrap();
        fire(&transport, &endpoint(format!("{base}/graphql")), true).await;
        assert_eq!(hits.count.load(Ordering::SeqCst), 10);
    }

    #[tokio::test]
    async fn slow_subgraphs_time_out() {
        let (base, _) = server().await;
        let mut options = HttpOptions::default();
        options
            .timeouts
            .insert("products".into(), Duration::from_millis(200));
        let transport = HttpTransport::new(options).unwrap();
        let started = std::time::Instant::now();
        let err = transport
            .fetch(
                &endpoint(format!("{base}/slow")),
                request("{ a }", true),
                &context(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, TransportError::Timeout { timeout_ms: 200, ref subgraph } if subgraph == "products"),
            "{err:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(err.code(), "SUBGRAPH_TIMEOUT");
    }

    #[tokio::test]
    async fn no_fetch_outlives_the_client_request() {
        let (base, _) = server().await;
        let transport = HttpTransport::new(HttpOptions::default()).unwrap();
        let started = std::time::Instant::now();
        let due_soon = RequestContext::post_within(Duration::from_millis(200));
        for dedup in [true, false] {
            let err = transport
                .fetch(
                    &endpoint(format!("{base}/slow")),
                    request("{ a }", dedup),
                    &due_soon,
                )
                .await
                .unwrap_err();
            assert!(matches!(err, TransportError::Timeout { .. }), "{err:?}");
        }
        assert!(started.elapsed() < Duration::from_secs(1));
        // Past the deadline, nothing is sent at all.
        let err = transport
            .fetch(
                &endpoint(format!("{base}/graphql")),
                request("{ a }", false),
                &due_soon,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, TransportError::Timeout { timeout_ms: 0, .. }),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn refused_connections_are_unreachable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let transport = HttpTransport::new(HttpOptions::default()).unwrap();
        let err = transport
            .fetch(
                &endpoint(format!("http://{addr}/graphql")),
                request("{ a }", false),
                &context(),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, TransportError::Unreachable { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn url_overrides_apply_by_subgraph_name() {
        let (base, hits) = server().await;
        let mut options = HttpOptions::default();
        options
            .urls
            .insert("products".into(), format!("{base}/graphql"));
        let transport = HttpTransport::new(options).unwrap();
        transport
            .fetch(
                &endpoint("http://127.0.0.1:1/nowhere".into()),
                request("{ a }", false),
                &context(),
            )
            .await
            .unwrap();
        assert_eq!(hits.count.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn any_status_comes_back_with_its_body() {
        // Whether a body is a GraphQL response is the executor's call
        // (`execute::answer`); the transport hands back status and body.
        let (base, _) = server().await;
        let transport = HttpTransport::new(HttpOptions::default()).unwrap();
        let with_body = transport
            .fetch(
                &endpoint(format!("{base}/error-with-body")),
                request("{ a }", false),
                &context(),
            )
            .await
            .unwrap();
        assert_eq!(with_body.status, 400);
        assert_eq!(&with_body.body[..], br#"{"errors":[{"message":"bad"}]}"#);
        let without = transport
            .fetch(
                &endpoint(format!("{base}/error")),
                request("{ a }", false),
                &context(),
            )
            .await
            .unwrap();
        assert_eq!((without.status, &without.body[..]), (502, &b"oops"[..]));
    }

    #[test]
    fn request_bodies_are_json_with_variables_spliced_in() {
        let request = SubgraphRequest {
            query: "query($x: Int) { \"q\" }".into(),
            operation_name: Some("Op".into()),
            variables: vec![("x".into(), "[1,{\"a\":null}]".into())],
            dedup: true,
        };
        let body: serde_json::Value = serde_json::from_slice(&request.body()).unwrap();
        assert_eq!(
            body,
            json!({
                "query": "query($x: Int) { \"q\" }",
                "operationName": "Op",
                "variables": {"x": [1, {"a": null}]}
            })
        );
        assert_eq!(request.variable("x"), Some(json!([1, {"a": null}])));
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(
                &super::super::SubgraphRequest {
                    variables: Vec::new(),
                    operation_name: None,
                    ..request
                }
                .body()
            )
            .unwrap(),
            json!({"query": "query($x: Int) { \"q\" }"})
        );
    }
}
