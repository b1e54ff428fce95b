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
    let supergraph = Supergraph::new(&[&billing, &payments]).await;
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
    let supergraph = Supergraph::new(&[&catalog, &films]).await;
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

const LINK_2_7: &str = r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@override"])"#;

/// `amount` moves from billing (which answers 1) to payments (which answers
/// 2) for `percent` % of requests.
async fn progressive(percent: &str) -> (crate::kit::Fixture, crate::kit::Fixture) {
    let billing = Subgraph::new(
        "billing",
        &format!(
            r#"{LINK_2_7}
            type Invoice @key(fields: "id") {{ id: ID! number: String! amount: Int! }}
            type Query {{ invoice: Invoice }}
            "#
        ),
    )
    .root(
        "invoice",
        json!({ "id": "i1", "number": "2024-1", "amount": 1 }),
    )
    .start()
    .await;
    let payments = Subgraph::new(
        "payments",
        &format!(
            r#"{LINK_2_7}
            type Invoice @key(fields: "id") {{ id: ID! amount: Int! @override(from: "billing", label: "percent({percent})") }}
            "#
        ),
    )
    .entities("Invoice", json!([{ "id": "i1", "amount": 2 }]))
    .start()
    .await;
    (billing, payments)
}

/// How many of `runs` requests payments answered.
async fn moved(supergraph: &Supergraph, runs: usize) -> usize {
    let mut moved = 0;
    for _ in 0..runs {
        let outcome = supergraph.query("{ invoice { number amount } }").await;
        let amount = outcome.data()["invoice"]["amount"].clone();
        assert!(
            amount == json!(1) || amount == json!(2),
            "{:#}",
            outcome.value
        );
        assert!(outcome.errors().is_empty(), "{:#}", outcome.value);
        moved += usize::from(amount == json!(2));
    }
    moved
}

#[tokio::test]
async fn a_progressive_override_moves_its_share_of_requests() {
    let (billing, payments) = progressive("25").await;
    let supergraph = Supergraph::new(&[&billing, &payments]).await;
    assert!(
        supergraph.sdl.contains(r#"overrideLabel: "percent(25)""#),
        "{}",
        supergraph.sdl
    );
    assert!(
        supergraph
            .sdl
            .contains("https://specs.apollo.dev/join/v0.4"),
        "labels are join v0.4's"
    );
    // 400 draws of p = 0.25: mean 100, standard deviation 8.7; five
    // deviations either side fail a correct router once in millions of runs.
    let runs = 400;
    let moved = moved(&supergraph, runs).await;
    assert!(
        (57..=143).contains(&moved),
        "{moved} of {runs} requests moved"
    );
    // Each request went to exactly one owner of `amount`.
    let asked_billing = billing
        .requests()
        .iter()
        .filter(|r| r.query.contains("amount"))
        .count();
    assert_eq!(asked_billing + payments.entity_requests().len(), runs);
}

#[tokio::test]
async fn a_progressive_override_at_0_and_100_percent_is_all_or_nothing() {
    let (billing, payments) = progressive("0").await;
    let supergraph = Supergraph::new(&[&billing, &payments]).await;
    assert_eq!(moved(&supergraph, 50).await, 0);
    assert_eq!(payments.request_count(), 0);
    let (billing, payments) = progressive("100").await;
    let supergraph = Supergraph::new(&[&billing, &payments]).await;
    assert_eq!(moved(&supergraph, 50).await, 50);
    assert!(
        billing
            .requests()
            .iter()
            .all(|r| !r.query.contains("amount"))
    );
}
