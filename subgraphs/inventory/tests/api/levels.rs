//! Stock levels: manual adjustments, their history, and their validation.

use serde_json::{Value, json};
use subgraph_kit::both_backends;
use subgraph_kit::testing::Backend;

use crate::helpers::{new_id, spawn_app};

both_backends!(
    a_product_never_stocked_has_zero_stock,
    adjustments_change_on_hand_and_are_recorded_newest_first,
    invalid_input_is_rejected_with_codes_and_changes_nothing,
    stock_held_for_orders_cannot_be_adjusted_away,
    an_idempotency_key_applies_an_adjustment_once,
    concurrent_retries_with_one_key_apply_once,
    reorder_policy_is_validated_and_naturally_idempotent,
);

async fn a_product_never_stocked_has_zero_stock(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = new_id();
    assert_eq!(
        app.level(&product).await,
        json!({
            "productId": product, "onHand": 0, "reserved": 0, "available": 0,
            "reorderPoint": 0, "reorderQuantity": 0, "updatedAt": null,
        })
    );
    assert!(app.movements(&product).await.is_empty());
}

async fn adjustments_change_on_hand_and_are_recorded_newest_first(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = new_id();
    let first = app.adjust(&product, 10, "  delivery ").await;
    assert_eq!(first.data()["adjustStock"]["onHand"], 10);
    let second = app.adjust(&product, -3, "damaged").await;
    let level = &second.data()["adjustStock"];
    assert_eq!(level["onHand"], 7);
    assert_eq!(level["available"], 7);
    assert!(level["updatedAt"].is_string());
    assert_eq!(app.level(&product).await, *level);

    let history = app
        .query(
            "query($p: ID!) { inventory(productId: $p) { all: movements { kind delta reason reference } one: movements(first: 1) { delta } } }",
            json!({ "p": product }),
        )
        .await;
    let inventory = &history.data()["inventory"];
    assert_eq!(
        inventory["all"],
        json!([
            { "kind": "ADJUSTMENT", "delta": -3, "reason": "damaged", "reference": null },
            { "kind": "ADJUSTMENT", "delta": 10, "reason": "delivery", "reference": null },
        ])
    );
    assert_eq!(inventory["one"], json!([{ "delta": -3 }]));

    let too_many = app
        .query(
            "query($p: ID!) { inventory(productId: $p) { movements(first: 0) { id } } }",
            json!({ "p": product }),
        )
        .await;
    assert_eq!(too_many.error_code(), "INVALID_PAGINATION");
}

async fn invalid_input_is_rejected_with_codes_and_changes_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.given_stock(5).await;
    let before = app.level(&product).await;
    let long = "x".repeat(201);
    let cases: [(&str, i64, &str, Option<&str>, &str); 7] = [
        ("not-a-uuid", 1, "count", None, "INVALID_PRODUCT_ID"),
        (&product, 0, "count", None, "INVALID_DELTA"),
        (
            &product,
            i64::from(i32::MIN),
            "count",
            None,
            "INVALID_DELTA",
        ),
        (&product, 1, "   ", None, "INVALID_REASON"),
        (&product, 1, &long, None, "INVALID_REASON"),
        (&product, 1, "count", Some(""), "INVALID_IDEMPOTENCY_KEY"),
        (&product, -6, "count", None, "INSUFFICIENT_STOCK"),
    ];
    for (id, delta, reason, key, code) in cases {
        let response = app.adjust_with_key(id, delta, reason, key).await;
        assert_eq!(response.error_code(), code, "{}", response.body);
        assert_eq!(response.body["data"], Value::Null);
    }
    let overflow = app.adjust(&product, i64::from(i32::MAX), "count").await;
    assert_eq!(overflow.error_code(), "QUANTITY_OUT_OF_RANGE");
    let read = app
        .query("{ inventory(productId: \"sku-1\") { onHand } }", json!({}))
        .await;
    assert_eq!(read.error_code(), "INVALID_PRODUCT_ID");

    assert_eq!(app.level(&product).await, before);
    assert_eq!(app.movements(&product).await.len(), 1);
}

async fn stock_held_for_orders_cannot_be_adjusted_away(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.given_stock(5).await;
    app.reserve(&new_id(), &[(&product, 3)]).await.data();
    let response = app.adjust(&product, -3, "shrinkage").await;
    assert_eq!(response.error_code(), "INSUFFICIENT_STOCK");
    let level = app.level(&product).await;
    assert_eq!(
        (level["onHand"].clone(), level["reserved"].clone()),
        (json!(5), json!(3))
    );
    let ok = app.adjust(&product, -2, "shrinkage").await;
    assert_eq!(ok.data()["adjustStock"]["available"], 0);
}

async fn an_idempotency_key_applies_an_adjustment_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = new_id();
    for _ in 0..3 {
        let response = app
            .adjust_with_key(&product, 5, "delivery", Some("k-1"))
            .await;
        assert_eq!(response.data()["adjustStock"]["onHand"], 5);
    }
    let reused = app
        .adjust_with_key(&product, 7, "delivery", Some("k-1"))
        .await;
    assert_eq!(reused.error_code(), "IDEMPOTENCY_KEY_REUSED");
    let elsewhere = app
        .adjust_with_key(&new_id(), 5, "delivery", Some("k-1"))
        .await;
    assert_eq!(elsewhere.error_code(), "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(app.level(&product).await["onHand"], 5);
    assert_eq!(app.movements(&product).await.len(), 1);
}

async fn concurrent_retries_with_one_key_apply_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.given_stock(1).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = app.client.clone();
        let product = product.clone();
        tasks.push(tokio::spawn(async move {
            client
                .query_with(
                    "mutation($p: ID!) { adjustStock(productId: $p, delta: 4, reason: \"delivery\", idempotencyKey: \"same\") { onHand } }",
                    json!({ "p": product }),
                )
                .await
        }));
    }
    for task in tasks {
        let response = task.await.expect("task");
        assert_eq!(response.data()["adjustStock"]["onHand"], 5);
    }
    assert_eq!(app.level(&product).await["onHand"], 5);
    assert_eq!(app.movements(&product).await.len(), 2);
}

async fn reorder_policy_is_validated_and_naturally_idempotent(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.given_stock(50).await;
    for (point, quantity) in [(5, 0), (-1, 10), (5, -1)] {
        let response = app.set_policy(&product, point, quantity).await;
        assert_eq!(response.error_code(), "INVALID_REORDER_POLICY");
    }
    let bad_id = app.set_policy("nope", 1, 1).await;
    assert_eq!(bad_id.error_code(), "INVALID_PRODUCT_ID");
    assert_eq!(app.level(&product).await["reorderPoint"], 0);

    let first = app.set_policy(&product, 10, 40).await;
    let again = app.set_policy(&product, 10, 40).await;
    assert_eq!(
        first.data()["setReorderPolicy"],
        again.data()["setReorderPolicy"]
    );
    let level = &again.data()["setReorderPolicy"];
    assert_eq!(
        (
            level["reorderPoint"].clone(),
            level["reorderQuantity"].clone()
        ),
        (json!(10), json!(40))
    );
    assert_eq!(level["onHand"], 50, "a policy does not touch stock");
    assert!(app.replenishments_of(&product).await.is_empty(), "50 > 10");
}
