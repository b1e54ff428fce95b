//! Turning a client request into something executable: parse and validate the
//! document against the API schema (cached by query text, so a repeated query
//! is parsed once), pick the operation the request names, and coerce its
//! variables. Every failure is a GraphQL request error with a stable
//! `extensions.code`.

use std::sync::Arc;

use apollo_compiler::ast::OperationType;
use apollo_compiler::executable::Operation;
use apollo_compiler::response::GraphQLError;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Name, Schema};

use crate::graphql::{self, JsonMap, Location};

pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
pub const OPERATION_NOT_FOUND: &str = "OPERATION_NOT_FOUND";
pub const OPERATION_NAME_REQUIRED: &str = "OPERATION_NAME_REQUIRED";
pub const MISSING_QUERY: &str = "MISSING_QUERY_STRING";

#[derive(Debug, Clone, thiserror::Error)]
pub enum PrepareError {
    #[error("Must provide query string.")]
    MissingQuery,
    #[error("the query does not parse")]
    Parse(Vec<graphql::Error>),
    #[error("the query is not valid against the schema")]
    Validation(Vec<graphql::Error>),
    #[error("the document contains no operation")]
    NoOperation,
    #[error("Unknown operation named \"{0}\".")]
    OperationNotFound(String),
    #[error("Must provide operation name if query contains multiple operations.")]
    OperationNameRequired,
    #[error("invalid variables")]
    Variables(Box<graphql::Error>),
}

impl PrepareError {
    /// The errors of a GraphQL response for this failure.
    pub fn to_graphql_errors(&self) -> Vec<graphql::Error> {
        match self {
            PrepareError::Parse(errors) | PrepareError::Validation(errors) => errors.clone(),
            PrepareError::Variables(error) => vec![(**error).clone()],
            PrepareError::MissingQuery => {
                vec![graphql::Error::coded(self.to_string(), MISSING_QUERY)]
            }
            PrepareError::NoOperation => vec![graphql::Error::coded(
                "The document contains no operation to execute.",
                VALIDATION_FAILED,
            )],
            PrepareError::OperationNotFound(_) => {
                vec![graphql::Error::coded(self.to_string(), OPERATION_NOT_FOUND)]
            }
            PrepareError::OperationNameRequired => {
                vec![graphql::Error::coded(
                    self.to_string(),
                    OPERATION_NAME_REQUIRED,
                )]
            }
        }
    }

    /// A request-error response (no `data`).
    pub fn to_response(&self) -> graphql::Response {
        graphql::Response {
            data: None,
            raw_data: None,
            errors: self.to_graphql_errors(),
            extensions: JsonMap::new(),
        }
    }
}

/// A validated document and the operation a request selected in it.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub document: Arc<Valid<ExecutableDocument>>,
    /// The selected operation's name; `None` for the anonymous operation.
    pub operation_name: Option<Name>,
    /// The document printed without insignificant whitespace or comments: a
    /// cache key shared by differently formatted copies of one query.
    pub normalized: Arc<str>,
}

impl Prepared {
    /// The selected operation.
    pub fn operation(&self) -> &Operation {
        let operations = &self.document.operations;
        match &self.operation_name {
            Some(name) => &operations.named[name],
            None => operations
                .anonymous
                .as_ref()
                .expect("an anonymous operation was selected"),
        }
    }

    pub fn operation_kind(&self) -> OperationType {
        self.operation().operation_type
    }
}

/// Variables after coercion to the operation's variable types.
#[derive(Debug, Clone)]
pub struct Variables {
    /// For apollo-compiler (introspection).
    pub coerced: Valid<apollo_compiler::response::JsonMap>,
    /// The same values as `serde_json`, for the executor.
    pub json: JsonMap,
}

#[derive(Debug, Clone)]
struct CachedDocument {
    document: Arc<Valid<ExecutableDocument>>,
    normalized: Arc<str>,
}

/// Parses and validates documents against one API schema, with a bounded
/// cache keyed by query text (failures are cached too).
pub struct Preparer {
    schema: Arc<Valid<Schema>>,
    cache: moka::sync::Cache<String, Result<CachedDocument, PrepareError>>,
}

impl Preparer {
    pub fn new(schema: Arc<Valid<Schema>>, cache_size: u64) -> Self {
        Preparer {
            schema,
            cache: moka::sync::Cache::new(cache_size),
        }
    }

    pub fn schema(&self) -> &Arc<Valid<Schema>> {
        &self.schema
    }

    /// Parses (or finds in the cache) `query` and selects the operation.
    pub fn prepare(
        &self,
        query: &str,
        operation_name: Option<&str>,
    ) -> Result<Prepared, PrepareError> {
        let cached = self
            .cache
            .get_with_by_ref(query, || parse_and_validate(&self.schema, query))?;
        let operation_name = select_operation(&cached.document, operation_name)?;
        Ok(Prepared {
            document: cached.document,
            operation_name,
            normalized: cached.normalized,
        })
    }

