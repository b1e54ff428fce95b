//! A supergraph composed from running fixtures, with a router in front.

use std::time::Duration;

use router::compose::{SubgraphSource, compose};
use router::graphql::Request;
use serde_json::{Value, json};

use super::router::Router;
use super::subgraph::{Fixture, InvalidOperations};
use router::config::RouterConfig;

/// No router call may take longer than this: a hang is a failure.
const DEADLINE: Duration = Duration::from_secs(20);

pub struct Supergraph {
    pub sdl: String,
    router: Router,
    /// Every fixture's record of operations its schema rejected: the router
    /// must send only operations valid against each subgraph's own schema,
    /// whether or not the answer happens to come out right.
    invalid: Vec<InvalidOperations>,
}

/// Composes the fixtures' SDLs (with their real URLs).
pub fn compose_fixtures(fixtures: &[&Fixture]) -> Result<String, String> {
    let sources: Vec<SubgraphSource> = fixtures
        .iter()
        .map(|f| SubgraphSource {
            name: f.name().to_owned(),
            url: f.url().to_owned(),
            sdl: f.sdl().to_owned(),
        })
        .collect();
    compose(&sources)
        .map(|c| c.supergraph_sdl)
        .map_err(|e| e.to_string())
}

/// What join v0.5 and context v0.1 add to the definitions our composition
/// writes.
const JOIN_V05_AND_CONTEXT: &str = r#"
input join__ContextArgument {
  name: String!
  type: String!
  context: String!
  selection: join__FieldValue!
}

scalar join__FieldValue

directive @context(name: String!) repeatable on INTERFACE | OBJECT | UNION

directive @context__fromContext(field: context__ContextFieldValue) on ARGUMENT_DEFINITION

scalar context__ContextFieldValue
"#;

/// The `join__Graph` value Apollo's composition names a subgraph by.
pub fn graph_enum(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

impl Supergraph {
    /// Composes the fixtures and builds a router over them; panics with the
    /// composition errors when they do not compose.
    pub async fn new(fixtures: &[&Fixture]) -> Supergraph {
        let sdl = compose_fixtures(fixtures).unwrap_or_else(|e| panic!("{e}"));
        Supergraph::over(sdl, fixtures).await
    }

    /// [`Supergraph::new`] with a router set up by `config`.
    pub async fn with_config(fixtures: &[&Fixture], config: RouterConfig) -> Supergraph {
        let sdl = compose_fixtures(fixtures).unwrap_or_else(|e| panic!("{e}"));
        Supergraph::over_with(sdl, fixtures, config).await
    }

    /// A router over `sdl`, which the fixtures serve.
    async fn over(sdl: String, fixtures: &[&Fixture]) -> Supergraph {
        Supergraph::over_with(sdl, fixtures, super::router::suite_config()).await
    }

    async fn over_with(sdl: String, fixtures: &[&Fixture], config: RouterConfig) -> Supergraph {
        let router = Router::with_config(&sdl, config)
            .await
            .unwrap_or_else(|e| panic!("router rejects the supergraph: {e}\n{sdl}"));
        let invalid = fixtures.iter().map(|f| f.invalid_operations()).collect();
        Supergraph {
            sdl,
            router,
            invalid,
        }
    }

    /// A router over a supergraph written the way Apollo's composition
    /// writes it, for shapes `graphql-composition` refuses (a value type
    /// whose fields differ between subgraphs composes in Apollo's) or
    /// directives it does not carry (`@context`, join v0.5).
    /// `types` holds the types with their `@join__*` directives, naming
    /// graphs as [`graph_enum`] does; the schema definition, the specs'
    /// definitions (the ones our composition writes) and `join__Graph` (with
    /// the fixtures' URLs) are added.
    pub async fn from_apollo(fixtures: &[&Fixture], types: &str) -> Supergraph {
        let mut sdl = String::from(
            "schema @link(url: \"https://specs.apollo.dev/link/v1.0\") \
             @link(url: \"https://specs.apollo.dev/join/v0.5\", for: EXECUTION) \
             @link(url: \"https://specs.apollo.dev/inaccessible/v0.2\", for: SECURITY) \
             @link(url: \"https://specs.apollo.dev/context/v0.1\", for: SECURITY) { query: Query }\n",
        );
        // join v0.5 as Apollo's composition writes it since Federation 2.8:
        // `@join__field` takes override labels and context arguments.
        sdl.push_str(&router::compose::SPEC_DEFINITIONS.replace(
            "override: String, usedOverridden: Boolean)",
            "override: String, usedOverridden: Boolean, overrideLabel: String, \
             contextArguments: [join__ContextArgument!])",
        ));
        sdl.push_str(JOIN_V05_AND_CONTEXT);
        sdl.push_str("enum join__Graph {\n");
        for fixture in fixtures {
            sdl.push_str(&format!(
                "  {} @join__graph(name: \"{}\", url: \"{}\")\n",
                graph_enum(fixture.name()),
                fixture.name(),
                fixture.url()
            ));
        }
        sdl.push_str("}\n");
        sdl.push_str(types);
        Supergraph::over(sdl, fixtures).await
    }

    /// The engine behind the router (for its health and status).
    pub fn engine(&self) -> &std::sync::Arc<router::engine::Engine> {
        self.router.engine()
    }

    /// The router's query plan for `query`, as text.
    pub fn explain(&self, query: &str) -> String {
        self.router.explain(query, None)
    }

    pub async fn query(&self, query: &str) -> Outcome {
        self.request(query, json!({})).await
    }

    pub async fn request(&self, query: &str, variables: Value) -> Outcome {
        let variables = match variables {
            Value::Object(map) => Some(map),
            _ => None,
        };
        self.execute(Request {
            query: Some(query.to_owned()),
            variables,
            ..Default::default()
        })
        .await
    }

    pub async fn execute(&self, request: Request) -> Outcome {
        self.execute_with(request, Default::default()).await
    }

    /// `query` sent with the client's request `headers` (a token).
    pub async fn query_with(&self, query: &str, headers: http::HeaderMap) -> Outcome {
        let request = Request {
            query: Some(query.to_owned()),
            ..Default::default()
        };
        self.execute_with(request, headers).await
    }

    pub async fn execute_with(&self, request: Request, headers: http::HeaderMap) -> Outcome {
        let plan = self.router.explain(
            request.query.as_deref().unwrap_or_default(),
            request.operation_name.as_deref(),
        );
        let (response, status) =
            tokio::time::timeout(DEADLINE, self.router.execute_with(request, headers))
                .await
                .expect("the router answered within the deadline");
        for invalid in &self.invalid {
            let rejected = std::mem::take(&mut *invalid.lock().unwrap());
            assert!(
                rejected.is_empty(),
                "the router sent operations a subgraph's schema rejects:\n{}\nplan:\n{plan}",
                rejected.join("\n")
            );
        }
        let value = response;
        Outcome {
            status,
            value,
            plan,
        }
    }
}

/// A router response as JSON plus its HTTP status.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: u16,
    pub value: Value,
    /// The router's query plan for the operation (for failure messages).
    pub plan: String,
}

