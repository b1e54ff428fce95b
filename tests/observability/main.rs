//! Traces and logs of the whole system, in a test binary of its own: the
//! process's one `tracing` subscriber is installed here, exporting to an
//! in-process OTLP receiver (`collector`) and writing logs (JSON, at debug
//! level) into memory, before the system starts.
//!
//! One checkout through the router, sent with a client `traceparent`, must
//! come back as one trace: the router's stages and fetches, the four
//! services' requests, resolvers and statements, orders' calls to the
//! others, the events it caused and the consumer that handled them, each
//! span's parent in the trace (but the root's, the client's own span). And
//! neither the logs nor the spans may hold the card number, the client's
//! token or the identity secret.

mod collector;

use std::collections::{BTreeSet, HashSet};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use shop::system::{self, SystemSettings};
use subgraph_kit::testing::GraphqlClient;
use telemetry::{LogFormat, LogSettings, TraceSettings};

use collector::{Collector, Span};

const CARD: &str = "4242424242424242";
/// The client's own trace and span, as a frontend that traces would send.
const TRACE_ID: &str = "5d0e0e7c9d3b4fa2a1c3e5f7091b2d4f";
const CLIENT_SPAN: &str = "a1b2c3d4e5f60718";

#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Sends every finished span (the exporter's flush blocks: off the runtime).
async fn flush() {
    tokio::task::spawn_blocking(telemetry::traces::flush)
        .await
        .expect("flush");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_checkout_is_one_trace_across_every_service_and_its_logs_keep_no_secrets() {
    let (collector, endpoint) = Collector::start().await;
    let logs = Logs::default();
    let writer = logs.clone();
    let installed = telemetry::install(
        "shop",
        &TraceSettings {
            endpoint: Some(endpoint),
            sampling_ratio: 1.0,
        },
        &LogSettings {
            format: LogFormat::Json,
            filter: Some("debug".into()),
            ansi: false,
        },
        move || writer.clone(),
    )
    .expect("telemetry installs");
    assert!(installed.traces_on());

    let data_dir = std::env::temp_dir().join(format!("shop-traces-{}", std::process::id()));
    let settings = SystemSettings::ephemeral(&data_dir);
    let running = system::start(&settings).await.expect("system starts");
    let router = GraphqlClient::new(running.router_url());
    let customer = router
        .clone()
        .with_bearer(&running.tokens.customer)
        .with_header("traceparent", &format!("00-{TRACE_ID}-{CLIENT_SPAN}-01"));

    let product = router
        .query(r#"{ productBySku(sku: "BOOK-DUNE") { id } }"#)
        .await
        .data()["productBySku"]["id"]
        .clone();
    let placed = customer
        .query_with(
            "mutation($input: PlaceOrderInput!) { placeOrder(input: $input, idempotencyKey: \"traced-1\") { id status } }",
            json!({ "input": {
                "customerEmail": shop::dev_auth::CUSTOMER_EMAIL,
                "items": [{ "productId": product, "quantity": 1 }],
                "payment": { "gateway": "TEST_CARD", "card": { "number": CARD, "expMonth": 12, "expYear": 2040, "cvc": "123" } },
            }}),
        )
        .await;
    assert_eq!(
        placed.data()["placeOrder"]["status"],
        "CONFIRMED",
        "{placed:?}"
    );

    // The payment events reach orders' consumer after the response: wait
    // for its span, and for every span's parent to have arrived.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let trace = loop {
        flush().await;
        let trace = collector.trace(TRACE_ID);
        let consumed = trace.iter().any(|s| s.attribute("consumer").is_some());
        if (consumed && orphans(&trace).is_empty()) || tokio::time::Instant::now() > deadline {
            break trace;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let names: BTreeSet<&str> = trace.iter().map(|s| s.name.as_str()).collect();

    // One root: the router's request, a child of the client's span.
    let roots: Vec<&Span> = trace
        .iter()
        .filter(|s| s.parent_span_id == CLIENT_SPAN)
        .collect();
    assert_eq!(roots.len(), 1, "one span under the client's: {names:?}");
    assert_eq!(roots[0].name, "router.request");
    assert_eq!(roots[0].attribute("service"), Some("router"));
    // Every other span's parent is in the trace.
    assert!(
        orphans(&trace).is_empty(),
        "spans whose parent is not in the trace: {:?}",
        orphans(&trace)
    );

    // The router's stages and fetches.
    for stage in [
        "router.parse",
        "router.validate",
        "router.plan",
        "router.execute",
    ] {
        assert!(names.contains(stage), "{stage} missing: {names:?}");
    }
    let fetched: BTreeSet<&str> = trace
        .iter()
        .filter(|s| s.name == "router.fetch")
        .filter_map(|s| s.attribute("subgraph"))
        .collect();
    assert!(fetched.contains("orders"), "{fetched:?}");

    // Each of the four services served part of it, with its resolvers and
    // statements; orders called the other three.
    let services: BTreeSet<&str> = trace
        .iter()
        .filter_map(|s| s.attribute("service"))
        .collect();
    assert_eq!(
        services,
        BTreeSet::from(["inventory", "orders", "payments", "products", "router"]),
        "{names:?}"
    );
    for service in ["inventory", "orders", "payments", "products"] {
        let request = format!("{service}.request");
        assert!(names.contains(request.as_str()), "{request}: {names:?}");
    }
    for resolver in [
        "Mutation.placeOrder",
        "Mutation.reserveStock",
        "Mutation.authorizePayment",
        "Query._entities",
    ] {
        assert!(
            names.contains(resolver),
            "the {resolver} resolver: {names:?}"
        );
    }
    assert!(
        names.iter().any(|n| n.starts_with("sea_orm.")),
        "SQL statements: {names:?}"
    );
    let called: BTreeSet<&str> = trace
        .iter()
        .filter(|s| s.name.starts_with("call "))
        .filter_map(|s| s.attribute("peer.service"))
        .collect();
    for peer in ["inventory", "payments", "products"] {
        assert!(called.contains(peer), "orders called {peer}: {called:?}");
    }

    // The events it caused: published, and consumed by orders.
    assert!(
        names.contains("shop.payments.payment.captured publish"),
        "{names:?}"
    );
    let consumers: BTreeSet<&str> = trace
        .iter()
        .filter_map(|s| s.attribute("consumer"))
        .collect();
    assert!(
        consumers.contains("orders-payment-outcomes"),
        "{consumers:?}"
    );
    assert!(trace.iter().all(|s| s.resource_service == "shop"));

    // No secret anywhere: not in any log line (at debug level), nor in any
    // span of any trace.
    let identity_secret = std::fs::read_to_string(data_dir.join("identity.key"))
        .expect("the identity secret")
        .trim()
        .to_owned();
    let secrets = [
        ("the card number", CARD.to_owned()),
        ("the customer's token", running.tokens.customer.clone()),
        ("the identity secret", identity_secret),
        (
            "the router's signed identity",
            running.service_identity.clone(),
        ),
    ];
    let text = logs.text();
    assert!(text.lines().count() > 10, "logs were captured: {text}");
    let mut traced_lines = 0;
    for line in text.lines() {
        let parsed: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        if parsed["trace_id"] == TRACE_ID {
            traced_lines += 1;
        }
    }
    assert!(
        traced_lines > 0,
        "log lines of the checkout carry its trace id"
    );
    let spans = format!("{:?}", collector.spans());
    for (what, secret) in &secrets {
        assert!(!secret.is_empty());
        assert!(!text.contains(secret.as_str()), "{what} in the logs");
        assert!(!spans.contains(secret.as_str()), "{what} in a span");
    }
    assert!(
        !text.contains("Bearer "),
        "an authorization header in the logs"
    );
    // No JWT at all (a client's token, a forwarded identity): their JSON
    // header always starts `eyJ` in base64url.
    assert!(!text.contains("eyJ"), "a token in the logs");

    running.shutdown().await.expect("clean shutdown");
    drop(installed);
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// Spans whose parent is not in `trace`, but the root (the client's child).
fn orphans(trace: &[Span]) -> Vec<String> {
    let ids: HashSet<&str> = trace.iter().map(|s| s.span_id.as_str()).collect();
    trace
        .iter()
        .filter(|s| s.parent_span_id != CLIENT_SPAN && !ids.contains(s.parent_span_id.as_str()))
        .map(|s| format!("{} (parent {:?})", s.name, s.parent_span_id))
        .collect()
}
