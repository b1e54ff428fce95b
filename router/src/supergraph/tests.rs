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
