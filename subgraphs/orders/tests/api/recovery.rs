//! No order stuck half-way: the service "dies" at each point of the
//! checkout (an armed fault point stops it there, lease held, as a crash
//! would), a fresh instance starts on the same database, and recovery
//! completes or undoes the checkout so that stock and money match the
//! order's final status.

use orders::checkout::FaultPoint;
use orders::domain::CheckoutStep;
use serde_json::Value;
use subgraph_kit::both_backends;
use subgraph_kit::testing::Backend;

use crate::helpers::{APPROVED_CARD, DECLINED_CARD, card, invoice, next_sku, spawn_app};

both_backends!(
    a_checkout_stopped_at_any_step_is_finished_or_undone_after_a_restart,
    a_retry_with_its_key_during_recovery_gets_a_consistent_order,
    an_undo_stopped_half_way_is_finished_after_a_restart,
    a_refund_stopped_half_way_is_finished_after_a_restart,
    an_unreachable_payments_service_leaves_the_order_pending_until_recovery_settles_it,
);

/// What recovery makes of a checkout stopped at each point: before the
/// payment was authorized it cannot be paid (the card is not stored), so it
/// is undone; from the authorization on it is completed.
const POINTS: [(FaultPoint, &str); 8] = [
    (FaultPoint::Before(CheckoutStep::Reserve), "CANCELLED"),
    (FaultPoint::After(CheckoutStep::Reserve), "CANCELLED"),
    (FaultPoint::Before(CheckoutStep::Authorize), "CANCELLED"),
    (FaultPoint::After(CheckoutStep::Authorize), "CONFIRMED"),
    (FaultPoint::Before(CheckoutStep::Capture), "CONFIRMED"),
    (FaultPoint::After(CheckoutStep::Capture), "CONFIRMED"),
    (FaultPoint::Before(CheckoutStep::Commit), "CONFIRMED"),
    (FaultPoint::After(CheckoutStep::Commit), "CONFIRMED"),
];

async fn a_checkout_stopped_at_any_step_is_finished_or_undone_after_a_restart(backend: Backend) {
    let Some(mut app) = spawn_app(backend).await else {
        return;
    };
    for (point, outcome) in POINTS {
        let product = app.given_unstocked_product(&next_sku(), 700, "USD").await;
        app.stock(&product, 3).await;
        app.faults.arm(point);
        let key = format!("{point:?}");
        let response = app
            .place_order_paying(&[(&product, 2)], card(APPROVED_CARD), Some(&key))
            .await;
        assert_eq!(response.error_code(), "CHECKOUT_INTERRUPTED", "{point:?}");
        let id = newest_order(&app).await;
        app.restart_orders().await;

        // Recovery alone (no client retrying) finishes or undoes it.
        let order = app.wait_for_status(&id, outcome).await;
        assert_eq!(order["status"], outcome, "{point:?}: {order}");
        let payments = app.payments_of(&id).await;
        if outcome == "CONFIRMED" {
            assert_eq!(app.stock_level(&product).await, (1, 0), "{point:?}");
            assert_eq!(payments, [("CAPTURED".to_owned(), 1400)], "{point:?}");
        } else {
            assert_eq!(order["status"], outcome, "{point:?}");
            assert_eq!(
                order["failure"]["code"], "CHECKOUT_INTERRUPTED",
                "{point:?}"
            );
            assert_eq!(app.stock_level(&product).await, (3, 0), "{point:?}");
            assert!(
                payments
                    .iter()
                    .all(|(status, _)| status != "CAPTURED" && status != "AUTHORIZED"),
                "{point:?}: {payments:?}"
            );
        }
        // The client's retry with its key then gets that order, unchanged.
        let retry = app
            .place_order_paying(&[(&product, 2)], card(APPROVED_CARD), Some(&key))
            .await;
        assert_eq!(retry.data()["placeOrder"]["id"], order["id"], "{point:?}");
        assert_eq!(retry.data()["placeOrder"]["status"], outcome, "{point:?}");
    }
}

/// A client that retries with its key while the checkout is unfinished
/// races recovery for it: with the payment details it sends again the retry
/// may complete it, or recovery undoes it first; either way the client gets
/// the one order, and money and stock agree with its status.
async fn a_retry_with_its_key_during_recovery_gets_a_consistent_order(backend: Backend) {
    let Some(mut app) = spawn_app(backend).await else {
        return;
    };
    let product = app.given_unstocked_product(&next_sku(), 700, "USD").await;
    app.stock(&product, 3).await;
    app.faults.arm(FaultPoint::Before(CheckoutStep::Reserve));
    let response = app
        .place_order_paying(&[(&product, 2)], card(APPROVED_CARD), Some("retry-me"))
        .await;
    assert_eq!(response.error_code(), "CHECKOUT_INTERRUPTED");
    app.restart_orders().await;
    let retry = app
        .place_order_paying(&[(&product, 2)], card(APPROVED_CARD), Some("retry-me"))
        .await;
    let order = &retry.data()["placeOrder"];
    // Recovery may have undone it before the retry took the order: either
    // way money and stock agree with the outcome.
    let id = order["id"].as_str().expect("id");
    match order["status"].as_str() {
        Some("CONFIRMED") => {
            assert_eq!(app.stock_level(&product).await, (1, 0));
            assert_eq!(app.payments_of(id).await, [("CAPTURED".to_owned(), 1400)]);
        }
        Some("CANCELLED") => {
            assert_eq!(app.stock_level(&product).await, (3, 0));
            assert_eq!(app.payments_of(id).await, []);
        }
        other => panic!("unexpected outcome {other:?}: {order}"),
    }
}

