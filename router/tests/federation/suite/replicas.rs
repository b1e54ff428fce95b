//! A subgraph that runs as several replicas behind one router: the router
//! balances across them, keeps answering when one dies, and when all of
//! them are down answers what it can, opens the subgraph's breaker, and
//! closes it once they are back; replicas found by DNS come and go under
//! load. Bounded in queries and time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use router::config::{RouterConfig, SubgraphConfig};
use serde_json::{Value, json};
use upstream::DnsDiscovery;
use upstream::testing::FakeDns;

use crate::kit::{Fixture, Replicas, Subgraph, Supergraph};

const QUERY: &str = "{ products { id name rating } }";

async fn catalog() -> Fixture {
    Subgraph::new(
        "catalog",
        r#"
        type Product @key(fields: "id") { id: ID! name: String! }
        type Query { products: [Product!]! }
        "#,
    )
    .root(
        "products",
        json!([{ "id": "p1", "name": "Mug" }, { "id": "p2", "name": "Pen" }]),
    )
    .start()
    .await
}

async fn reviews(replicas: usize) -> Replicas {
    Subgraph::new(
        "reviews",
        r#"type Product @key(fields: "id") { id: ID! rating: Int }"#,
    )
    .entities(
        "Product",
        json!([{ "id": "p1", "rating": 5 }, { "id": "p2", "rating": 3 }]),
    )
    .start_replicas(replicas)
    .await
}

fn answer() -> Value {
    json!({ "products": [
        { "id": "p1", "name": "Mug", "rating": 5 },
        { "id": "p2", "name": "Pen", "rating": 3 },
    ] })
}

