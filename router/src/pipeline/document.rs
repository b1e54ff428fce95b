//! Documents as the later stages need them: parsed, validated and measured
//! once per query text (a bounded cache; failures are cached too), then the
//! request's operation picked from them.

use std::sync::Arc;

use apollo_compiler::ast::OperationType;
use apollo_compiler::executable::Operation;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Name, Schema};

use super::cost::CostModel;
use super::limits::{Exceeded, LimitsConfig, Measurements};
use super::parse::{self, ParseError};
use super::validate::{self, ValidateError};
use crate::authorization::{Guard, Requirements, guards};

/// Why a document could not be prepared.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DocumentError {
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error(transparent)]
    Validate(#[from] ValidateError),
}

impl DocumentError {
    pub fn to_graphql_errors(&self) -> Vec<crate::graphql::Error> {
        match self {
            DocumentError::Parse(err) => err.to_graphql_errors(),
            DocumentError::Validate(err) => err.to_graphql_errors(),
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
    /// The selected operation's shape, for the limits stage.
    pub measurements: Measurements,
    /// Its estimated cost, when no variable changes it.
    pub static_cost: Option<u64>,
    /// The token limit, passed only because it warns.
    pub token_warning: Option<Exceeded>,
    /// The positions of the operation the authorization directives guard.
    pub guards: Arc<[Guard]>,
}

impl Prepared {
    /// The selected operation.
    pub fn operation(&self) -> &Operation {
        self.operation_node()
    }

    /// The selected operation, as the document holds it.
    pub fn operation_node(&self) -> &apollo_compiler::Node<Operation> {
        selected(&self.document, self.operation_name.as_ref())
    }

    pub fn operation_kind(&self) -> OperationType {
        self.operation().operation_type
    }
}

/// The operation `name` selected in `document` (`None`: the anonymous
/// one), which selection has found there.
pub fn selected<'d>(
    document: &'d ExecutableDocument,
    name: Option<&Name>,
) -> &'d apollo_compiler::Node<Operation> {
    let operations = &document.operations;
    match name {
        Some(name) => &operations.named[name],
        None => operations
            .anonymous
            .as_ref()
            .expect("an anonymous operation was selected"),
    }
}

/// About what an entry holds, in bytes: its text, and its document (the
/// syntax tree and executable form take several times the printed text)
/// or its errors.
#[allow(clippy::ptr_arg)] // the weigher takes the cache's key type
fn weight(text: &String, entry: &Result<Arc<Cached>, DocumentError>) -> u32 {
    let held = match entry {
        Ok(cached) => cached.normalized.len().saturating_mul(8),
        Err(err) => err
            .to_graphql_errors()
            .iter()
            .map(|e| e.message.len() + 128)
            .sum(),
    };
    u32::try_from(text.len().saturating_add(held).saturating_add(256)).unwrap_or(u32::MAX)
}

#[derive(Debug)]
struct Cached {
    document: Arc<Valid<ExecutableDocument>>,
    normalized: Arc<str>,
    /// What the later stages need of each operation.
    operations: Vec<OperationFacts>,
    token_warning: Option<Exceeded>,
}

/// One operation's measurements, static cost and guarded positions.
#[derive(Debug)]
struct OperationFacts {
    /// `None`: the anonymous operation.
    name: Option<Name>,
    measurements: Measurements,
    static_cost: Option<u64>,
    guards: Arc<[Guard]>,
}

/// Parses, validates and measures documents against one API schema.
pub struct Documents {
    schema: Arc<Valid<Schema>>,
    limits: LimitsConfig,
    /// "Did you mean" hints in validation errors.
    suggestions: bool,
    /// For the static cost of each operation.
    cost: Option<Arc<CostModel>>,
    /// For the guarded positions of each operation.
    requirements: Option<Arc<Requirements>>,
    cache: moka::sync::Cache<String, Result<Arc<Cached>, DocumentError>>,
}

impl Documents {
    /// Documents cached up to about `cache_bytes` in all (texts, their
    /// parsed forms and errors): hostile texts are large, and the count of
    /// entries alone would not bound the memory they hold.
    pub fn new(schema: Arc<Valid<Schema>>, limits: LimitsConfig, cache_bytes: u64) -> Self {
        Documents {
            schema,
            limits,
            suggestions: true,
            cost: None,
            requirements: None,
            cache: moka::sync::Cache::builder()
                .weigher(weight)
                .max_capacity(cache_bytes)
                .build(),
        }
    }

