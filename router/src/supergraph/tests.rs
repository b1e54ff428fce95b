//! Loading supergraphs written by Apollo's composition (join v0.5 here), and
//! refusing malformed ones with a message that names the problem.

use std::sync::Arc;

use apollo_compiler::ExecutableDocument;

use super::{ActiveLabels, Supergraph, SupergraphError};
use crate::plan::Planner;

const APOLLO_V05: &str = r#"
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)
{
  query: Query
}

directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @join__directive(graphs: [join__Graph!], name: String!, args: join__DirectiveArguments) repeatable on SCHEMA | OBJECT | INTERFACE | FIELD_DEFINITION
directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean, overrideLabel: String, contextArguments: [join__ContextArgument!]) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA

input join__ContextArgument { name: String! type: String! context: String! selection: join__FieldValue! }
scalar join__DirectiveArguments
scalar join__FieldSet
scalar join__FieldValue
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }

enum join__Graph {
  ACCOUNTS @join__graph(name: "accounts", url: "http://accounts.local/graphql")
  REVIEWS @join__graph(name: "reviews", url: "http://reviews.local/graphql")
}

type Query @join__type(graph: ACCOUNTS) @join__type(graph: REVIEWS) {
  me: User @join__field(graph: ACCOUNTS)
  secret: String @inaccessible @join__field(graph: ACCOUNTS)
}

type User @join__type(graph: ACCOUNTS, key: "id") @join__type(graph: REVIEWS, key: "id", extension: true) {
  id: ID!
  name: String @join__field(graph: ACCOUNTS)
  role: Role @join__field(graph: ACCOUNTS)
  reviews: [Review] @join__field(graph: REVIEWS, overrideLabel: "percent(10)", override: "accounts")
}

type Review @join__type(graph: REVIEWS) {
  body: String
}

enum Role @join__type(graph: ACCOUNTS) {
  ADMIN @join__enumValue(graph: ACCOUNTS)
  MEMBER @join__enumValue(graph: ACCOUNTS)
}
"#;

