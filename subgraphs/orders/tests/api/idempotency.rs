//! An idempotency key makes `placeOrder` safe to retry: one order, ever.

use serde_json::Value;
use subgraph_kit::both_backends;
use subgraph_kit::testing::Backend;

use crate::helpers::{PLACE_ORDER, place_order_variables, spawn_app};

both_backends!(
    retrying_with_the_same_key_returns_the_first_order,
    concurrent_calls_with_one_key_create_one_order,
    a_key_cannot_be_reused_for_a_different_order,
);

async fn retrying_with_the_same_key_returns_the_first_order(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let book = app.given_product("book-1", 100, "USD").await;
    let first = app
        .place_order("ann@example.com", &[(&book, 2)], Some("k-1"))
        .await;
    let first = first.data()["placeOrder"].clone();
    // Even after the price changed, the retry returns the original order.
    app.set_price(&book, 999).await;
    let again = app
        .place_order("ANN@example.com", &[(&book, 2)], Some("k-1"))
        .await;
    assert_eq!(again.data()["placeOrder"], first);
    assert_eq!(app.order_count().await, 1);

    let other_key = app
        .place_order("ann@example.com", &[(&book, 2)], Some("k-2"))
        .await;
    assert_ne!(other_key.data()["placeOrder"]["id"], first["id"]);
    let no_key = app
        .place_order("ann@example.com", &[(&book, 2)], None)
        .await;
    assert_ne!(no_key.data()["placeOrder"]["id"], first["id"]);
    assert_eq!(app.order_count().await, 3);
}

async fn concurrent_calls_with_one_key_create_one_order(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let book = app.given_product("book-1", 100, "USD").await;
    let variables = place_order_variables("ann@example.com", &[(&book, 1)], Some("race"));
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let client = app.client.clone();
            let variables = variables.clone();
            tokio::spawn(async move { client.query_with(PLACE_ORDER, variables).await })
        })
        .collect();
    let mut ids: Vec<Value> = Vec::new();
    for call in calls {
        let response = call.await.expect("request task");
        // Each duplicate waits for the one checkout and reports its outcome.
        assert_eq!(response.data()["placeOrder"]["status"], "CONFIRMED");
        ids.push(response.data()["placeOrder"]["id"].clone());
    }
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "every call returns the same order: {ids:?}"
    );
    assert_eq!(app.order_count().await, 1);
    let order = app.order(ids[0].as_str().expect("id")).await;
    assert_eq!(
        order["statusHistory"].as_array().map(Vec::len),
        Some(2),
        "one order, one checkout, one set of items"
    );
    assert_eq!(order["items"].as_array().map(Vec::len), Some(1));
    let id = ids[0].as_str().expect("id");
    assert_eq!(
        app.payments_of(id).await,
        [("CAPTURED".to_owned(), 100)],
        "charged once"
    );
    assert_eq!(app.stock_level(&book).await, (999, 0), "sold once");
}

async fn a_key_cannot_be_reused_for_a_different_order(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let book = app.given_product("book-1", 100, "USD").await;
    let pen = app.given_product("pen-1", 100, "USD").await;
    app.place_order("ann@example.com", &[(&book, 1)], Some("k-1"))
        .await
        .data();
    for (email, items) in [
        ("ann@example.com", vec![(book.as_str(), 2)]),
        (
            "ann@example.com",
            vec![(book.as_str(), 1), (pen.as_str(), 1)],
        ),
        ("bob@example.com", vec![(book.as_str(), 1)]),
    ] {
        let response = app.place_order(email, &items, Some("k-1")).await;
        assert_eq!(response.error_code(), "IDEMPOTENCY_KEY_REUSED");
    }
    assert_eq!(app.order_count().await, 1);
}