    /// Prepares a whole request: query, operation and variables.
    pub fn prepare_request(
        &self,
        request: &graphql::Request,
    ) -> Result<(Prepared, Variables), PrepareError> {
        let query = request.query.as_deref().ok_or(PrepareError::MissingQuery)?;
        // An empty `operationName` is sent by some clients for "none".
        let operation_name = request.operation_name.as_deref().filter(|n| !n.is_empty());
        let prepared = self.prepare(query, operation_name)?;
        let empty = JsonMap::new();
        let variables =
            self.coerce_variables(&prepared, request.variables.as_ref().unwrap_or(&empty))?;
        Ok((prepared, variables))
    }

    /// Coerces raw request variables to the selected operation's types.
    pub fn coerce_variables(
        &self,
        prepared: &Prepared,
        raw: &JsonMap,
    ) -> Result<Variables, PrepareError> {
        let raw_bytes: apollo_compiler::response::JsonMap = raw
            .iter()
            .map(|(k, v)| (k.as_str().into(), v.clone().into()))
            .collect();
        let coerced = apollo_compiler::request::coerce_variable_values(
            &self.schema,
            prepared.operation(),
            &raw_bytes,
        )
        .map_err(|err| {
            let error = err.to_graphql_error(&prepared.document.sources);
            PrepareError::Variables(Box::new(convert_error(error, BAD_USER_INPUT)))
        })?;
        let json = coerced
            .iter()
            .map(|(k, v)| {
                let value = serde_json::to_value(v).expect("JSON values serialize");
                (k.as_str().to_owned(), value)
            })
            .collect();
        Ok(Variables { coerced, json })
    }
}

fn parse_and_validate(schema: &Valid<Schema>, query: &str) -> Result<CachedDocument, PrepareError> {
    let ast = apollo_compiler::ast::Document::parse(query, "query.graphql").map_err(|invalid| {
        PrepareError::Parse(
            invalid
                .errors
                .iter()
                .map(|d| convert_error(d.to_json(), PARSE_FAILED))
                .collect(),
        )
    })?;
    let document = ast.to_executable_validate(schema).map_err(|invalid| {
        PrepareError::Validation(
            invalid
                .errors
                .iter()
                .map(|d| convert_error(d.to_json(), VALIDATION_FAILED))
                .collect(),
        )
    })?;
    if document.operations.is_empty() {
        return Err(PrepareError::NoOperation);
    }
    let normalized = document.serialize().no_indent().to_string().into();
    Ok(CachedDocument {
        document: Arc::new(document),
        normalized,
    })
}

/// The spec's GetOperation(): the named operation, or the only one.
fn select_operation(
    document: &ExecutableDocument,
    requested: Option<&str>,
) -> Result<Option<Name>, PrepareError> {
    let operations = &document.operations;
    match requested {
        Some(name) => match operations.named.get_key_value(name) {
            Some((name, _)) => Ok(Some(name.clone())),
            None => Err(PrepareError::OperationNotFound(name.to_owned())),
        },
        None => match (&operations.anonymous, operations.named.len()) {
            (Some(_), 0) => Ok(None),
            (None, 1) => Ok(operations.named.keys().next().cloned()),
            (None, 0) => Err(PrepareError::NoOperation),
            _ => Err(PrepareError::OperationNameRequired),
        },
    }
}

