//! One request's way through the router, independent of HTTP: the
//! pipeline's stages in order (`crate::pipeline`: parse, validate, limits),
//! introspection answered from the API schema, plan (cached), execute
//! against the subgraphs, and merge. The server only maps the outcome onto
//! HTTP.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tracing::Instrument;

use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Schema};

use crate::api_schema::{self, ApiSchemaError};
use crate::auth::Authenticator;
use crate::authorization::{Authorization, Denied, Requirements, filter};
use crate::config::RouterConfig;
use crate::execute::hidden::Hidden;
use crate::graphql;
use crate::inflight::{InFlight, Joined, RequestKey};
use crate::introspection::{self, Introspection, RootFields};
use crate::pipeline::cost::CostModel;
use crate::pipeline::document::{DocumentError, Documents, Prepared};
use crate::pipeline::introspection as introspection_stage;
use crate::pipeline::limits::{self, LimitCounters};
use crate::pipeline::parse::ParseError;
use crate::pipeline::persisted::{Persisted, PersistedError};
use crate::pipeline::rate_limit::{ClientKey, RateLimits};
use crate::pipeline::trusted::{Mode as TrustedMode, TrustedDocuments};
use crate::pipeline::{Refusal, Rejection, validate};
use crate::plan::{Planner, QueryPlan};
use crate::plan_extension;
use crate::supergraph::ActiveLabels;
use crate::supergraph::{Supergraph, SupergraphError};
use crate::transport::{HttpTransport, Transport, TransportBuildError};

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
    #[error(transparent)]
    Keys(#[from] crate::auth::KeysError),
    #[error(transparent)]
    Trusted(#[from] crate::pipeline::trusted::TrustedError),
    #[error("the APQ Redis URL is not valid: {0}")]
    Redis(String),
}

pub use crate::request::{HttpMethod, RequestContext};

/// How a response should be reported over HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseStatus {
    /// Execution started: the response has `data` (possibly null).
    Ok,
    /// The request failed before execution: no `data`.
    RequestError,
    /// Refused before execution with this HTTP status, whatever the
    /// media type (no `data`).
    Status(http::StatusCode),
}

#[derive(Debug, Clone)]
pub struct EngineResponse {
    pub response: graphql::Response,
    pub status: ResponseStatus,
    /// The response already written, shared with the identical requests
    /// that waited on the same execution (`crate::inflight`); when set, it
    /// is what goes out and `response` is empty.
    pub shared: Option<Bytes>,
    /// Seconds a refused client should wait (`Retry-After`).
    pub retry_after_s: Option<u64>,
}

/// What the stages came to: a response of this request's own, or the one
/// an identical request in flight wrote.
enum Answer {
    Fresh(graphql::Response),
    Shared(ResponseStatus, Bytes),
}

impl EngineResponse {
    fn from_response(response: graphql::Response) -> Self {
        let status = if response.has_data() {
            ResponseStatus::Ok
        } else {
            ResponseStatus::RequestError
        };
        EngineResponse {
            response,
            status,
            shared: None,
            retry_after_s: None,
        }
    }

    fn rejected(rejection: &Rejection) -> Self {
        EngineResponse {
            response: rejection.to_response(),
            status: match rejection.refusal() {
                Refusal::RequestError => ResponseStatus::RequestError,
                Refusal::Status(status) => ResponseStatus::Status(status),
            },
            shared: None,
            retry_after_s: match rejection {
                Rejection::RateLimited(limited) => Some(limited.retry_after_s()),
                _ => None,
            },
        }
    }

    /// The response body as JSON.
    pub fn into_body(self) -> Bytes {
        match self.shared {
            Some(body) => body,
            None => Bytes::from(self.response.into_json_bytes()),
        }
    }
}

