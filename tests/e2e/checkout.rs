//! The checkout through the router's single endpoint, on SQLite and
//! PostgreSQL: what a frontend does, and what must stay true under
//! concurrency, failures and restarts.

use std::collections::HashMap;

use serde_json::{Value, json};
use subgraph_kit::both_backends;
use subgraph_kit::testing::{Backend, GraphqlClient, GraphqlResponse};

use crate::helpers::TestSystem;

both_backends!(
    a_client_checks_out_follows_and_cancels_through_the_router,
    a_declined_card_is_reported_with_its_reason,
    concurrent_checkouts_for_the_last_units_never_oversell,
    an_interrupted_checkout_is_completed_after_a_restart,
);

const PLACE: &str = "mutation($input: PlaceOrderInput!, $key: String) { placeOrder(input: $input, idempotencyKey: $key) { id status failure { code message } total { amount currency } } }";

fn card(number: &str) -> Value {
    json!({ "gateway": "TEST_CARD", "card": { "number": number, "expMonth": 12, "expYear": 2040, "cvc": "123" } })
}

fn input(email: &str, product: &Value, quantity: i64, payment: Value) -> Value {
    json!({
        "customerEmail": email,
        "items": [{ "productId": product, "quantity": quantity }],
        "payment": payment,
    })
}

async fn product_id(router: &GraphqlClient, sku: &str) -> Value {
    router
        .query_with(
            "query($sku: String!) { productBySku(sku: $sku) { id } }",
            json!({ "sku": sku }),
        )
        .await
        .data()["productBySku"]["id"]
        .clone()
}

async fn available(router: &GraphqlClient, sku: &str) -> (i64, i64) {
    let response = router
        .query_with(
            "query($sku: String!) { productBySku(sku: $sku) { inventory { onHand reserved } } }",
            json!({ "sku": sku }),
        )
        .await;
    let level = &response.data()["productBySku"]["inventory"];
    (
        level["onHand"].as_i64().expect("onHand"),
        level["reserved"].as_i64().expect("reserved"),
    )
}

fn placed(response: &GraphqlResponse) -> Value {
    response.data()["placeOrder"].clone()
}

async fn a_client_checks_out_follows_and_cancels_through_the_router(backend: Backend) {
    let Some(system) = TestSystem::start_on(backend).await else {
        return;
    };
    let router = system.router();
    let dune = product_id(&router, "BOOK-DUNE").await;
    let before = available(&router, "BOOK-DUNE").await;
    let order = placed(
        &router
            .query_with(
                PLACE,
                json!({ "input": input("ada@example.com", &dune, 2, card("4242424242424242")), "key": "ada-1" }),
            )
            .await,
    );
    assert_eq!(order["status"], "CONFIRMED", "{order}");
    assert_eq!(order["failure"], Value::Null);
    assert_eq!(available(&router, "BOOK-DUNE").await, (before.0 - 2, 0));

    // The same key again: the same order, no second charge.
    let again = placed(
        &router
            .query_with(
                PLACE,
                json!({ "input": input("ada@example.com", &dune, 2, card("4242424242424242")), "key": "ada-1" }),
            )
            .await,
    );
    assert_eq!(again["id"], order["id"]);

    let view = "query($id: ID!) { order(id: $id) { status statusHistory { status note } payments { status amount { amount } } items { product { sku inventory { onHand } } } } }";
    let seen = router.query_with(view, json!({ "id": order["id"] })).await;
    let seen = &seen.data()["order"];
    assert_eq!(
        seen["payments"],
        json!([{ "status": "CAPTURED", "amount": { "amount": 2 * 1899 } }])
    );

    router
        .query_with(
            r#"mutation($id: ID!) { shipOrder(id: $id, carrier: "DHL", trackingNumber: "JD1") { status } }"#,
            json!({ "id": order["id"] }),
        )
        .await
        .data();
    let refused = router
        .query_with(
            "mutation($id: ID!) { cancelOrder(id: $id) { status } }",
            json!({ "id": order["id"] }),
        )
        .await;
    assert_eq!(
        refused.error_code(),
        "INVALID_TRANSITION",
        "shipped orders stay"
    );

    let second = placed(
        &router
            .query_with(
                PLACE,
                json!({ "input": input("ada@example.com", &dune, 1, card("4242424242424242")) }),
            )
            .await,
    );
    let cancelled = router
        .query_with(
            r#"mutation($id: ID!) { cancelOrder(id: $id, reason: "changed my mind") { status } }"#,
            json!({ "id": second["id"] }),
        )
        .await;
    assert_eq!(cancelled.data()["cancelOrder"]["status"], "CANCELLED");
    let seen = router.query_with(view, json!({ "id": second["id"] })).await;
    let seen = &seen.data()["order"];
    assert_eq!(
        seen["payments"],
        json!([{ "status": "REFUNDED", "amount": { "amount": 1899 } }])
    );
    assert_eq!(
        seen["statusHistory"],
        json!([
            { "status": "PENDING", "note": "order placed" },
            { "status": "CONFIRMED", "note": "paid; stock committed" },
            { "status": "CANCELLED", "note": "changed my mind" },
        ])
    );
    assert_eq!(
        available(&router, "BOOK-DUNE").await,
        (before.0 - 2, 0),
        "the cancelled order's unit is back"
    );
}

