//! `_entities` and the per-order lists are batched: one statement per kind
//! of row, whatever the number of orders.

use serde_json::{Value, json};
use subgraph_kit::both_backends;
use subgraph_kit::testing::Backend;

use crate::helpers::spawn_quiet_app;

both_backends!(
    hundred_orders_cost_one_statement,
    items_and_history_cost_one_statement_each
);

const MISSING: &str = "0192f0c4-0000-7000-8000-000000000000";

async fn given_orders(app: &crate::helpers::TestApp, n: usize) -> Vec<Value> {
    let book = app.given_product("book-1", 100, "USD").await;
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let email = format!("c{i}@example.com");
        ids.push(json!(app.given_order(&email, &[(&book, 1)]).await));
    }
    ids
}

fn representations(ids: &[Value]) -> Vec<Value> {
    let mut reps: Vec<Value> = ids
        .iter()
        .map(|id| json!({ "__typename": "Order", "id": id }))
        .collect();
    // An unknown order in the middle, an impossible id at the end.
    reps.insert(
        reps.len() / 2,
        json!({ "__typename": "Order", "id": MISSING }),
    );
    reps.push(json!({ "__typename": "Order", "id": "not-even-a-uuid" }));
    reps
}

async fn hundred_orders_cost_one_statement(backend: Backend) {
    let Some(app) = spawn_quiet_app(backend).await else {
        return;
    };
    let ids = given_orders(&app, 100).await;

    app.quiesce().await;
    let response = app
        .query(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id status customerEmail total { amount currency } } } }",
            json!({ "r": representations(&ids) }),
        )
        .await;
    let entities = response.data()["_entities"]
        .as_array()
        .expect("entities")
        .clone();
    assert_eq!(
        app.statements.get(),
        1,
        "expected one statement, got {:#?}",
        app.statements.statements()
    );
    assert_eq!(entities.len(), 102);
    assert_eq!(
        entities[50],
        Value::Null,
        "a missing order is null, not an error"
    );
    assert_eq!(entities[101], Value::Null);
    let resolved: Vec<&Value> = entities
        .iter()
        .filter(|e| !e.is_null())
        .map(|e| &e["id"])
        .collect();
    assert_eq!(
        resolved,
        ids.iter().collect::<Vec<_>>(),
        "in representation order"
    );
    assert_eq!(entities[0]["customerEmail"], "c0@example.com");
    assert_eq!(entities[0]["status"], "CONFIRMED");
    assert_eq!(
        entities[0]["total"],
        json!({ "amount": 100, "currency": "USD" })
    );
}

async fn items_and_history_cost_one_statement_each(backend: Backend) {
    let Some(app) = spawn_quiet_app(backend).await else {
        return;
    };
    let ids = given_orders(&app, 20).await;

    app.quiesce().await;
    let response = app
        .query(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id items { product { id sku } quantity } statusHistory { status } } } }",
            json!({ "r": representations(&ids) }),
        )
        .await;
    let entities = response.data()["_entities"].as_array().expect("entities");
    assert_eq!(
        app.statements.get(),
        3,
        "orders, items, history: {:#?}",
        app.statements.statements()
    );
    assert_eq!(entities[0]["items"][0]["product"]["sku"], "BOOK-1");
    assert_eq!(
        entities[0]["statusHistory"],
        json!([{ "status": "PENDING" }, { "status": "CONFIRMED" }])
    );
    assert_eq!(entities[10], Value::Null);
    assert_eq!(entities.len(), 22);

    app.quiesce().await;
    let listed = app
        .query(
            "{ orders(first: 100) { edges { node { id items { quantity } statusHistory { status } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed.data()["orders"]["edges"].as_array().map(Vec::len),
        Some(20)
    );
    assert_eq!(
        app.statements.get(),
        3,
        "{:#?}",
        app.statements.statements()
    );
}
