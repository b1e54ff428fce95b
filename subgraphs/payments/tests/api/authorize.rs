//! `authorizePayment`: outcomes by test card, validation, idempotency.

use std::time::Instant;

use serde_json::{Value, json};
use subgraph_kit::both_backends;
use subgraph_kit::testing::Backend;

use crate::helpers::{
    APPROVED, SLOW, SLOW_CARD_DELAY, card, card_input, invoice_input, key, order_id, spawn_app,
};

both_backends!(
    each_test_card_has_its_outcome,
    slow_card_approves_after_the_configured_delay,
    invalid_cards_are_rejected_and_nothing_is_stored,
    invalid_requests_are_rejected_with_codes_and_nothing_is_stored,
    the_card_number_is_never_stored,
    a_retry_with_the_same_key_returns_the_first_payment,
    concurrent_retries_with_one_key_make_one_payment_and_one_gateway_call,
);

async fn each_test_card_has_its_outcome(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let cases = [
        ("4242 4242 4242 4242", "AUTHORIZED", None, "4242"),
        (
            "4000-0000-0000-0002",
            "DECLINED",
            Some("card_declined"),
            "0002",
        ),
        (
            "4000000000009995",
            "DECLINED",
            Some("insufficient_funds"),
            "9995",
        ),
        (
            "4000000000000119",
            "FAILED",
            Some("processing_error"),
            "0119",
        ),
        ("5555555555554444", "AUTHORIZED", None, "4444"),
    ];
    for (number, status, reason, last4) in cases {
        let order = order_id();
        let response = app
            .authorize(card_input(&order, 2500, number), &key())
            .await;
        let payment = &response.data()["authorizePayment"];
        assert_eq!(payment["status"], status, "{number}");
        assert_eq!(payment["failureReason"], json!(reason), "{number}");
        assert_eq!(payment["cardLast4"], last4);
        assert_eq!(payment["order"]["id"], order.as_str());
        assert_eq!(
            payment["amount"],
            json!({ "amount": 2500, "currency": "USD" })
        );
        assert_eq!(payment["currency"], "USD");
        assert_eq!(payment["gateway"], "TEST_CARD");
        let reference = payment["gatewayReference"].as_str();
        if status == "AUTHORIZED" {
            assert!(reference.is_some_and(|r| r.starts_with("tc_")), "{payment}");
        } else {
            assert_eq!(reference, None, "{payment}");
        }
        assert_eq!(
            app.payment(&payment["id"]).await,
            *payment,
            "stored as returned"
        );
    }
}

async fn slow_card_approves_after_the_configured_delay(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let started = Instant::now();
    let response = app
        .authorize(card_input(&order_id(), 100, SLOW), &key())
        .await;
    assert_eq!(response.data()["authorizePayment"]["status"], "AUTHORIZED");
    assert!(started.elapsed() >= SLOW_CARD_DELAY);
}

async fn invalid_cards_are_rejected_and_nothing_is_stored(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let order = order_id();
    let bad_cards = [
        card("4242424242424241"),       // fails Luhn
        card("42424242424"),            // 11 digits
        card("4242424242424242424242"), // 22 digits
        card("4242 4242 abcd 4242"),
        json!({ "number": APPROVED, "expMonth": 13, "expYear": 2099, "cvc": "123" }),
        json!({ "number": APPROVED, "expMonth": 0, "expYear": 2099, "cvc": "123" }),
        json!({ "number": APPROVED, "expMonth": 1, "expYear": 2020, "cvc": "123" }),
        json!({ "number": APPROVED, "expMonth": 12, "expYear": 2099, "cvc": "1" }),
    ];
    for bad in bad_cards {
        let mut input = card_input(&order, 100, APPROVED);
        input["card"] = bad.clone();
        let response = app.authorize(input, &key()).await;
        assert_eq!(response.error_code(), "INVALID_CARD", "{bad}");
        assert!(
            !response.error_message().contains("424242"),
            "the number is not echoed: {}",
            response.error_message()
        );
    }
    assert!(app.order_payments(&order).await.is_empty());
    assert_eq!(app.gateway_calls(), 0);
}

