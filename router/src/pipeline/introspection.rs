//! The introspection stage: whether clients may ask the router about the
//! schema. Off, an operation selecting `__schema` or `__type` is refused
//! (`__typename` is always answered: clients need it to read unions), and
//! validation errors lose their "Did you mean" hints, which would name
//! parts of the schema too.

use apollo_compiler::ExecutableDocument;
use apollo_compiler::executable::Operation;

use crate::graphql;

pub const INTROSPECTION_DISABLED: &str = "INTROSPECTION_DISABLED";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Introspection is turned off on this router, and the operation selects `{field}`.")]
pub struct IntrospectionDisabled {
    pub field: String,
}

impl IntrospectionDisabled {
    pub fn to_graphql_error(&self) -> graphql::Error {
        graphql::Error::coded(self.to_string(), INTROSPECTION_DISABLED)
    }
}

/// Refuses `operation` when it introspects and introspection is off.
pub fn check(
    allowed: bool,
    document: &ExecutableDocument,
    operation: &Operation,
) -> Result<(), IntrospectionDisabled> {
    if allowed {
        return Ok(());
    }
    match operation
        .root_fields(document)
        .find(|field| matches!(field.name.as_str(), "__schema" | "__type"))
    {
        Some(field) => Err(IntrospectionDisabled {
            field: field.name.to_string(),
        }),
        None => Ok(()),
    }
}

/// `message` without a "Did you mean …" hint.
pub fn without_suggestions(message: &str) -> &str {
    match message.find(" Did you mean") {
        Some(at) => &message[..at],
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use apollo_compiler::Schema;

    use super::*;

    fn check_query(allowed: bool, query: &str) -> Result<(), IntrospectionDisabled> {
        let schema = Schema::parse_and_validate("type Query { a: Int }", "schema.graphql").unwrap();
        let document = ExecutableDocument::parse_and_validate(&schema, query, "q.graphql").unwrap();
        let operation = document.operations.iter().next().unwrap();
        check(allowed, &document, operation)
    }

    #[test]
    fn off_refuses_schema_and_type_but_not_typename() {
        assert!(check_query(false, "{ __typename a }").is_ok());
        let err = check_query(false, "{ a __schema { types { name } } }").unwrap_err();
        assert_eq!(err.field, "__schema");
        let through_fragment =
            "query { ...F } fragment F on Query { __type(name: \"Query\") { name } }";
        assert_eq!(
            check_query(false, through_fragment).unwrap_err().field,
            "__type"
        );
        assert!(check_query(true, through_fragment).is_ok());
    }

    #[test]
    fn hints_are_cut_from_messages() {
        assert_eq!(
            without_suggestions(
                r#"Field "a" must have a selection of subfields. Did you mean "a { ... }"?"#
            ),
            r#"Field "a" must have a selection of subfields."#
        );
        assert_eq!(without_suggestions("plain"), "plain");
    }
}
