//! The production [`Transport`]: GraphQL over HTTP POST through one
//! [`Upstream`] per subgraph (the `upstream` crate: in-flight dedup, the
//! request's deadline, retries within a budget, a circuit breaker, and
//! balancing across the subgraph's endpoints with outlier ejection), all
//! over pooled, keep-alive HTTP clients, one per serving thread.

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use tracing::Instrument;
use upstream::status::UpstreamStatus;
use upstream::{HttpClient, Upstream, UpstreamError};

use super::headers::Rules;
use super::{RawResponse, SubgraphEndpoint, SubgraphRequest, Transport, TransportError};
use crate::config::{RouterConfig, SubgraphConfig, TrafficConfig};
use crate::request::RequestContext;

#[derive(Debug, thiserror::Error)]
pub enum TransportBuildError {
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    #[error(transparent)]
    Upstream(#[from] upstream::BuildError),
}

/// GraphQL over HTTP to subgraphs.
pub struct HttpTransport {
    upstreams: HashMap<String, SubgraphUpstream, foldhash::fast::RandomState>,
    /// The connection pools every upstream shares (one per serving
    /// thread), across reloads too.
    client: HttpClient,
    /// Share identical in-flight queries.
    dedup_queries: bool,
    /// The header the verified client's signed identity travels in, when
    /// forwarding is on: never taken from the client.
    identity_header: Option<http::HeaderName>,
}

/// A subgraph's upstream and what it was built from.
struct SubgraphUpstream {
    upstream: Upstream,
    settings: UpstreamSettings,
    /// What of the client's headers it is sent (`[headers]`).
    headers: Rules,
    /// Its fetches as Prometheus sees them.
    metrics: crate::metrics::FetchMetrics,
}

/// Everything an upstream is built from. While these stay equal across a
/// reload, the upstream carries over. Whole config sections are compared,
/// not the fields read today, so a setting added to them later can never
/// be missed: at worst an upstream is rebuilt needlessly.
#[derive(PartialEq)]
struct UpstreamSettings {
    routing_url: String,
    subgraph: Option<SubgraphConfig>,
    timeout: Duration,
    /// `[traffic]` less `deadline_ms`, which is the engine's.
    traffic: TrafficConfig,
}

impl UpstreamSettings {
    fn of(config: &RouterConfig, subgraph: &SubgraphEndpoint) -> Self {
        UpstreamSettings {
            routing_url: subgraph.url.clone(),
            subgraph: config.subgraphs.get(&subgraph.name).cloned(),
            timeout: config.timeout_for(&subgraph.name),
            traffic: TrafficConfig {
                deadline_ms: 0,
                ..config.traffic.clone()
            },
        }
    }
}

impl HttpTransport {
    /// One upstream per subgraph, over the endpoints `config` gives it (its
    /// routing URL by default; a file or DNS is read once here, so a bad
    /// one fails the start), with `config.traffic`'s policies.
    pub async fn new(
        config: &RouterConfig,
        subgraphs: &[SubgraphEndpoint],
    ) -> Result<Self, TransportBuildError> {
        // The server runs a single-threaded runtime per core: a fetch's
        // answer should wake it on its own thread.
        let client = Upstream::per_thread_client()
            .map_err(|err| TransportBuildError::Client(err.to_string()))?;
        Self::build(config, subgraphs, client, &HashMap::default()).await
    }

    /// The transport for a reload: this one's upstreams where a subgraph's
    /// settings are unchanged (connections, latency estimates, ejections
    /// and breaker state go on), new ones for new or changed subgraphs.
    /// Upstreams of removed subgraphs go when the last request using this
    /// transport ends.
    pub async fn rebuilt(
        &self,
        config: &RouterConfig,
        subgraphs: &[SubgraphEndpoint],
    ) -> Result<Self, TransportBuildError> {
        Self::build(config, subgraphs, self.client.clone(), &self.upstreams).await
    }

