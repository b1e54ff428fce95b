//! The validate stage: the syntax tree checked against the API schema, the
//! operation the request names picked from it (the spec's GetOperation),
//! and the request's variables coerced to that operation's types.

use apollo_compiler::ast::Document;
use apollo_compiler::executable::Operation;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Name, Schema};

use crate::graphql::{self, JsonMap};

pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
pub const OPERATION_NOT_FOUND: &str = "OPERATION_NOT_FOUND";
pub const OPERATION_NAME_REQUIRED: &str = "OPERATION_NAME_REQUIRED";

#[derive(Debug, Clone, thiserror::Error)]
pub enum ValidateError {
    #[error("the query is not valid against the schema")]
    Invalid(Vec<graphql::Error>),
    #[error("the document contains no operation")]
    NoOperation,
    #[error("Unknown operation named \"{0}\".")]
    OperationNotFound(String),
    #[error("Must provide operation name if query contains multiple operations.")]
    OperationNameRequired,
    #[error("invalid variables")]
    Variables(Box<graphql::Error>),
}

impl ValidateError {
    pub fn to_graphql_errors(&self) -> Vec<graphql::Error> {
        match self {
            ValidateError::Invalid(errors) => errors.clone(),
            ValidateError::Variables(error) => vec![(**error).clone()],
            ValidateError::NoOperation => vec![graphql::Error::coded(
                "The document contains no operation to execute.",
                VALIDATION_FAILED,
            )],
            ValidateError::OperationNotFound(_) => {
                vec![graphql::Error::coded(self.to_string(), OPERATION_NOT_FOUND)]
            }
            ValidateError::OperationNameRequired => {
                vec![graphql::Error::coded(
                    self.to_string(),
                    OPERATION_NAME_REQUIRED,
                )]
            }
        }
    }
}

/// The executable document of `ast`, valid against `schema`, with at
/// least one operation.
/// Without `suggestions`, messages lose their "Did you mean" hints.
pub fn validate(
    schema: &Valid<Schema>,
    ast: &Document,
    suggestions: bool,
) -> Result<Valid<ExecutableDocument>, ValidateError> {
    let document = ast.to_executable_validate(schema).map_err(|invalid| {
        ValidateError::Invalid(
            invalid
                .errors
                .iter()
                .map(|d| {
                    let mut error = graphql::Error::from_compiler(d.to_json(), VALIDATION_FAILED);
                    if !suggestions {
                        let kept = super::introspection::without_suggestions(&error.message);
                        error.message = kept.to_owned();
                    }
                    error
                })
                .collect(),
        )
    })?;
    if document.operations.is_empty() {
        return Err(ValidateError::NoOperation);
    }
    Ok(document)
}

/// The spec's GetOperation(): the named operation, or the only one.
pub fn select_operation(
    document: &ExecutableDocument,
    requested: Option<&str>,
) -> Result<Option<Name>, ValidateError> {
    let operations = &document.operations;
    match requested {
        Some(name) => match operations.named.get_key_value(name) {
            Some((name, _)) => Ok(Some(name.clone())),
            None => Err(ValidateError::OperationNotFound(name.to_owned())),
        },
        None => match (&operations.anonymous, operations.named.len()) {
            (Some(_), 0) => Ok(None),
            (None, 1) => Ok(operations.named.keys().next().cloned()),
            (None, 0) => Err(ValidateError::NoOperation),
            _ => Err(ValidateError::OperationNameRequired),
        },
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

/// Coerces raw request variables to `operation`'s types.
pub fn coerce_variables(
    schema: &Valid<Schema>,
    document: &Valid<ExecutableDocument>,
    operation: &Operation,
    raw: &JsonMap,
) -> Result<Variables, ValidateError> {
    let raw_bytes: apollo_compiler::response::JsonMap = raw
        .iter()
        .map(|(k, v)| (k.as_str().into(), v.clone().into()))
        .collect();
    let coerced = apollo_compiler::request::coerce_variable_values(schema, operation, &raw_bytes)
        .map_err(|err| {
        let error = err.to_graphql_error(&document.sources);
        ValidateError::Variables(Box::new(graphql::Error::from_compiler(
            error,
            BAD_USER_INPUT,
        )))
    })?;
    let json = coerced
        .iter()
        .map(|(k, v)| {
            let value = serde_json::to_value(v).unwrap_or_default();
            (k.as_str().to_owned(), value)
        })
        .collect();
    Ok(Variables { coerced, json })
}
