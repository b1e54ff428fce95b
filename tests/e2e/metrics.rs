//! Prometheus metrics of the whole system after real traffic: the router's
//! on its admin listener, each service's on its own `/metrics`, with the
//! help texts each crate declares and bounded labels.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::TestSystem;

const PLACE: &str =
    "mutation Checkout($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }";

async fn scrape(addr: std::net::SocketAddr) -> String {
    let response = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .expect("/metrics answers");
    assert_eq!(response.status(), 200);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    response.text().await.expect("a text body")
}

/// The value of the first sample of `name` whose labels include every one
/// of `labels` (`key="value"` pairs).
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .find(|line| labels.iter().all(|label| line.contains(label)))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

fn described(text: &str, name: &str) -> bool {
    text.lines()
        .any(|line| line.starts_with(&format!("# HELP {name} ")))
}

async fn place(system: &TestSystem, card: &str) -> Value {
    let router = system.router();
    let product = router
        .query("{ productBySku(sku: \"BOOK-DUNE\") { id } }")
        .await
        .data()["productBySku"]["id"]
        .clone();
    let input = json!({
        "customerEmail": "ada@example.com",
        "items": [{ "productId": product, "quantity": 1 }],
        "payment": { "gateway": "TEST_CARD", "card": { "number": card, "expMonth": 12, "expYear": 2040, "cvc": "123" } },
    });
    router
        .query_with(PLACE, json!({ "input": input }))
        .await
        .data()["placeOrder"]
        .clone()
}

