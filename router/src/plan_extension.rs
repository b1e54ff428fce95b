//! `extensions.queryPlan`: for a client that asks with the
//! [`QUERY_PLAN_HEADER`] header, where the config sets `expose_query_plan`
//! (the playground's plan panel asks for every operation it runs), the plan
//! the operation ran on and the subgraph requests as they went:
//!
//! ```json
//! {"plan": {"kind": "Sequence", "nodes": [{"kind": "Fetch", "id": 0, "subgraph": "products",
//!            "path": null, "representations": null, "selection": "{ … }", "operation": "query …"}, …]},
//!  "fetches": [{"subgraph": "products", "fetchIds": [0], "startMs": 0.8, "durationMs": 2.1,
//!               "requestBytes": 120, "responseBytes": 2048, "status": 200, "errors": 0, "error": null}],
//!  "totalMs": 3.5}
//! ```
//!
//! Nodes are `Sequence` and `Parallel` (`nodes`), `Condition` (`variable`,
//! `include`, `node`) and `Fetch`. The JSON is written here by hand: the
//! plan types stay internal, this is the wire format.
//!
//! The fetches are recorded by [`Recording`], a transport wrapped around the
//! engine's for the one request that asked: a request that does not ask
//! runs on the bare transport, and nothing is timed, counted or allocated
//! for it.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::plan::{FetchNode, PlanNode, QueryPlan, print_path, selection};
use crate::request::RequestContext;
use crate::transport::{RawResponse, SubgraphEndpoint, SubgraphRequest, Transport, TransportError};

/// The request header asking for `extensions.queryPlan` (`true` or `1`).
pub const QUERY_PLAN_HEADER: &str = "x-shop-query-plan";

/// The key of the extension in the response.
pub const EXTENSION: &str = "queryPlan";

/// Whether the request asks for the extension.
pub fn asked(context: &RequestContext) -> bool {
    context
        .headers
        .get(QUERY_PLAN_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| matches!(v.trim(), "true" | "1"))
}

/// One subgraph request as it went.
#[derive(Debug, Clone)]
struct FetchRun {
    subgraph: String,
    query: Arc<str>,
    start: Duration,
    duration: Duration,
    request_bytes: usize,
    response_bytes: usize,
    status: Option<u16>,
    errors: usize,
    error: Option<String>,
}

/// The engine's transport, timing and measuring every request of one
/// client request.
pub struct Recording {
    inner: Arc<dyn Transport>,
    /// When the client request arrived: fetches start relative to it.
    started: Instant,
    runs: Mutex<Vec<FetchRun>>,
}

impl Recording {
    pub fn new(inner: Arc<dyn Transport>, started: Instant) -> Self {
        Recording {
            inner,
            started,
            runs: Mutex::new(Vec::new()),
        }
    }

    /// The extension: `plan` and the requests recorded, in the order they
    /// started.
    pub fn extension(self, plan: &QueryPlan) -> Value {
        let total = self.started.elapsed();
        let mut runs = self
            .runs
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        runs.sort_by_key(|run| run.start);
        let mut fetches = Vec::new();
        if let Some(root) = &plan.root {
            collect_fetches(root, &mut fetches);
        }
        json!({
            "plan": plan.root.as_ref().map(node),
            "fetches": runs.iter().map(|run| fetch_run(run, &fetches)).collect::<Vec<_>>(),
            "totalMs": millis(total),
        })
    }
}

#[async_trait::async_trait]
impl Transport for Recording {
    async fn fetch(
        &self,
        subgraph: &SubgraphEndpoint,
        request: SubgraphRequest,
        context: &RequestContext,
    ) -> Result<RawResponse, TransportError> {
        let query = request.query.clone();
        let request_bytes = request.body().len();
        let start = self.started.elapsed();
        let result = self.inner.fetch(subgraph, request, context).await;
        let duration = self.started.elapsed().saturating_sub(start);
        let (status, response_bytes, errors, error) = match &result {
            Ok(raw) => {
                let errors = count_errors(&raw.body);
                let failed = !(200..300).contains(&raw.status);
                let errors = if failed { errors.max(1) } else { errors };
                (Some(raw.status), raw.body.len(), errors, None)
            }
            Err(err) => (None, 0, 1, Some(err.to_string())),
        };
        self.runs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(FetchRun {
                subgraph: subgraph.name.clone(),
                query,
                start,
                duration,
                request_bytes,
                response_bytes,
                status,
                errors,
                error,
            });
        result
    }

    fn status(&self) -> Vec<upstream::status::UpstreamStatus> {
        self.inner.status()
    }
}

/// The length of a GraphQL response's `errors`; 0 when there are none or
/// the body is not one (the executor reports that itself).
fn count_errors(body: &[u8]) -> usize {
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Option<Vec<serde::de::IgnoredAny>>,
    }
    serde_json::from_slice::<Errors>(body)
        .ok()
        .and_then(|e| e.errors)
        .map_or(0, |e| e.len())
}

fn millis(duration: Duration) -> f64 {
    // Microsecond precision is plenty for a waterfall.
    (duration.as_micros() as f64) / 1000.0
}

