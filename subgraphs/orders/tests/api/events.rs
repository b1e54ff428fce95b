//! Every order change publishes its event, written in the same transaction:
//! a change that does not happen publishes nothing, a retried placement
//! publishes once. (The broker also carries inventory's and payments'
//! events; these tests look at orders' own.)

use orders::domain_events::OrderStatusChanged;
use std::time::Duration;

use subgraph_kit::testing::Backend;

use crate::helpers::{PLACE_ORDER, next_sku, place_order_variables, spawn_app};

async fn order_changes_publish_their_events_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.given_product(&next_sku(), 1250, "USD").await;
    let variables = place_order_variables("ann@example.com", &[(&product, 2)], Some("key-1"));
    let placed = app.query(PLACE_ORDER, variables.clone()).await;
    let id = placed.data()["placeOrder"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A retry with the same key returns the same order and publishes nothing new.
    app.query(PLACE_ORDER, variables).await.data();
    // A change the lifecycle forbids changes nothing and publishes nothing.
    let refused = app.change("markDelivered(id: $id)", &id).await;
    assert_eq!(refused.error_code(), "INVALID_TRANSITION");
    app.change("cancelOrder(id: $id)", &id).await.data();

    let published = app.order_events(3, Duration::from_secs(5)).await;
    let subjects: Vec<&str> = published.iter().map(|e| e.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "shop.orders.order.placed",
            "shop.orders.order.confirmed",
            "shop.orders.order.cancelled"
        ]
    );
    assert!(published.iter().all(|e| e.key == id));
    let payloads: Vec<OrderStatusChanged> =
        published.iter().map(|e| e.payload().unwrap()).collect();
    assert_eq!(payloads[0].previous_status, None);
    assert_eq!(payloads[0].status, "PENDING");
    assert_eq!(
        (payloads[0].total_amount, payloads[0].currency.as_str()),
        (2500, "USD")
    );
    assert_eq!(payloads[1].previous_status.as_deref(), Some("PENDING"));
    assert_eq!(payloads[2].previous_status.as_deref(), Some("CONFIRMED"));
    assert_eq!(payloads[2].status, "CANCELLED");
}

subgraph_kit::both_backends!(order_changes_publish_their_events_once);