/// The newest order's id.
async fn newest_order(app: &crate::helpers::TestApp) -> String {
    let response = app
        .query(
            "{ orders(first: 1) { edges { node { id } } } }",
            serde_json::json!({}),
        )
        .await;
    let id: &Value = &response.data()["orders"]["edges"][0]["node"]["id"];
    id.as_str().expect("an order").to_owned()
}

async fn an_undo_stopped_half_way_is_finished_after_a_restart(backend: Backend) {
    let Some(mut app) = spawn_app(backend).await else {
        return;
    };
    for point in [
        FaultPoint::Before(CheckoutStep::Release),
        FaultPoint::After(CheckoutStep::Release),
    ] {
        let product = app.given_unstocked_product(&next_sku(), 700, "USD").await;
        app.stock(&product, 3).await;
        app.faults.arm(point);
        let key = format!("declined-{point:?}");
        let response = app
            .place_order_paying(&[(&product, 1)], card(DECLINED_CARD), Some(&key))
            .await;
        assert_eq!(response.error_code(), "CHECKOUT_INTERRUPTED", "{point:?}");
        app.restart_orders().await;
        let retry = app
            .place_order_paying(&[(&product, 1)], card(DECLINED_CARD), Some(&key))
            .await;
        let id = retry.data()["placeOrder"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let order = app.wait_for_status(&id, "PAYMENT_FAILED").await;
        assert_eq!(order["status"], "PAYMENT_FAILED", "{point:?}");
        assert_eq!(app.stock_level(&product).await, (3, 0), "{point:?}");
    }
}

async fn a_refund_stopped_half_way_is_finished_after_a_restart(backend: Backend) {
    let Some(mut app) = spawn_app(backend).await else {
        return;
    };
    for point in [
        FaultPoint::Before(CheckoutStep::Refund),
        FaultPoint::After(CheckoutStep::Refund),
        FaultPoint::Before(CheckoutStep::Restock),
        FaultPoint::Before(CheckoutStep::Void),
    ] {
        let product = app.given_unstocked_product(&next_sku(), 700, "USD").await;
        app.stock(&product, 3).await;
        let payment = if point == FaultPoint::Before(CheckoutStep::Void) {
            invoice()
        } else {
            card(APPROVED_CARD)
        };
        let placed = app
            .place_order_paying(&[(&product, 1)], payment, None)
            .await;
        let id = placed.data()["placeOrder"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        app.faults.arm(point);
        let response = app.change("cancelOrder(id: $id)", &id).await;
        assert_eq!(response.error_code(), "CHECKOUT_INTERRUPTED", "{point:?}");
        app.restart_orders().await;
        let order = app.wait_for_status(&id, "CANCELLED").await;
        assert_eq!(order["status"], "CANCELLED", "{point:?}");
        // Recovery runs the remaining steps after the status changed.
        let settled = wait_until(|| async { app.stock_level(&product).await == (3, 0) }).await;
        assert!(settled, "{point:?}: stock back");
        let payments = app.payments_of(&id).await;
        let expected = if point == FaultPoint::Before(CheckoutStep::Void) {
            "VOIDED"
        } else {
            "REFUNDED"
        };
        assert_eq!(payments, [(expected.to_owned(), 700)], "{point:?}");
    }
}

async fn wait_until<F, Fut>(mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

/// Payments cannot be reached during a checkout: the order comes back
/// PENDING with its stock held; once payments answers again, recovery
/// settles it (the authorization never arrived, so it is undone), and a
/// new checkout goes through.
async fn an_unreachable_payments_service_leaves_the_order_pending_until_recovery_settles_it(
    backend: Backend,
) {
    let options = crate::helpers::Options {
        cuttable_payments: true,
        ..crate::helpers::Options::default()
    };
    let Some(app) = crate::helpers::spawn_app_with(backend, options).await else {
        return;
    };
    let link = app.payments_link.as_ref().expect("a link to payments");
    let product = app.given_unstocked_product(&next_sku(), 700, "USD").await;
    app.stock(&product, 3).await;
    link.cut();
    let placed = app
        .place_order_paying(&[(&product, 1)], card(APPROVED_CARD), None)
        .await;
    let order = &placed.data()["placeOrder"];
    assert_eq!(order["status"], "PENDING", "{order}");
    let id = order["id"].as_str().expect("id").to_owned();
    assert_eq!(app.stock_level(&product).await, (3, 1), "held meanwhile");
    // Recovery keeps trying while payments is away: nothing changes.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(app.order(&id).await["status"], "PENDING");

    link.restore();
    let order = app.wait_until_settled(&id).await;
    assert_eq!(order["status"], "CANCELLED", "{order}");
    assert_eq!(order["failure"]["code"], "CHECKOUT_INTERRUPTED");
    assert_eq!(app.stock_level(&product).await, (3, 0));
    assert_eq!(app.payments_of(&id).await, []);

    let again = app
        .place_order_paying(&[(&product, 1)], card(APPROVED_CARD), None)
        .await;
    assert_eq!(again.data()["placeOrder"]["status"], "CONFIRMED");
}
