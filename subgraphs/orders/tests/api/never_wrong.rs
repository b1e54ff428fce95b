//! Money and stock are never wrong: many concurrent checkouts for the last
//! units sell exactly the units there are, and a random mix of orders,
//! failures, invoices and cancellations leaves payments and stock moves
//! that reconcile with the orders.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;
use subgraph_kit::both_backends;
use subgraph_kit::testing::Backend;

use crate::helpers::{
    APPROVED_CARD, DECLINED_CARD, FAILING_CARD, Options, TestApp, card, invoice, next_sku,
    spawn_app_with,
};

both_backends!(
    two_hundred_concurrent_checkouts_sell_exactly_the_stock,
    a_random_mix_of_checkouts_reconciles,
);

/// A long lease (a runner never loses its order to the sweep) and generous
/// call timeouts: the outcome must depend on the stock, not on a busy
/// machine's latency. Should a checkout still stall, recovery (every 200
/// ms) finishes it, and the test counts it once it has.
/// The load tests run one at a time: under load each app's four services
/// open up to 16 PostgreSQL connections apiece, and two such apps at once
/// exceed PostgreSQL's default of 100 (the products service then times out
/// waiting for a connection and checkouts fail as CATALOG_UNAVAILABLE).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn under_load() -> Options {
    let mut options = Options::default();
    options.call_timeout = Duration::from_secs(30);
    // The catalog call too: it once took longer than its default 5 s on a
    // busy CI machine, and the checkout failed as CATALOG_UNAVAILABLE.
    options.catalog_timeout = Duration::from_secs(30);
    options.checkout.lease = Duration::from_secs(60);
    options.checkout.sweep_every = Duration::from_millis(200);
    options.checkout.wait_for_runner = Duration::from_secs(60);
    options
}

const UNITS: i64 = 25;
const CALLS: usize = 200;

async fn two_hundred_concurrent_checkouts_sell_exactly_the_stock(backend: Backend) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some(app) = spawn_app_with(backend, under_load()).await else {
        return;
    };
    let product = app.given_unstocked_product(&next_sku(), 900, "USD").await;
    app.stock(&product, UNITS).await;
    let calls: Vec<_> = (0..CALLS)
        .map(|i| {
            let client = app.client.clone();
            let mut variables =
                crate::helpers::place_order_variables("ann@example.com", &[(&product, 1)], None);
            variables["input"]["customerEmail"] = format!("c{i}@example.com").into();
            tokio::spawn(async move {
                client
                    .query_with(crate::helpers::PLACE_ORDER, variables)
                    .await
            })
        })
        .collect();
    let mut outcomes: HashMap<String, Vec<String>> = HashMap::new();
    for call in calls {
        let response = call.await.expect("request task");
        let mut order = response.data()["placeOrder"].clone();
        if order["status"] == "PENDING" {
            // A stalled checkout: recovery finishes it.
            let id = order["id"].as_str().unwrap_or_default().to_owned();
            order = app.wait_until_settled(&id).await;
        }
        let order = &order;
        let status = order["status"].as_str().unwrap_or_default().to_owned();
        if status == "CANCELLED" {
            assert_eq!(order["failure"]["code"], "INSUFFICIENT_STOCK", "{order}");
        }
        outcomes
            .entry(status)
            .or_default()
            .push(order["id"].as_str().unwrap_or_default().to_owned());
    }
    let confirmed = outcomes.get("CONFIRMED").map_or(0, Vec::len);
    let cancelled = outcomes.get("CANCELLED").map_or(0, Vec::len);
    assert_eq!(
        (confirmed, cancelled),
        (UNITS as usize, CALLS - UNITS as usize),
        "{:?}",
        outcomes.keys().collect::<Vec<_>>()
    );
    assert_eq!(
        app.stock_level(&product).await,
        (0, 0),
        "sold out, nothing held"
    );
    for id in &outcomes["CONFIRMED"] {
        assert_eq!(app.payments_of(id).await, [("CAPTURED".to_owned(), 900)]);
    }
    for id in &outcomes["CANCELLED"] {
        assert_eq!(app.payments_of(id).await, [], "never charged");
    }
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