/// Every subgraph the config sets up must be one of the supergraph's: a
/// misspelt name would otherwise leave its settings silently unused.
fn check_subgraphs(supergraph: &Supergraph, config: &RouterConfig) -> Result<(), EngineError> {
    let subgraphs = supergraph.subgraphs();
    let Some(name) = config
        .subgraphs
        .keys()
        .chain(config.headers.subgraphs.keys())
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

/// The request header asking for `extensions.cost` in the response.
pub const COST_REPORT_HEADER: &str = "x-graphql-cost";

fn wants_cost_report(context: &RequestContext) -> bool {
    context
        .headers
        .get(COST_REPORT_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| matches!(v.trim(), "true" | "1"))
}

/// A plan is made for an operation, the progressive `@override` labels
/// active for the request, and the guards it failed (`None`: none).
type PlanKey = (Arc<str>, Option<Name>, ActiveLabels, Option<Arc<[u32]>>);

pub struct Engine {
    supergraph: Arc<Supergraph>,
    api_schema: Arc<Valid<Schema>>,
    /// What subgraphs may answer that clients may not see.
    hidden: Hidden,
    api_schema_sdl: String,
    documents: Arc<Documents>,
    /// APQ and trusted documents: the text a request runs.
    persisted: Persisted,
    /// Per-client token buckets; `None` when off.
    rate_limits: Option<RateLimits>,
    /// Identical requests in flight, sharing one execution.
    inflight: InFlight,
    /// Client headers some header rule forwards: part of what makes two
    /// requests identical.
    forwarded_headers: Vec<http::HeaderName>,
    /// Verifies bearer tokens; `None` without `[authentication] jwks`.
    authenticator: Option<Authenticator>,
    /// Decides what of an operation the client may see; `None` when the
    /// supergraph guards nothing.
    authorization: Option<Authorization>,
    /// Weights and list sizes for the cost estimate.
    cost: Arc<CostModel>,
    /// Operations refused or warned about per limit; kept across reloads.
    limit_counters: Arc<LimitCounters>,
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
        Self::with_supergraph(supergraph, config, transport, None, Default::default())
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
        let engine = Self::with_supergraph(
            supergraph,
            config,
            http.clone(),
            Some(http),
            Default::default(),
        )?;
        engine.load_keys().await;
        Ok(engine)
    }

    /// Reads the JWKS documents (URLs too) once, before serving.
    pub async fn load_keys(&self) {
        if let Some(authenticator) = &self.authenticator {
            authenticator.load().await;
        }
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
        let counters = self.limit_counters.clone();
        let engine = match &self.http {
            Some(http) => {
                let http = Arc::new(http.rebuilt(config, supergraph.subgraphs()).await?);
                Self::with_supergraph(supergraph, config, http.clone(), Some(http), counters)?
            }
            None => {
                let transport = self.transport.clone();
                Self::with_supergraph(supergraph, config, transport, None, counters)?
            }
        };
        engine.load_keys().await;
        Ok(engine)
    }

    fn with_supergraph(
        supergraph: Supergraph,
        config: &RouterConfig,
        transport: Arc<dyn Transport>,
        http: Option<Arc<HttpTransport>>,
        limit_counters: Arc<LimitCounters>,
    ) -> Result<Engine, EngineError> {
        let supergraph = Arc::new(supergraph);
        let api_schema = Arc::new(api_schema::derive(supergraph.schema())?);
        let cost = Arc::new(CostModel::new(
            supergraph.schema(),
            config.limits.default_list_size,
        ));
        let requirements = Arc::new(Requirements::of(supergraph.schema()));
        let authorization = (!requirements.is_empty())
            .then(|| Authorization::new(requirements.clone(), &config.authorization));
        let documents = Arc::new(
            Documents::new(
                api_schema.clone(),
                config.limits.clone(),
                config.document_cache_bytes,
            )
            .with_suggestions(config.introspection)
            .with_cost(cost.clone())
            .with_requirements(requirements),
        );
        let normalizing = documents.clone();
        let trusted = TrustedDocuments::load(
            &config.trusted_documents,
            Arc::new(move |text: &str| normalizing.normalized(text)),
        )?;
        if let Some(trusted) = &trusted {
            trusted.watch();
        }
        let persisted =
            Persisted::new(&config.apq, trusted).map_err(|e| EngineError::Redis(e.to_string()))?;
        Ok(Engine {
            api_schema_sdl: api_schema::print(&api_schema),
            documents,
            persisted,
            rate_limits: RateLimits::new(&config.rate_limit),
            inflight: InFlight::default(),
            forwarded_headers: config.headers.forwarded_names(),
            authorization,
            authenticator: Authenticator::new(&config.authentication)?,
            cost,
            limit_counters,
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
        let started = std::time::Instant::now();
        // The operation's own name once the document is read (a client
        // need not send `operationName`), else the one sent.
        let mut operation = request.operation_name.clone();
        // The request's span, a child of the client's `traceparent` if it
        // sent one; disabled (and free) while traces are off.
        let span = tracing::info_span!(
            "router.request",
            otel.kind = "server",
            service = "router",
            graphql.operation.name = tracing::field::Empty,
            http.response.status_code = tracing::field::Empty,
            graphql.error.code = tracing::field::Empty,
        );
        telemetry::propagation::set_parent_from_headers(&span, &context.headers);
        let in_flight = crate::metrics::InFlight::enter();
        let answered = self
            .answer(request, context, started, &mut operation)
            .instrument(span.clone())
            .await;
        if let Some(operation) = operation.as_deref() {
            span.record("graphql.operation.name", operation);
        }
        drop(in_flight);
        let status = match answered.status {
            ResponseStatus::Ok => 200,
            ResponseStatus::RequestError => 400,
            ResponseStatus::Status(status) => status.as_u16(),
        };
        let code = answered
            .response
            .errors
            .first()
            .and_then(|e| e.extensions.get("code"))
            .and_then(|c| c.as_str());
        span.record("http.response.status_code", status);
        if let Some(code) = code {
            span.record("graphql.error.code", code);
        }
        crate::metrics::request(operation.as_deref(), status, code, started.elapsed());
        answered
    }

    async fn answer(
        &self,
        request: graphql::Request,
        context: &RequestContext,
        started: std::time::Instant,
        operation: &mut Option<String>,
    ) -> EngineResponse {
        match self.run(request, context, started, operation).await {
            Ok(Answer::Fresh(response)) => EngineResponse::from_response(response),
            Ok(Answer::Shared(status, body)) => EngineResponse {
                response: graphql::Response::default(),
                status,
                shared: Some(body),
                retry_after_s: None,
            },
            Err(rejection) => EngineResponse::rejected(&rejection),
        }
    }

    /// The stages in order; any of them may refuse the request. `started`:
    /// when the request arrived (the plan extension's fetches start from it).
    async fn run(
        &self,
        request: graphql::Request,
        context: &RequestContext,
        started: std::time::Instant,
        operation: &mut Option<String>,
    ) -> Result<Answer, Rejection> {
        // Authenticate: the verified claims travel with the request.
        let authenticated;
        let context = match &self.authenticator {
            Some(authenticator) => match authenticator
                .authenticate(&context.headers)
                .map_err(Rejection::Unauthenticated)?
            {
                Some(identity) => {
                    authenticated = context.with_identity(identity);
                    &authenticated
                }
                None => context,
            },
            None => context,
        };

        // Rate limit, by the verified subject or the client's address.
        if let Some(limits) = &self.rate_limits {
            let client = ClientKey::of(
                context.claims(),
                context.peer,
                &context.headers,
                limits.trusts_forwarded_for(),
            );
            limits.check(&client)?;
        }

        // The text to run: sent, or from the APQ cache or trusted documents.
        let resolved = self
            .persisted
            .resolve(&request)
            .await?
            .ok_or(Rejection::MissingQuery)?;
        let query = &*resolved.text;

        // Parse and validate (once per text), select the operation.
        // An empty `operationName` is sent by some clients for "none".
        let operation_name = request.operation_name.as_deref().filter(|n| !n.is_empty());
        let prepared = self
            .documents
            .prepare(query, operation_name)
            .inspect_err(|err| {
                if let DocumentError::Parse(ParseError::Limit(exceeded)) = err {
                    self.limit_counters
                        .count(exceeded.limit, limits::Verdict::Refused);
                }
            })?;
        if let Some(name) = &prepared.operation_name
            && operation.is_none()
        {
            *operation = Some(name.to_string());
        }
        if let Some(hash) = resolved.register.clone() {
            self.persisted.register(hash, query);
        }
        if !resolved.trusted {
            self.check_safelist(query, &prepared)?;
        }
        let operation = prepared.operation();
        let empty = graphql::JsonMap::new();
        let variables = validate::coerce_variables(
            self.documents.schema(),
            &prepared.document,
            operation,
            request.variables.as_ref().unwrap_or(&empty),
        )
        .map_err(Rejection::Variables)?;
        if context.method == HttpMethod::Get && !operation.is_query() {
            return Err(Rejection::MethodNotAllowed(operation.operation_type));
        }
        if operation.is_subscription() {
            return Err(Rejection::SubscriptionNotSupported);
        }

        // Limits.
        limits::enforce(
            &self.config.limits,
            &self.limit_counters,
            &prepared.measurements,
            prepared.token_warning,
            prepared.operation_name.as_deref(),
        )
        .map_err(Rejection::Limits)?;
        let document = &prepared.document;
        let estimated = match prepared.static_cost {
            Some(cost) => cost,
            None => self.cost.estimate(document, operation, &variables.json),
        };
        limits::enforce_cost(
            &self.config.limits,
            &self.limit_counters,
            estimated,
            prepared.operation_name.as_deref(),
        )
        .map_err(Rejection::Limits)?;

        introspection_stage::check(self.config.introspection, document, operation)?;
        let introspected = match introspection::classify(document, operation) {
            RootFields::ConcreteOnly => None,
            RootFields::IntrospectionOnly => {
                return Ok(Answer::Fresh(
                    self.introspection.execute(document, operation, &variables),
                ));
            }
            RootFields::Mixed => {
                let response = self.introspection.execute(document, operation, &variables);
                if !response.has_data() {
                    return Ok(Answer::Fresh(response));
                }
                Some(response)
            }
        };

        // Authorize: what the client may not see is planned without.
        let denied = self.authorization.as_ref().and_then(|authorization| {
            authorization.decide(
                &prepared.guards,
                document,
                context.claims(),
                &variables.json,
            )
        });

        // Identical requests in flight share one execution.
        let labels = self.draw_labels();
        let cost_report = wants_cost_report(context);
        let query_plan = self.config.expose_query_plan && plan_extension::asked(context);
        let mut lead = None;
        if let Some(key) = self.dedup_key(
            &prepared,
            &variables.json,
            labels,
            denied.as_ref(),
            context,
            (cost_report, query_plan),
        ) {
            match self.inflight.join(key) {
                Joined::Follow(slot) => {
                    if let Some((status, body)) = InFlight::wait(slot, context.deadline).await {
                        return Ok(Answer::Shared(status, body));
                    }
                    // The leader went away: run alone.
                }
                Joined::Lead(leading) => lead = Some(leading),
            }
        }

        // Plan (cached) and execute.
        let plan = tracing::info_span!("router.plan")
            .in_scope(|| self.plan(&prepared, labels, denied.as_ref()))
            .map_err(Rejection::PlanningFailed)?;
        // Only a request that asks for the plan extension has its fetches
        // recorded: the others go straight to the transport.
        let recording =
            query_plan.then(|| plan_extension::Recording::new(self.transport.clone(), started));
        let transport: &dyn Transport = match &recording {
            Some(recording) => recording,
            None => &*self.transport,
        };
        let executed = crate::execute::execute(
            &self.supergraph,
            &self.hidden,
            &plan,
            document,
            operation,
            &variables.json,
            transport,
            context,
            denied.as_ref().map(|d| &d.nulled),
        )
        .instrument(tracing::info_span!("router.execute"))
        .await;
        let mut response = match introspected {
            Some(introspected) => introspection::merge(document, operation, executed, introspected),
            None => executed,
        };
        if cost_report {
            self.report_cost(&mut response, &prepared, estimated);
        }
        if let Some(recording) = recording {
            response
                .extensions
                .insert(plan_extension::EXTENSION.into(), recording.extension(&plan));
        }
        match lead {
            // Written once, for this request and every one that waited.
            Some(lead) if lead.has_followers() => {
                let answered = EngineResponse::from_response(response);
                let status = answered.status;
                let body = answered.into_body();
                lead.finish((status, body.clone()));
                Ok(Answer::Shared(status, body))
            }
            _ => Ok(Answer::Fresh(response)),
        }
    }

    /// What makes this request the same as another in flight; `None` when
    /// it may not share (a mutation, unless configured, or dedup off).
    fn dedup_key(
        &self,
        prepared: &Prepared,
        variables: &graphql::JsonMap,
        labels: ActiveLabels,
        denied: Option<&Denied>,
        context: &RequestContext,
        (cost_report, query_plan): (bool, bool),
    ) -> Option<RequestKey> {
        let dedup = &self.config.request_dedup;
        let shares = match prepared.operation_kind() {
            apollo_compiler::ast::OperationType::Query => dedup.queries,
            apollo_compiler::ast::OperationType::Mutation => dedup.mutations,
            apollo_compiler::ast::OperationType::Subscription => false,
        };
        if !shares {
            return None;
        }
        Some(RequestKey {
            operation: prepared.normalized.clone(),
            operation_name: prepared.operation_name.clone(),
            variables: if variables.is_empty() {
                String::new()
            } else {
                serde_json::to_string(variables).ok()?
            },
            labels,
            denied: denied.map(|d| d.key.clone()),
            identity: context.identity.as_ref().and_then(|i| i.forwarded.clone()),
            headers: self
                .forwarded_headers
                .iter()
                .map(|name| context.headers.get(name).cloned())
                .collect(),
            cost_report,
            query_plan,
        })
    }

    /// In `safelist` mode only trusted documents run; `log_only` logs the
    /// others.
    fn check_safelist(&self, query: &str, prepared: &Prepared) -> Result<(), Rejection> {
        let Some(trusted) = self.persisted.trusted() else {
            return Ok(());
        };
        if trusted.mode() == TrustedMode::Allow || trusted.allows(query, &prepared.normalized) {
            return Ok(());
        }
        match trusted.mode() {
            TrustedMode::Safelist => Err(PersistedError::NotOnSafelist.into()),
            _ => {
                tracing::warn!(
                    operation = prepared.operation_name.as_deref().unwrap_or("(anonymous)"),
                    "an operation that is not a trusted document ran (trusted_documents mode log_only)"
                );
                Ok(())
            }
        }
    }

    /// `extensions.cost`: the estimate, the maximum and what the response
    /// actually cost.
    fn report_cost(&self, response: &mut graphql::Response, prepared: &Prepared, estimated: u64) {
        let data = match (&response.data, &response.raw_data) {
            (Some(data), _) => std::borrow::Cow::Borrowed(data),
            (None, Some(raw)) => std::borrow::Cow::Owned(
                serde_json::from_slice(raw.json()).unwrap_or(serde_json::Value::Null),
            ),
            (None, None) => std::borrow::Cow::Owned(serde_json::Value::Null),
        };
        let actual = self
            .cost
            .actual(&prepared.document, prepared.operation(), &data);
        response.extensions.insert(
            "cost".into(),
            serde_json::json!({
                "estimated": estimated,
                "actual": actual,
                "max": self.config.limits.max_cost,
            }),
        );
    }

    /// Operations each limit refused or warned about.
    pub fn limit_counts(&self) -> Vec<limits::LimitCount> {
        self.limit_counters.snapshot()
    }

    /// The printed query plan of an operation.
    #[allow(clippy::result_large_err)] // a request error, returned once per call
    pub fn explain(
        &self,
        query: &str,
        operation_name: Option<&str>,
    ) -> Result<String, graphql::Response> {
        let prepared = self
            .documents
            .prepare(query, operation_name)
            .map_err(|err| Rejection::from(err).to_response())?;
        let plan = self
            .plan(&prepared, ActiveLabels::NONE, None)
            .map_err(|message| Rejection::PlanningFailed(message).to_response())?;
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

    fn plan(
        &self,
        prepared: &Prepared,
        active: ActiveLabels,
        denied: Option<&Denied>,
    ) -> Result<Arc<QueryPlan>, Arc<str>> {
        let key = (
            prepared.normalized.clone(),
            prepared.operation_name.clone(),
            active,
            denied.map(|d| d.key.clone()),
        );
        let entry = self.plans.entry(key).or_insert_with(|| {
            let planned = match denied {
                None => self
                    .planner
                    .plan_with(&prepared.document, prepared.operation(), active),
                Some(denied) => {
                    let filtered = filter::without(
                        &self.api_schema,
                        &prepared.document,
                        prepared.operation_node(),
                        denied,
                    );
                    // The filtered document keeps its operations.
                    let operation = crate::pipeline::document::selected(
                        &filtered,
                        prepared.operation_name.as_ref(),
                    );
                    self.planner.plan_with(&filtered, operation, active)
                }
            };
            planned
                .map(Arc::new)
                .map_err(|err| Arc::from(err.to_string()))
        });
        crate::metrics::plan_cache(!entry.is_fresh());
        entry.into_value()
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

    fn engine_with_limits(
        limits: crate::pipeline::limits::LimitsConfig,
    ) -> (Engine, Arc<FakeTransport>) {
        let transport = Arc::new(FakeTransport::default());
        let config = RouterConfig {
            limits,
            ..RouterConfig::default()
        };
        let sdl = crate::api_schema::tests::supergraph_sdl();
        let engine = Engine::new(&sdl, &config, transport.clone()).unwrap();
        (engine, transport)
    }

    /// `count` aliases of `products { id }`.
    fn aliased(count: usize) -> String {
        let fields: Vec<String> = (0..count)
            .map(|i| format!("a{i}: lowStock {{ id }}"))
            .collect();
        format!("{{ {} }}", fields.join(" "))
    }

    fn counts(engine: &Engine, limit: &str) -> (u64, u64) {
        let count = engine
            .limit_counts()
            .into_iter()
            .find(|c| c.limit == limit)
            .unwrap();
        (count.refused, count.warned)
    }

    #[tokio::test]
    async fn an_operation_past_a_limit_is_refused_before_any_subgraph_is_called() {
        use crate::pipeline::limits::LimitsConfig;
        let (engine, transport) = engine_with_limits(LimitsConfig {
            max_aliases: 3,
            max_root_fields: 0,
            ..LimitsConfig::default()
        });
        let context = engine.context(HttpMethod::Post, Default::default());
        let at = engine.execute(request(&aliased(3)), &context).await;
        assert_eq!(at.status, ResponseStatus::Ok, "{:?}", at.response.errors);
        let calls = transport.requests.lock().unwrap().len();
        assert!(calls > 0);

        let past = engine.execute(request(&aliased(4)), &context).await;
        assert_eq!(past.status, ResponseStatus::RequestError);
        assert!(!past.response.has_data());
        let error = &past.response.errors[0];
        assert_eq!(error.extensions["code"], "MAX_ALIASES_EXCEEDED");
        assert_eq!(error.extensions["measured"], 4);
        assert_eq!(error.extensions["max"], 3);
        assert_eq!(transport.requests.lock().unwrap().len(), calls, "no fetch");
        assert_eq!(counts(&engine, "max_aliases"), (1, 0));
    }

    #[tokio::test]
    async fn every_limit_an_operation_is_past_has_its_error() {
        use crate::pipeline::limits::LimitsConfig;
        let (engine, _) = engine_with_limits(LimitsConfig {
            max_aliases: 1,
            max_root_fields: 1,
            max_depth: 1,
            ..LimitsConfig::default()
        });
        let context = engine.context(HttpMethod::Post, Default::default());
        let past = engine.execute(request(&aliased(2)), &context).await;
        let codes: Vec<&str> = past
            .response
            .errors
            .iter()
            .map(|e| e.extensions["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes,
            [
                "MAX_DEPTH_EXCEEDED",
                "MAX_ALIASES_EXCEEDED",
                "MAX_ROOT_FIELDS_EXCEEDED"
            ]
        );
    }

    #[tokio::test]
    async fn a_limit_that_only_warns_serves_the_operation_and_counts_it() {
        use crate::pipeline::limits::{Limit, LimitsConfig, WarnOnly};
        let (engine, transport) = engine_with_limits(LimitsConfig {
            max_aliases: 1,
            max_tokens: 5,
            warn_only: WarnOnly::These(vec![Limit::MaxAliases, Limit::MaxTokens]),
            ..LimitsConfig::default()
        });
        let context = engine.context(HttpMethod::Post, Default::default());
        let served = engine.execute(request(&aliased(2)), &context).await;
        assert_eq!(
            served.status,
            ResponseStatus::Ok,
            "{:?}",
            served.response.errors
        );
        assert!(
            served
                .response
                .errors
                .iter()
                .all(|e| !e.extensions["code"].as_str().unwrap().starts_with("MAX_")),
            "{:?}",
            served.response.errors
        );
        assert!(!transport.requests.lock().unwrap().is_empty());
        assert_eq!(counts(&engine, "max_aliases"), (0, 1));
        assert_eq!(counts(&engine, "max_tokens"), (0, 1));
    }

    #[tokio::test]
    async fn parser_limits_refuse_with_their_codes() {
        use crate::pipeline::limits::LimitsConfig;
        let (engine, _) = engine_with_limits(LimitsConfig {
            max_tokens: 20,
            ..LimitsConfig::default()
        });
        let context = engine.context(HttpMethod::Post, Default::default());
        let long = engine.execute(request(&aliased(5)), &context).await;
        assert_eq!(long.status, ResponseStatus::RequestError);
        assert_eq!(code(&long.response), "MAX_TOKENS_EXCEEDED");
        assert_eq!(counts(&engine, "max_tokens"), (1, 0));

        let (engine, _) = engine_with_limits(LimitsConfig::default());
        let deep = format!("{}{}", "{ a ".repeat(1_000), "}".repeat(1_000));
        let deep = engine.execute(request(&deep), &context).await;
        assert_eq!(code(&deep.response), "MAX_RECURSION_EXCEEDED");
        assert_eq!(counts(&engine, "max_recursion"), (1, 0));
    }

    fn costed_engine(max_cost: u64) -> (Engine, Arc<FakeTransport>) {
        let sdl = r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@listSize", "@cost"])
            type Query { products(first: Int = 10): [Product!]! @listSize(slicingArguments: ["first"]) }
            type Product @key(fields: "id") { id: ID! inventory: Inventory heavy: Int @cost(weight: 50) }
            type Inventory { onHand: Int! }"#;
        let supergraph = crate::compose::compose(&[crate::compose::SubgraphSource {
            name: "products".into(),
            url: "http://127.0.0.1:1/graphql".into(),
            sdl: sdl.into(),
        }])
        .unwrap()
        .supergraph_sdl;
        let transport = Arc::new(FakeTransport::default());
        let config = RouterConfig {
            limits: crate::pipeline::limits::LimitsConfig {
                max_cost,
                ..Default::default()
            },
            ..RouterConfig::default()
        };
        let engine = Engine::new(&supergraph, &config, transport.clone()).unwrap();
        (engine, transport)
    }

    #[tokio::test]
    async fn an_operation_estimated_past_max_cost_is_refused_before_any_fetch() {
        let (engine, transport) = costed_engine(1_000);
        let context = engine.context(HttpMethod::Post, Default::default());
        // 500 × (product 1 + inventory 1) = 1000: at the limit.
        let at = engine
            .execute(
                request("{ products(first: 500) { inventory { onHand } } }"),
                &context,
            )
            .await;
        assert_eq!(at.status, ResponseStatus::Ok, "{:?}", at.response.errors);
        let fetched = transport.requests.lock().unwrap().len();
        let past = engine
            .execute(
                request("{ products(first: 501) { inventory { onHand } } }"),
                &context,
            )
            .await;
        assert_eq!(past.status, ResponseStatus::RequestError);
        let error = &past.response.errors[0];
        assert_eq!(error.extensions["code"], "COST_ESTIMATED_TOO_EXPENSIVE");
        assert_eq!(error.extensions["measured"], 1002);
        assert_eq!(error.extensions["max"], 1000);
        assert_eq!(
            transport.requests.lock().unwrap().len(),
            fetched,
            "no fetch"
        );
        assert_eq!(counts(&engine, "max_cost"), (1, 0));
        // A variable is a slicing argument too; `@cost` weighs in.
        let variables = json!({"n": 30}).as_object().cloned();
        let heavy = engine
            .execute(
                graphql::Request {
                    variables,
                    ..request("query($n: Int) { products(first: $n) { heavy } }")
                },
                &context,
            )
            .await;
        assert_eq!(heavy.response.errors[0].extensions["measured"], 30 * 51);
    }

    #[tokio::test]
    async fn the_cost_is_reported_when_asked() {
        let (engine, _) = costed_engine(1_000);
        let mut headers = http::HeaderMap::new();
        let query = request("{ products(first: 20) { id } }");
        let plain = engine
            .execute(
                query.clone(),
                &engine.context(HttpMethod::Post, headers.clone()),
            )
            .await;
        assert!(!plain.response.extensions.contains_key("cost"));
        headers.insert(COST_REPORT_HEADER, http::HeaderValue::from_static("true"));
        let asked = engine
            .execute(query, &engine.context(HttpMethod::Post, headers))
            .await;
        let cost = &asked.response.extensions["cost"];
        assert_eq!(cost["estimated"], 20);
        assert_eq!(cost["max"], 1000);
        // The fake subgraph answers no products.
        assert_eq!(cost["actual"], 0);
    }

    #[tokio::test]
    async fn answers_introspection_only_operations_itself() {
        let sdl = crate::api_schema::tests::supergraph_sdl();
        let config = RouterConfig {
            introspection: true,
            ..RouterConfig::default()
        };
        let engine = Engine::new(&sdl, &config, Arc::new(FakeTransport::default())).unwrap();
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
        assert_eq!(
            result.status,
            ResponseStatus::Status(http::StatusCode::METHOD_NOT_ALLOWED)
        );
        assert_eq!(code(&result.response), crate::pipeline::METHOD_NOT_ALLOWED);
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
