//! Answering schema introspection (`__schema`, `__type`, root `__typename`)
//! from the API schema, in the router: subgraphs know only their own schema,
//! and introspection must show the client-facing one, which has no federation
//! machinery and nothing `@inaccessible`.

use std::collections::HashMap as StdHashMap;
use std::sync::Arc;

use apollo_compiler::collections::HashMap;
use apollo_compiler::executable::Operation;
use apollo_compiler::schema::Implementers;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Name, Schema};

use crate::graphql::{self, JsonMap, Location};
use crate::pipeline::validate::Variables;

pub const DEPTH_EXCEEDED: &str = "MAX_INTROSPECTION_DEPTH_EXCEEDED";

/// Which kinds of root fields an operation selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootFields {
    /// Only `__schema`, `__type` and `__typename`: answered by the router alone.
    IntrospectionOnly,
    /// No introspection: entirely planned and executed.
    ConcreteOnly,
    /// Both: executed, then merged with the introspection part.
    Mixed,
}

/// Classifies the operation's root fields (fragments included).
pub fn classify(document: &ExecutableDocument, operation: &Operation) -> RootFields {
    let mut introspection = false;
    let mut concrete = false;
    for field in operation.root_fields(document) {
        match field.name.as_str() {
            "__schema" | "__type" | "__typename" => introspection = true,
            _ => concrete = true,
        }
    }
    match (introspection, concrete) {
        (true, false) => RootFields::IntrospectionOnly,
        (true, true) => RootFields::Mixed,
        // An operation always has a root field; treat nothing as concrete.
        (false, _) => RootFields::ConcreteOnly,
    }
}

/// Introspection over one API schema.
pub struct Introspection {
    schema: Arc<Valid<Schema>>,
    implementers: HashMap<Name, Implementers>,
}

impl Introspection {
    /// Computes the implementers map once.
    pub fn new(schema: Arc<Valid<Schema>>) -> Self {
        let implementers = schema.implementers_map();
        Introspection {
            schema,
            implementers,
        }
    }

    /// The introspection part of the operation's response: its data holds the
    /// root introspection fields only (concrete fields are left out). A request
    /// error (e.g. nesting too deep) is a response without data.
    pub fn execute(
        &self,
        document: &Valid<ExecutableDocument>,
        operation: &Operation,
        variables: &Variables,
    ) -> graphql::Response {
        if let Err(err) = apollo_compiler::introspection::check_max_depth(document, operation) {
            let error = err.to_graphql_error(&document.sources);
            let mut converted = graphql::Error::coded(error.message, DEPTH_EXCEEDED);
            converted.locations = locations(&error.locations);
            return graphql::Response::request_error(converted);
        }
        match apollo_compiler::introspection::partial_execute(
            &self.schema,
            &self.implementers,
            document,
            operation,
            &variables.coerced,
        ) {
            Ok(response) => graphql::Response {
                data: response
                    .data
                    .map(|data| serde_json::to_value(data).expect("JSON values serialize")),
                raw_data: None,
                errors: response
                    .errors
                    .into_iter()
                    .map(|error| {
                        let mut converted =
                            graphql::Error::coded(error.message, "INTROSPECTION_FAILED");
                        converted.locations = locations(&error.locations);
                        converted
                    })
                    .collect(),
                extensions: JsonMap::new(),
            },
            Err(err) => {
                let error = err.to_graphql_error(&document.sources);
                let mut converted = graphql::Error::coded(error.message, "INTROSPECTION_FAILED");
                converted.locations = locations(&error.locations);
                graphql::Response::request_error(converted)
            }
        }
    }
}

fn locations(locations: &[apollo_compiler::parser::LineColumn]) -> Vec<Location> {
    locations
        .iter()
        .map(|l| Location {
            line: l.line,
            column: l.column,
        })
        .collect()
}