fn collect_fetches<'p>(node: &'p PlanNode, out: &mut Vec<&'p Arc<FetchNode>>) {
    match node {
        PlanNode::Fetch(fetch) => out.push(fetch),
        PlanNode::Sequence(nodes) | PlanNode::Parallel(nodes) => {
            for node in nodes {
                collect_fetches(node, out);
            }
        }
        PlanNode::Condition(condition) => collect_fetches(&condition.then, out),
    }
}

/// The plan fetches one request carried: the one whose operation it sent,
/// or for entity fetches sent together as one request, those of its
/// subgraph whose selection it contains.
fn fetch_ids(run: &FetchRun, fetches: &[&Arc<FetchNode>]) -> Vec<usize> {
    if let Some(fetch) = fetches
        .iter()
        .find(|f| Arc::ptr_eq(&f.operation, &run.query))
    {
        return vec![fetch.id];
    }
    fetches
        .iter()
        .filter(|f| {
            f.service == run.subgraph
                && f.representations.is_some()
                && !f.entity_selection.is_empty()
                && run.query.contains(&*f.entity_selection)
        })
        .map(|f| f.id)
        .collect()
}

fn fetch_run(run: &FetchRun, fetches: &[&Arc<FetchNode>]) -> Value {
    json!({
        "subgraph": run.subgraph,
        "fetchIds": fetch_ids(run, fetches),
        "startMs": millis(run.start),
        "durationMs": millis(run.duration),
        "requestBytes": run.request_bytes,
        "responseBytes": run.response_bytes,
        "status": run.status,
        "errors": run.errors,
        "error": run.error,
    })
}

fn printed(sels: &[selection::Sel]) -> String {
    let mut text = String::new();
    selection::print(sels, &mut text, &mut Vec::new());
    text
}

