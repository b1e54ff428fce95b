//! `_entities` for `Product`: stock fields for a whole batch of products
//! cost one statement, and `stockValue` uses the price the router supplies.

use serde_json::{Value, json};
use subgraph_kit::both_backends;
use subgraph_kit::testing::Backend;

use crate::helpers::{new_id, spawn_app};

both_backends!(
    hundred_representations_cost_one_statement,
    stock_value_multiplies_on_hand_by_the_supplied_price,
    stock_value_refuses_overflow_and_a_missing_price,
);

const STOCK: &str = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id inventory { onHand available } inStock } } }";
const VALUE: &str = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id stockValue { amount currency } } } }";

async fn hundred_representations_cost_one_statement(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // Even products have i units on hand; odd ones were never stocked.
    let mut ids = Vec::new();
    for i in 0..100 {
        ids.push(if i % 2 == 0 && i > 0 {
            app.given_stock(i).await
        } else {
            new_id()
        });
    }
    let mut reps: Vec<Value> = ids
        .iter()
        .map(|id| json!({ "__typename": "Product", "id": id }))
        .collect();
    reps.insert(50, json!({ "__typename": "Product", "id": "not-a-uuid" }));

    app.statements.reset();
    let response = app.query(STOCK, json!({ "r": reps })).await;
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
    assert_eq!(entities.len(), 101);
    assert_eq!(
        entities[50],
        Value::Null,
        "an invalid id is null, not an error"
    );
    let resolved: Vec<&Value> = entities.iter().filter(|e| !e.is_null()).collect();
    for (i, (entity, id)) in resolved.iter().zip(&ids).enumerate() {
        let units = if i % 2 == 0 { i } else { 0 };
        assert_eq!(
            **entity,
            json!({ "id": id, "inventory": { "onHand": units, "available": units }, "inStock": units > 0 }),
            "entity {i}"
        );
    }
}

async fn stock_value_multiplies_on_hand_by_the_supplied_price(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let stocked = app.given_stock(3).await;
    let empty = new_id();
    let price = json!({ "amount": 1999, "currency": "EUR" });
    let response = app
        .query(
            VALUE,
            json!({ "r": [
                { "__typename": "Product", "id": stocked, "price": price },
                { "__typename": "Product", "id": empty, "price": price },
            ] }),
        )
        .await;
    let entities = &response.data()["_entities"];
    assert_eq!(
        entities[0]["stockValue"],
        json!({ "amount": 5997, "currency": "EUR" })
    );
    assert_eq!(
        entities[1]["stockValue"],
        json!({ "amount": 0, "currency": "EUR" })
    );
}

async fn stock_value_refuses_overflow_and_a_missing_price(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let stocked = app.given_stock(1000).await;
    let overflow = app
        .query(
            VALUE,
            json!({ "r": [{ "__typename": "Product", "id": stocked, "price": { "amount": 10_000_000, "currency": "USD" } }] }),
        )
        .await;
    assert_eq!(overflow.error_code(), "AMOUNT_OUT_OF_RANGE");
    let no_price = app
        .query(
            VALUE,
            json!({ "r": [{ "__typename": "Product", "id": stocked }] }),
        )
        .await;
    assert_eq!(no_price.error_code(), "PRICE_REQUIRED");
}
