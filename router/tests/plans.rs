//! Query plans for our own supergraph, as readable text snapshots
//! (`router/tests/snapshots/`). A changed plan shows up as a snapshot diff;
//! accept it with `INSTA_UPDATE=always cargo test -p router --test plans`.

use std::sync::Arc;

use apollo_compiler::ExecutableDocument;
use router::plan::Planner;
use router::supergraph::Supergraph;

fn plan(query: &str) -> String {
    let sdl = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schema/supergraph.graphql"
    ))
    .expect("schema/supergraph.graphql");
    let supergraph = Arc::new(Supergraph::parse(&sdl).expect("supergraph loads"));
    let document =
        ExecutableDocument::parse_and_validate(supergraph.schema(), query, "query.graphql")
            .expect("valid operation");
    let operation = document.operations.iter().next().expect("one operation");
    Planner::new(supergraph)
        .plan(&document, operation)
        .expect("plans")
        .to_string()
}

#[test]
fn single_subgraph_query_is_one_fetch() {
    insta::assert_snapshot!(plan(
        "{ products(first: 3) { edges { node { id sku name } } } }"
    ));
}

#[test]
fn entity_field_from_another_subgraph_is_a_flattened_entity_fetch() {
    insta::assert_snapshot!(plan(
        "{ products(first: 3) { edges { node { name inStock inventory { available } } } } }"
    ));
}

#[test]
fn requires_waits_for_the_required_field() {
    insta::assert_snapshot!(plan(
        "query($id: ID!) { product(id: $id) { stockValue { amount currency } } }"
    ));
}

#[test]
fn provides_saves_a_fetch() {
    // `sku` comes with the order item (`@provides`): no products fetch.
    insta::assert_snapshot!(plan(
        "query($id: ID!) { order(id: $id) { items { product { sku } } } }"
    ));
}

#[test]
fn deep_query_across_all_four_subgraphs() {
    insta::assert_snapshot!(plan(
        "query Deep($id: ID!) { order(id: $id) { id status total { amount currency } items { quantity product { id sku name price { amount } inventory { onHand available } inStock stockValue { amount } } } payments { id status amount { amount } order { id customerEmail } } } }"
    ));
}

#[test]
fn mutations_run_in_order_with_their_entity_fetches() {
    insta::assert_snapshot!(plan(
        "mutation($input: CreateProductInput!, $id: ID!) { created: createProduct(input: $input) { id inStock } adjustStock(productId: $id, delta: 5, reason: \"count\") { onHand } archiveProduct(id: $id) { status } }"
    ));
}

#[test]
fn fragments_aliases_and_conditions_travel_to_the_subgraphs() {
    insta::assert_snapshot!(plan(
        "query($skip: Boolean!) { cheap: products(first: 1, search: \"a\") { ...Row } dear: products(first: 1, search: \"b\") { edges { node { id @skip(if: $skip) ... on Product { inStock } } } } } fragment Row on ProductConnection { edges { node { name } } }"
    ));
}

#[test]
fn planning_past_its_time_limit_is_an_error_not_a_hang() {
    let sdl = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schema/supergraph.graphql"
    ))
    .expect("schema/supergraph.graphql");
    let supergraph = Arc::new(Supergraph::parse(&sdl).expect("supergraph loads"));
    let document = ExecutableDocument::parse_and_validate(
        supergraph.schema(),
        "{ products(first: 3) { edges { node { name inStock } } } }",
        "query.graphql",
    )
    .expect("valid operation");
    let operation = document.operations.iter().next().expect("one operation");
    let limit = std::time::Duration::ZERO;
    let error = Planner::new(supergraph.clone())
        .with_time_limit(limit)
        .plan(&document, operation)
        .expect_err("no time to plan");
    assert!(
        matches!(error, router::plan::PlanError::Timeout(l) if l == limit),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("longer than the limit"),
        "{error}"
    );
    // The default limit leaves ordinary planning alone.
    Planner::new(supergraph)
        .plan(&document, operation)
        .expect("plans within the default limit");
}
