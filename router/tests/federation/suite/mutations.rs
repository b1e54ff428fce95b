//! Mutations: root fields run strictly in order, across subgraphs.

use std::time::Duration;

use serde_json::json;

use crate::kit::{EventLog, Subgraph, Supergraph};

#[tokio::test]
async fn mutation_root_fields_run_strictly_in_order() {
    let log = EventLog::default();
    let ledger_log = log.clone();
    // ledger is slow: a router running mutation fields in parallel lets notify win.
    let ledger = Subgraph::new(
        "ledger",
        r#"
        type Query { balance: Int! }
        type Mutation { credit(amount: Int!): Int! }
        "#,
    )
    .root("balance", json!(0))
    .resolve("Mutation", "credit", move |ctx| {
        let amount = ctx.arg("amount").as_i64().unwrap();
        ledger_log.push(format!("credit {amount}"));
        Ok(json!(amount * 10))
    })
    .latency(Duration::from_millis(150))
    .start()
    .await;
    let notify_log = log.clone();
    let notify = Subgraph::new(
        "notify",
        r#"
        type Query { sent: Int! }
        type Mutation { send(message: String!): String! }
        "#,
    )
    .root("sent", json!(0))
    .resolve("Mutation", "send", move |ctx| {
        let message = ctx.arg("message").as_str().unwrap().to_owned();
        notify_log.push(format!("send {message}"));
        Ok(json!(format!("sent {message}")))
    })
    .start()
    .await;
    let supergraph = Supergraph::new(&[&ledger, &notify]).await;
    let outcome = supergraph
        .query(r#"mutation { a: credit(amount: 1) n: send(message: "hi") b: credit(amount: 2) m: send(message: "bye") }"#)
        .await;
    outcome.assert_data(json!({ "a": 10, "n": "sent hi", "b": 20, "m": "sent bye" }));
    assert_eq!(
        log.entries(),
        ["credit 1", "send hi", "credit 2", "send bye"]
    );
    assert_eq!(ledger.request_count(), 2);
    assert_eq!(notify.request_count(), 2);
}

#[tokio::test]
async fn consecutive_mutation_fields_of_one_subgraph_share_a_request_in_order() {
    let log = EventLog::default();
    let ledger_log = log.clone();
    let ledger = Subgraph::new(
        "ledger",
        r#"
        type Query { balance: Int! }
        type Mutation { credit(amount: Int!): Int! }
        "#,
    )
    .root("balance", json!(0))
    .resolve("Mutation", "credit", move |ctx| {
        let amount = ctx.arg("amount").as_i64().unwrap();
        ledger_log.push(format!("credit {amount}"));
        Ok(json!(amount))
    })
    .start()
    .await;
    let other = Subgraph::new("other", "type Query { ping: Boolean }")
        .root("ping", json!(true))
        .start()
        .await;
    let supergraph = Supergraph::new(&[&ledger, &other]).await;
    let outcome = supergraph
        .query("mutation { x: credit(amount: 3) y: credit(amount: 4) z: credit(amount: 5) }")
        .await;
    outcome.assert_data(json!({ "x": 3, "y": 4, "z": 5 }));
    assert_eq!(log.entries(), ["credit 3", "credit 4", "credit 5"]);
    assert_eq!(ledger.request_count(), 1);
}

#[tokio::test]
async fn mutation_result_entities_are_completed_from_other_subgraphs() {
    let orders = Subgraph::new(
        "orders",
        r#"
        type Booking @key(fields: "id") { id: ID! seats: Int! }
        type Query { booking(id: ID!): Booking }
        type Mutation { book(seats: Int!): Booking! }
        "#,
    )
    .resolve("Mutation", "book", |ctx| {
        Ok(json!({ "id": "bk1", "seats": ctx.arg("seats") }))
    })
    .start()
    .await;
    let venues = Subgraph::new(
        "venues",
        r#"
        type Booking @key(fields: "id") { id: ID! venue: String! }
        "#,
    )
    .entities("Booking", json!([{ "id": "bk1", "venue": "Main hall" }]))
    .start()
    .await;
    let supergraph = Supergraph::new(&[&orders, &venues]).await;
    let outcome = supergraph
        .query("mutation { book(seats: 2) { id seats venue } }")
        .await;
    outcome.assert_data(json!({ "book": { "id": "bk1", "seats": 2, "venue": "Main hall" } }));
    assert_eq!(venues.entity_requests().len(), 1);
    assert!(
        venues.requests()[0].query.trim_start().starts_with("query"),
        "entity fetches after a mutation are queries"
    );
}
