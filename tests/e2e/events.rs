//! Domain events in the all-in-one system: what a client does through the
//! router reaches the shared broker from each service's outbox.

use std::time::Duration;

use futures::StreamExt;
use serde_json::json;

use crate::helpers::TestSystem;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_made_through_the_router_are_published() {
    let system = TestSystem::start(true).await;
    let broker = system.system().broker.clone();
    let mut events = broker.subscribe("e2e", "shop.>").await.unwrap();
    // The seeded catalog already published its stock.low events.
    let router = system.router();
    let product = router
        .query("{ productBySku(sku: \"BOOK-DUNE\") { id } }")
        .await
        .data()["productBySku"]["id"]
        .clone();
    let placed = router
        .query_with(
            "mutation($items: [PlaceOrderItemInput!]!) { placeOrder(input: { customerEmail: \"ada@example.com\", items: $items, payment: { gateway: INVOICE } }) { id } }",
            json!({ "items": [{ "productId": product, "quantity": 1 }] }),
        )
        .await;
    let order = placed.data()["placeOrder"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let delivery = tokio::time::timeout_at(deadline, events.next())
            .await
            .expect("the order's event within 10 s")
            .expect("the subscription is open")
            .expect("a readable event");
        let event = delivery.event.clone();
        delivery.ack().await.unwrap();
        if event.subject == "shop.orders.order.placed" && event.key == order {
            assert_eq!(event.payload["customerEmail"], "ada@example.com");
            break;
        }
        assert!(
            event.subject.starts_with("shop.inventory.")
                || event.subject.starts_with("shop.orders.")
                || event.subject.starts_with("shop.payments."),
            "unexpected event {}",
            event.subject
        );
    }
}