#[test]
fn loads_an_apollo_join_v05_supergraph_and_plans_across_it() {
    let supergraph = Arc::new(Supergraph::parse(APOLLO_V05).expect("Apollo supergraph loads"));
    let names: Vec<&str> = supergraph
        .subgraphs()
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["accounts", "reviews"]);
    assert_eq!(supergraph.subgraph(1).url, "http://reviews.local/graphql");
    let document = ExecutableDocument::parse_and_validate(
        supergraph.schema(),
        "{ me { name role reviews { body } } }",
        "q.graphql",
    )
    .expect("valid");
    let operation = document.operations.iter().next().expect("operation");
    let plan = Planner::new(supergraph.clone())
        .plan(&document, operation)
        .expect("plans");
    let text = plan.to_string();
    assert!(text.contains(r#"Fetch(service: "accounts")"#), "{text}");
    assert!(
        text.contains(r#"Flatten(path: "me")"#) && text.contains(r#"Fetch(service: "reviews")"#),
        "{text}"
    );
}

#[test]
fn a_progressive_override_plans_each_side_of_its_label() {
    // As Apollo's composition writes it: both sides carry the label.
    let sdl = APOLLO_V05
        .replace(
            r#"reviews: [Review] @join__field(graph: REVIEWS, overrideLabel: "percent(10)", override: "accounts")"#,
            r#"reviews: [Review] @join__field(graph: ACCOUNTS, overrideLabel: "percent(10)", usedOverridden: true) @join__field(graph: REVIEWS, overrideLabel: "percent(10)", override: "accounts")"#,
        )
        .replace(
            "type Review @join__type(graph: REVIEWS) {",
            "type Review @join__type(graph: ACCOUNTS) @join__type(graph: REVIEWS) {",
        );
    let supergraph = Arc::new(Supergraph::parse(&sdl).expect("loads"));
    assert_eq!(
        supergraph.override_labels(),
        [crate::supergraph::OverrideLabel::parse("percent(10)")]
    );
    let document = ExecutableDocument::parse_and_validate(
        supergraph.schema(),
        "{ me { name reviews { body } } }",
        "q.graphql",
    )
    .expect("valid");
    let operation = document.operations.iter().next().expect("operation");
    let planner = Planner::new(supergraph.clone());
    let off = planner
        .plan_with(&document, operation, ActiveLabels::NONE)
        .expect("plans")
        .to_string();
    let on = planner
        .plan_with(&document, operation, ActiveLabels::NONE.with(0))
        .expect("plans")
        .to_string();
    assert!(
        !off.contains("reviews\""),
        "label off: accounts keeps the field\n{off}"
    );
    assert!(off.contains("name reviews { body }"), "{off}");
    assert!(
        on.contains(r#"Fetch(service: "reviews")"#),
        "label on: reviews answers\n{on}"
    );
    assert!(!on.contains("name reviews"), "{on}");
}

#[test]
fn malformed_supergraphs_are_refused_with_the_reason() {
    let not_federated = "type Query { a: Int }";
    assert!(matches!(
        Supergraph::parse(not_federated),
        Err(SupergraphError::NotFederated(_))
    ));

    let unknown_graph = APOLLO_V05.replace(
        "@join__field(graph: ACCOUNTS)\n  role",
        "@join__field(graph: BILLING)\n  role",
    );
    match Supergraph::parse(&unknown_graph) {
        Err(SupergraphError::Invalid(msg)) | Err(SupergraphError::Inconsistent(msg)) => {
            assert!(msg.contains("BILLING"), "{msg}")
        }
        other => panic!("expected an error naming BILLING, got {:?}", other.err()),
    }

    let bad_key = APOLLO_V05.replace(r#"key: "id")"#, r#"key: "uuid")"#);
    match Supergraph::parse(&bad_key) {
        Err(SupergraphError::Inconsistent(msg)) => assert!(msg.contains("uuid"), "{msg}"),
        other => panic!("expected an inconsistent key, got {:?}", other.err()),
    }

    let syntax = APOLLO_V05.replace("type Review", "type Review {");
    assert!(matches!(
        Supergraph::parse(&syntax),
        Err(SupergraphError::Invalid(_))
    ));
}

/// [`APOLLO_V05`] with the context spec linked, `User` setting context
/// `accounts__viewer`, and `User.greeting` reading it as `@join__field`
/// writes `contextArguments`.
fn with_context(argument: &str) -> String {
    APOLLO_V05
        .replace(
            "@link(url: \"https://specs.apollo.dev/inaccessible/v0.2\", for: SECURITY)\n",
            "@link(url: \"https://specs.apollo.dev/inaccessible/v0.2\", for: SECURITY)\n  @link(url: \"https://specs.apollo.dev/context/v0.1\", for: SECURITY)\n",
        )
        .replace(
            "directive @inaccessible",
            "directive @context(name: String!) repeatable on INTERFACE | OBJECT | UNION\ndirective @inaccessible",
        )
        .replace(
            "type User @join__type(graph: ACCOUNTS, key: \"id\")",
            "type User @context(name: \"accounts__viewer\") @join__type(graph: ACCOUNTS, key: \"id\")",
        )
        .replace(
            "  name: String @join__field(graph: ACCOUNTS)\n",
            &format!(
                "  name: String @join__field(graph: ACCOUNTS)\n  greeting: String @join__field(graph: ACCOUNTS, contextArguments: [{argument}])\n"
            ),
        )
}

#[test]
fn context_arguments_are_read_with_the_types_that_set_them() {
    let sdl = with_context(
        r#"{context: "accounts__viewer", name: "lang", type: "String!", selection: "{ name }"}"#,
    );
    let supergraph = Supergraph::parse(&sdl).expect("loads");
    assert_eq!(supergraph.context_types("accounts__viewer"), ["User"]);
    let source = supergraph
        .field_source("User", "greeting", 0)
        .expect("accounts resolves it");
    let [argument] = source.contexts.as_slice() else {
        panic!("one context argument: {:?}", source.contexts);
    };
    assert_eq!(argument.name, "lang");
    assert_eq!(argument.ty.to_string(), "String!");
    assert_eq!(argument.selections.len(), 1);
    assert_eq!(argument.selections[0].0, "User");
    assert!(source.needs_entity_fetch());
    // The API schema has neither the argument nor the context machinery.
    let api = crate::api_schema::derive(supergraph.schema()).expect("API schema");
    let printed = crate::api_schema::print(&api);
    assert!(printed.contains("greeting: String\n"), "{printed}");
    assert!(!printed.contains("context"), "{printed}");
}

#[test]
fn a_context_argument_naming_an_unknown_context_or_field_is_refused() {
    let unknown = with_context(
        r#"{context: "accounts__nobody", name: "lang", type: "String", selection: "{ name }"}"#,
    );
    match Supergraph::parse(&unknown) {
        Err(SupergraphError::Inconsistent(msg)) => {
            assert!(
                msg.contains("accounts__nobody") && msg.contains("User.greeting"),
                "{msg}"
            )
        }
        other => panic!("expected an unknown context, got {:?}", other.err()),
    }
    let bad_field = with_context(
        r#"{context: "accounts__viewer", name: "lang", type: "String", selection: "{ nickname }"}"#,
    );
    match Supergraph::parse(&bad_field) {
        Err(SupergraphError::Inconsistent(msg)) => assert!(msg.contains("nickname"), "{msg}"),
        other => panic!("expected a bad selection, got {:?}", other.err()),
    }
}
