//! One request's way through the router, independent of HTTP: prepare
//! (parse, validate, select the operation, coerce variables), answer
//! introspection from the API schema, plan (cached), execute against the
//! subgraphs, and merge. The server only maps the outcome onto HTTP.

use std::sync::Arc;
use std::time::Duration;

use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Schema};

use crate::api_schema::{self, ApiSchemaError};
use crate::config::RouterConfig;
use crate::execute::hidden::Hidden;
use crate::graphql::{self, Error};
use crate::introspection::{self, Introspection, RootFields};
use crate::plan::{Planner, QueryPlan};
use crate::prepare::{Prepared, Preparer};
use crate::supergraph::ActiveLabels;
use crate::supergraph::{Supergraph, SupergraphError};
use crate::transport::{HttpTransport, Transport, TransportBuildError};

pub const QUERY_PLANNING_FAILED: &str = "QUERY_PLANNING_FAILED";
pub const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";
pub const SUBSCRIPTION_NOT_SUPPORTED: &str = "SUBSCRIPTION_NOT_SUPPORTED";

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Supergraph(#[from] SupergraphError),
    #[error("cannot derive the API schema from the supergraph: {0}")]
    ApiSchema(#[from] ApiSchemaError),
    #[error(
        "the config names subgraph {name:?}, which the supergraph does not have (it has: {known})"
    )]
    UnknownSubgraph { name: String, known: String },
    #[error(transparent)]
    Transport(#[from] TransportBuildError),
}

pub use crate::request::{HttpMethod, RequestContext};

/// How a response should be reported over HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseStatus {
    /// Execution started: the response has `data` (possibly null).
    Ok,
    /// The request failed before execution: no `data`.
    RequestError,
    /// A mutation over GET.
    MethodNotAllowed,
}

#[derive(Debug, Clone)]
pub struct EngineResponse {
    pub response: graphql::Response,
    pub status: ResponseStatus,
}

impl EngineResponse {
    fn from_response(response: graphql::Response) -> Self {
        let status = if response.has_data() {
            ResponseStatus::Ok
        } else {
            ResponseStatus::RequestError
        };
        EngineResponse { response, status }
    }
}

/// Every subgraph the config sets up must be one of the supergraph's: a
/// misspelt name would otherwise leave its settings silently unused.
fn check_subgraphs(supergraph: &Supergraph, config: &RouterConfig) -> Result<(), EngineError> {
    let subgraphs = supergraph.subgraphs();
    let Some(name) = config
        .subgraphs
        .keys()
        .find(|name| !subgraphs.iter().any(|s| &s.name == *name))
    else {
        return Ok(());
    };
    let known: Vec<&str> = subgraphs.iter().map(|s| s.name.as_str()).collect();
    Err(EngineError::UnknownSubgraph {
        name: name.clone(),
        known: if known.is_empty() {
            "none".into()
        } else {
            known.join(", ")
        },
    })
}

fn planning_failed(message: &str) -> graphql::Response {
    graphql::Response::request_error(Error::coded(message, QUERY_PLANNING_FAILED))
}

/// A plan is made for an operation and the progressive `@override` labels
/// active for the request.
type PlanKey = (Arc<str>, Option<Name>, ActiveLabels);

pub struct Engine {
    supergraph: Arc<Supergraph>,
    api_schema: Arc<Valid<Schema>>,
    /// What subgraphs may answer that clients may not see.
    hidden: Hidden,
    api_schema_sdl: String,
    preparer: Preparer,
    introspection: Introspection,
    planner: Planner,
    plans: moka::sync::Cache<PlanKey, Result<Arc<QueryPlan>, Arc<str>>>,
    transport: Arc<dyn Transport>,
    /// The same transport when it is the HTTP one: a reload builds the
    /// next one from it, keeping the upstreams whose settings stay.
    http: Option<Arc<HttpTransport>>,
    /// How long a client request may take, fetches included.
    deadline: Duration,
    /// The settings it was built with; the server reads its own from here,
    /// so a reload changes them together.
    config: RouterConfig,
}

impl Engine {
    pub fn new(
        supergraph_sdl: &str,
        config: &RouterConfig,
        transport: Arc<dyn Transport>,
    ) -> Result<Engine, EngineError> {
        let supergraph = Supergraph::parse(supergraph_sdl)?;
        check_subgraphs(&supergraph, config)?;
        Self::with_supergraph(supergraph, config, transport, None)
    }

