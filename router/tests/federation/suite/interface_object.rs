//! `@interfaceObject`: a subgraph adding fields to every implementation of an
//! entity interface it sees only as one object type.

use serde_json::json;

use crate::kit::{Fixture, Subgraph, Supergraph};

async fn media() -> Fixture {
    Subgraph::new(
        "media",
        r#"
        interface Media @key(fields: "id") { id: ID! title: String! }
        type Book implements Media @key(fields: "id") { id: ID! title: String! pages: Int! }
        type Song implements Media @key(fields: "id") { id: ID! title: String! seconds: Int! }
        type Query { library: [Media!]! }
        "#,
    )
    .root(
        "library",
        json!([
            { "__typename": "Book", "id": "b1", "title": "Dune", "pages": 412 },
            { "__typename": "Song", "id": "s1", "title": "Blue", "seconds": 200 }
        ]),
    )
    .entities(
        "Book",
        json!([{ "id": "b1", "title": "Dune", "pages": 412 }]),
    )
    .entities(
        "Song",
        json!([{ "id": "s1", "title": "Blue", "seconds": 200 }]),
    )
    .start()
    .await
}

async fn stats() -> Fixture {
    Subgraph::new(
        "stats",
        r#"
        type Media @key(fields: "id") @interfaceObject { id: ID! plays: Int! }
        type Query { trending: [Media!]! }
        "#,
    )
    .root(
        "trending",
        json!([{ "id": "s1", "plays": 99 }, { "id": "b1", "plays": 7 }]),
    )
    .entities(
        "Media",
        json!([{ "id": "b1", "plays": 7 }, { "id": "s1", "plays": 99 }]),
    )
    .start()
    .await
}

#[tokio::test]
async fn interface_object_field_is_available_on_every_implementation() {
    let media = media().await;
    let stats = stats().await;
    let supergraph = Supergraph::new(&[&media, &stats]).await;
    let outcome = supergraph
        .query("{ library { title plays ... on Book { pages } } }")
        .await;
    outcome.assert_data(json!({ "library": [
        { "title": "Dune", "plays": 7, "pages": 412 },
        { "title": "Blue", "plays": 99 }
    ] }));
    assert_eq!(stats.entity_requests().len(), 1);
    let reps = crate::kit::all_representations(&stats);
    assert_eq!(
        reps,
        vec![
            json!({ "__typename": "Media", "id": "b1" }),
            json!({ "__typename": "Media", "id": "s1" })
        ],
        "the interface object subgraph only knows the type Media"
    );
}

#[tokio::test]
async fn typename_from_an_interface_object_is_the_concrete_type() {
    let media = media().await;
    let stats = stats().await;
    let supergraph = Supergraph::new(&[&media, &stats]).await;
    let outcome = supergraph
        .query("{ trending { __typename id plays ... on Song { seconds } ... on Book { title } } }")
        .await;
    outcome.assert_data(json!({ "trending": [
        { "__typename": "Song", "id": "s1", "plays": 99, "seconds": 200 },
        { "__typename": "Book", "id": "b1", "plays": 7, "title": "Dune" }
    ] }));
}

#[tokio::test]
async fn interface_object_fields_alone_need_no_type_resolution_for_plain_fields() {
    let media = media().await;
    let stats = stats().await;
    let supergraph = Supergraph::new(&[&media, &stats]).await;
    let outcome = supergraph.query("{ trending { id plays } }").await;
    outcome.assert_data(
        json!({ "trending": [{ "id": "s1", "plays": 99 }, { "id": "b1", "plays": 7 }] }),
    );
    assert_eq!(media.request_count(), 0);
}

#[tokio::test]
async fn interface_object_fields_are_fetched_under_a_concrete_type_condition() {
    let media = media().await;
    let stats = stats().await;
    let supergraph = Supergraph::new(&[&media, &stats]).await;
    let outcome = supergraph
        .query("{ library { ... on Book { title plays } ... on Song { seconds } } }")
        .await;
    outcome.assert_data(json!({ "library": [
        { "title": "Dune", "plays": 7 },
        { "seconds": 200 }
    ] }));
    insta::assert_snapshot!("interface_object_field_under_concrete_type", outcome.plan);
    let outcome = supergraph
        .query("{ trending { ... on Book { plays pages } ... on Song { id } } }")
        .await;
    outcome.assert_data(json!({ "trending": [
        { "id": "s1" },
        { "plays": 7, "pages": 412 }
    ] }));
}

#[tokio::test]
async fn a_type_condition_on_an_interface_object_root_field_resolves_the_concrete_type() {
    let media = media().await;
    let stats = stats().await;
    let supergraph = Supergraph::new(&[&media, &stats]).await;
    let outcome = supergraph
        .query("{ trending { plays ... on Book { id } } }")
        .await;
    outcome.assert_data(json!({ "trending": [{ "plays": 99 }, { "plays": 7, "id": "b1" }] }));
    insta::assert_snapshot!("interface_object_concrete_type_condition", outcome.plan);
}

#[tokio::test]
async fn an_interface_object_field_with_requires_gets_its_requirements() {
    let media = media().await;
    let ratings = Subgraph::new(
        "ratings",
        r#"
        type Media @key(fields: "id") @interfaceObject {
          id: ID!
          title: String! @external
          blurb: String! @requires(fields: "title")
        }
        "#,
    )
    .entities("Media", json!([{ "id": "b1" }, { "id": "s1" }]))
    .resolve("Media", "blurb", |ctx| {
        Ok(json!(format!(
            "{} ({})",
            ctx.get("title").as_str().unwrap_or("?"),
            ctx.get("id").as_str().unwrap_or("?")
        )))
    })
    .start()
    .await;
    let supergraph = Supergraph::new(&[&media, &ratings]).await;
    let outcome = supergraph
        .query("{ library { blurb ... on Song { seconds } } }")
        .await;
    outcome.assert_data(json!({ "library": [
        { "blurb": "Dune (b1)" },
        { "blurb": "Blue (s1)", "seconds": 200 }
    ] }));
    assert_eq!(
        crate::kit::all_representations(&ratings),
        vec![
            json!({ "__typename": "Media", "id": "b1", "title": "Dune" }),
            json!({ "__typename": "Media", "id": "s1", "title": "Blue" })
        ],
        "the requirement travels in the representation, under the interface's name"
    );
    insta::assert_snapshot!("interface_object_requires", outcome.plan);
}