/// Merges the introspection part into an executed response: root keys of both
/// in the order the operation selects them. An executed response without data
/// (a request error) or with `data: null` (a nulled root) wins as it is.
pub fn merge(
    document: &ExecutableDocument,
    operation: &Operation,
    executed: graphql::Response,
    introspection: graphql::Response,
) -> graphql::Response {
    let mut executed = executed.into_value_data();
    let executed_data = match executed.data.take() {
        Some(serde_json::Value::Object(data)) => data,
        other => {
            executed.data = other;
            executed.errors.extend(introspection.errors);
            return executed;
        }
    };
    let mut parts: StdHashMap<String, serde_json::Value> = executed_data.into_iter().collect();
    if let Some(serde_json::Value::Object(intro)) = introspection.data {
        parts.extend(intro);
    }
    let mut data = JsonMap::new();
    for field in operation.root_fields(document) {
        let key = field.response_key().as_str();
        if let Some(value) = parts.remove(key) {
            data.insert(key.to_owned(), value);
        }
    }
    // Anything the executor returned under keys the walk did not see stays.
    data.extend(parts);
    executed.data = Some(serde_json::Value::Object(data));
    executed.errors.extend(introspection.errors);
    executed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::document::{Documents, Prepared};
    use crate::pipeline::limits::LimitsConfig;
    use crate::pipeline::validate::{self, Variables};
    use serde_json::json;

    /// Prepares documents with the router's pipeline.
    struct Preparer(Documents);

    impl Preparer {
        fn prepare_request(&self, request: &graphql::Request) -> Option<(Prepared, Variables)> {
            let prepared = self.0.prepare(request.query.as_deref()?, None).ok()?;
            let variables = validate::coerce_variables(
                self.0.schema(),
                &prepared.document,
                prepared.operation(),
                request.variables.as_ref().unwrap_or(&Default::default()),
            )
            .ok()?;
            Some((prepared, variables))
        }
    }

    fn setup() -> (Preparer, Introspection) {
        let api = Arc::new(crate::api_schema::tests::api());
        let documents = Documents::new(api.clone(), LimitsConfig::default(), 1 << 20);
        (Preparer(documents), Introspection::new(api))
    }

    fn run(query: &str) -> (RootFields, graphql::Response) {
        let (preparer, introspection) = setup();
        let request = graphql::Request {
            query: Some(query.into()),
            ..Default::default()
        };
        let (prepared, variables) = preparer.prepare_request(&request).unwrap();
        let kind = classify(&prepared.document, prepared.operation());
        let response = introspection.execute(&prepared.document, prepared.operation(), &variables);
        (kind, response)
    }

    #[test]
    fn classifies_root_fields() {
        assert_eq!(run("{ __typename }").0, RootFields::IntrospectionOnly);
        assert_eq!(
            run("{ __schema { queryType { name } } }").0,
            RootFields::IntrospectionOnly
        );
        assert_eq!(run("{ lowStock { id } }").0, RootFields::ConcreteOnly);
        assert_eq!(
            run("{ lowStock { id __typename } }").0,
            RootFields::ConcreteOnly
        );
        assert_eq!(run("{ __typename lowStock { id } }").0, RootFields::Mixed);
        assert_eq!(
            run("query { ...F } fragment F on Query { __type(name: \"Product\") { name } lowStock { id } }").0,
            RootFields::Mixed
        );
    }

    #[test]
    fn answers_typename_schema_and_type() {
        let (_, response) =
            run(r#"{ __typename t: __type(name: "Product") { name fields { name } } }"#);
        let data = response.data.unwrap();
        assert_eq!(data["__typename"], json!("Query"));
        assert_eq!(data["t"]["name"], json!("Product"));
        let fields: Vec<&str> = data["t"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&"stockValue"), "{fields:?}");
        assert!(!fields.contains(&"cost"), "inaccessible field: {fields:?}");
    }

    #[test]
    fn never_shows_federation_or_inaccessible_elements() {
        let (_, response) = run(r#"{
              __schema {
                types { name fields { name args { name } } inputFields { name } enumValues { name } }
                directives { name }
                mutationType { name }
              }
              j: __type(name: "join__Graph") { name }
              l: __type(name: "link__Purpose") { name }
              s: __type(name: "Secret") { name }
            }"#);
        assert!(response.errors.is_empty(), "{:?}", response.errors);
        let data = response.data.unwrap();
        let text = data.to_string();
        for banned in [
            "join__",
            "link__",
            "Secret",
            "secret",
            "cost",
            "SECRET",
            "internalFlag",
            "debug",
            "\"inaccessible\"",
            "\"tag\"",
            "\"link\"",
        ] {
            assert!(!text.contains(banned), "{banned} in {text}");
        }
        assert_eq!(data["j"], json!(null));
        assert_eq!(data["l"], json!(null));
        assert_eq!(data["s"], json!(null));
        assert_eq!(
            data["__schema"]["mutationType"],
            json!({"name": "Mutation"})
        );
        assert!(text.contains("\"Product\""));
        assert!(text.contains("\"deprecated\""));
    }

    #[test]
    fn deep_introspection_is_a_request_error() {
        let (_, response) = run(
            "{ __schema { types { fields { type { fields { type { fields { type { fields { type { name } } } } } } } } } } }",
        );
        assert!(response.data.is_none());
        assert_eq!(response.errors[0].extensions["code"], json!(DEPTH_EXCEEDED));
    }

    #[test]
    fn merges_in_selection_order() {
        let (preparer, introspection) = setup();
        let request = graphql::Request {
            query: Some("{ a: lowStock { id } __typename b: lowStock { id } }".into()),
            ..Default::default()
        };
        let (prepared, variables) = preparer.prepare_request(&request).unwrap();
        let intro = introspection.execute(&prepared.document, prepared.operation(), &variables);
        let executed = graphql::Response {
            data: Some(json!({"a": [], "b": [{"id": "1"}]})),
            raw_data: None,
            ..Default::default()
        };
        let merged = merge(
            &prepared.document,
            prepared.operation(),
            executed,
            intro.clone(),
        );
        assert_eq!(
            serde_json::to_string(&merged.data).unwrap(),
            r#"{"a":[],"__typename":"Query","b":[{"id":"1"}]}"#
        );
        let nulled = graphql::Response {
            data: Some(json!(null)),
            raw_data: None,
            errors: vec![graphql::Error::coded("boom", "X")],
            ..Default::default()
        };
        let merged = merge(&prepared.document, prepared.operation(), nulled, intro);
        assert_eq!(merged.data, Some(json!(null)));
        assert_eq!(merged.errors.len(), 1);
    }
}
