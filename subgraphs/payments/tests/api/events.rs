//! Every payment status change publishes its event, written in the same
//! transaction: retries and repeated commands publish nothing.

use payments::domain_events::PaymentChanged;
use std::time::Duration;

use subgraph_kit::testing::Backend;

use crate::helpers::{APPROVED, card_input, invoice_input, key, order_id, spawn_app};

const DECLINED: &str = "4000000000000002";

async fn payment_changes_publish_their_events_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let order = order_id();
    let retry_key = key();
    let payment = app
        .authorize(card_input(&order, 1999, APPROVED), &retry_key)
        .await;
    let id = payment.data()["authorizePayment"]["id"].clone();
    // A retry with the same key returns the same payment and publishes nothing.
    app.authorize(card_input(&order, 1999, APPROVED), &retry_key)
        .await
        .data();
    app.command("capturePayment", &id).await.data();
    // Capturing again is answered with the captured payment: no new event.
    let again = app.command("capturePayment", &id).await;
    assert_eq!(again.data()["capturePayment"]["status"], "CAPTURED");
    app.command("refundPayment", &id).await.data();
    // Declined at the gateway: an event of its own.
    app.given_payment(card_input(&order_id(), 500, DECLINED))
        .await;
    // An invoice stays pending: nothing happened yet.
    app.given_payment(invoice_input(&order_id(), 700)).await;

    let published = app
        .broker
        .published_at_least(4, Duration::from_secs(5))
        .await;
    let subjects: Vec<&str> = published.iter().map(|e| e.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "shop.payments.payment.authorized",
            "shop.payments.payment.captured",
            "shop.payments.payment.refunded",
            "shop.payments.payment.declined",
        ]
    );
    let payloads: Vec<PaymentChanged> = published.iter().map(|e| e.payload().unwrap()).collect();
    assert!(
        payloads[..3]
            .iter()
            .all(|p| p.order_id == order && p.amount == 1999)
    );
    assert_eq!(payloads[1].previous_status, "AUTHORIZED");
    assert_eq!(payloads[2].previous_status, "CAPTURED");
    assert_eq!(payloads[3].previous_status, "PENDING");
    assert!(payloads[3].failure_reason.is_some());
}

subgraph_kit::both_backends!(payment_changes_publish_their_events_once);
