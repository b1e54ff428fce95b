//! `@shareable` fields and root fields several subgraphs can resolve: one fetch suffices.

use serde_json::json;

use crate::kit::{Fixture, Subgraph, Supergraph};

async fn places() -> Fixture {
    Subgraph::new(
        "places",
        r#"
        type Location @key(fields: "id") { id: ID! name: String! @shareable country: String! }
        type Query { location(id: ID!): Location version: String! @shareable }
        "#,
    )
    .root_with_args(
        "location",
        json!({ "id": "l1" }),
        json!({ "id": "l1", "name": "Lisbon", "country": "PT" }),
    )
    .root("version", json!("v1"))
    .entities(
        "Location",
        json!([{ "id": "l1", "name": "Lisbon", "country": "PT" }]),
    )
    .start()
    .await
}

async fn geo() -> Fixture {
    Subgraph::new(
        "geo",
        r#"
        type Location @key(fields: "id") { id: ID! name: String! @shareable elevation: Int! }
        type Query { version: String! @shareable nearest: Location }
        "#,
    )
    .root("version", json!("v1"))
    .root(
        "nearest",
        json!({ "id": "l1", "name": "Lisbon", "elevation": 100 }),
    )
    .entities(
        "Location",
        json!([{ "id": "l1", "name": "Lisbon", "elevation": 100 }]),
    )
    .start()
    .await
}

#[tokio::test]
async fn shareable_field_is_taken_from_the_subgraph_already_fetched() {
    let places = places().await;
    let geo = geo().await;
    let supergraph = Supergraph::new(&[&places, &geo]).await;
    let outcome = supergraph
        .query(r#"{ location(id: "l1") { name country } }"#)
        .await;
    outcome.assert_data(json!({ "location": { "name": "Lisbon", "country": "PT" } }));
    assert_eq!(places.request_count(), 1);
    assert_eq!(geo.request_count(), 0);

    let outcome = supergraph.query("{ nearest { name elevation } }").await;
    outcome.assert_data(json!({ "nearest": { "name": "Lisbon", "elevation": 100 } }));
    assert_eq!(
        places.request_count(),
        1,
        "name comes with nearest from geo"
    );
    assert_eq!(geo.request_count(), 1);
}

#[tokio::test]
async fn shareable_root_field_is_fetched_once() {
    let places = places().await;
    let geo = geo().await;
    let supergraph = Supergraph::new(&[&places, &geo]).await;
    let outcome = supergraph.query("{ version }").await;
    outcome.assert_data(json!({ "version": "v1" }));
    assert_eq!(places.request_count() + geo.request_count(), 1);
}

#[tokio::test]
async fn shareable_root_field_joins_the_fetch_of_another_root_field() {
    let places = places().await;
    let geo = geo().await;
    let supergraph = Supergraph::new(&[&places, &geo]).await;
    let outcome = supergraph
        .query(r#"{ version location(id: "l1") { country } }"#)
        .await;
    outcome.assert_data(json!({ "version": "v1", "location": { "country": "PT" } }));
    assert_eq!(places.request_count(), 1);
    assert_eq!(geo.request_count(), 0);

    let outcome = supergraph.query("{ nearest { elevation } version }").await;
    outcome.assert_data(json!({ "nearest": { "elevation": 100 }, "version": "v1" }));
    assert_eq!(places.request_count(), 1);
    assert_eq!(geo.request_count(), 1);
}