    /// The engine over real subgraphs: one upstream per subgraph of the
    /// supergraph, as `config` sets them up (asynchronous, as discovering
    /// endpoints may ask DNS; the upstreams' tasks run on this runtime).
    pub async fn over_http(
        supergraph_sdl: &str,
        config: &RouterConfig,
    ) -> Result<Engine, EngineError> {
        let supergraph = Supergraph::parse(supergraph_sdl)?;
        check_subgraphs(&supergraph, config)?;
        let http = Arc::new(HttpTransport::new(config, supergraph.subgraphs()).await?);
        Self::with_supergraph(supergraph, config, http.clone(), Some(http))
    }

    /// The engine for a new supergraph and config, to serve after this one.
    /// Upstreams whose subgraph keeps its name, endpoints and traffic
    /// settings carry over with their connections, latency estimates and
    /// breaker; the others are new (asked of DNS, if that is where their
    /// endpoints come from). Nothing cached carries over: prepared
    /// operations and plans belong to the supergraph they were made for.
    /// An engine over another transport keeps it.
    pub async fn reloaded(
        &self,
        supergraph_sdl: &str,
        config: &RouterConfig,
    ) -> Result<Engine, EngineError> {
        let supergraph = Supergraph::parse(supergraph_sdl)?;
        check_subgraphs(&supergraph, config)?;
        match &self.http {
            Some(http) => {
                let http = Arc::new(http.rebuilt(config, supergraph.subgraphs()).await?);
                Self::with_supergraph(supergraph, config, http.clone(), Some(http))
            }
            None => Self::with_supergraph(supergraph, config, self.transport.clone(), None),
        }
    }

    fn with_supergraph(
        supergraph: Supergraph,
        config: &RouterConfig,
        transport: Arc<dyn Transport>,
        http: Option<Arc<HttpTransport>>,
    ) -> Result<Engine, EngineError> {
        let supergraph = Arc::new(supergraph);
        let api_schema = Arc::new(api_schema::derive(supergraph.schema())?);
        Ok(Engine {
            api_schema_sdl: api_schema::print(&api_schema),
            preparer: Preparer::new(api_schema.clone(), config.plan_cache_size),
            introspection: Introspection::new(api_schema.clone()),
            planner: Planner::new(supergraph.clone())
                .with_time_limit(Duration::from_millis(config.plan_timeout_ms)),
            plans: moka::sync::Cache::new(config.plan_cache_size),
            hidden: Hidden::between(supergraph.schema(), &api_schema),
            supergraph,
            api_schema,
            transport,
            http,
            deadline: Duration::from_millis(config.traffic.deadline_ms),
            config: config.clone(),
        })
    }

    /// The settings in force for this engine.
    pub fn config(&self) -> &RouterConfig {
        &self.config
    }

    /// The context of a request that arrives now, due within the
    /// configured deadline.
    pub fn context(&self, method: HttpMethod, headers: http::HeaderMap) -> RequestContext {
        RequestContext::new(method, headers, tokio::time::Instant::now() + self.deadline)
    }

    pub fn supergraph(&self) -> &Arc<Supergraph> {
        &self.supergraph
    }

    pub fn api_schema(&self) -> &Arc<Valid<Schema>> {
        &self.api_schema
    }

    /// Each subgraph's endpoints, health and breaker.
    pub fn upstreams(&self) -> Vec<upstream::status::UpstreamStatus> {
        self.transport.status()
    }

    /// Subgraphs that cannot be called now: no endpoint takes traffic, or
    /// the breaker is open.
    pub fn unavailable_subgraphs(&self) -> Vec<String> {
        self.upstreams()
            .into_iter()
            .filter(|u| {
                u.available() == 0 || u.breaker == Some(upstream::status::BreakerState::Open)
            })
            .map(|u| u.name)
            .collect()
    }

    /// The API schema as SDL.
    pub fn api_schema_sdl(&self) -> &str {
        &self.api_schema_sdl
    }

