//! `_entities` resolves a whole batch of representations with one statement.

use serde_json::{Value, json};
use subgraph_kit::both_backends;
use subgraph_kit::testing::Backend;

use crate::helpers::{APPROVED, card_input, invoice_input, order_id, spawn_app};

both_backends!(
    hundred_payments_cost_one_statement,
    hundred_orders_payments_cost_one_statement,
    a_payments_order_lists_the_orders_payments,
);

const MISSING: &str = "0192f0c4-0000-7000-8000-000000000000";

async fn hundred_payments_cost_one_statement(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut ids = Vec::new();
    for _ in 0..100 {
        let payment = app
            .given_payment(card_input(&order_id(), 100, APPROVED))
            .await;
        ids.push(payment["id"].clone());
    }
    let mut reps: Vec<Value> = ids
        .iter()
        .map(|id| json!({ "__typename": "Payment", "id": id }))
        .collect();
    reps.insert(50, json!({ "__typename": "Payment", "id": MISSING }));
    reps.push(json!({ "__typename": "Payment", "id": "not-a-uuid" }));

    app.statements.reset();
    let response = app
        .query(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Payment { id status } } }",
            json!({ "r": reps }),
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
        "a missing payment is null, not an error"
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
    assert!(
        entities
            .iter()
            .filter_map(|e| e["status"].as_str())
            .all(|s| s == "AUTHORIZED")
    );
}

async fn hundred_orders_payments_cost_one_statement(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let orders: Vec<String> = (0..100).map(|_| order_id()).collect();
    let mut expected: Vec<Vec<Value>> = Vec::new();
    for (i, order) in orders.iter().enumerate() {
        let mut ids = vec![app.given_payment(card_input(order, 100, APPROVED)).await["id"].clone()];
        if i % 10 == 0 {
            ids.push(app.given_payment(invoice_input(order, 100)).await["id"].clone());
        }
        expected.push(ids);
    }
    let mut reps: Vec<Value> = orders
        .iter()
        .map(|id| json!({ "__typename": "Order", "id": id }))
        .collect();
    reps.push(json!({ "__typename": "Order", "id": MISSING }));
    reps.push(json!({ "__typename": "Order", "id": "not-a-uuid" }));

    app.statements.reset();
    let response = app
        .query(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id payments { id status } } } }",
            json!({ "r": reps }),
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
    for (i, ids) in expected.iter().enumerate() {
        assert_eq!(entities[i]["id"], orders[i].as_str());
        let got: Vec<&Value> = entities[i]["payments"]
            .as_array()
            .expect("payments")
            .iter()
            .map(|p| &p["id"])
            .collect();
        assert_eq!(
            got,
            ids.iter().collect::<Vec<_>>(),
            "order {i}, oldest first"
        );
    }
    assert_eq!(
        entities[100],
        json!({ "id": MISSING, "payments": [] }),
        "an order without payments has none"
    );
    assert_eq!(
        entities[101],
        Value::Null,
        "a key that is not a UUID is null"
    );
}

async fn a_payments_order_lists_the_orders_payments(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let order = order_id();
    let first = app
        .given_payment(card_input(&order, 100, "4000000000000002"))
        .await;
    let second = app.given_payment(card_input(&order, 100, APPROVED)).await;
    app.given_payment(card_input(&order_id(), 100, APPROVED))
        .await;
    let response = app
        .query(
            "query($id: ID!) { payment(id: $id) { order { id payments { id status } } } }",
            json!({ "id": second["id"] }),
        )
        .await;
    assert_eq!(
        response.data()["payment"]["order"],
        json!({ "id": order, "payments": [
            { "id": first["id"], "status": "DECLINED" },
            { "id": second["id"], "status": "AUTHORIZED" },
        ] })
    );
}