    async fn build(
        config: &RouterConfig,
        subgraphs: &[SubgraphEndpoint],
        client: HttpClient,
        previous: &HashMap<String, SubgraphUpstream, foldhash::fast::RandomState>,
    ) -> Result<Self, TransportBuildError> {
        if config.metrics.enabled {
            // Before any handle is resolved: one resolved without a
            // recorder records nothing, ever.
            crate::metrics::handle();
        }
        let mut upstreams = HashMap::default();
        for subgraph in subgraphs {
            let settings = UpstreamSettings::of(config, subgraph);
            match previous.get(&subgraph.name) {
                Some(kept) if kept.settings == settings => {
                    let upstream = kept.upstream.clone();
                    let headers = config.headers.rules_for(&subgraph.name);
                    upstreams.insert(
                        subgraph.name.clone(),
                        SubgraphUpstream {
                            upstream,
                            settings,
                            headers,
                            metrics: crate::metrics::FetchMetrics::new(&subgraph.name),
                        },
                    );
                    continue;
                }
                Some(_) => {
                    tracing::info!(subgraph = %subgraph.name, "subgraph settings changed: new upstream")
                }
                None if !previous.is_empty() => {
                    tracing::info!(subgraph = %subgraph.name, "new subgraph: new upstream")
                }
                None => {}
            }
            let upstream = Upstream::discover(
                &subgraph.name,
                &config.discovery_for(&subgraph.name, &subgraph.url),
                config.timeout_for(&subgraph.name),
                &config.policy_for(&subgraph.name),
                client.clone(),
            )
            .await?;
            let headers = config.headers.rules_for(&subgraph.name);
            upstreams.insert(
                subgraph.name.clone(),
                SubgraphUpstream {
                    upstream,
                    settings,
                    headers,
                    metrics: crate::metrics::FetchMetrics::new(&subgraph.name),
                },
            );
        }
        for gone in previous
            .keys()
            .filter(|name| !upstreams.contains_key(*name))
        {
            tracing::info!(subgraph = %gone, "subgraph removed: its upstream goes once in-flight requests finish");
        }
        Ok(HttpTransport {
            upstreams,
            client,
            dedup_queries: config.dedup_queries,
            identity_header: config
                .authentication
                .forward
                .secret_file
                .is_some()
                .then(|| {
                    http::HeaderName::try_from(config.authentication.forward.header.as_str()).ok()
                })
                .flatten(),
        })
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
        let Some(SubgraphUpstream {
            upstream,
            headers,
            metrics,
            ..
        }) = self.upstreams.get(&subgraph.name)
        else {
            return Err(TransportError::Unreachable {
                subgraph: subgraph.name.clone(),
                reason: "the router has no upstream for it".into(),
            });
        };
        let body = Bytes::from(request.body());
        let mut call = upstream::Request::query(body, context.deadline);
        call.idempotent = request.idempotent;
        call.dedup = request.idempotent && self.dedup_queries;
        let mut sent = (!headers.is_empty()).then(|| headers.apply(&context.headers));
        if let Some(name) = &self.identity_header {
            let sent = sent.get_or_insert_with(http::HeaderMap::new);
            sent.remove(name);
            if let Some(identity) = context.identity.as_ref().and_then(|i| i.forwarded.clone()) {
                sent.insert(name.clone(), identity);
            }
        }
        if let Some(sent) = sent.filter(|s| !s.is_empty()) {
            call = call.with_headers(sent);
        }
        // Disabled, and nothing formatted or propagated, while traces are off.
        let span = tracing::info_span!(
            "router.fetch",
            otel.kind = "client",
            subgraph = subgraph.name.as_str(),
            outcome = tracing::field::Empty,
        );
        call.traceparent = telemetry::propagation::header(&span);
        let started = std::time::Instant::now();
        let answered = upstream.call(call).instrument(span.clone()).await;
        metrics.record(
            answered.as_ref().map(|response| response.status),
            started.elapsed(),
        );
        if !span.is_disabled() {
            let outcome = match &answered {
                Ok(response) if response.status.is_success() => "ok",
                Ok(response) if response.status.is_server_error() => "http_5xx",
                Ok(_) => "http_4xx",
                Err(err) => err.kind(),
            };
            span.record("outcome", outcome);
        }
        match answered {
            Ok(response) => Ok(RawResponse {
                status: response.status.as_u16(),
                headers: response.headers,
                body: response.body,
            }),
            Err(err) => Err(transport_error(&subgraph.name, err)),
        }
    }