    /// Runs one client request.
    pub async fn execute(
        &self,
        request: graphql::Request,
        context: &RequestContext,
    ) -> EngineResponse {
        let (prepared, variables) = match self.preparer.prepare_request(&request) {
            Ok(prepared) => prepared,
            Err(err) => return EngineResponse::from_response(err.to_response()),
        };
        let operation = prepared.operation();
        if context.method == HttpMethod::Get && !operation.is_query() {
            return EngineResponse {
                response: graphql::Response::request_error(Error::coded(
                    format!(
                        "{} operations cannot be sent with GET; use POST.",
                        operation.operation_type
                    ),
                    METHOD_NOT_ALLOWED,
                )),
                status: ResponseStatus::MethodNotAllowed,
            };
        }
        if operation.is_subscription() {
            return EngineResponse::from_response(graphql::Response::request_error(Error::coded(
                "Subscriptions are not supported.",
                SUBSCRIPTION_NOT_SUPPORTED,
            )));
        }

        let document = &prepared.document;
        let introspected = match introspection::classify(document, operation) {
            RootFields::ConcreteOnly => None,
            RootFields::IntrospectionOnly => {
                let response = self.introspection.execute(document, operation, &variables);
                return EngineResponse::from_response(response);
            }
            RootFields::Mixed => {
                let response = self.introspection.execute(document, operation, &variables);
                if !response.has_data() {
                    return EngineResponse::from_response(response);
                }
                Some(response)
            }
        };

        let plan = match self.plan(&prepared, self.draw_labels()) {
            Ok(plan) => plan,
            Err(message) => return EngineResponse::from_response(planning_failed(&message)),
        };
        let executed = crate::execute::execute(
            &self.supergraph,
            &self.hidden,
            &plan,
            document,
            operation,
            &variables.json,
            &*self.transport,
            context,
        )
        .await;
        let response = match introspected {
            Some(introspected) => introspection::merge(document, operation, executed, introspected),
            None => executed,
        };
        EngineResponse::from_response(response)
    }

    /// The printed query plan of an operation.
    #[allow(clippy::result_large_err)] // a request error, returned once per call
    pub fn explain(
        &self,
        query: &str,
        operation_name: Option<&str>,
    ) -> Result<String, graphql::Response> {
        let prepared = self
            .preparer
            .prepare(query, operation_name)
            .map_err(|err| err.to_response())?;
        let plan = self
            .plan(&prepared, ActiveLabels::NONE)
            .map_err(|message| planning_failed(&message))?;
        Ok(plan.to_string())
    }

    /// The plan for the prepared operation, from the cache when possible.
    /// Planning is deterministic, so failures are cached too.
    /// The labels active for one request; no draw when the supergraph
    /// has no progressive override.
    fn draw_labels(&self) -> ActiveLabels {
        let labels = self.supergraph.override_labels();
        if labels.is_empty() {
            return ActiveLabels::NONE;
        }
        ActiveLabels::draw(labels, rand::random::<f64>)
    }

    fn plan(&self, prepared: &Prepared, active: ActiveLabels) -> Result<Arc<QueryPlan>, Arc<str>> {
        let key = (
            prepared.normalized.clone(),
            prepared.operation_name.clone(),
            active,
        );
        self.plans.get_with(key, || {
            self.planner
                .plan_with(&prepared.document, prepared.operation(), active)
                .map(Arc::new)
                .map_err(|err| Arc::from(err.to_string()))
        })
    }