async fn invalid_requests_are_rejected_with_codes_and_nothing_is_stored(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let order = order_id();
    let valid = card_input(&order, 100, APPROVED);
    let with = |field: &str, value: Value| {
        let mut input = valid.clone();
        input[field] = value;
        input
    };
    let mut no_card = valid.clone();
    no_card.as_object_mut().expect("object").remove("card");
    let mut invoice_with_card = invoice_input(&order, 100);
    invoice_with_card["card"] = card(APPROVED);
    let cases = [
        (
            with("amount", json!({ "amount": 0, "currency": "USD" })),
            "INVALID_AMOUNT",
        ),
        (
            with("amount", json!({ "amount": -100, "currency": "USD" })),
            "INVALID_AMOUNT",
        ),
        (
            with("amount", json!({ "amount": 100, "currency": "DOGE" })),
            "INVALID_CURRENCY",
        ),
        (with("orderId", json!("not-a-uuid")), "INVALID_ORDER_ID"),
        (no_card, "CARD_REQUIRED"),
        (invoice_with_card, "CARD_NOT_ACCEPTED"),
    ];
    for (input, code) in cases {
        let response = app.authorize(input.clone(), &key()).await;
        assert_eq!(response.error_code(), code, "{input}");
        assert_eq!(response.body["data"], Value::Null);
    }
    let response = app.authorize(valid, "   ").await;
    assert_eq!(response.error_code(), "INVALID_IDEMPOTENCY_KEY");
    assert!(app.order_payments(&order).await.is_empty());
    assert_eq!(app.gateway_calls(), 0);
}

async fn the_card_number_is_never_stored(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    for number in [APPROVED, "4000000000000002", "4000000000000119"] {
        app.given_payment(card_input(&order_id(), 100, number))
            .await;
    }
    let stored = app.stored_text().await;
    assert_eq!(stored.lines().count(), 3);
    for number in [APPROVED, "4000000000000002", "4000000000000119"] {
        assert!(!stored.contains(&number[..12]), "{stored}");
    }
    assert!(stored.contains("|VISA|"), "the brand is kept: {stored}");
}

async fn a_retry_with_the_same_key_returns_the_first_payment(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let order = order_id();
    let first = app
        .authorize(card_input(&order, 100, APPROVED), "k-1")
        .await;
    let again = app
        .authorize(card_input(&order, 100, APPROVED), "k-1")
        .await;
    assert_eq!(first.data(), again.data(), "the same payment, unchanged");
    assert_eq!(app.gateway_calls(), 1);

    let declined = app
        .authorize(card_input(&order, 100, "4000000000000002"), "k-2")
        .await;
    let retried = app
        .authorize(card_input(&order, 100, "4000000000000002"), "k-2")
        .await;
    assert_eq!(declined.data()["authorizePayment"]["status"], "DECLINED");
    assert_eq!(declined.data(), retried.data(), "a decline is not retried");
    assert_eq!(app.gateway_calls(), 2);

    let other = app
        .authorize(card_input(&order, 999, APPROVED), "k-1")
        .await;
    assert_eq!(other.error_code(), "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(app.order_payments(&order).await.len(), 2);
    assert_eq!(app.gateway_calls(), 2);
}

async fn concurrent_retries_with_one_key_make_one_payment_and_one_gateway_call(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let order = order_id();
    // The slow card keeps the first call with the gateway while the others arrive.
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let client = app.client.clone();
        let vars = json!({ "input": card_input(&order, 4200, SLOW), "key": "same-key" });
        calls.spawn(async move {
            client
                .query_with(
                    "mutation($input: AuthorizePaymentInput!, $key: String!) { authorizePayment(input: $input, idempotencyKey: $key) { id status } }",
                    vars,
                )
                .await
        });
    }
    let mut ids = Vec::new();
    let mut statuses = Vec::new();
    while let Some(response) = calls.join_next().await {
        let response = response.expect("task");
        let payment = &response.data()["authorizePayment"];
        ids.push(payment["id"].clone());
        statuses.push(payment["status"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(ids.len(), 10);
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert!(
        statuses.iter().all(|s| s == "AUTHORIZED" || s == "PENDING"),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().any(|s| s == "AUTHORIZED"),
        "the first call answers"
    );
    assert_eq!(app.gateway_calls(), 1);
    let payments = app.order_payments(&order).await;
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0]["status"], "AUTHORIZED");
}
