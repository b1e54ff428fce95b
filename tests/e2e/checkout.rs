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
    a_random_mix_through_the_router_reconciles,
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

/// A small deterministic generator: the mix is random but repeatable.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

const ORDER_VIEW: &str = "query($id: ID!) { order(id: $id) { status total { amount } items { quantity product { sku } } payments { id status amount { amount } } } }";

/// Rounds of concurrent checkouts through the router (approved, declined
/// and failing cards, invoices, reused keys), then cancellations, shipments
/// and invoices paid; at the end captured money equals the confirmed
/// orders' totals and the stock that left equals what they bought.
async fn a_random_mix_through_the_router_reconciles(backend: Backend) {
    let Some(system) = TestSystem::start_on(backend).await else {
        return;
    };
    let router = system.router();
    let skus = ["BOOK-DUNE", "APP-GLOVES", "BOOK-SICP"];
    let mut products = Vec::new();
    let mut initial = HashMap::new();
    for sku in skus {
        products.push(product_id(&router, sku).await);
        initial.insert(sku, available(&router, sku).await.0);
    }
    let mut rng = Lcg(0xC0FFEE);
    let mut orders: Vec<Value> = Vec::new();
    for _round in 0..3 {
        let calls: Vec<_> = (0..10)
            .map(|_| {
                let product = &products[rng.below(3) as usize];
                let payment = match rng.below(10) {
                    0 => card("4000000000000002"),
                    1 => card("4000000000000119"),
                    2 | 3 => json!({ "gateway": "INVOICE" }),
                    _ => card("4242424242424242"),
                };
                let key = (rng.below(4) == 0).then(|| format!("mix-{}", rng.below(5)));
                let variables = json!({
                    "input": input("mix@example.com", product, 1 + rng.below(2) as i64, payment),
                    "key": key,
                });
                let router = router.clone();
                tokio::spawn(async move { router.query_with(PLACE, variables).await })
            })
            .collect();
        for call in calls {
            let response = call.await.expect("request task");
            if response.body["data"]["placeOrder"].is_object() {
                let id = response.data()["placeOrder"]["id"].clone();
                if !orders.contains(&id) {
                    orders.push(id);
                }
            } else {
                assert_eq!(
                    response.error_code(),
                    "IDEMPOTENCY_KEY_REUSED",
                    "{}",
                    response.body
                );
            }
        }
        for id in &orders {
            let order = router.query_with(ORDER_VIEW, json!({ "id": id })).await;
            let order = &order.data()["order"];
            let change = match (order["status"].as_str(), rng.below(5)) {
                (Some("CONFIRMED"), 0) => "mutation($id: ID!) { cancelOrder(id: $id) { id } }",
                (Some("CONFIRMED"), 1) => {
                    r#"mutation($id: ID!) { shipOrder(id: $id, carrier: "DHL", trackingNumber: "1") { id } }"#
                }
                (Some("PENDING"), 0) => "mutation($id: ID!) { cancelOrder(id: $id) { id } }",
                (Some("PENDING"), 1 | 2) => {
                    let payment = &order["payments"][0]["id"];
                    router
                        .query_with(
                            "mutation($p: ID!) { markInvoicePaid(paymentId: $p) { status } }",
                            json!({ "p": payment }),
                        )
                        .await
                        .data();
                    continue;
                }
                _ => continue,
            };
            router.query_with(change, json!({ "id": id })).await.data();
        }
    }
    // Paid invoices confirm their orders through the payment-outcome consumer.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    let mut money = 0;
    let mut confirmed_total = 0;
    let mut sold: HashMap<String, i64> = HashMap::new();
    let mut held: HashMap<String, i64> = HashMap::new();
    let mut statuses: HashMap<String, usize> = HashMap::new();
    for id in &orders {
        let order = router.query_with(ORDER_VIEW, json!({ "id": id })).await;
        let order = &order.data()["order"];
        let status = order["status"].as_str().expect("status").to_owned();
        let kept = matches!(status.as_str(), "CONFIRMED" | "SHIPPED" | "DELIVERED");
        for item in order["items"].as_array().expect("items") {
            let sku = item["product"]["sku"].as_str().expect("sku").to_owned();
            let quantity = item["quantity"].as_i64().expect("quantity");
            if kept {
                *sold.entry(sku).or_default() += quantity;
            } else if status == "PENDING" {
                *held.entry(sku).or_default() += quantity;
            }
        }
        if kept {
            confirmed_total += order["total"]["amount"].as_i64().expect("total");
        }
        for payment in order["payments"].as_array().expect("payments") {
            if payment["status"] == "CAPTURED" {
                money += payment["amount"]["amount"].as_i64().expect("amount");
            }
        }
        *statuses.entry(status).or_default() += 1;
    }
    assert_eq!(
        money, confirmed_total,
        "captured - refunded = confirmed totals; {statuses:?}"
    );
    for sku in skus {
        let (on_hand, reserved) = available(&router, sku).await;
        let sold = sold.get(sku).copied().unwrap_or(0);
        assert_eq!(
            initial[sku] - on_hand,
            sold,
            "{sku}: units sold; {statuses:?}"
        );
        assert_eq!(
            reserved,
            held.get(sku).copied().unwrap_or(0),
            "{sku}: units held"
        );
    }
    assert!(
        statuses.len() >= 3,
        "the mix covers several outcomes: {statuses:?}"
    );
}
