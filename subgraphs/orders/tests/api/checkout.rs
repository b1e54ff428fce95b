//! The checkout across the real inventory and payments services: every way
//! it can end leaves stock and money matching the order's status.

use serde_json::Value;
use subgraph_kit::both_backends;
use subgraph_kit::testing::Backend;

use crate::helpers::{
    APPROVED_CARD, DECLINED_CARD, FAILING_CARD, TestApp, card, invoice, next_sku, spawn_app,
};

both_backends!(
    a_paid_order_is_confirmed_and_its_units_sold,
    a_declined_card_fails_the_order_and_frees_the_stock,
    a_gateway_failure_and_an_invalid_card_fail_the_order_too,
    too_little_stock_cancels_the_order_before_any_charge,
    cancelling_a_confirmed_order_refunds_and_restocks,
    an_invoice_holds_the_stock_until_it_is_paid_or_the_order_cancelled,
    paying_a_cancelled_invoice_is_refused_and_changes_nothing,
    a_payment_that_lands_after_its_order_ended_is_given_back,
    an_invoice_paid_while_its_event_was_missed_is_found_by_recovery,
);

fn placed(response: &subgraph_kit::testing::GraphqlResponse) -> Value {
    response.data()["placeOrder"].clone()
}

fn id_of(order: &Value) -> String {
    order["id"].as_str().expect("order id").to_owned()
}

async fn product_with_stock(app: &TestApp, units: i64) -> String {
    let product = app.given_unstocked_product(&next_sku(), 1500, "USD").await;
    app.stock(&product, units).await;
    product
}

async fn a_paid_order_is_confirmed_and_its_units_sold(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = product_with_stock(&app, 5).await;
    let order = placed(
        &app.place_order_paying(&[(&product, 2)], card(APPROVED_CARD), None)
            .await,
    );
    assert_eq!(order["status"], "CONFIRMED");
    assert_eq!(app.stock_level(&product).await, (3, 0));
    assert_eq!(
        app.payments_of(&id_of(&order)).await,
        [("CAPTURED".to_owned(), 3000)]
    );
}

async fn a_declined_card_fails_the_order_and_frees_the_stock(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = product_with_stock(&app, 5).await;
    let order = placed(
        &app.place_order_paying(&[(&product, 2)], card(DECLINED_CARD), None)
            .await,
    );
    assert_eq!(order["status"], "PAYMENT_FAILED");
    assert_eq!(order["failure"]["code"], "PAYMENT_DECLINED");
    assert_eq!(
        order["failure"]["message"],
        "payment declined: card_declined"
    );
    let history = &order["statusHistory"];
    assert_eq!(history[1]["status"], "PAYMENT_FAILED");
    assert_eq!(history[1]["note"], "payment declined: card_declined");
    assert_eq!(app.stock_level(&product).await, (5, 0), "nothing held");
    assert_eq!(
        app.payments_of(&id_of(&order)).await,
        [("DECLINED".to_owned(), 3000)],
        "nothing charged"
    );
}

async fn a_gateway_failure_and_an_invalid_card_fail_the_order_too(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = product_with_stock(&app, 5).await;
    let order = placed(
        &app.place_order_paying(&[(&product, 1)], card(FAILING_CARD), None)
            .await,
    );
    assert_eq!(order["status"], "PAYMENT_FAILED");
    assert_eq!(order["failure"]["code"], "PAYMENT_FAILED");

    let order = placed(
        &app.place_order_paying(&[(&product, 1)], card("4242 4242 4242 4241"), None)
            .await,
    );
    assert_eq!(order["status"], "PAYMENT_FAILED");
    assert_eq!(order["failure"]["code"], "INVALID_PAYMENT");
    assert!(
        order["failure"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("INVALID_CARD")),
        "{order}"
    );
    assert_eq!(app.payments_of(&id_of(&order)).await, []);

    let mut no_card = invoice();
    no_card["gateway"] = "TEST_CARD".into();
    let order = placed(
        &app.place_order_paying(&[(&product, 1)], no_card, None)
            .await,
    );
    assert_eq!(order["status"], "PAYMENT_FAILED");
    assert_eq!(app.stock_level(&product).await, (5, 0));
}

async fn too_little_stock_cancels_the_order_before_any_charge(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let plenty = product_with_stock(&app, 10).await;
    let scarce = product_with_stock(&app, 1).await;
    let order = placed(
        &app.place_order_paying(&[(&plenty, 3), (&scarce, 2)], card(APPROVED_CARD), None)
            .await,
    );
    assert_eq!(order["status"], "CANCELLED");
    assert_eq!(order["failure"]["code"], "INSUFFICIENT_STOCK");
    assert_eq!(app.stock_level(&plenty).await, (10, 0), "all or nothing");
    assert_eq!(app.stock_level(&scarce).await, (1, 0));
    assert_eq!(app.payments_of(&id_of(&order)).await, [], "never charged");
}