#[tokio::test]
async fn the_router_and_every_service_report_what_a_checkout_did() {
    let system = TestSystem::start(true).await;
    let confirmed = place(&system, "4242424242424242").await;
    assert_eq!(confirmed["status"], "CONFIRMED", "{confirmed}");
    let declined = place(&system, "4000000000009995").await;
    assert_eq!(declined["status"], "PAYMENT_FAILED", "{declined}");

    let running = system.system();
    let router = scrape(running.admin).await;
    for metric in [
        "router_requests_total",
        "router_request_duration_seconds",
        "router_subgraph_fetches_total",
        "router_plan_cache_lookups_total",
    ] {
        assert!(described(&router, metric), "{metric} has no help: {router}");
    }
    assert!(
        sample(
            &router,
            "router_requests_total",
            &[r#"operation="Checkout""#, r#"status="200""#]
        )
        .is_some_and(|n| n >= 2.0),
        "{router}"
    );
    assert!(
        sample(
            &router,
            "router_subgraph_fetches_total",
            &[r#"subgraph="orders""#, r#"outcome="ok""#]
        )
        .is_some_and(|n| n >= 2.0),
        "{router}"
    );

    for (service, addr) in [
        ("products", running.products),
        ("inventory", running.inventory),
        ("orders", running.orders),
        ("payments", running.payments),
    ] {
        let text = scrape(addr).await;
        let of_service = format!(r#"service="{service}""#);
        assert!(
            sample(&text, "service_graphql_requests_total", &[&of_service])
                .is_some_and(|n| n >= 1.0),
            "{service} counted no GraphQL request: {text}"
        );
        assert!(
            sample(
                &text,
                "service_db_query_duration_seconds_count",
                &[&of_service]
            )
            .is_some_and(|n| n >= 1.0),
            "{service} timed no statement: {text}"
        );
        for metric in [
            "service_graphql_requests_total",
            "service_graphql_request_duration_seconds",
            "service_db_query_duration_seconds",
        ] {
            assert!(described(&text, metric), "{metric} has no help");
        }
    }

    let orders = scrape(running.orders).await;
    assert!(
        sample(
            &orders,
            "service_graphql_requests_total",
            &[
                r#"service="orders""#,
                r#"operation="anonymous""#,
                r#"code="none""#
            ]
        )
        .is_some()
            || sample(
                &orders,
                "service_graphql_requests_total",
                &[r#"service="orders""#, r#"code="none""#]
            )
            .is_some(),
        "{orders}"
    );
    assert!(
        sample(&orders, "orders_checkouts_total", &[r#"outcome="started""#])
            .is_some_and(|n| n >= 2.0),
        "{orders}"
    );
    assert!(
        sample(
            &orders,
            "orders_checkouts_total",
            &[r#"outcome="confirmed""#]
        )
        .is_some_and(|n| n >= 1.0)
    );
    assert!(
        sample(
            &orders,
            "orders_checkouts_total",
            &[r#"outcome="payment_failed""#]
        )
        .is_some_and(|n| n >= 1.0),
        "{orders}"
    );
    assert!(
        sample(
            &orders,
            "orders_checkout_steps_total",
            &[r#"step="RESERVE""#, r#"outcome="ok""#]
        )
        .is_some_and(|n| n >= 2.0)
    );
    assert!(
        sample(
            &orders,
            "orders_checkout_step_duration_seconds_count",
            &[r#"step="AUTHORIZE""#]
        )
        .is_some_and(|n| n >= 2.0)
    );
    assert!(
        sample(
            &orders,
            "orders_recovery_sweeps_total",
            &[r#"outcome="ok""#]
        )
        .is_some_and(|n| n >= 1.0)
    );
    for metric in [
        "orders_checkouts_total",
        "orders_checkout_steps_total",
        "orders_recovery_sweeps_total",
    ] {
        assert!(described(&orders, metric), "{metric} has no help");
    }

    // The relays read their outbox's backlog about once a second, and the
    // payment outcome reaches the orders' consumer as an event.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let text = scrape(running.orders).await;
        let relayed = sample(&text, "events_published_total", &[r#"service="orders""#])
            .is_some_and(|n| n >= 1.0)
            && sample(&text, "events_outbox_pending", &[r#"service="orders""#]).is_some()
            && sample(
                &text,
                "events_outbox_oldest_age_seconds",
                &[r#"service="payments""#],
            )
            .is_some()
            && sample(&text, "events_consumed_total", &[r#"outcome="ok""#])
                .is_some_and(|n| n >= 1.0);
        if relayed {
            assert!(described(&text, "events_outbox_pending"));
            assert!(described(&text, "events_consumer_redeliveries_total"));
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no outbox or consumer metrics: {text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let inventory = scrape(running.inventory).await;
    assert!(
        sample(&inventory, "inventory_open_replenishments", &[]).is_some(),
        "{inventory}"
    );
    assert!(described(&inventory, "inventory_open_replenishments"));
}

#[tokio::test]
async fn on_postgresql_each_service_reports_its_pool() {
    let Some(system) = TestSystem::start_on(subgraph_kit::testing::Backend::Postgres).await else {
        return;
    };
    let running = system.system();
    for (service, addr) in [("products", running.products), ("orders", running.orders)] {
        let text = scrape(addr).await;
        let of_service = format!(r#"service="{service}""#);
        let idle = sample(
            &text,
            "service_db_pool_connections",
            &[&of_service, r#"state="idle""#],
        );
        let in_use = sample(
            &text,
            "service_db_pool_connections",
            &[&of_service, r#"state="in_use""#],
        );
        assert!(
            idle.zip(in_use)
                .is_some_and(|(idle, in_use)| idle + in_use >= 1.0),
            "{service}: {text}"
        );
    }
}

#[tokio::test]
async fn a_service_can_serve_its_metrics_on_a_listener_of_its_own() {
    use clap::Parser;
    let dir = std::env::temp_dir().join(format!("metrics-listen-{}", std::process::id()));
    let url = format!("sqlite://{}/products.db", dir.display());
    let cli = products::cli::Cli::try_parse_from([
        "products",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        &url,
        "--metrics-listen",
        "127.0.0.1:0",
    ])
    .expect("the flag parses");
    assert_eq!(
        cli.metrics.metrics_listen,
        Some("127.0.0.1:0".parse().unwrap())
    );
    let metrics = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = products::app::start(&cli.settings())
        .await
        .expect("products starts")
        .with_metrics_listener(metrics);
    let (service, scrape) = (server.local_addr(), server.metrics_addr().unwrap());
    tokio::spawn(server.run_until(std::future::pending()));

    let get = |addr: std::net::SocketAddr, path: &'static str| async move {
        reqwest::get(format!("http://{addr}{path}"))
            .await
            .expect("an answer")
    };
    let scraped = get(scrape, "/metrics").await;
    assert_eq!(scraped.status(), 200);
    let text = scraped.text().await.unwrap();
    assert!(
        text.contains(r#"service_db_query_duration_seconds_count{service="products"}"#),
        "{text}"
    );
    assert_eq!(get(scrape, "/graphql").await.status(), 404, "metrics only");
    assert_eq!(get(service, "/metrics").await.status(), 404, "moved away");
    assert_eq!(get(service, "/health").await.status(), 200);
    let _ = std::fs::remove_dir_all(&dir);
}
