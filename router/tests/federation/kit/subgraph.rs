//! A JSON-backed Federation v2 subgraph served over real HTTP.
//!
//! Declare it with [`Subgraph::new`] (name + SDL), give it data, then
//! [`Subgraph::start`] it:
//!
//! ```ignore
//! let accounts = Subgraph::new("accounts", r#"
//!         type User @key(fields: "id") { id: ID! name: String! }
//!         type Query { me: User }
//!     "#)
//!     .root("me", json!({ "id": "u1", "name": "Ada" }))
//!     .entities("User", json!([{ "id": "u1", "name": "Ada" }]))
//!     .start()
//!     .await;
//! ```
//!
//! Execution is apollo-compiler's (`resolvers::Execution`): validation,
//! variables, fragments, `@skip`/`@include`, abstract types and null
//! propagation follow the spec. Data conventions:
//! - root fields come from [`Subgraph::root`] / [`Subgraph::root_with_args`]
//!   (first entry whose arguments are a subset of the coerced arguments);
//! - other fields are read from the parent JSON object by field name
//!   (absent means null);
//! - objects of abstract types carry `__typename` in the data;
//! - a JSON value `{"__error": "message"}` anywhere in the data makes that
//!   field fail with a field error carrying the message;
//! - [`Subgraph::resolve`] registers a closure for any `Type.field`
//!   (computed fields, `@requires`, mutations), which wins over the data;
//! - `_entities` looks each representation up in the rows given to
//!   [`Subgraph::entities`] by any `@key` of the type whose fields the
//!   representation carries; the result is the row overlaid with the
//!   representation's fields; no match is `null`. Types registered with
//!   [`Subgraph::echo_entities`] resolve any representation to itself.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apollo_compiler::Schema;
use apollo_compiler::executable::ExecutableDocument;
use apollo_compiler::resolvers::{Execution, FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::JsonValue;
use apollo_compiler::schema::{ExtendedType, Type};
use apollo_compiler::validation::Valid;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

pub type JsonMap = Map<String, Value>;

/// The `@link` line prepended to a fixture SDL that has none.
pub const FEDERATION_LINK: &str = r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@override", "@inaccessible", "@interfaceObject", "@tag", "@context", "@fromContext"])"#;

/// Definitions a subgraph library adds to a subgraph's schema.
const FEDERATION_DEFINITIONS: &str = r#"
directive @link(url: String!, as: String, import: [link__Import], for: link__Purpose) repeatable on SCHEMA
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
scalar federation__FieldSet
scalar _Any
directive @key(fields: federation__FieldSet!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
directive @requires(fields: federation__FieldSet!) on FIELD_DEFINITION
directive @provides(fields: federation__FieldSet!) on FIELD_DEFINITION
directive @external(reason: String) on OBJECT | FIELD_DEFINITION
directive @shareable repeatable on OBJECT | FIELD_DEFINITION
directive @override(from: String!, label: String) on FIELD_DEFINITION
directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | SCHEMA
directive @interfaceObject on OBJECT
scalar federation__ContextFieldValue
directive @context(name: String!) repeatable on INTERFACE | OBJECT | UNION
directive @fromContext(field: federation__ContextFieldValue) on ARGUMENT_DEFINITION
directive @extends on OBJECT | INTERFACE
scalar federation__Scope
scalar federation__Policy
directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @requiresScopes(scopes: [[federation__Scope!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @policy(policies: [[federation__Policy!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
type _Service { sdl: String }
extend type Query { _service: _Service! }
"#;

/// What a field closure sees.
pub struct FieldCtx<'a> {
    /// The parent object (for an entity: its row overlaid with the representation).
    pub parent: &'a Value,
    /// The field's coerced arguments (defaults applied).
    pub args: &'a JsonMap,
}

impl FieldCtx<'_> {
    pub fn arg(&self, name: &str) -> &Value {
        self.args.get(name).unwrap_or(&Value::Null)
    }
    pub fn get(&self, name: &str) -> &Value {
        self.parent.get(name).unwrap_or(&Value::Null)
    }
}

pub type Resolver = Arc<dyn Fn(&FieldCtx<'_>) -> Result<Value, String> + Send + Sync>;

/// A shared, ordered log of events, e.g. mutation side effects across subgraphs.
#[derive(Clone, Default)]
pub struct EventLog(Arc<Mutex<Vec<String>>>);

impl EventLog {
    pub fn push(&self, event: impl Into<String>) {
        self.0.lock().unwrap().push(event.into());
    }
    pub fn entries(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// How a running fixture answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Behaviour {
    Normal,
    /// Answer every request with this HTTP status and a non-GraphQL body.
    HttpStatus(u16),
    /// Answer every request with `{"data": null, "errors": [{"message": ..}]}`.
    RequestError(String),
}

/// One request a fixture received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub query: String,
    pub operation_name: Option<String>,
    pub variables: JsonMap,
}

impl RecordedRequest {
    pub fn is_entities(&self) -> bool {
        self.query.contains("_entities")
    }
    /// Every representation sent in this request (all variable lists of objects
    /// carrying `__typename`, usually `$representations`).
    pub fn representations(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for value in self.variables.values() {
            if let Value::Array(items) = value {
                for item in items {
                    if item.get("__typename").is_some() {
                        out.push(item.clone());
                    }
                }
            }
        }
        out
    }
}

struct RootEntry {
    type_name: String,
    field: String,
    args: Option<JsonMap>,
    value: Value,
}

/// The declaration of a fixture subgraph (a builder).
pub struct Subgraph {
    name: String,
    sdl: String,
    roots: Vec<RootEntry>,
    entities: HashMap<String, Vec<Value>>,
    echo: HashSet<String>,
    resolvers: HashMap<(String, String), Resolver>,
    latency: Option<Duration>,
}

impl Subgraph {
    /// `name`: lowercase letters, digits, hyphens. `sdl`: Federation v2 SDL;
    /// [`FEDERATION_LINK`] is prepended when it has no `@link`.
    pub fn new(name: &str, sdl: &str) -> Self {
        let sdl = if sdl.contains("@link(") {
            sdl.trim().to_owned()
        } else {
            format!("{FEDERATION_LINK}\n\n{}\n", unindent(sdl))
        };
        Subgraph {
            name: name.to_owned(),
            sdl,
            roots: Vec::new(),
            entities: HashMap::new(),
            echo: HashSet::new(),
            resolvers: HashMap::new(),
            latency: None,
        }
    }

    /// `Query.<field>` returns `value` whatever its arguments.
    pub fn root(self, field: &str, value: Value) -> Self {
        self.root_of("Query", field, None, value)
    }

    /// `Query.<field>` returns `value` when its arguments include `args`
    /// (a JSON object); entries are tried in declaration order.
    pub fn root_with_args(self, field: &str, args: Value, value: Value) -> Self {
        let Value::Object(args) = args else {
            panic!("root_with_args: args must be an object")
        };
        self.root_of("Query", field, Some(args), value)
    }

    /// Like [`Subgraph::root`] for `Mutation` (prefer [`Subgraph::resolve`] to log effects).
    pub fn mutation_root(self, field: &str, value: Value) -> Self {
        self.root_of("Mutation", field, None, value)
    }

    fn root_of(
        mut self,
        type_name: &str,
        field: &str,
        args: Option<JsonMap>,
        value: Value,
    ) -> Self {
        self.roots.push(RootEntry {
            type_name: type_name.into(),
            field: field.into(),
            args,
            value,
        });
        self
    }

    /// Rows `_entities` can find for `type_name` (a JSON array of objects).
    pub fn entities(mut self, type_name: &str, rows: Value) -> Self {
        let Value::Array(rows) = rows else {
            panic!("entities: rows must be an array")
        };
        self.entities
            .entry(type_name.into())
            .or_default()
            .extend(rows);
        self
    }

    /// Any representation of `type_name` resolves to itself (plus closures).
    pub fn echo_entities(mut self, type_name: &str) -> Self {
        self.echo.insert(type_name.into());
        self
    }

    /// A closure computing `type_name.field` (wins over the data).
    pub fn resolve(
        mut self,
        type_name: &str,
        field: &str,
        f: impl Fn(&FieldCtx<'_>) -> Result<Value, String> + Send + Sync + 'static,
    ) -> Self {
        self.resolvers
            .insert((type_name.into(), field.into()), Arc::new(f));
        self
    }

    /// Wait this long before answering each request.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = Some(latency);
        self
    }

    /// The SDL as served by `_service { sdl }` (and composed).
    pub fn sdl(&self) -> &str {
        &self.sdl
    }

    /// Builds the executable schema: panics with the validation errors if the SDL is invalid.
    fn build_schema(&self) -> Valid<Schema> {
        let partial = Schema::builder()
            .adopt_orphan_extensions()
            .parse(&self.sdl, format!("{}.graphql", self.name))
            .parse(FEDERATION_DEFINITIONS, "federation.graphql")
            .build()
            .unwrap_or_else(|e| panic!("fixture {}: invalid SDL:\n{}", self.name, e.errors));
        let entity_types: Vec<String> = partial
            .types
            .iter()
            .filter(|(_, ty)| matches!(ty, ExtendedType::Object(_)) && ty.directives().has("key"))
            .map(|(name, _)| name.to_string())
            .collect();
        let mut extra = String::new();
        if !entity_types.is_empty() {
            let _ = write!(
                extra,
                "union _Entity = {}\nextend type Query {{ _entities(representations: [_Any!]!): [_Entity]! }}\n",
                entity_types.join(" | ")
            );
        }
        Schema::builder()
            .adopt_orphan_extensions()
            .parse(&self.sdl, format!("{}.graphql", self.name))
            .parse(FEDERATION_DEFINITIONS, "federation.graphql")
            .parse(
                if extra.is_empty() {
                    "scalar _NoEntities".to_owned()
                } else {
                    extra
                },
                "entities.graphql",
            )
            .build()
            .map_err(Box::new)
            .and_then(|s| s.validate().map_err(Box::new))
            .unwrap_or_else(|e| panic!("fixture {}: invalid SDL:\n{}", self.name, e.errors))
    }

    /// Serves the fixture on 127.0.0.1:0 in this tokio runtime.
    pub async fn start(self) -> Fixture {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fixture");
        let addr = listener.local_addr().unwrap();
        let name = self.name.clone();
        let inner = Arc::new(self.into_inner());
        let app = axum::Router::new()
            .route("/", axum::routing::post(handle))
            .route("/graphql", axum::routing::post(handle))
            .with_state(inner.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Fixture {
            name,
            url: format!("http://{addr}/graphql"),
            inner,
            task: Some(task),
        }
    }

    /// Serves the fixture as `n` replicas, each on its own port, that a test
    /// can kill (listener and every open connection at once, as when a
    /// process dies) and bring back on the same port.
    pub async fn start_replicas(self, n: usize) -> Replicas {
        let name = self.name.clone();
        let inner = Arc::new(self.into_inner());
        let mut replicas = Vec::with_capacity(n);
        for _ in 0..n {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind replica");
            let addr = listener.local_addr().unwrap();
            let replica = Replica {
                addr,
                tasks: Mutex::new(None),
            };
            replica.serve(listener, inner.clone());
            replicas.push(replica);
        }
        Replicas {
            name,
            inner,
            replicas,
        }
    }

    /// A fixture whose URL points at a closed port: every request fails to connect.
    pub async fn start_unreachable(self) -> Fixture {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let name = self.name.clone();
        Fixture {
            name,
            url: format!("http://{addr}/graphql"),
            inner: Arc::new(self.into_inner()),
            task: None,
        }
    }

    fn into_inner(self) -> Inner {
        let schema = self.build_schema();
        let mut keys = HashMap::new();
        for (name, ty) in &schema.types {
            let parsed: Vec<Vec<KeyField>> = ty
                .directives()
                .get_all("key")
                .filter_map(|d| d.specified_argument_by_name("fields"))
                .filter_map(|v| v.as_str().map(parse_field_set))
                .collect();
            if !parsed.is_empty() {
                keys.insert(name.to_string(), parsed);
            }
        }
        Inner {
            name: self.name,
            sdl: self.sdl,
            schema,
            roots: self.roots,
            entities: self.entities,
            echo: self.echo,
            resolvers: self.resolvers,
            keys,
            latency: self.latency,
            requests: Mutex::new(Vec::new()),
            invalid: Arc::default(),
            behaviour: Mutex::new(Behaviour::Normal),
        }
    }
}

struct Inner {
    name: String,
    sdl: String,
    schema: Valid<Schema>,
    roots: Vec<RootEntry>,
    entities: HashMap<String, Vec<Value>>,
    echo: HashSet<String>,
    resolvers: HashMap<(String, String), Resolver>,
    keys: HashMap<String, Vec<Vec<KeyField>>>,
    latency: Option<Duration>,
    requests: Mutex<Vec<RecordedRequest>>,
    /// Operations this subgraph's schema rejected, with the reasons: shared
    /// with the kit's supergraph, which fails the test on any of them.
    invalid: InvalidOperations,
    behaviour: Mutex<Behaviour>,
}

/// Operations a fixture received that its own schema does not validate.
pub type InvalidOperations = Arc<Mutex<Vec<String>>>;

/// One fixture served by several replicas.
pub struct Replicas {
    name: String,
    inner: Arc<Inner>,
    replicas: Vec<Replica>,
}

struct Replica {
    addr: std::net::SocketAddr,
    tasks: Mutex<Option<Arc<Mutex<tokio::task::JoinSet<()>>>>>,
}

impl Replica {
    fn serve(&self, listener: tokio::net::TcpListener, inner: Arc<Inner>) {
        let app = axum::Router::new()
            .route("/graphql", axum::routing::post(handle))
            .with_state(inner);
        let tasks = Arc::new(Mutex::new(tokio::task::JoinSet::new()));
        let connections = tasks.clone();
        tasks.lock().unwrap().spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let service = hyper_util::service::TowerToHyperService::new(app.clone());
                connections.lock().unwrap().spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        *self.tasks.lock().unwrap() = Some(tasks);
    }

    fn kill(&self) {
        if let Some(tasks) = self.tasks.lock().unwrap().take() {
            tasks.lock().unwrap().abort_all();
        }
    }
}

impl Drop for Replicas {
    fn drop(&mut self) {
        for replica in &self.replicas {
            replica.kill();
        }
    }
}

impl Replicas {
    pub fn urls(&self) -> Vec<String> {
        self.replicas
            .iter()
            .map(|r| format!("http://{}/graphql", r.addr))
            .collect()
    }

    /// The fixture as composition sees it (the first replica's URL).
    pub fn fixture(&self) -> Fixture {
        Fixture {
            name: self.name.clone(),
            url: self.urls()[0].clone(),
            inner: self.inner.clone(),
            task: None,
        }
    }

    pub fn kill(&self, replica: usize) {
        self.replicas[replica].kill();
    }

    /// Serves replica `replica` again, on its old port.
    pub async fn revive(&self, replica: usize) {
        let r = &self.replicas[replica];
        let listener = tokio::net::TcpListener::bind(r.addr)
            .await
            .expect("rebind replica");
        r.serve(listener, self.inner.clone());
    }
}

/// A running fixture subgraph.
pub struct Fixture {
    name: String,
    url: String,
    inner: Arc<Inner>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

impl Fixture {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn url(&self) -> &str {
        &self.url
    }
    /// The operations this fixture rejected as invalid against its schema.
    pub fn invalid_operations(&self) -> InvalidOperations {
        self.inner.invalid.clone()
    }
    pub fn sdl(&self) -> &str {
        &self.inner.sdl
    }
    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner.requests.lock().unwrap().clone()
    }
    pub fn request_count(&self) -> usize {
        self.inner.requests.lock().unwrap().len()
    }
    /// The requests that called `_entities`.
    pub fn entity_requests(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(RecordedRequest::is_entities)
            .collect()
    }
    pub fn clear_requests(&self) {
        self.inner.requests.lock().unwrap().clear();
    }
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        *self.inner.behaviour.lock().unwrap() = behaviour;
    }

    /// Sends an operation straight to this subgraph (not through the router).
    pub async fn query(&self, query: &str, variables: Value) -> Value {
        let body = json!({ "query": query, "variables": variables });
        let response = reqwest::Client::new()
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .expect("fixture reachable");
        response.json().await.expect("fixture answers JSON")
    }
}

async fn handle(State(inner): State<Arc<Inner>>, body: Bytes) -> (StatusCode, axum::Json<Value>) {
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let query = parsed
        .get("query")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let operation_name = parsed
        .get("operationName")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let variables = match parsed.get("variables") {
        Some(Value::Object(map)) => map.clone(),
        _ => JsonMap::new(),
    };
    inner.requests.lock().unwrap().push(RecordedRequest {
        query: query.clone(),
        operation_name: operation_name.clone(),
        variables: variables.clone(),
    });
    if let Some(latency) = inner.latency {
        tokio::time::sleep(latency).await;
    }
    let behaviour = inner.behaviour.lock().unwrap().clone();
    match behaviour {
        Behaviour::Normal => {}
        Behaviour::HttpStatus(status) => {
            let status = StatusCode::from_u16(status).unwrap();
            return (status, axum::Json(json!("fixture failure")));
        }
        Behaviour::RequestError(message) => {
            return (
                StatusCode::OK,
                axum::Json(json!({ "data": null, "errors": [{ "message": message }] })),
            );
        }
    }
    (
        StatusCode::OK,
        axum::Json(execute(
            &inner,
            &query,
            operation_name.as_deref(),
            &variables,
        )),
    )
}

fn execute(
    inner: &Arc<Inner>,
    query: &str,
    operation_name: Option<&str>,
    variables: &JsonMap,
) -> Value {
    let document = match ExecutableDocument::parse_and_validate(
        &inner.schema,
        query,
        "operation.graphql",
    ) {
        Ok(document) => document,
        Err(invalid) => {
            let message = invalid.errors.to_string();
            eprintln!(
                "fixture {}: invalid operation:\n{message}\n{query}",
                inner.name
            );
            inner.invalid.lock().unwrap().push(format!(
                "subgraph {} rejected:\n{query}\n{message}",
                inner.name
            ));
            return json!({ "errors": [{ "message": message, "extensions": { "code": "GRAPHQL_VALIDATION_FAILED" } }] });
        }
    };
    let variables: apollo_compiler::response::JsonMap =
        serde_json::from_value(Value::Object(variables.clone())).expect("variables convert");
    let execution = match Execution::new(&inner.schema, &document).operation_name(operation_name) {
        Ok(execution) => execution.raw_variable_values(&variables),
        Err(error) => return json!({ "errors": [{ "message": error.message().to_string() }] }),
    };
    let root_type = match document.operations.get(operation_name) {
        Ok(op) => op.object_type().to_string(),
        Err(_) => "Query".into(),
    };
    let root = JsonObject {
        type_name: root_type,
        value: json!({}),
        inner: inner.clone(),
        root: true,
    };
    match execution.execute_sync(&root) {
        Ok(response) => {
            let mut value = serde_json::to_value(&response).expect("serialize response");
            // apollo-compiler prefixes closure/data errors; subgraphs report the bare message.
            if let Some(Value::Array(errors)) = value.get_mut("errors") {
                for error in errors {
                    if let Some(Value::String(message)) = error.get_mut("message")
                        && let Some(rest) = message.strip_prefix("resolver error: ")
                    {
                        *message = rest.to_owned();
                    }
                }
            }
            value
        }
        Err(error) => {
            json!({ "errors": [{ "message": error.message().to_string() }] })
        }
    }
}

struct JsonObject {
    type_name: String,
    value: Value,
    inner: Arc<Inner>,
    root: bool,
}

fn field_error(message: impl Into<String>) -> FieldError {
    FieldError {
        message: message.into(),
    }
}

impl ObjectValue for JsonObject {
    fn type_name(&self) -> &str {
        &self.type_name
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        let field = info.field_name();
        let args: JsonMap = match serde_json::to_value(info.arguments()) {
            Ok(Value::Object(map)) => map,
            _ => JsonMap::new(),
        };
        if self.root && field == "_service" {
            return Ok(ResolvedValue::object(
                self.child("_Service", json!({ "sdl": self.inner.sdl })),
            ));
        }
        if self.root && field == "_entities" {
            let representations = args
                .get("representations")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let items: Vec<Result<ResolvedValue<'a>, FieldError>> = representations
                .iter()
                .map(|rep| {
                    Ok(match self.inner.find_entity(rep) {
                        Some((type_name, value)) => {
                            ResolvedValue::object(self.child(&type_name, value))
                        }
                        None => ResolvedValue::null(),
                    })
                })
                .collect();
            return Ok(ResolvedValue::List(Box::new(items.into_iter())));
        }
        let key = (self.type_name.clone(), field.to_owned());
        let raw = if let Some(resolver) = self.inner.resolvers.get(&key) {
            resolver(&FieldCtx {
                parent: &self.value,
                args: &args,
            })
            .map_err(field_error)?
        } else if self.root {
            self.inner
                .roots
                .iter()
                .find(|entry| {
                    entry.type_name == self.type_name
                        && entry.field == field
                        && entry
                            .args
                            .as_ref()
                            .is_none_or(|want| want.iter().all(|(k, v)| args.get(k) == Some(v)))
                })
                .map(|entry| entry.value.clone())
                .unwrap_or(Value::Null)
        } else {
            self.value.get(field).cloned().unwrap_or(Value::Null)
        };
        self.complete(&info.field_definition().ty, raw)
    }
}

impl JsonObject {
    fn child(&self, type_name: &str, value: Value) -> JsonObject {
        JsonObject {
            type_name: type_name.to_owned(),
            value,
            inner: self.inner.clone(),
            root: false,
        }
    }

    fn complete<'a>(&self, ty: &Type, value: Value) -> Result<ResolvedValue<'a>, FieldError> {
        if let Some(message) = value.get("__error") {
            return Err(field_error(message.as_str().unwrap_or("error").to_owned()));
        }
        if value.is_null() {
            return Ok(ResolvedValue::null());
        }
        if ty.is_list() {
            let Value::Array(items) = value else {
                return Err(field_error(format!(
                    "fixture data: expected a list, got {value}"
                )));
            };
            let item_type = ty.item_type().clone();
            let items: Vec<Result<ResolvedValue<'a>, FieldError>> = items
                .into_iter()
                .map(|item| self.complete(&item_type, item))
                .collect();
            return Ok(ResolvedValue::List(Box::new(items.into_iter())));
        }
        let named = ty.inner_named_type();
        match self.inner.schema.types.get(named) {
            Some(ExtendedType::Object(_)) => Ok(ResolvedValue::object(self.child(named, value))),
            Some(ExtendedType::Interface(_) | ExtendedType::Union(_)) => {
                let Some(concrete) = value.get("__typename").and_then(Value::as_str) else {
                    return Err(field_error(format!(
                        "fixture data: {named} value without __typename: {value}"
                    )));
                };
                Ok(ResolvedValue::object(self.child(concrete, value.clone())))
            }
            _ => Ok(ResolvedValue::Leaf(JsonValue::from(value))),
        }
    }
}

impl Inner {
    /// The concrete type and object for one representation, or `None`.
    fn find_entity(&self, rep: &Value) -> Option<(String, Value)> {
        let type_name = rep.get("__typename")?.as_str()?;
        let ty = self.schema.types.get(type_name)?;
        let mut candidates: Vec<String> = vec![type_name.to_owned()];
        if matches!(ty, ExtendedType::Interface(_))
            && let Some(implementers) = self.schema.implementers_map().get(type_name)
        {
            candidates.extend(implementers.objects.iter().map(|n| n.to_string()));
        }
        let no_keys = Vec::new();
        let requested_keys = self.keys.get(type_name).unwrap_or(&no_keys);
        for candidate in &candidates {
            let candidate = candidate.as_str();
            let Some(rows) = self.entities.get(candidate) else {
                continue;
            };
            let keys = requested_keys
                .iter()
                .chain(self.keys.get(candidate).unwrap_or(&no_keys));
            let keys: Vec<&Vec<KeyField>> = keys.collect();
            let found = rows.iter().find(|row| {
                keys.iter()
                    .any(|key| match (project(rep, key), project(row, key)) {
                        (Some(a), Some(b)) => a == b,
                        _ => false,
                    })
            });
            if let Some(row) = found {
                let concrete = if matches!(
                    self.schema.types.get(candidate),
                    Some(ExtendedType::Object(_))
                ) {
                    candidate.to_owned()
                } else {
                    row.get("__typename").and_then(Value::as_str)?.to_owned()
                };
                let mut merged = row.clone();
                if let (Value::Object(merged), Value::Object(rep)) = (&mut merged, rep) {
                    for (k, v) in rep {
                        if k != "__typename" {
                            merged.insert(k.clone(), v.clone());
                        }
                    }
                }
                return Some((concrete, merged));
            }
        }
        if self.echo.contains(type_name) {
            return Some((type_name.to_owned(), rep.clone()));
        }
        None
    }
}

#[derive(Debug, Clone)]
struct KeyField {
    name: String,
    sub: Vec<KeyField>,
}

/// Parses a field set such as `id` or `owner { id } kind`.
fn parse_field_set(source: &str) -> Vec<KeyField> {
    let spaced = source.replace('{', " { ").replace('}', " } ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    fn parse(tokens: &[&str], pos: &mut usize) -> Vec<KeyField> {
        let mut fields: Vec<KeyField> = Vec::new();
        while *pos < tokens.len() {
            match tokens[*pos] {
                "}" => {
                    *pos += 1;
                    return fields;
                }
                "{" => {
                    *pos += 1;
                    let sub = parse(tokens, pos);
                    if let Some(last) = fields.last_mut() {
                        last.sub = sub;
                    }
                }
                name => {
                    *pos += 1;
                    fields.push(KeyField {
                        name: name.to_owned(),
                        sub: Vec::new(),
                    });
                }
            }
        }
        fields
    }
    parse(&tokens, &mut 0)
}

/// The key fields of `value`, or `None` when one is absent or null.
fn project(value: &Value, key: &[KeyField]) -> Option<Value> {
    let mut out = Map::new();
    for field in key {
        let v = value.get(&field.name)?;
        if v.is_null() {
            return None;
        }
        let v = if field.sub.is_empty() {
            v.clone()
        } else {
            project(v, &field.sub)?
        };
        out.insert(field.name.clone(), v);
    }
    Some(Value::Object(out))
}

fn unindent(sdl: &str) -> String {
    sdl.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}
