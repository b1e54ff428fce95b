//! A subgraph that runs as several replicas behind one router: the router
//! balances across them, keeps answering when one dies, and when all of
//! them are down answers what it can, opens the subgraph's breaker, and
//! closes it once they are back. Bounded in queries and time.

use std::time::{Duration, Instant};

use futures::StreamExt;
use router::config::{RouterConfig, SubgraphConfig};
use serde_json::{Value, json};

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

/// The router, told every replica of `reviews`.
fn router(catalog: &Fixture, reviews: &Replicas, config: RouterConfig) -> Supergraph {
    let mut config = config;
    config.subgraphs.insert(
        "reviews".into(),
        SubgraphConfig {
            endpoints: reviews.urls(),
            timeout_ms: Some(1_000),
            ..SubgraphConfig::default()
        },
    );
    Supergraph::with_config(&[catalog, &reviews.fixture()], config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_under_load_costs_no_query() {
    let catalog = catalog().await;
    let reviews = reviews(3).await;
    let supergraph = router(&catalog, &reviews, RouterConfig::default());
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
    let supergraph = router(&catalog, &reviews, config);
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
    let supergraph = router(&catalog, &reviews, RouterConfig::default());
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
        assert_eq!(endpoint["outstanding"], 0);
        assert!(endpoint["latency_ms"].as_f64().is_some());
    }
}