    /// Leaves "Did you mean" hints out of validation errors when `false`.
    pub fn with_suggestions(mut self, suggestions: bool) -> Self {
        self.suggestions = suggestions;
        self
    }

    /// Works out each operation's cost once, when variables cannot change it.
    pub fn with_cost(mut self, cost: Arc<CostModel>) -> Self {
        self.cost = Some(cost);
        self
    }

    /// Finds each operation's positions guarded by authorization
    /// directives once.
    pub fn with_requirements(mut self, requirements: Arc<Requirements>) -> Self {
        self.requirements = (!requirements.is_empty()).then_some(requirements);
        self
    }

    /// `text` normalized as the cache keys it; `None` when it does not
    /// parse and validate.
    pub fn normalized(&self, text: &str) -> Option<Arc<str>> {
        let cached = self
            .cache
            .get_with_by_ref(text, || self.prepare_uncached(text))
            .ok()?;
        Some(cached.normalized.clone())
    }

    pub fn schema(&self) -> &Arc<Valid<Schema>> {
        &self.schema
    }

    /// `query` prepared (or found in the cache), with the operation named
    /// `operation_name` selected.
    pub fn prepare(
        &self,
        query: &str,
        operation_name: Option<&str>,
    ) -> Result<Prepared, DocumentError> {
        let cached = self
            .cache
            .get_with_by_ref(query, || self.prepare_uncached(query))?;
        let operation_name = validate::select_operation(&cached.document, operation_name)?;
        let facts = cached
            .operations
            .iter()
            .find(|facts| facts.name == operation_name);
        Ok(Prepared {
            document: cached.document.clone(),
            normalized: cached.normalized.clone(),
            measurements: facts.map(|f| f.measurements).unwrap_or_default(),
            static_cost: facts.and_then(|f| f.static_cost),
            guards: facts.map_or_else(|| Arc::from([]), |f| f.guards.clone()),
            token_warning: cached.token_warning,
            operation_name,
        })
    }

