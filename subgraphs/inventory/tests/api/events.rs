//! Stock events: `stock.low` when a change leaves a product due for
//! replenishment with no request open (inventory's own consumer then opens
//! one), `stock.replenished` when one is received; each written in the
//! change's own transaction, so a change that reports nothing publishes
//! nothing.

use inventory::domain_events::{StockLow, StockReplenished};
use std::time::Duration;

use subgraph_kit::testing::Backend;

use crate::helpers::{new_id, spawn_app};

async fn low_stock_and_replenishment_publish_their_events(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.given_stock(20).await;
    app.set_policy(&product, 5, 30).await.data();
    app.adjust(&product, -14, "sold").await.data(); // 6 > 5: nothing
    app.reserve(&new_id(), &[(&product, 1)]).await.data(); // 5: low
    let request = app.replenishments_of(&product).await.remove(0); // opened on stock.low
    assert_eq!(request["quantity"], 30);
    app.adjust(&product, -2, "sold").await.data(); // still low, request already open
    app.receive(&request["id"], None).await.data();
    app.receive(&request["id"], None).await.data(); // received already: nothing

    let published = app
        .broker
        .published_at_least(2, Duration::from_secs(5))
        .await;
    let subjects: Vec<&str> = published.iter().map(|e| e.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "shop.inventory.stock.low",
            "shop.inventory.stock.replenished"
        ]
    );
    assert!(published.iter().all(|e| e.key == product));
    let low: StockLow = published[0].payload().unwrap();
    assert_eq!(
        (low.on_hand, low.reserved, low.available, low.reorder_point),
        (6, 1, 5, 5)
    );
    assert_eq!(low.reorder_quantity, 30);
    let replenished: StockReplenished = published[1].payload().unwrap();
    assert_eq!(
        (replenished.received_quantity, replenished.on_hand),
        (30, 34)
    );
}

/// Reports that race the consumer (several changes before it opens the
/// request), and a report delivered twice, open one request.
async fn repeated_low_stock_reports_open_one_request(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.given_stock(10).await;
    app.set_policy(&product, 8, 25).await.data();
    // Each reservation leaves the product low; the consumer may not have
    // opened the request yet, so several may report it.
    let orders: Vec<_> = (0..6)
        .map(|_| {
            let client = app.client.clone();
            let product = product.clone();
            tokio::spawn(async move {
                client
                    .query_with(
                        "mutation($o: ID!, $p: ID!) { reserveStock(orderId: $o, items: [{ productId: $p, quantity: 1 }]) { status } }",
                        serde_json::json!({ "o": new_id(), "p": product }),
                    )
                    .await
            })
        })
        .collect();
    for order in orders {
        order.await.unwrap().data();
    }
    let requests = app.replenishments_of(&product).await;
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0]["quantity"], 25);

    // The same event delivered again (a redelivery) changes nothing.
    let low = app
        .broker
        .published()
        .into_iter()
        .find(|e| e.subject == "shop.inventory.stock.low")
        .expect("a stock.low event");
    let store = inventory::store::InventoryStore::new(app.observer().clone());
    store
        .open_replenishment_on(inventory::reorder::CONSUMER, &low)
        .await
        .unwrap();
    // Even a consumer that never saw it finds the request already open.
    store
        .open_replenishment_on("another-consumer", &low)
        .await
        .unwrap();
    assert_eq!(app.replenishments_of(&product).await.len(), 1);
}

subgraph_kit::both_backends!(
    low_stock_and_replenishment_publish_their_events,
    repeated_low_stock_reports_open_one_request,
);