async fn a_random_mix_of_checkouts_reconciles(backend: Backend) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some(app) = spawn_app_with(backend, under_load()).await else {
        return;
    };
    let initial = [12_i64, 8, 30];
    let prices = [1250_i64, 399, 5000];
    let mut products = Vec::new();
    for (units, price) in initial.iter().zip(prices) {
        let product = app.given_unstocked_product(&next_sku(), price, "USD").await;
        app.stock(&product, *units).await;
        products.push(product);
    }
    let mut rng = Lcg(0x5eed);
    let mut orders: Vec<String> = Vec::new();
    // Rounds of concurrent checkouts, then cancellations and invoice payments.
    for _round in 0..4 {
        let mut calls = Vec::new();
        for _ in 0..12 {
            let lines: Vec<(String, i64)> = (0..=rng.below(2))
                .map(|_| {
                    let p = rng.below(3) as usize;
                    (products[p].clone(), 1 + rng.below(3) as i64)
                })
                .collect();
            let payment = match rng.below(10) {
                0 => card(DECLINED_CARD),
                1 => card(FAILING_CARD),
                2 | 3 => invoice(),
                _ => card(APPROVED_CARD),
            };
            let key = (rng.below(4) == 0).then(|| format!("mix-{}", rng.below(6)));
            let client = app.client.clone();
            let items: Vec<(&str, i64)> = lines.iter().map(|(p, q)| (p.as_str(), *q)).collect();
            let mut variables =
                crate::helpers::place_order_variables("mix@example.com", &items, key.as_deref());
            variables["input"]["payment"] = payment;
            calls.push(tokio::spawn(async move {
                client
                    .query_with(crate::helpers::PLACE_ORDER, variables)
                    .await
            }));
        }
        for call in calls {
            let response = call.await.expect("request task");
            // A reused key with different items is refused; anything else
            // is an order.
            if response.body["data"]["placeOrder"].is_object() {
                let id = response.data()["placeOrder"]["id"]
                    .as_str()
                    .expect("id")
                    .to_owned();
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
            let order = app.order(id).await;
            match (order["status"].as_str(), rng.below(5)) {
                (Some("CONFIRMED"), 0) => {
                    app.change("cancelOrder(id: $id)", id).await.data();
                }
                (Some("CONFIRMED"), 1) => {
                    app.change(
                        r#"shipOrder(id: $id, carrier: "DHL", trackingNumber: "1")"#,
                        id,
                    )
                    .await
                    .data();
                }
                (Some("PENDING"), 0 | 1) => app.pay_invoice(id).await,
                (Some("PENDING"), 2) => {
                    app.change("cancelOrder(id: $id)", id).await.data();
                }
                _ => {}
            }
        }
    }
    // Invoices just paid are confirmed by the payment-outcome consumer.
    tokio::time::sleep(Duration::from_millis(500)).await;
    reconcile(&app, &orders, &products, &initial).await;
}

/// Captured minus refunded money equals the confirmed orders' totals; units
/// sold equal the confirmed orders' quantities; units held equal the
/// pending orders' quantities.
async fn reconcile(app: &TestApp, orders: &[String], products: &[String], initial: &[i64]) {
    let mut expected_money = 0;
    let mut sold: HashMap<&str, i64> = HashMap::new();
    let mut held: HashMap<&str, i64> = HashMap::new();
    let mut statuses: HashMap<String, usize> = HashMap::new();
    let mut money = 0;
    for id in orders {
        let order: Value = app.order(id).await;
        let status = order["status"].as_str().expect("status");
        *statuses.entry(status.to_owned()).or_default() += 1;
        let kept = matches!(status, "CONFIRMED" | "SHIPPED" | "DELIVERED");
        for item in order["items"].as_array().expect("items") {
            let product = products
                .iter()
                .find(|p| item["product"]["id"] == p.as_str())
                .expect("a known product");
            let quantity = item["quantity"].as_i64().expect("quantity");
            if kept {
                *sold.entry(product).or_default() += quantity;
            } else if status == "PENDING" {
                *held.entry(product).or_default() += quantity;
            }
        }
        if kept {
            expected_money += order["total"]["amount"].as_i64().expect("total");
        }
        for (payment, amount) in app.payments_of(id).await {
            // REFUNDED payments were captured and then given back in full.
            if payment == "CAPTURED" {
                money += amount;
            }
        }
    }
    assert_eq!(
        money, expected_money,
        "captured - refunded = confirmed totals; {statuses:?}"
    );
    for (product, start) in products.iter().zip(initial) {
        let (on_hand, reserved) = app.stock_level(product).await;
        let sold = sold.get(product.as_str()).copied().unwrap_or(0);
        let held = held.get(product.as_str()).copied().unwrap_or(0);
        assert_eq!(
            start - on_hand,
            sold,
            "units sold match confirmed orders; {statuses:?}"
        );
        assert_eq!(
            reserved, held,
            "units held match pending orders; {statuses:?}"
        );
    }
    assert!(
        statuses.len() >= 3,
        "the mix covers several outcomes: {statuses:?}"
    );
}