fn node(node: &PlanNode) -> Value {
    match node {
        PlanNode::Sequence(nodes) => json!({
            "kind": "Sequence",
            "nodes": nodes.iter().map(self::node).collect::<Vec<_>>(),
        }),
        PlanNode::Parallel(nodes) => json!({
            "kind": "Parallel",
            "nodes": nodes.iter().map(self::node).collect::<Vec<_>>(),
        }),
        PlanNode::Condition(condition) => json!({
            "kind": "Condition",
            "variable": condition.variable.as_str(),
            "include": condition.when,
            "node": self::node(&condition.then),
        }),
        PlanNode::Fetch(fetch) => json!({
            "kind": "Fetch",
            "id": fetch.id,
            "subgraph": fetch.service,
            "path": (!fetch.path.is_empty()).then(|| print_path(&fetch.path)),
            "representations": fetch.representations.as_deref().map(printed),
            "selection": printed(&fetch.selections),
            "operation": &*fetch.operation,
        }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::RouterConfig;
    use crate::engine::{Engine, HttpMethod};
    use crate::graphql;

    /// Products answers one product; inventory its stock value, with an error.
    struct Subgraphs;

    #[async_trait::async_trait]
    impl Transport for Subgraphs {
        async fn fetch(
            &self,
            subgraph: &SubgraphEndpoint,
            _request: SubgraphRequest,
            _context: &RequestContext,
        ) -> Result<RawResponse, TransportError> {
            let body = match subgraph.name.as_str() {
                "products" => json!({"data": {"products": [{"__typename": "Product", "id": "1",
                    "name": "Dune", "price": {"amount": 500, "currency": "EUR"}}]}}),
                _ => json!({"data": {"_entities": [{"stockValue": {"amount": 5000}}]},
                    "errors": [{"message": "a warehouse is late", "path": ["_entities", 0]}]}),
            };
            Ok(RawResponse::ok(body.to_string()))
        }
    }

    const QUERY: &str = "{ products { name stockValue { amount } } }";

    async fn run(expose: bool, ask: bool) -> serde_json::Value {
        let config = RouterConfig {
            expose_query_plan: expose,
            ..RouterConfig::default()
        };
        let sdl = crate::api_schema::tests::supergraph_sdl();
        let engine = Engine::new(&sdl, &config, Arc::new(Subgraphs)).unwrap();
        let mut headers = http::HeaderMap::new();
        if ask {
            headers.insert(QUERY_PLAN_HEADER, http::HeaderValue::from_static("true"));
        }
        let request = graphql::Request {
            query: Some(QUERY.into()),
            ..Default::default()
        };
        let response = engine
            .execute(request, &engine.context(HttpMethod::Post, headers))
            .await;
        serde_json::from_slice(&response.into_body()).unwrap()
    }

    #[tokio::test]
    async fn asked_where_exposed_the_plan_and_its_fetches_come_back() {
        let response = run(true, true).await;
        assert_eq!(
            response["data"],
            json!({"products": [{"name": "Dune", "stockValue": {"amount": 5000}}]})
        );
        let extension = &response["extensions"][EXTENSION];
        let plan = &extension["plan"];
        assert_eq!(plan["kind"], "Sequence", "{plan:#}");
        let nodes = plan["nodes"].as_array().unwrap();
        assert_eq!(nodes[0]["kind"], "Fetch");
        assert_eq!(nodes[0]["subgraph"], "products");
        assert_eq!(nodes[0]["path"], json!(null));
        assert!(
            nodes[0]["operation"]
                .as_str()
                .unwrap()
                .starts_with("query {"),
            "{plan:#}"
        );
        assert_eq!(nodes[1]["subgraph"], "inventory");
        assert_eq!(nodes[1]["path"], "products.@");
        assert!(
            nodes[1]["operation"]
                .as_str()
                .unwrap()
                .contains("_entities(representations: $representations)"),
            "{plan:#}"
        );
        assert!(
            nodes[1]["representations"]
                .as_str()
                .unwrap()
                .contains("price")
        );

        let fetches = extension["fetches"].as_array().unwrap();
        let subgraphs: Vec<&str> = fetches
            .iter()
            .map(|f| f["subgraph"].as_str().unwrap())
            .collect();
        assert_eq!(subgraphs, ["products", "inventory"]);
        assert_eq!(fetches[0]["fetchIds"], json!([0]));
        assert_eq!(fetches[1]["fetchIds"], json!([1]));
        assert_eq!(fetches[0]["errors"], 0);
        assert_eq!(fetches[1]["errors"], 1);
        assert_eq!(fetches[0]["status"], 200);
        for fetch in fetches {
            assert!(fetch["requestBytes"].as_u64().unwrap() > 20, "{fetch}");
            assert!(fetch["responseBytes"].as_u64().unwrap() > 20, "{fetch}");
        }
        // Inventory needs products' answer: it starts after products ended.
        let end = |f: &Value| f["startMs"].as_f64().unwrap() + f["durationMs"].as_f64().unwrap();
        assert!(fetches[1]["startMs"].as_f64().unwrap() >= end(&fetches[0]));
        assert!(extension["totalMs"].as_f64().unwrap() >= end(&fetches[1]));
    }

    /// Holds every fetch until opened; counts them.
    #[derive(Default)]
    struct Gate {
        calls: std::sync::atomic::AtomicUsize,
        open: tokio::sync::Notify,
    }

    #[async_trait::async_trait]
    impl Transport for Gate {
        async fn fetch(
            &self,
            _subgraph: &SubgraphEndpoint,
            _request: SubgraphRequest,
            _context: &RequestContext,
        ) -> Result<RawResponse, TransportError> {
            let opened = self.open.notified();
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            opened.await;
            Ok(RawResponse::ok(
                json!({"data": {"products": [{"name": "Dune"}]}}).to_string(),
            ))
        }
    }

    #[tokio::test]
    async fn a_request_asking_for_the_plan_never_shares_with_one_that_does_not() {
        let gate = Arc::new(Gate::default());
        let config = RouterConfig {
            expose_query_plan: true,
            ..RouterConfig::default()
        };
        let sdl = crate::api_schema::tests::supergraph_sdl();
        let engine = Engine::new(&sdl, &config, gate.clone()).unwrap();
        let asking = || {
            let mut headers = http::HeaderMap::new();
            headers.insert(QUERY_PLAN_HEADER, http::HeaderValue::from_static("1"));
            engine.context(HttpMethod::Post, headers)
        };
        let plain = engine.context(HttpMethod::Post, Default::default());
        let (first, second) = (asking(), asking());
        let request = || graphql::Request {
            query: Some("{ products { name } }".into()),
            ..Default::default()
        };
        // Open once two fetches wait (or, should they share, after a while).
        let release = async {
            let two = async {
                while gate.calls.load(std::sync::atomic::Ordering::SeqCst) < 2 {
                    tokio::task::yield_now().await;
                }
            };
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), two).await;
            gate.open.notify_waiters();
        };
        let (plain, first, second, ()) = tokio::join!(
            engine.execute(request(), &plain),
            engine.execute(request(), &first),
            engine.execute(request(), &second),
            release,
        );
        // The plain request ran alone; the two asking ones shared one run.
        assert_eq!(gate.calls.load(std::sync::atomic::Ordering::SeqCst), 2);
        let body = |r: crate::engine::EngineResponse| -> Value {
            serde_json::from_slice(&r.into_body()).unwrap()
        };
        assert!(body(plain)["extensions"].get(EXTENSION).is_none());
        for asked in [first, second] {
            let asked = body(asked);
            assert_eq!(asked["data"]["products"][0]["name"], "Dune");
            assert_eq!(
                asked["extensions"][EXTENSION]["fetches"][0]["subgraph"],
                "products"
            );
        }
    }

    #[tokio::test]
    async fn not_asked_or_not_exposed_there_is_none() {
        for (expose, ask) in [(true, false), (false, true), (false, false)] {
            let response = run(expose, ask).await;
            assert_eq!(
                response["data"]["products"][0]["name"], "Dune",
                "{response}"
            );
            assert!(
                response["extensions"].get(EXTENSION).is_none(),
                "expose {expose}, ask {ask}: {response}"
            );
        }
    }
}