fn convert_error(error: GraphQLError, code: &str) -> graphql::Error {
    let mut converted = graphql::Error::coded(error.message, code);
    converted.locations = error
        .locations
        .iter()
        .map(|l| Location {
            line: l.line,
            column: l.column,
        })
        .collect();
    for (key, value) in error.extensions {
        let value = serde_json::to_value(&value).expect("JSON values serialize");
        converted.extensions.insert(key.as_str().to_owned(), value);
    }
    converted
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn preparer() -> Preparer {
        let schema = Schema::parse_and_validate(
            r#"
            type Query { product(id: ID!): Product products(first: Int = 10): [Product!]! }
            type Mutation { rename(id: ID!, name: String!): Product }
            type Product { id: ID! name: String! }
            "#,
            "api.graphql",
        )
        .unwrap();
        Preparer::new(Arc::new(schema), 10)
    }

    fn request(
        query: &str,
        operation_name: Option<&str>,
        variables: serde_json::Value,
    ) -> graphql::Request {
        graphql::Request {
            query: Some(query.into()),
            operation_name: operation_name.map(Into::into),
            variables: variables.as_object().cloned(),
            extensions: None,
        }
    }

    fn code(error: &graphql::Error) -> &str {
        error.extensions["code"].as_str().unwrap()
    }

    #[test]
    fn prepares_and_caches_a_query() {
        let preparer = preparer();
        let (first, variables) = preparer
            .prepare_request(&request(
                "query P($id: ID!) { product(id: $id) { name } }",
                None,
                json!({"id": 7}),
            ))
            .unwrap();
        assert_eq!(first.operation_name.as_deref(), Some("P"));
        assert_eq!(first.operation_kind(), OperationType::Query);
        assert_eq!(variables.json["id"], json!(7), "an Int is a valid ID");
        let (second, _) = preparer
            .prepare_request(&request(
                "query P($id: ID!) { product(id: $id) { name } }",
                None,
                json!({"id": "8"}),
            ))
            .unwrap();
        assert!(
            Arc::ptr_eq(&first.document, &second.document),
            "parsed once"
        );
        let reformatted = preparer
            .prepare(
                "query P($id: ID!) {\n  product(id: $id) {\n    name\n  }\n}",
                None,
            )
            .unwrap();
        assert_eq!(reformatted.normalized, first.normalized);
    }

    #[test]
    fn defaults_apply_to_missing_variables() {
        let (_, variables) = preparer()
            .prepare_request(&request(
                "query($n: Int = 3) { products(first: $n) { id } }",
                None,
                json!({}),
            ))
            .unwrap();
        assert_eq!(variables.json["n"], json!(3));
    }

    #[test]
    fn syntax_errors_have_locations_and_parse_code() {
        let err = preparer()
            .prepare("{ product(id: 1) { name }", None)
            .unwrap_err();
        let errors = err.to_graphql_errors();
        assert!(matches!(err, PrepareError::Parse(_)));
        assert_eq!(code(&errors[0]), PARSE_FAILED);
        assert!(!errors[0].locations.is_empty());
    }

    #[test]
    fn validation_errors_have_locations_and_validation_code() {
        let err = preparer()
            .prepare("{\n  product(id: 1) { nope }\n}", None)
            .unwrap_err();
        let errors = err.to_graphql_errors();
        assert!(matches!(err, PrepareError::Validation(_)));
        assert_eq!(code(&errors[0]), VALIDATION_FAILED);
        let nope = errors
            .iter()
            .find(|e| e.message.contains("nope"))
            .expect("names the field");
        assert_eq!(nope.locations[0].line, 2);
        assert!(errors.iter().all(|e| code(e) == VALIDATION_FAILED));
    }

    #[test]
    fn selects_operations_per_spec() {
        let preparer = preparer();
        let two = "query A { products { id } } query B { products { name } }";
        let err = preparer.prepare(two, None).unwrap_err();
        assert_eq!(code(&err.to_graphql_errors()[0]), OPERATION_NAME_REQUIRED);
        let err = preparer.prepare(two, Some("C")).unwrap_err();
        assert_eq!(code(&err.to_graphql_errors()[0]), OPERATION_NOT_FOUND);
        assert!(err.to_graphql_errors()[0].message.contains("\"C\""));
        let b = preparer.prepare(two, Some("B")).unwrap();
        assert_eq!(b.operation().name.as_deref(), Some("B"));
        let anonymous = preparer
            .prepare("{ products { id } }", Some("A"))
            .unwrap_err();
        assert!(matches!(anonymous, PrepareError::OperationNotFound(_)));
        let mutation = preparer
            .prepare("mutation { rename(id: 1, name: \"x\") { id } }", None)
            .unwrap();
        assert_eq!(mutation.operation_kind(), OperationType::Mutation);
        assert!(mutation.operation_name.is_none());
    }

    #[test]
    fn documents_without_operations_are_rejected() {
        let err = preparer()
            .prepare("fragment F on Product { id }", None)
            .unwrap_err();
        let errors = err.to_graphql_errors();
        assert!(!errors.is_empty());
        assert_eq!(code(&errors[0]), VALIDATION_FAILED);
        let err = preparer()
            .prepare_request(&graphql::Request::default())
            .unwrap_err();
        assert!(matches!(err, PrepareError::MissingQuery));
    }

    #[test]
    fn bad_variables_are_bad_user_input() {
        let preparer = preparer();
        let query = "query($id: ID!) { product(id: $id) { name } }";
        for variables in [json!({}), json!({"id": {"no": 1}}), json!({"id": null})] {
            let err = preparer
                .prepare_request(&request(query, None, variables.clone()))
                .unwrap_err();
            let errors = err.to_graphql_errors();
            assert_eq!(code(&errors[0]), BAD_USER_INPUT, "{variables}: {errors:?}");
            assert!(err.to_response().data.is_none());
        }
    }
}