async fn a_declined_card_is_reported_with_its_reason(backend: Backend) {
    let Some(system) = TestSystem::start_on(backend).await else {
        return;
    };
    let router = system.router();
    let dune = product_id(&router, "BOOK-DUNE").await;
    let before = available(&router, "BOOK-DUNE").await;
    let order = placed(
        &router
            .query_with(
                PLACE,
                json!({ "input": input("ada@example.com", &dune, 1, card("4000000000009995")) }),
            )
            .await,
    );
    assert_eq!(order["status"], "PAYMENT_FAILED");
    assert_eq!(
        order["failure"],
        json!({ "code": "PAYMENT_DECLINED", "message": "payment declined: insufficient_funds" })
    );
    assert_eq!(available(&router, "BOOK-DUNE").await, before);

    // Bad input is a coded error, and nothing is created.
    let unknown = router
        .query_with(
            PLACE,
            json!({ "input": input("ada@example.com", &json!("0192f0c4-0000-7000-8000-000000000000"), 1, card("4242424242424242")) }),
        )
        .await;
    assert_eq!(unknown.error_code(), "PRODUCT_NOT_FOUND");
}

async fn concurrent_checkouts_for_the_last_units_never_oversell(backend: Backend) {
    let Some(system) = TestSystem::start_on(backend).await else {
        return;
    };
    let router = system.router();
    // Seeded with one unit on hand; add a few more.
    let gloves = product_id(&router, "APP-GLOVES").await;
    system
        .client("inventory")
        .query_with(
            r#"mutation($p: ID!) { adjustStock(productId: $p, delta: 19, reason: "delivery") { onHand } }"#,
            json!({ "p": gloves }),
        )
        .await
        .data();
    let calls: Vec<_> = (0..200)
        .map(|i| {
            let router = router.clone();
            let variables = json!({
                "input": input(&format!("c{i}@example.com"), &gloves, 1, card("4242424242424242")),
            });
            tokio::spawn(async move { router.query_with(PLACE, variables).await })
        })
        .collect();
    let mut outcomes: HashMap<String, usize> = HashMap::new();
    for call in calls {
        let order = placed(&call.await.expect("request task"));
        let outcome = match order["status"].as_str() {
            Some("CANCELLED") => format!("CANCELLED/{}", order["failure"]["code"]),
            other => other.unwrap_or_default().to_owned(),
        };
        *outcomes.entry(outcome).or_default() += 1;
    }
    assert_eq!(
        outcomes,
        HashMap::from([
            ("CONFIRMED".to_owned(), 20),
            ("CANCELLED/\"INSUFFICIENT_STOCK\"".to_owned(), 180)
        ])
    );
    assert_eq!(available(&router, "APP-GLOVES").await, (0, 0));
}

async fn an_interrupted_checkout_is_completed_after_a_restart(backend: Backend) {
    let Some(mut system) = TestSystem::start_on(backend).await else {
        return;
    };
    let router = system.router();
    let dune = product_id(&router, "BOOK-DUNE").await;
    let before = available(&router, "BOOK-DUNE").await;
    system.faults().arm(orders::checkout::FaultPoint::After(
        orders::domain::CheckoutStep::Capture,
    ));
    let variables = json!({ "input": input("ada@example.com", &dune, 1, card("4242424242424242")), "key": "crash-1" });
    let interrupted = router.query_with(PLACE, variables.clone()).await;
    assert_eq!(interrupted.error_code(), "CHECKOUT_INTERRUPTED");

    system.restart(false).await;
    let router = system.router();
    // The client's retry with its key waits for recovery and gets the order.
    let order = placed(&router.query_with(PLACE, variables).await);
    assert_eq!(order["status"], "CONFIRMED", "{order}");
    assert_eq!(available(&router, "BOOK-DUNE").await, (before.0 - 1, 0));
    let payments = router
        .query_with(
            "query($id: ID!) { order(id: $id) { payments { status } } }",
            json!({ "id": order["id"] }),
        )
        .await;
    assert_eq!(
        payments.data()["order"]["payments"],
        json!([{ "status": "CAPTURED" }]),
        "charged once"
    );
}