    fn status(&self) -> Vec<UpstreamStatus> {
        let mut all: Vec<UpstreamStatus> = self
            .upstreams
            .values()
            .map(|s| s.upstream.status())
            .collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }
}

fn transport_error(subgraph: &str, err: UpstreamError) -> TransportError {
    let subgraph = subgraph.to_owned();
    match err {
        UpstreamError::Timeout { timeout_ms, .. } => TransportError::Timeout {
            subgraph,
            timeout_ms,
        },
        UpstreamError::DeadlineExceeded { .. } => TransportError::DeadlineExceeded { subgraph },
        UpstreamError::CircuitOpen { .. } => TransportError::CircuitOpen { subgraph },
        other @ (UpstreamError::Connect { .. }
        | UpstreamError::Transport { .. }
        | UpstreamError::NoEndpoint { .. }) => TransportError::Unreachable {
            subgraph,
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use axum::Router;
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    use axum::routing::post;
    use serde_json::json;

    use super::*;
    use crate::config::SubgraphConfig;

    #[derive(Clone, Default)]
    struct Hits {
        count: Arc<AtomicUsize>,
        headers: Arc<Mutex<Option<HeaderMap>>>,
    }

    impl Hits {
        fn count(&self) -> usize {
            self.count.load(Ordering::SeqCst)
        }
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
                post(|State(hits): State<Hits>| async move {
                    hits.count.fetch_add(1, Ordering::SeqCst);
                    (StatusCode::BAD_GATEWAY, "oops")
                }),
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

    /// The `products` subgraph at `url`, through a transport built with `config`.
    async fn products_at(url: String, config: &RouterConfig) -> (HttpTransport, SubgraphEndpoint) {
        let endpoint = SubgraphEndpoint {
            name: "products".into(),
            url,
        };
        let transport = HttpTransport::new(config, std::slice::from_ref(&endpoint))
            .await
            .unwrap();
        (transport, endpoint)
    }

    fn context() -> RequestContext {
        RequestContext::post_within(Duration::from_secs(30))
    }

    fn request(query: &str, idempotent: bool) -> SubgraphRequest {
        SubgraphRequest {
            query: query.into(),
            operation_name: None,
            variables: Vec::new(),
            idempotent,
        }
    }

    async fn fire(
        transport: &HttpTransport,
        endpoint: &SubgraphEndpoint,
        idempotent: bool,
    ) -> Vec<RawResponse> {
        let context = context();
        let calls =
            (0..10).map(|_| transport.fetch(endpoint, request("{ a }", idempotent), &context));
        futures::future::join_all(calls)
            .await
            .into_iter()
            .map(|r| r.unwrap())
            .collect()
    }

    #[tokio::test]
    async fn subgraphs_get_the_client_headers_the_rules_name_and_no_others() {
        let (base, hits) = server().await;
        let config = RouterConfig::from_toml(
            "[[headers.all]]\npropagate = \"x-tenant\"\n[[headers.subgraphs.products]]\ninsert = \"x-source\"\nvalue = \"router\"",
        )
        .unwrap();
        let (transport, endpoint) = products_at(format!("{base}/graphql"), &config).await;
        let mut context = context();
        for (name, value) in [
            ("authorization", "Bearer secret"),
            ("x-tenant", "acme"),
            ("cookie", "id=1"),
        ] {
            context
                .headers
                .insert(name, http::HeaderValue::from_static(value));
        }
        transport
            .fetch(&endpoint, request("{ a }", true), &context)
            .await
            .unwrap();
        let seen = hits.headers.lock().unwrap().clone().unwrap();
        assert_eq!(seen["x-tenant"], "acme");
        assert_eq!(seen["x-source"], "router");
        assert!(
            !seen.contains_key("authorization"),
            "not forwarded by default"
        );
        assert!(!seen.contains_key("cookie"));
        assert_eq!(seen["content-type"], "application/json", "the client's own");
    }

    #[tokio::test]
    async fn identical_concurrent_queries_share_one_call() {
        let (base, hits) = server().await;
        let (transport, endpoint) =
            products_at(format!("{base}/graphql"), &RouterConfig::default()).await;
        let responses = fire(&transport, &endpoint, true).await;
        assert_eq!(hits.count(), 1);
        assert!(
            responses
                .iter()
                .all(|r| data(r) == json!({"echo": "{ a }"}))
        );

        // Afterwards, a new call goes out again.
        transport
            .fetch(&endpoint, request("{ a }", true), &context())
            .await
            .unwrap();
        assert_eq!(hits.count(), 2);

        let headers = hits.headers.lock().unwrap().clone().unwrap();
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(
            headers["accept"],
            "application/graphql-response+json, application/json"
        );
    }

    #[tokio::test]
    async fn the_signed_identity_is_sent_and_a_clients_copy_never_is() {
        let (base, hits) = server().await;
        let secret = std::env::temp_dir().join(format!("identity-{}.key", std::process::id()));
        std::fs::write(&secret, "a forwarding secret of 32 bytes or more").unwrap();
        let mut config = RouterConfig::default();
        config.authentication.forward.secret_file = Some(secret.clone());
        // Renamed, the identity header is not refused by the header rules,
        // but a rule forwarding the client's copy is still overruled.
        config.authentication.forward.header = "x-identity".into();
        config.headers = RouterConfig::from_toml(
            r#"[[headers.all]]
               propagate = "x-identity"
               [[headers.all]]
               propagate = "x-trace""#,
        )
        .unwrap()
        .headers;
        let (transport, endpoint) = products_at(format!("{base}/graphql"), &config).await;
        let forwarder = crate::auth::Forwarder::new(&config.authentication.forward)
            .unwrap()
            .unwrap();

        let mut forged = context();
        forged
            .headers
            .insert("x-identity", "forged".parse().unwrap());
        forged.headers.insert("x-trace", "1".parse().unwrap());
        transport
            .fetch(&endpoint, request("{ a }", true), &forged)
            .await
            .unwrap();
        let sent = hits.headers.lock().unwrap().clone().unwrap();
        assert_eq!(sent["x-trace"], "1", "the rule forwards other headers");
        assert!(sent.get("x-identity").is_none(), "{sent:?}");

        let mut claims = crate::auth::Claims::new();
        claims.insert("sub".into(), "ada".into());
        claims.insert("exp".into(), 4_000_000_000u64.into());
        let identity = crate::auth::Identity {
            forwarded: forwarder.sign(&claims),
            claims,
        };
        let signed_in = forged.with_identity(Arc::new(identity.clone()));
        transport
            .fetch(&endpoint, request("{ b }", true), &signed_in)
            .await
            .unwrap();
        let sent = hits.headers.lock().unwrap().clone().unwrap();
        assert_eq!(Some(&sent["x-identity"]), identity.forwarded.as_ref());
        let _ = std::fs::remove_file(secret);
    }

    #[tokio::test]
    async fn each_fetch_is_counted_by_subgraph_and_outcome() {
        let metrics = crate::metrics::handle();
        let (base, _) = server().await;
        let (transport, endpoint) =
            products_at(format!("{base}/graphql"), &RouterConfig::default()).await;
        transport
            .fetch(&endpoint, request("{ counted }", true), &context())
            .await
            .unwrap();
        let text = metrics.render();
        assert!(
            text.lines()
                .any(|l| l.starts_with("router_subgraph_fetches_total{")
                    && l.contains(r#"subgraph="products""#)
                    && l.contains(r#"outcome="ok""#)),
            "{text}"
        );
        assert!(text.contains("router_subgraph_fetch_duration_seconds_bucket{"));
    }

    #[tokio::test]
    async fn different_queries_are_not_shared() {
        let (base, hits) = server().await;
        let (transport, endpoint) =
            products_at(format!("{base}/graphql"), &RouterConfig::default()).await;
        let context = context();
        let (a, b) = tokio::join!(
            transport.fetch(&endpoint, request("{ a }", true), &context),
            transport.fetch(&endpoint, request("{ b }", true), &context),
        );
        assert_eq!(data(&a.unwrap()), json!({"echo": "{ a }"}));
        assert_eq!(data(&b.unwrap()), json!({"echo": "{ b }"}));
        assert_eq!(hits.count(), 2);
    }

    #[tokio::test]
    async fn mutations_are_never_shared() {
        let (base, hits) = server().await;
        let (transport, endpoint) =
            products_at(format!("{base}/graphql"), &RouterConfig::default()).await;
        fire(&transport, &endpoint, false).await;
        assert_eq!(hits.count(), 10);
    }

    #[tokio::test]
    async fn dedup_can_be_turned_off() {
        let (base, hits) = server().await;
        let config = RouterConfig {
            dedup_queries: false,
            ..RouterConfig::default()
        };
        let (transport, endpoint) = products_at(format!("{base}/graphql"), &config).await;
        fire(&transport, &endpoint, true).await;
        assert_eq!(hits.count(), 10);
    }

    #[tokio::test]
    async fn slow_subgraphs_time_out() {
        let (base, _) = server().await;
        let mut config = RouterConfig::default();
        config.subgraphs.insert(
            "products".into(),
            SubgraphConfig {
                timeout_ms: Some(200),
                ..SubgraphConfig::default()
            },
        );
        config.traffic.retry.attempts = 1;
        let (transport, endpoint) = products_at(format!("{base}/slow"), &config).await;
        let started = std::time::Instant::now();
        let err = transport
            .fetch(&endpoint, request("{ a }", true), &context())
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
        let (transport, endpoint) =
            products_at(format!("{base}/slow"), &RouterConfig::default()).await;
        let started = std::time::Instant::now();
        for idempotent in [true, false] {
            let due_soon = RequestContext::post_within(Duration::from_millis(200));
            let err = transport
                .fetch(&endpoint, request("{ a }", idempotent), &due_soon)
                .await
                .unwrap_err();
            assert!(
                matches!(err, TransportError::DeadlineExceeded { .. }),
                "{err:?}"
            );
            assert_eq!(err.code(), "SUBGRAPH_TIMEOUT");
        }
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[tokio::test]
    async fn refused_connections_are_unreachable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let (transport, endpoint) =
            products_at(format!("http://{addr}/graphql"), &RouterConfig::default()).await;
        let err = transport
            .fetch(&endpoint, request("{ a }", false), &context())
            .await
            .unwrap_err();
        assert!(matches!(err, TransportError::Unreachable { .. }), "{err:?}");
        assert_eq!(err.code(), "SUBGRAPH_UNAVAILABLE");
    }

    #[tokio::test]
    async fn configured_endpoints_replace_the_routing_url() {
        let (base, hits) = server().await;
        let mut config = RouterConfig::default();
        config.subgraphs.insert(
            "products".into(),
            SubgraphConfig {
                endpoints: vec![format!("{base}/graphql")],
                ..SubgraphConfig::default()
            },
        );
        let (transport, endpoint) = products_at("http://127.0.0.1:1/nowhere".into(), &config).await;
        transport
            .fetch(&endpoint, request("{ a }", false), &context())
            .await
            .unwrap();
        assert_eq!(hits.count(), 1);
        let status = transport.status();
        assert_eq!(status[0].name, "products");
        assert_eq!(status[0].endpoints[0].url, format!("{base}/graphql"));
    }

    #[tokio::test]
    async fn endpoints_can_come_from_a_watched_file() {
        let (base, hits) = server().await;
        let dir = std::env::temp_dir().join(format!("router-endpoints-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("products");
        std::fs::write(&file, format!("{base}/graphql\n")).unwrap();
        let mut config = RouterConfig::default();
        config.subgraphs.insert(
            "products".into(),
            SubgraphConfig {
                endpoints_file: Some(file.clone()),
                ..SubgraphConfig::default()
            },
        );
        let (transport, endpoint) = products_at("http://127.0.0.1:1/nowhere".into(), &config).await;
        transport
            .fetch(&endpoint, request("{ a }", false), &context())
            .await
            .unwrap();
        assert_eq!(hits.count(), 1);
        assert_eq!(transport.status()[0].endpoints.len(), 1);

        std::fs::write(&file, "# nothing listed\n").unwrap();
        let err = HttpTransport::new(&config, std::slice::from_ref(&endpoint))
            .await
            .err()
            .expect("an empty endpoint file is refused at start-up")
            .to_string();
        assert!(
            err.contains("products") && err.contains("no endpoints"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Requests the products upstream has counted, over all its endpoints.
    fn counted(transport: &HttpTransport) -> Option<u64> {
        let status = transport.status();
        let products = status.iter().find(|s| s.name == "products")?;
        Some(products.endpoints.iter().map(|e| e.requests).sum())
    }

    #[tokio::test]
    async fn a_rebuild_keeps_upstreams_whose_settings_are_unchanged() {
        let (base, hits) = server().await;
        let config = RouterConfig::default();
        let (transport, endpoint) = products_at(format!("{base}/graphql"), &config).await;
        transport
            .fetch(&endpoint, request("{ a }", false), &context())
            .await
            .unwrap();
        assert_eq!(counted(&transport), Some(1));

        // Same settings (the deadline is the engine's): the same upstream,
        // its counters and pool shared by both transports.
        let mut same = config.clone();
        same.traffic.deadline_ms = 1_234;
        same.plan_cache_size = 5;
        let kept = transport
            .rebuilt(&same, std::slice::from_ref(&endpoint))
            .await
            .unwrap();
        assert_eq!(counted(&kept), Some(1));
        kept.fetch(&endpoint, request("{ a }", false), &context())
            .await
            .unwrap();
        assert_eq!((counted(&kept), counted(&transport)), (Some(2), Some(2)));

        // Any setting of the upstream changed: a new one, counting from zero.
        let mut timeouts = config.clone();
        timeouts.timeout_ms = 2_000;
        let mut traffic = config.clone();
        traffic.traffic.retry.attempts = 1;
        let mut url = config.clone();
        url.subgraphs.insert(
            "products".into(),
            SubgraphConfig {
                url: Some(format!("{base}/graphql?v=2")),
                ..SubgraphConfig::default()
            },
        );
        for changed in [timeouts, traffic, url] {
            let fresh = transport
                .rebuilt(&changed, std::slice::from_ref(&endpoint))
                .await
                .unwrap();
            assert_eq!(counted(&fresh), Some(0), "{changed:?}");
        }
        let moved = SubgraphEndpoint {
            url: format!("{base}/graphql?moved"),
            ..endpoint.clone()
        };
        let fresh = transport
            .rebuilt(&config, std::slice::from_ref(&moved))
            .await
            .unwrap();
        assert_eq!(counted(&fresh), Some(0), "a new routing URL");
        fresh
            .fetch(&moved, request("{ a }", false), &context())
            .await
            .unwrap();
        assert_eq!(hits.count(), 3);

        // A subgraph the supergraph no longer has: no upstream.
        let gone = transport.rebuilt(&config, &[]).await.unwrap();
        assert_eq!(counted(&gone), None);
    }

    #[tokio::test]
    async fn any_status_comes_back_with_its_body() {
        // Whether a body is a GraphQL response is the executor's call
        // (`execute::answer`); the transport hands back status and body.
        let (base, hits) = server().await;
        let (transport, endpoint) =
            products_at(format!("{base}/error-with-body"), &RouterConfig::default()).await;
        let with_body = transport
            .fetch(&endpoint, request("{ a }", false), &context())
            .await
            .unwrap();
        assert_eq!(with_body.status, 400);
        assert_eq!(&with_body.body[..], br#"{"errors":[{"message":"bad"}]}"#);
        let (transport, endpoint) =
            products_at(format!("{base}/error"), &RouterConfig::default()).await;
        let without = transport
            .fetch(&endpoint, request("{ a }", true), &context())
            .await
            .unwrap();
        assert_eq!((without.status, &without.body[..]), (502, &b"oops"[..]));
        assert_eq!(hits.count(), 3, "a query answered 502 is tried three times");
    }

    #[test]
    fn request_bodies_are_json_with_variables_spliced_in() {
        let request = SubgraphRequest {
            query: "query($x: Int) { \"q\" }".into(),
            operation_name: Some("Op".into()),
            variables: vec![("x".into(), "[1,{\"a\":null}]".into())],
            idempotent: true,
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
                &SubgraphRequest {
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
