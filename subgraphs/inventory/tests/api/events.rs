//! Stock events: `stock.low` when a change opens a replenishment request,
//! `stock.replenished` when one is received; each written in the change's
//! own transaction, so a change that opens nothing publishes nothing.

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
    app.adjust(&product, -2, "sold").await.data(); // still low, request already open
    let request = app.replenishments_of(&product).await.remove(0);
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
    assert_eq!(low.requested_quantity, 30);
    assert_eq!(low.replenishment_id, request["id"].as_str().unwrap());
    let replenished: StockReplenished = published[1].payload().unwrap();
    assert_eq!(
        (replenished.received_quantity, replenished.on_hand),
        (30, 34)
    );
}

subgraph_kit::both_backends!(low_stock_and_replenishment_publish_their_events);