    fn prepare_uncached(&self, query: &str) -> Result<Arc<Cached>, DocumentError> {
        // Spans only here, where the work is: a cached document costs a lookup.
        let parsed =
            tracing::info_span!("router.parse").in_scope(|| parse::parse(query, &self.limits))?;
        let document = tracing::info_span!("router.validate")
            .in_scope(|| validate::validate(&self.schema, &parsed.document, self.suggestions))?;
        let count_introspection = self.limits.count_introspection;
        let operations = document
            .operations
            .iter()
            .map(|operation| OperationFacts {
                name: operation.name.clone(),
                measurements: Measurements::of(&document, operation, count_introspection),
                static_cost: self
                    .cost
                    .as_ref()
                    .and_then(|cost| cost.estimate_static(&document, operation)),
                guards: match &self.requirements {
                    Some(requirements) => {
                        guards::find(requirements, &document, &operation.selection_set).into()
                    }
                    None => Arc::from([]),
                },
            })
            .collect();
        Ok(Arc::new(Cached {
            normalized: document.serialize().no_indent().to_string().into(),
            document: Arc::new(document),
            operations,
            token_warning: parsed.warned,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::validate::{OPERATION_NAME_REQUIRED, OPERATION_NOT_FOUND};

    fn documents() -> Documents {
        let schema = Schema::parse_and_validate(
            r#"
            type Query { product(id: ID!): Product products(first: Int = 10): [Product!]! }
            type Mutation { rename(id: ID!, name: String!): Product }
            type Product { id: ID! name: String! }
            "#,
            "api.graphql",
        )
        .unwrap();
        Documents::new(Arc::new(schema), LimitsConfig::default(), 1 << 20)
    }

    fn code(err: &DocumentError) -> String {
        err.to_graphql_errors()[0].extensions["code"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn prepares_each_text_once() {
        let documents = documents();
        let first = documents
            .prepare("query P($id: ID!) { product(id: $id) { name } }", None)
            .unwrap();
        assert_eq!(first.operation_name.as_deref(), Some("P"));
        assert_eq!(first.operation_kind(), OperationType::Query);
        let second = documents
            .prepare("query P($id: ID!) { product(id: $id) { name } }", None)
            .unwrap();
        assert!(
            Arc::ptr_eq(&first.document, &second.document),
            "parsed once"
        );
        let reformatted = documents
            .prepare(
                "query P($id: ID!) {\n  product(id: $id) {\n    name\n  }\n}",
                None,
            )
            .unwrap();
        assert_eq!(reformatted.normalized, first.normalized);
    }

    #[test]
    fn each_operation_comes_with_its_own_measurements() {
        let documents = documents();
        let two =
            "query A { products { id } } query B { a: products { id } b: product(id: 1) { name } }";
        let a = documents.prepare(two, Some("A")).unwrap();
        let b = documents.prepare(two, Some("B")).unwrap();
        assert_eq!((a.measurements.root_fields, a.measurements.aliases), (1, 0));
        assert_eq!((b.measurements.root_fields, b.measurements.aliases), (2, 2));
    }

    #[test]
    fn selects_operations_per_spec() {
        let documents = documents();
        let two = "query A { products { id } } query B { products { name } }";
        let err = documents.prepare(two, None).unwrap_err();
        assert_eq!(code(&err), OPERATION_NAME_REQUIRED);
        let err = documents.prepare(two, Some("C")).unwrap_err();
        assert_eq!(code(&err), OPERATION_NOT_FOUND);
        assert!(err.to_graphql_errors()[0].message.contains("\"C\""));
        let b = documents.prepare(two, Some("B")).unwrap();
        assert_eq!(b.operation().name.as_deref(), Some("B"));
        let anonymous = documents
            .prepare("{ products { id } }", Some("A"))
            .unwrap_err();
        assert!(matches!(
            anonymous,
            DocumentError::Validate(ValidateError::OperationNotFound(_))
        ));
        let mutation = documents
            .prepare("mutation { rename(id: 1, name: \"x\") { id } }", None)
            .unwrap();
        assert_eq!(mutation.operation_kind(), OperationType::Mutation);
        assert!(mutation.operation_name.is_none());
    }

    #[test]
    fn validation_errors_have_locations_and_the_validation_code() {
        let err = documents()
            .prepare("{\n  product(id: 1) { nope }\n}", None)
            .unwrap_err();
        assert!(matches!(
            err,
            DocumentError::Validate(ValidateError::Invalid(_))
        ));
        let errors = err.to_graphql_errors();
        let nope = errors
            .iter()
            .find(|e| e.message.contains("nope"))
            .expect("names the field");
        assert_eq!(nope.locations[0].line, 2);
        assert!(
            errors
                .iter()
                .all(|e| e.extensions["code"] == validate::VALIDATION_FAILED)
        );
    }

    #[test]
    fn documents_without_operations_are_rejected() {
        let err = documents()
            .prepare("fragment F on Product { id }", None)
            .unwrap_err();
        assert_eq!(code(&err), validate::VALIDATION_FAILED);
    }

    #[test]
    fn variables_are_coerced_with_defaults_and_bad_ones_are_bad_user_input() {
        let documents = documents();
        let prepared = documents
            .prepare(
                "query($n: Int = 3, $id: ID!) { products(first: $n) { id } product(id: $id) { id } }",
                None,
            )
            .unwrap();
        let coerce = |raw: serde_json::Value| {
            validate::coerce_variables(
                documents.schema(),
                &prepared.document,
                prepared.operation(),
                raw.as_object().unwrap(),
            )
        };
        let variables = coerce(serde_json::json!({"id": 7})).unwrap();
        assert_eq!(variables.json["n"], 3);
        assert_eq!(variables.json["id"], 7, "an Int is a valid ID");
        for bad in [
            serde_json::json!({"n": "x", "id": 1}),
            serde_json::json!({"id": {"no": 1}}),
            serde_json::json!({}),
        ] {
            let err = coerce(bad.clone()).unwrap_err();
            assert_eq!(
                err.to_graphql_errors()[0].extensions["code"],
                validate::BAD_USER_INPUT,
                "{bad}"
            );
        }
    }
}
