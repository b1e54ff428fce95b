//! `@override`: a field moved from one subgraph to another.

use serde_json::json;

use crate::kit::{Subgraph, Supergraph};

#[tokio::test]
async fn overridden_field_is_resolved_by_the_new_owner_only() {
    // billing can no longer resolve `amount`: asking it would fail.
    let billing = Subgraph::new(
        "billing",
        r#"
        type Invoice @key(fields: "id") { id: ID! number: String! amount: Int! }
        type Query { invoices: [Invoice!]! }
        "#,
    )
    .root(
        "invoices",
        json!([
            { "id": "i1", "number": "2024-1", "amount": { "__error": "amount moved to payments" } },
            { "id": "i2", "number": "2024-2", "amount": { "__error": "amount moved to payments" } }
        ]),
    )
    .start()
    .await;
    let payments = Subgraph::new(
        "payments",
        r#"
        type Invoice @key(fields: "id") { id: ID! amount: Int! @override(from: "billing") }
        "#,
    )
    .entities(
        "Invoice",
        json!([{ "id": "i1", "amount": 120 }, { "id": "i2", "amount": 80 }]),
    )
    .start()
    .await;
    let supergraph = Supergraph::new(&[&billing, &payments]);
    let outcome = supergraph.query("{ invoices { number amount } }").await;
    outcome.assert_data(json!({ "invoices": [{ "number": "2024-1", "amount": 120 }, { "number": "2024-2", "amount": 80 }] }));
    for request in billing.requests() {
        assert!(
            !request.query.contains("amount"),
            "billing asked for an overridden field: {}",
            request.query
        );
    }
    assert_eq!(payments.entity_requests().len(), 1);
}

#[tokio::test]
async fn override_on_an_interface_implementation() {
    let catalog = Subgraph::new(
        "catalog",
        r#"
        interface Media { id: ID! title: String! }
        type Book implements Media @key(fields: "id") { id: ID! title: String! }
        type Movie implements Media @key(fields: "id") { id: ID! title: String! }
        type Query { media: [Media!]! }
        "#,
    )
    .root("media", json!([
        { "__typename": "Book", "id": "b1", "title": "Dune" },
        { "__typename": "Movie", "id": "m1", "title": { "__error": "movie titles moved to films" } }
    ]))
    .start()
    .await;
    let films = Subgraph::new(
        "films",
        r#"
        type Movie @key(fields: "id") { id: ID! title: String! @override(from: "catalog") }
        "#,
    )
    .entities("Movie", json!([{ "id": "m1", "title": "Alien" }]))
    .start()
    .await;
    let supergraph = Supergraph::new(&[&catalog, &films]);
    let outcome = supergraph.query("{ media { __typename id title } }").await;
    outcome.assert_data(json!({ "media": [
        { "__typename": "Book", "id": "b1", "title": "Dune" },
        { "__typename": "Movie", "id": "m1", "title": "Alien" }
    ] }));
    assert_eq!(films.entity_requests().len(), 1);
    assert_eq!(
        crate::kit::all_representations(&films),
        vec![json!({ "__typename": "Movie", "id": "m1" })]
    );
}