/// The router, told every replica of `reviews`. Each client query runs
/// on its own (no request dedup), so every one of them meets the replicas.
async fn router(catalog: &Fixture, reviews: &Replicas, config: RouterConfig) -> Supergraph {
    let mut config = config;
    config.request_dedup.queries = false;
    config.subgraphs.insert(
        "reviews".into(),
        SubgraphConfig {
            endpoints: reviews.urls(),
            timeout_ms: Some(1_000),
            ..SubgraphConfig::default()
        },
    );
    Supergraph::with_config(&[catalog, &reviews.fixture()], config).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_under_load_costs_no_query() {
    let catalog = catalog().await;
    let reviews = reviews(3).await;
    let supergraph = router(&catalog, &reviews, RouterConfig::default()).await;
    let outcomes: Vec<_> = futures::stream::iter(0..1_000)
        .map(|n| {
            let (supergraph, reviews) = (&supergraph, &reviews);
            async move {
                if n == 300 {
                    reviews.kill(1);
                }
                supergraph.query(QUERY).await
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    for outcome in &outcomes {
        assert_eq!(outcome.errors(), Vec::<Value>::new());
        assert_eq!(outcome.data(), &answer());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_every_replica_down_the_rest_is_answered_then_the_breaker_fails_fast() {
    let catalog = catalog().await;
    let reviews = reviews(2).await;
    let mut config = RouterConfig::default();
    config.traffic.breaker.sleep_ms = 500;
    let supergraph = router(&catalog, &reviews, config).await;
    // The router's HTTP endpoint over the same engine, for `/ready`.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ready_url = format!("http://{}/ready", listener.local_addr().unwrap());
    let engine = supergraph.engine().clone();
    tokio::spawn(
        async move { router::server::serve(listener, engine, std::future::pending()).await },
    );
    let ready = || async { reqwest::get(&ready_url).await.unwrap().status().as_u16() };
    assert_eq!(ready().await, 200);
    assert_eq!(supergraph.query(QUERY).await.data(), &answer());
    reviews.kill(0);
    reviews.kill(1);

    // Partial data: the catalog's fields, null ratings with an error, fast.
    let partial = json!({ "products": [
        { "id": "p1", "name": "Mug", "rating": null },
        { "id": "p2", "name": "Pen", "rating": null },
    ] });
    let mut codes = Vec::new();
    for _ in 0..40 {
        let started = Instant::now();
        let outcome = supergraph.query(QUERY).await;
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(outcome.data(), &partial);
        let code = outcome.errors()[0]["extensions"]["code"].clone();
        if code == "SUBGRAPH_CIRCUIT_OPEN" {
            codes.push(code);
            break;
        }
        assert_eq!(code, "SUBGRAPH_UNAVAILABLE", "{:?}", outcome.errors());
    }
    assert_eq!(codes, ["SUBGRAPH_CIRCUIT_OPEN"], "the breaker opened");
    assert_eq!(
        supergraph.engine().unavailable_subgraphs(),
        ["reviews"],
        "not ready"
    );
    assert_eq!(ready().await, 503, "not ready while the breaker is open");
    // Fail-fast: a whole query (its catalog fetch included) in a few ms.
    // The median, not each one: this is a debug build on a shared machine;
    // the upstream's own test bounds every rejected call.
    let mut took = Vec::new();
    for _ in 0..21 {
        let started = Instant::now();
        let outcome = supergraph.query(QUERY).await;
        took.push(started.elapsed());
        assert_eq!(outcome.data(), &partial);
        assert_eq!(
            outcome.errors()[0]["extensions"]["code"],
            "SUBGRAPH_CIRCUIT_OPEN"
        );
    }
    took.sort();
    assert!(took[10] < Duration::from_millis(5), "{took:?}");

    reviews.revive(0).await;
    reviews.revive(1).await;
    let back = Instant::now();
    while supergraph.query(QUERY).await.data() != &answer() {
        // The sleep window, then one probe.
        assert!(
            back.elapsed() < Duration::from_millis(500 + 1_000),
            "still failing"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for _ in 0..20 {
        let outcome = supergraph.query(QUERY).await;
        assert_eq!(outcome.errors(), Vec::<Value>::new());
        assert_eq!(outcome.data(), &answer());
    }
    assert_eq!(
        supergraph.engine().unavailable_subgraphs(),
        Vec::<String>::new(),
        "ready again"
    );
    assert_eq!(ready().await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_view_shows_each_replica() {
    let catalog = catalog().await;
    let reviews = reviews(2).await;
    let supergraph = router(&catalog, &reviews, RouterConfig::default()).await;
    for _ in 0..10 {
        assert_eq!(supergraph.query(QUERY).await.data(), &answer());
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let engine = supergraph.engine().clone();
    tokio::spawn(router::server::serve_admin(
        listener,
        engine,
        std::future::pending(),
    ));
    let status: Value = reqwest::get(format!("http://{addr}/status"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let subgraphs = status["subgraphs"].as_array().unwrap();
    let names: Vec<&str> = subgraphs
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["catalog", "reviews"]);
    let reviews_status = &subgraphs[1];
    assert_eq!(reviews_status["breaker"], "closed");
    let endpoints = reviews_status["endpoints"].as_array().unwrap();
    let urls: Vec<&str> = endpoints
        .iter()
        .map(|e| e["url"].as_str().unwrap())
        .collect();
    let mut expected = reviews.urls();
    expected.sort();
    let mut urls = urls.into_iter().map(str::to_owned).collect::<Vec<_>>();
    urls.sort();
    assert_eq!(urls, expected);
    let requests: u64 = endpoints
        .iter()
        .map(|e| e["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(
        requests, 10,
        "one entity fetch per query, counted per replica"
    );
    for endpoint in endpoints {
        assert_eq!(endpoint["available"], true);
        assert_eq!(endpoint["health"], "unchecked", "health checks are off");
        assert_eq!(endpoint["outstanding"], 0);
        assert!(endpoint["latency_ms"].as_f64().is_some());
    }
}

const SRV: &str = "_graphql._tcp.reviews.test";

/// SRV records naming `urls` (replicas on 127.0.0.1, one port each).
fn point_at(dns: &FakeDns, urls: &[String]) {
    let ports: Vec<u16> = urls
        .iter()
        .map(|url| {
            let port = url.trim_start_matches("http://127.0.0.1:");
            port.trim_end_matches("/graphql").parse().unwrap()
        })
        .collect();
    let targets: Vec<(&str, u16)> = ports.iter().map(|port| ("reviews.test", *port)).collect();
    dns.set_srv(SRV, &targets);
}

/// The requests each endpoint of `reviews` took, by URL, sorted.
fn reviews_endpoints(engine: &router::engine::Engine) -> Vec<(String, u64)> {
    let status = engine.upstreams();
    let reviews = status.into_iter().find(|u| u.name == "reviews").unwrap();
    let mut endpoints: Vec<(String, u64)> = reviews
        .endpoints
        .into_iter()
        .map(|e| (e.url, e.requests))
        .collect();
    endpoints.sort();
    endpoints
}

async fn eventually(
    engine: &router::engine::Engine,
    what: &str,
    done: impl Fn(&[(String, u64)]) -> bool,
) {
    let started = Instant::now();
    while !done(&reviews_endpoints(engine)) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never: {what}: {:?}",
            reviews_endpoints(engine)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_found_by_dns_come_and_go_under_load_without_a_failed_query() {
    let catalog = catalog().await;
    let reviews = reviews(3).await;
    let urls = reviews.urls();
    let dns = FakeDns::start().await;
    dns.set_addresses("reviews.test", &["127.0.0.1".parse().unwrap()]);
    point_at(&dns, &urls[..1]);
    let mut config = RouterConfig::default();
    config.subgraphs.insert(
        "reviews".into(),
        SubgraphConfig {
            discovery: Some(DnsDiscovery {
                interval_ms: 100,
                nameserver: Some(dns.addr()),
                ..DnsDiscovery::srv(SRV)
            }),
            ..SubgraphConfig::default()
        },
    );
    let supergraph = Supergraph::with_config(&[&catalog, &reviews.fixture()], config).await;
    let engine = supergraph.engine().clone();

    let stop = AtomicBool::new(false);
    let load = futures::stream::iter(0..20_000)
        .take_while(|_| std::future::ready(!stop.load(Ordering::SeqCst)))
        .map(|_| supergraph.query(QUERY))
        .buffer_unordered(16)
        .collect::<Vec<_>>();
    let changes = async {
        eventually(&engine, "the first replica takes traffic", |e| e[0].1 > 20).await;
        point_at(&dns, &urls);
        // p2c over peak-EWMA: a new replica ramps up from a higher cost
        // than warm ones, so "some" traffic, not a third of it.
        eventually(&engine, "all three take traffic", |e| {
            e.len() == 3 && e.iter().all(|(_, requests)| *requests > 0)
        })
        .await;
        point_at(&dns, &urls[2..]);
        eventually(&engine, "only the third is left", |e| {
            e.len() == 1 && e[0].0 == urls[2]
        })
        .await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.store(true, Ordering::SeqCst);
    };
    let (outcomes, ()) = tokio::join!(load, changes);
    assert!(outcomes.len() > 60, "{} queries", outcomes.len());
    for outcome in &outcomes {
        assert_eq!(outcome.errors(), Vec::<Value>::new());
        assert_eq!(outcome.data(), &answer());
    }
}