async fn cancelling_a_confirmed_order_refunds_and_restocks(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = product_with_stock(&app, 5).await;
    let order = placed(
        &app.place_order_paying(&[(&product, 2)], card(APPROVED_CARD), None)
            .await,
    );
    let id = id_of(&order);
    let cancelled = app
        .change(r#"cancelOrder(id: $id, reason: "too late")"#, &id)
        .await;
    assert_eq!(cancelled.data()["cancelOrder"]["status"], "CANCELLED");
    assert_eq!(
        app.stock_level(&product).await,
        (5, 0),
        "units back on hand"
    );
    assert_eq!(app.payments_of(&id).await, [("REFUNDED".to_owned(), 3000)]);
    // Again: nothing more happens.
    app.change("cancelOrder(id: $id)", &id).await.data();
    assert_eq!(app.stock_level(&product).await, (5, 0));
    assert_eq!(app.payments_of(&id).await, [("REFUNDED".to_owned(), 3000)]);
}

async fn an_invoice_holds_the_stock_until_it_is_paid_or_the_order_cancelled(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = product_with_stock(&app, 5).await;
    let paid = placed(
        &app.place_order_paying(&[(&product, 2)], invoice(), None)
            .await,
    );
    assert_eq!(paid["status"], "PENDING");
    assert_eq!(
        app.stock_level(&product).await,
        (5, 2),
        "held for the invoice"
    );
    let paid = id_of(&paid);
    app.pay_invoice(&paid).await;
    let confirmed = app.wait_for_status(&paid, "CONFIRMED").await;
    assert_eq!(confirmed["status"], "CONFIRMED");
    assert_eq!(app.stock_level(&product).await, (3, 0));

    let unpaid = id_of(&placed(
        &app.place_order_paying(&[(&product, 1)], invoice(), None)
            .await,
    ));
    assert_eq!(app.stock_level(&product).await, (3, 1));
    let cancelled = app.change("cancelOrder(id: $id)", &unpaid).await;
    let order = &cancelled.data()["cancelOrder"];
    assert_eq!(order["status"], "CANCELLED");
    assert_eq!(app.stock_level(&product).await, (3, 0), "hold released");
    assert_eq!(
        app.payments_of(&unpaid).await,
        [("VOIDED".to_owned(), 1500)]
    );
}

async fn paying_a_cancelled_invoice_is_refused_and_changes_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = product_with_stock(&app, 5).await;
    let id = id_of(&placed(
        &app.place_order_paying(&[(&product, 1)], invoice(), None)
            .await,
    ));
    app.change("cancelOrder(id: $id)", &id).await.data();
    let before = app.order(&id).await;
    let payment = app.payment_id_of(&id).await;
    let paid = app
        .payments
        .query_with(
            "mutation($id: ID!) { markInvoicePaid(paymentId: $id) { status } }",
            serde_json::json!({ "id": payment }),
        )
        .await;
    assert!(paid.body.get("errors").is_some(), "{}", paid.body);
    assert_eq!(app.order(&id).await, before);
    assert_eq!(app.stock_level(&product).await, (5, 0));
}

/// A checkout's authorization that reaches payments only after the order
/// was undone (a slow call from a runner that lost the order) is voided by
/// the payment-outcome consumer: no money stays held for an order that
/// ended without it.
async fn a_payment_that_lands_after_its_order_ended_is_given_back(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = product_with_stock(&app, 1).await;
    let order = placed(
        &app.place_order_paying(&[(&product, 2)], card(APPROVED_CARD), None)
            .await,
    );
    assert_eq!(order["status"], "CANCELLED");
    let id = id_of(&order);
    let late = app
        .payments
        .query_with(
            "mutation($input: AuthorizePaymentInput!, $key: String!) { authorizePayment(input: $input, idempotencyKey: $key) { status } }",
            serde_json::json!({
                "input": {
                    "orderId": id,
                    "amount": { "amount": 3000, "currency": "USD" },
                    "gateway": "TEST_CARD",
                    "card": card(APPROVED_CARD)["card"],
                },
                "key": orders::checkout::payment_key(&orders::domain::OrderId::parse(&id).expect("id")),
            }),
        )
        .await;
    assert_eq!(late.data()["authorizePayment"]["status"], "AUTHORIZED");
    let mut payments = Vec::new();
    for _ in 0..100 {
        payments = app.payments_of(&id).await;
        if payments
            .first()
            .is_some_and(|(status, _)| status == "VOIDED")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(payments, [("VOIDED".to_owned(), 3000)]);
    assert_eq!(
        app.order(&id).await["status"],
        "CANCELLED",
        "the order stays as it ended"
    );
}

/// The payment-outcome event never reaches orders (payments publishes
/// elsewhere here): recovery asks payments about orders that have waited
/// longer than `recheck_payment_after`, and confirms the paid one.
async fn an_invoice_paid_while_its_event_was_missed_is_found_by_recovery(backend: Backend) {
    let mut options = crate::helpers::Options {
        deaf_to_payments: true,
        ..crate::helpers::Options::default()
    };
    options.checkout.recheck_payment_after = std::time::Duration::from_millis(300);
    let Some(app) = crate::helpers::spawn_app_with(backend, options).await else {
        return;
    };
    let product = product_with_stock(&app, 5).await;
    let id = id_of(&placed(
        &app.place_order_paying(&[(&product, 2)], invoice(), None)
            .await,
    ));
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(app.order(&id).await["status"], "PENDING", "still unpaid");
    app.pay_invoice(&id).await;
    let order = app.wait_for_status(&id, "CONFIRMED").await;
    assert_eq!(order["status"], "CONFIRMED", "{order}");
    assert_eq!(app.stock_level(&product).await, (3, 0));
}
