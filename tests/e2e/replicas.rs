//! Several replicas of every service, each its own process (`shop service
//! <name>`, as the README deploys them), over PostgreSQL and NATS JetStream,
//! behind one router that balances across them. A flash sale with one
//! orders and one inventory replica killed mid-run (SIGKILL, as a crashed
//! pod) still sells exactly the stock: no double charge, money and stock
//! reconcile, and every event reaches the stream exactly once.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use subgraph_kit::testing::{Backend, GraphqlClient, TestDatabase, nats_url};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio::time::Instant;

const UNITS: i64 = 20;
const CUSTOMERS: usize = 200;
const REPLICAS: usize = 2;
/// 4 services x 2 replicas x this stays far below PostgreSQL's 100.
const POOL: &str = "4";

const PLACE: &str = "mutation($input: PlaceOrderInput!, $key: String) { placeOrder(input: $input, idempotencyKey: $key) { id status failure { code } } }";
const ORDER: &str = "query($id: ID!) { order(id: $id) { id status failure { code } } }";

/// One service replica: a child process, killed when dropped.
struct Replica {
    url: String,
    child: Child,
}

impl Replica {
    /// Starts `shop service <service> <args>` on a free port and waits for
    /// it to say where it listens. Its output goes to `log`.
    async fn start(service: &str, args: &[String], log: PathBuf) -> Replica {
        let mut child = Command::new(env!("CARGO_BIN_EXE_shop"))
            .arg("service")
            .arg(service)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(
                std::fs::File::create(log.with_extension("stderr"))
                    .map(Stdio::from)
                    .unwrap_or_else(|_| Stdio::null()),
            )
            .kill_on_drop(true)
            .spawn()
            .expect("shop service starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (found, url) = tokio::sync::oneshot::channel();
        // Read the output to the end, so the child never blocks on a full pipe.
        tokio::spawn(async move {
            let mut file = tokio::fs::File::create(&log).await.ok();
            let mut lines = BufReader::new(stdout).lines();
            let mut found = Some(found);
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(at) = line.find("subgraph on ") {
                    if let Some(found) = found.take() {
                        let _ = found.send(line[at + "subgraph on ".len()..].trim().to_owned());
                    }
                }
                if let Some(file) = file.as_mut() {
                    let _ = file.write_all(format!("{line}\n").as_bytes()).await;
                }
            }
        });
        let url = tokio::time::timeout(Duration::from_secs(60), url)
            .await
            .unwrap_or_else(|_| panic!("{service} did not start within 60 s"))
            .unwrap_or_else(|_| panic!("{service} exited at start-up"));
        Replica { url, child }
    }