impl Outcome {
    pub fn data(&self) -> &Value {
        self.value.get("data").unwrap_or(&Value::Null)
    }
    pub fn has_data_key(&self) -> bool {
        self.value.get("data").is_some()
    }
    pub fn errors(&self) -> Vec<Value> {
        self.value
            .get("errors")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }
    /// Each error's `path` (`null` when absent), in order.
    pub fn error_paths(&self) -> Vec<Value> {
        self.errors()
            .iter()
            .map(|e| e.get("path").cloned().unwrap_or(Value::Null))
            .collect()
    }
    /// Each error's `{message, path}` (path `null` when absent).
    pub fn errors_brief(&self) -> Vec<Value> {
        self.errors()
            .iter()
            .map(|e| json!({ "message": e.get("message").cloned().unwrap_or(Value::Null), "path": e.get("path").cloned().unwrap_or(Value::Null) }))
            .collect()
    }

    /// Asserts the exact data and that there are no errors.
    #[track_caller]
    pub fn assert_data(&self, expected: Value) {
        assert!(
            self.errors().is_empty(),
            "unexpected errors: {:#}\nplan:\n{}",
            self.value,
            self.plan
        );
        assert_eq!(
            self.data(),
            &expected,
            "full response: {:#}\nplan:\n{}",
            self.value,
            self.plan
        );
    }

    /// Asserts the exact data, whatever the errors.
    #[track_caller]
    pub fn assert_data_with_errors(&self, expected: Value) {
        assert_eq!(
            self.data(),
            &expected,
            "full response: {:#}\nplan:\n{}",
            self.value,
            self.plan
        );
        assert!(
            !self.errors().is_empty(),
            "expected errors: {:#}",
            self.value
        );
    }

    /// Asserts the set of error paths (order-insensitive).
    #[track_caller]
    pub fn assert_error_paths(&self, expected: Value) {
        let mut actual: Vec<String> = self.error_paths().iter().map(Value::to_string).collect();
        let Value::Array(expected) = expected else {
            panic!("expected paths must be an array")
        };
        let mut expected: Vec<String> = expected.iter().map(Value::to_string).collect();
        actual.sort();
        expected.sort();
        assert_eq!(actual, expected, "full response: {:#}", self.value);
    }

    /// Asserts the exact data; errors are allowed only at the given paths.
    #[track_caller]
    pub fn assert_data_or_errors_at(&self, expected: Value, allowed_paths: &[Value]) {
        assert_eq!(
            self.data(),
            &expected,
            "full response: {:#}\nplan:\n{}",
            self.value,
            self.plan
        );
        for path in self.error_paths() {
            assert!(
                allowed_paths.contains(&path),
                "unexpected error path {path}: {:#}",
                self.value
            );
        }
    }

    /// Asserts there are errors and each has a path starting with `prefix`
    /// (an empty prefix accepts errors without a path too).
    #[track_caller]
    pub fn assert_error_paths_start_with(&self, prefix: &Value) {
        let prefix = prefix.as_array().expect("prefix is an array");
        assert!(
            !self.errors().is_empty(),
            "expected errors: {:#}",
            self.value
        );
        for path in self.error_paths() {
            if prefix.is_empty() && path.is_null() {
                continue;
            }
            let segments = path
                .as_array()
                .unwrap_or_else(|| panic!("error without a path: {:#}", self.value));
            assert!(
                segments.starts_with(prefix),
                "error path {path} outside {prefix:?}: {:#}",
                self.value
            );
        }
    }
}