    #[cfg(test)]
    pub(crate) fn cached_plans(&self) -> u64 {
        self.plans.run_pending_tasks();
        self.plans.entry_count()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Mutex;

    use serde_json::json;

    use super::*;
    use crate::transport::{RawResponse, SubgraphEndpoint, SubgraphRequest, TransportError};

    /// Answers every subgraph request with `{"data": {}}` and records it.
    #[derive(Default)]
    pub(crate) struct FakeTransport {
        pub requests: Mutex<Vec<(String, SubgraphRequest)>>,
    }

    #[async_trait::async_trait]
    impl Transport for FakeTransport {
        async fn fetch(
            &self,
            subgraph: &SubgraphEndpoint,
            request: SubgraphRequest,
            _context: &RequestContext,
        ) -> Result<RawResponse, TransportError> {
            self.requests
                .lock()
                .unwrap()
                .push((subgraph.name.clone(), request));
            Ok(RawResponse::ok(bytes::Bytes::from_static(b"{\"data\":{}}")))
        }
    }

    pub(crate) fn engine() -> Engine {
        let sdl = crate::api_schema::tests::supergraph_sdl();
        Engine::new(
            &sdl,
            &RouterConfig::default(),
            Arc::new(FakeTransport::default()),
        )
        .unwrap()
    }

    fn request(query: &str) -> graphql::Request {
        graphql::Request {
            query: Some(query.into()),
            ..Default::default()
        }
    }

    fn code(response: &graphql::Response) -> &str {
        response.errors[0].extensions["code"].as_str().unwrap()
    }

    #[tokio::test]
    async fn answers_introspection_only_operations_itself() {
        let engine = engine();
        let result = engine
            .execute(
                request("{ __typename __schema { queryType { name } } }"),
                &engine.context(HttpMethod::Get, Default::default()),
            )
            .await;
        assert_eq!(result.status, ResponseStatus::Ok);
        assert_eq!(
            result.response.data,
            Some(json!({"__typename": "Query", "__schema": {"queryType": {"name": "Query"}}}))
        );
        assert!(result.response.errors.is_empty());
    }

    #[tokio::test]
    async fn request_errors_have_no_data() {
        let engine = engine();
        let result = engine
            .execute(
                request("{ nope }"),
                &engine.context(HttpMethod::Post, Default::default()),
            )
            .await;
        assert_eq!(result.status, ResponseStatus::RequestError);
        assert!(result.response.data.is_none());
        assert_eq!(code(&result.response), "GRAPHQL_VALIDATION_FAILED");

        // Inaccessible fields are not in the API schema, so they do not validate.
        let result = engine
            .execute(
                request("{ product(id: 1) { cost } }"),
                &engine.context(HttpMethod::Post, Default::default()),
            )
            .await;
        assert_eq!(code(&result.response), "GRAPHQL_VALIDATION_FAILED");
        let result = engine
            .execute(
                request("mutation { reset }"),
                &engine.context(HttpMethod::Post, Default::default()),
            )
            .await;
        assert_eq!(code(&result.response), "GRAPHQL_VALIDATION_FAILED");

        let result = engine
            .execute(
                graphql::Request::default(),
                &engine.context(HttpMethod::Post, Default::default()),
            )
            .await;
        assert_eq!(code(&result.response), "MISSING_QUERY_STRING");
    }

    #[tokio::test]
    async fn mutations_over_get_are_not_allowed() {
        let sdl = crate::compose::compose(&[crate::api_schema::tests::subgraph(
            "a",
            "type Query { a: Int } type Mutation { m: Int }",
        )])
        .unwrap()
        .supergraph_sdl;
        let engine = Engine::new(
            &sdl,
            &RouterConfig::default(),
            Arc::new(FakeTransport::default()),
        )
        .unwrap();
        let result = engine
            .execute(
                request("mutation { m }"),
                &engine.context(HttpMethod::Get, Default::default()),
            )
            .await;
        assert_eq!(result.status, ResponseStatus::MethodNotAllowed);
        assert_eq!(code(&result.response), METHOD_NOT_ALLOWED);
        let result = engine
            .execute(
                request("mutation { __typename }"),
                &engine.context(HttpMethod::Post, Default::default()),
            )
            .await;
        assert_eq!(result.status, ResponseStatus::Ok);
        assert_eq!(
            result.response.data,
            Some(json!({"__typename": "Mutation"}))
        );
    }

    #[tokio::test]
    async fn plans_are_cached_by_normalized_text_and_operation() {
        let engine = engine();
        let a = "query A { lowStock { id } } query B { lowStock { stockValue { amount } } }";
        for query in [
            a,
            "query A { lowStock { id } }\n\nquery B {\n lowStock { stockValue { amount } } }",
        ] {
            for name in ["A", "B"] {
                let mut r = request(query);
                r.operation_name = Some(name.into());
                engine
                    .execute(r, &engine.context(HttpMethod::Post, Default::default()))
                    .await;
            }
        }
        assert_eq!(
            engine.cached_plans(),
            2,
            "one plan per operation, formatting ignored"
        );
        let _ = engine.explain(a, Some("A"));
        assert_eq!(engine.cached_plans(), 2);
    }

    #[test]
    fn explain_reports_request_errors() {
        let engine = engine();
        let err = engine.explain("{ nope }", None).unwrap_err();
        assert_eq!(code(&err), "GRAPHQL_VALIDATION_FAILED");
        let err = engine
            .explain("query A { lowStock { id } }", Some("B"))
            .unwrap_err();
        assert_eq!(code(&err), "OPERATION_NOT_FOUND");
    }

    #[test]
    fn start_up_errors_name_the_problem() {
        let transport: Arc<dyn Transport> = Arc::new(FakeTransport::default());
        let err = Engine::new(
            "type Query { a: Nope }",
            &RouterConfig::default(),
            transport.clone(),
        )
        .err()
        .unwrap();
        assert!(err.to_string().contains("Nope"), "{err}");

        let sdl = crate::api_schema::tests::supergraph_sdl();
        let config = RouterConfig::from_toml("[subgraphs.nowhere]\nurl = \"http://x\"").unwrap();
        let err = Engine::new(&sdl, &config, transport).err().unwrap();
        assert!(err.to_string().contains("\"nowhere\""), "{err}");
    }

    #[test]
    fn exposes_the_api_schema() {
        let engine = engine();
        assert!(engine.api_schema_sdl().contains("type Product"));
        assert!(!engine.api_schema_sdl().contains("join__"));
    }
}