    /// SIGKILL: no graceful shutdown, connections dropped mid-request.
    async fn kill(&mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

/// Every replica of the four services.
struct Cluster {
    services: Vec<(&'static str, Vec<Replica>)>,
}

impl Cluster {
    async fn start(
        databases: &HashMap<&str, String>,
        nats: &str,
        logs: &std::path::Path,
    ) -> Cluster {
        let mut services: Vec<(&'static str, Vec<Replica>)> = Vec::new();
        let common = |service: &str| -> Vec<String> {
            let mut args = vec![
                "--database-url".into(),
                databases[service].clone(),
                "--database-max-connections".into(),
                POOL.into(),
            ];
            // Products publishes no events.
            if service != "products" {
                args.extend(["--nats-url".into(), nats.into()]);
            }
            args
        };
        for service in ["products", "inventory", "payments", "orders"] {
            let mut args = common(service);
            if service == "payments" {
                args.extend(["--slow-card-delay-ms".into(), "100".into()]);
            }
            if service == "orders" {
                let urls = |name: &str| -> String {
                    let (_, replicas) = services.iter().find(|(n, _)| *n == name).expect("started");
                    replicas
                        .iter()
                        .map(|r| r.url.clone())
                        .collect::<Vec<_>>()
                        .join(",")
                };
                args.extend([
                    "--products-url".into(),
                    urls("products"),
                    "--inventory-url".into(),
                    urls("inventory"),
                    "--payments-url".into(),
                    urls("payments"),
                    // Outcomes must depend on stock, not a busy machine.
                    "--call-timeout-ms".into(),
                    "30000".into(),
                    "--products-timeout-ms".into(),
                    "30000".into(),
                    // A dead replica's checkouts are taken over within seconds.
                    "--checkout-lease-ms".into(),
                    "2000".into(),
                    "--recovery-sweep-ms".into(),
                    "200".into(),
                    "--stall-pause-ms".into(),
                    "500".into(),
                ]);
            }
            let mut replicas = Vec::new();
            // One after the other: the first migrates the empty database.
            for n in 0..REPLICAS {
                let log = logs.join(format!("{service}-{n}.log"));
                replicas.push(Replica::start(service, &args, log).await);
            }
            services.push((service, replicas));
        }
        Cluster { services }
    }

    fn urls(&self) -> Vec<(&'static str, Vec<String>)> {
        self.services
            .iter()
            .map(|(name, replicas)| (*name, replicas.iter().map(|r| r.url.clone()).collect()))
            .collect()
    }

    fn replica(&mut self, service: &str, n: usize) -> &mut Replica {
        let (_, replicas) = self
            .services
            .iter_mut()
            .find(|(name, _)| *name == service)
            .expect("a service of the cluster");
        &mut replicas[n]
    }
}

/// How one customer's shopping ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Outcome {
    Bought,
    SoldOut,
}

/// What a frontend does: place the order with an idempotency key, and on
/// an error (the replica serving it died) send it again with the same key;
/// follow a PENDING order until it settles; when the checkout was undone
/// for any reason but the stock, try again as a new order.
async fn shop(
    router: GraphqlClient,
    product: Value,
    customer: usize,
    answered: Arc<AtomicUsize>,
    turned_away: Arc<AtomicUsize>,
) -> Outcome {
    let deadline = Instant::now() + Duration::from_secs(180);
    for attempt in 0.. {
        let variables = json!({
            "input": {
                "customerEmail": format!("c{customer}@example.com"),
                "items": [{ "productId": product, "quantity": 1 }],
                "payment": { "gateway": "TEST_CARD", "card": { "number": "4242424242424242", "expMonth": 12, "expYear": 2040, "cvc": "123" } },
            },
            "key": format!("c{customer}-{attempt}"),
        });
        let mut order = loop {
            let response = router.query_with(PLACE, variables.clone()).await;
            answered.fetch_add(1, Ordering::Relaxed);
            if response.body["data"]["placeOrder"].is_object() {
                break response.body["data"]["placeOrder"].clone();
            }
            if response.body["errors"][0]["extensions"]["code"] == "SUBGRAPH_CIRCUIT_OPEN" {
                turned_away.fetch_add(1, Ordering::Relaxed);
            }
            assert!(
                Instant::now() < deadline,
                "customer {customer} never got an order: {}",
                response.body
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        while order["status"] == "PENDING" {
            assert!(Instant::now() < deadline, "order never settled: {order}");
            tokio::time::sleep(Duration::from_millis(200)).await;
            let response = router.query_with(ORDER, json!({ "id": order["id"] })).await;
            if response.body["data"]["order"].is_object() {
                order = response.body["data"]["order"].clone();
            }
        }
        match (order["status"].as_str(), order["failure"]["code"].as_str()) {
            (Some("CONFIRMED"), _) => return Outcome::Bought,
            (Some("CANCELLED"), Some("INSUFFICIENT_STOCK")) => return Outcome::SoldOut,
            _ => assert!(
                Instant::now() < deadline,
                "customer {customer} kept failing: {order}"
            ),
        }
    }
    unreachable!("the loop returns or fails")
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .unwrap_or_else(|err| panic!("{sql}: {err}"))
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    rows(db, sql).await[0]
        .try_get_by_index::<i64>(0)
        .expect("a count")
}

#[tokio::test]
async fn a_flash_sale_sells_exactly_the_stock_while_replicas_die() {
    let Some(nats) = nats_url("a_flash_sale_sells_exactly_the_stock_while_replicas_die").await
    else {
        return;
    };
    let mut guards = Vec::new();
    let mut databases = HashMap::new();
    for service in ["products", "inventory", "orders", "payments"] {
        let Some(db) =
            TestDatabase::create(Backend::Postgres, &format!("replicas_{service}")).await
        else {
            return;
        };
        databases.insert(service, db.url.clone());
        guards.push(db);
    }
    // Where the stream stands now: this test's events come after.
    let jetstream = async_nats::jetstream::new(async_nats::connect(&nats).await.expect("NATS"));
    let mut stream = jetstream
        .get_or_create_stream(events::broker::nats::stream_config(
            events::settings::STREAM,
            events::settings::SUBJECTS,
        ))
        .await
        .expect("the stream");
    let first_sequence = stream
        .info()
        .await
        .expect("stream info")
        .state
        .last_sequence
        + 1;

    let logs = std::env::temp_dir().join(format!("shop-replicas-{}", std::process::id()));
    std::fs::create_dir_all(&logs).expect("log directory");
    let mut cluster = Cluster::start(&databases, &nats, &logs).await;
    let auth = shop::dev_auth::DevAuth::load_or_create(&logs).expect("development keys");
    let (supergraph, config) =
        shop::system::router_over(&cluster.urls(), "127.0.0.1:0".parse().unwrap(), &auth)
            .expect("router config");
    let engine = Arc::new(
        router::engine::Engine::over_http(&supergraph, &config)
            .await
            .expect("router"),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let router_url = format!("http://{}/graphql", listener.local_addr().unwrap());
    tokio::spawn(
        async move { router::server::serve(listener, engine, std::future::pending()).await },
    );
    let router = GraphqlClient::new(router_url).with_bearer(&auth.admin_token());

    // One product with exactly the units on sale.
    let product = router
        .query_with(
            r#"mutation { createProduct(input: { sku: "FLASH-1", name: "Flash sale", description: "", price: { amount: 1999, currency: "USD" }, category: "Sale" }) { id } }"#,
            json!({}),
        )
        .await
        .data()["createProduct"]["id"]
        .clone();
    router
        .query_with(
            r#"mutation($p: ID!, $units: Int!) { adjustStock(productId: $p, delta: $units, reason: "delivery") { onHand } }"#,
            json!({ "p": product, "units": UNITS }),
        )
        .await
        .data();

    let answered = Arc::new(AtomicUsize::new(0));
    let turned_away = Arc::new(AtomicUsize::new(0));
    let customers: Vec<_> = (0..CUSTOMERS)
        .map(|customer| {
            tokio::spawn(shop(
                router.clone(),
                product.clone(),
                customer,
                answered.clone(),
                turned_away.clone(),
            ))
        })
        .collect();
    // Mid-run: once some answers are in, with many checkouts in flight.
    let started = Instant::now();
    while answered.load(Ordering::Relaxed) < 30 && started.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    cluster.replica("orders", 0).kill().await;
    cluster.replica("inventory", 1).kill().await;
    let answered_at_kill = answered.load(Ordering::Relaxed);
    assert!(answered_at_kill < CUSTOMERS, "killed while checkouts ran");

    let mut outcomes: HashMap<Outcome, usize> = HashMap::new();
    for customer in customers {
        *outcomes
            .entry(customer.await.expect("customer task"))
            .or_default() += 1;
    }
    eprintln!(
        "killed after {answered_at_kill} answers; {} placeOrder calls for {CUSTOMERS} customers in {:?}",
        answered.load(Ordering::Relaxed),
        started.elapsed()
    );
    // A dead replica fails the calls it held, and nothing more: its
    // sibling takes the rest, no breaker opens on the service.
    assert_eq!(
        turned_away.load(Ordering::Relaxed),
        0,
        "placeOrder refused with SUBGRAPH_CIRCUIT_OPEN while a replica lived"
    );
    assert!(
        answered.load(Ordering::Relaxed) <= 2 * CUSTOMERS,
        "at most one lost placeOrder per customer"
    );
    assert_eq!(
        outcomes,
        HashMap::from([
            (Outcome::Bought, UNITS as usize),
            (Outcome::SoldOut, CUSTOMERS - UNITS as usize)
        ]),
        "logs in {}",
        logs.display()
    );

    // Settled: nothing pending anywhere, the stock sold and nothing held.
    let orders = Database::connect(&databases["orders"]).await.unwrap();
    let payments = Database::connect(&databases["payments"]).await.unwrap();
    let inventory = Database::connect(&databases["inventory"]).await.unwrap();
    assert_eq!(
        count(
            &orders,
            "SELECT count(*) FROM orders WHERE status = 'PENDING'"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &orders,
            "SELECT count(*) FROM orders WHERE status = 'CONFIRMED'"
        )
        .await,
        UNITS
    );
    let level = router
        .query_with(
            "query($p: ID!) { product(id: $p) { inventory { onHand reserved } } }",
            json!({ "p": product }),
        )
        .await;
    assert_eq!(
        level.data()["product"]["inventory"],
        json!({ "onHand": 0, "reserved": 0 })
    );

    // Money: one capture per confirmed order, of its price; none for the rest.
    assert_eq!(
        count(&payments, "SELECT count(*) FROM (SELECT order_id FROM payments WHERE status = 'CAPTURED' GROUP BY order_id HAVING count(*) > 1) doubled").await,
        0,
        "no order is charged twice"
    );
    let confirmed: Vec<String> = rows(&orders, "SELECT id FROM orders WHERE status = 'CONFIRMED'")
        .await
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    let captured: Vec<(String, i64)> = rows(
        &payments,
        "SELECT order_id, amount FROM payments WHERE status = 'CAPTURED' ORDER BY order_id",
    )
    .await
    .iter()
    .map(|r| {
        (
            r.try_get_by_index::<String>(0).unwrap(),
            r.try_get_by_index::<i64>(1).unwrap(),
        )
    })
    .collect();
    let mut expected: Vec<(String, i64)> = confirmed.iter().map(|id| (id.clone(), 1999)).collect();
    expected.sort();
    assert_eq!(
        captured, expected,
        "captured exactly the confirmed orders' totals"
    );

    // Events: every outbox row published (a dead relay's lease runs out and
    // a standby takes over), and each event id in the stream exactly once.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut ids = Vec::new();
    for db in [&orders, &payments, &inventory] {
        while count(
            db,
            "SELECT count(*) FROM event_outbox WHERE published_at IS NULL",
        )
        .await
            > 0
        {
            assert!(Instant::now() < deadline, "the outbox never drained");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        ids.extend(
            rows(db, "SELECT event_id FROM event_outbox")
                .await
                .iter()
                .map(|r| r.try_get_by_index::<String>(0).unwrap()),
        );
    }
    // At least "placed" and a final status per order.
    assert!(
        ids.len() >= 2 * CUSTOMERS,
        "every checkout left events: {}",
        ids.len()
    );
    let last_sequence = stream
        .info()
        .await
        .expect("stream info")
        .state
        .last_sequence;
    let mut messages = stream
        .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig {
            deliver_policy: async_nats::jetstream::consumer::DeliverPolicy::ByStartSequence {
                start_sequence: first_sequence,
            },
            ..Default::default()
        })
        .await
        .expect("a reader of the stream")
        .messages()
        .await
        .expect("messages");
    let mut in_stream: HashMap<String, usize> = HashMap::new();
    while let Some(message) = tokio::time::timeout(Duration::from_secs(10), messages.next())
        .await
        .expect("the stream reads to its end within 10 s a message")
    {
        let message = message.expect("a message");
        if let Ok(event) = events::Event::from_json(&message.payload) {
            *in_stream.entry(event.id.to_string()).or_default() += 1;
        }
        if message.info().expect("JetStream info").stream_sequence >= last_sequence {
            break;
        }
    }
    let wrong: Vec<_> = ids
        .iter()
        .filter(|id| in_stream.get(*id).copied() != Some(1))
        .map(|id| (id.clone(), in_stream.get(id).copied().unwrap_or(0)))
        .collect();
    assert!(
        wrong.is_empty(),
        "events not in the stream exactly once: {wrong:?}"
    );
    let _ = std::fs::remove_dir_all(&logs);
}
