//! A few thousand malformed and hostile requests over HTTP: every one gets
//! a 4xx with a GraphQL error and a code (none reaches the subgraph), the
//! router keeps answering, and its memory stays bounded.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::routing::post;
use router::compose::{SubgraphSource, compose};
use router::config::RouterConfig;
use router::engine::Engine;
use serde_json::{Value, json};

const SDL: &str = r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
type Query { products(first: Int): [Product!]! product(id: ID!): Product }
type Mutation { rename(id: ID!, name: String!): Product }
type Product @key(fields: "id") { id: ID! name: String! related: [Product!]! price(currency: String): Int }"#;

/// A fake subgraph that counts what reaches it.
async fn subgraph(hits: Arc<AtomicUsize>) -> String {
    let app = Router::new().route(
        "/graphql",
        post(move || {
            let hits = hits.clone();
            async move {
                hits.fetch_add(1, Ordering::Relaxed);
                axum::Json(json!({ "data": { "products": [] } }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/graphql", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn resident_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Deterministic pseudo-random numbers (no dependency, same run every time).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Families of hostile bodies.
const FAMILIES: usize = 18;

/// One hostile body: `i % FAMILIES` picks the family of ways a request
/// can be wrong.
fn hostile(rng: &mut Rng, i: usize) -> Vec<u8> {
    let deep = |n: usize| format!("{}{}", "{ products { related ".repeat(n), "} }".repeat(n));
    let n = 1 + rng.below(3_000) as usize;
    let hash = |rng: &mut Rng| {
        format!(
            "{:016x}{:016x}{:016x}{:016x}",
            rng.next(),
            rng.next(),
            rng.next(),
            rng.next()
        )
    };
    let text = match i % FAMILIES {
        0 => return (0..n).map(|_| rng.below(256) as u8).collect(),
        1 => return b"{\"query\": \"{ products { id } }\"".to_vec(),
        2 => return [b"{\"query\": \"".as_slice(), &[0xff, 0xfe, 0xfd], b"\"}"].concat(),
        3 if i % 32 == 3 => json!({ "query": "x".repeat(n * 100) }).to_string(),
        3 => json!({ "query": format!("{{ products {{ {} }} }}", "id ".repeat(15_001 + n)) })
            .to_string(),
        4 => json!({ "query": deep(n) }).to_string(),
        5 => json!({ "query": format!("{}1{}", "[".repeat(n), "]".repeat(n)) }).to_string(),
        6 => json!({ "query": "query($id: ID!) { product(id: $id) { id } }", "variables": { "id": { "deep": [[[1]]] } } }).to_string(),
        7 => json!({ "query": "query($n: Int) { products(first: $n) { id } }", "variables": { "n": "many" } }).to_string(),
        8 => {
            let aliases: Vec<String> = (0..(31 + n % 500)).map(|a| format!("a{a}: products {{ id }}")).collect();
            json!({ "query": format!("{{ {} }}", aliases.join(" ")) }).to_string()
        }
        9 => {
            let mut bomb = String::from("query { products { ...F20 } }\n");
            for level in 1..=20 {
                bomb.push_str(&format!("fragment F{level} on Product {{ ...F{p} ...F{p} }}\n", p = level - 1));
            }
            bomb.push_str("fragment F0 on Product { related { id } }");
            json!({ "query": bomb }).to_string()
        }
        10 => json!({ "query": 42, "variables": "no" }).to_string(),
        11 => json!({ "query": "{ products { id } }", "operationName": ["x"] }).to_string(),
        12 => json!({ "query": "query A { products { id } } query B { products { name } }" }).to_string(),
        13 => json!({ "query": format!("{{ products {{ {} }} }}", "id @skip(if: false) ".repeat(60)) })
            .to_string(),
        14 => json!({ "query": "{ products(first: 100) { related { related { related { id } } } } }" }).to_string(),
        15 => format!("[{}]", [r#"{"query": "{ products { id } }"}"#; 3].join(",")),
        // An APQ lookup of a hash nobody registered: every one a new key.
        16 => json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash(rng) } } }).to_string(),
        // A registration whose hash is not its (large) text's.
        _ => json!({ "query": format!("{{ products {{ {} }} }}", "id ".repeat(n)), "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash(rng) } } }).to_string(),
    };
    text.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_hostile_requests_each_get_a_coded_4xx_and_the_router_stays_up() {
    let hits = Arc::new(AtomicUsize::new(0));
    let url = subgraph(hits.clone()).await;
    let supergraph = compose(&[SubgraphSource {
        name: "products".into(),
        url,
        sdl: SDL.into(),
    }])
    .unwrap()
    .supergraph_sdl;
    let config = RouterConfig {
        limits: router::pipeline::limits::LimitsConfig {
            max_cost: 500,
            ..Default::default()
        },
        ..RouterConfig::default()
    };
    let engine = Engine::over_http(&supergraph, &config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}/graphql", listener.local_addr().unwrap());
    tokio::spawn(router::server::serve(
        listener,
        engine,
        std::future::pending(),
    ));
    let client = reqwest::Client::new();
    let healthy = || async {
        let response = client
            .post(&endpoint)
            .header("content-type", "application/json")
            .body(r#"{"query": "{ products { id } }"}"#)
            .send()
            .await
            .unwrap();
        response.status().as_u16() == 200
    };
    assert!(healthy().await);
    let fetched = hits.load(Ordering::Relaxed);

    let mut rng = Rng(0x5eed_cafe_f00d_beef);
    let before = resident_kb();
    let started = std::time::Instant::now();
    let total = 3_200;
    let mut codes = std::collections::BTreeMap::<String, usize>::new();
    let mut halfway = None;
    for i in 0..total {
        let body = hostile(&mut rng, i);
        let response = client
            .post(&endpoint)
            .header("content-type", "application/json")
            .header("accept", "application/graphql-response+json")
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("request {i} got no answer: {e}"));
        let status = response.status().as_u16();
        let answer: Value = response
            .json()
            .await
            .unwrap_or_else(|e| panic!("request {i}: the answer is not JSON: {e}"));
        assert!(
            (400..500).contains(&status),
            "request {i} ({}): {status} {answer}",
            i % FAMILIES
        );
        let code = answer["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("request {i}: no code in {answer}"));
        *codes.entry(code.to_owned()).or_default() += 1;
        if i % 400 == 0 {
            assert!(healthy().await, "still serving after {i}");
        }
        if i == total / 2 {
            halfway = resident_kb();
        }
        assert!(started.elapsed().as_secs() < 120, "bounded in time");
    }
    assert!(healthy().await);
    // Only the health checks reached the subgraph.
    assert_eq!(
        hits.load(Ordering::Relaxed) - fetched,
        total / 400 + 1,
        "a hostile request reached the subgraph"
    );
    // Caches fill up in the first half; the second half must not keep
    // growing (what is freed is reused, nothing hostile is kept).
    if let (Some(before), Some(halfway), Some(after)) = (before, halfway, resident_kb()) {
        println!(
            "resident memory: {before} kB at the start, {halfway} kB halfway, {after} kB at the end"
        );
        assert!(
            after < halfway + 64 * 1024,
            "memory kept growing: {before} kB, then {halfway} kB, then {after} kB"
        );
        assert!(
            after < before + 300 * 1024,
            "memory grew from {before} kB to {after} kB"
        );
    }
    // Every family was refused for its own reason.
    for code in [
        "BAD_REQUEST",
        "GRAPHQL_PARSE_FAILED",
        "GRAPHQL_VALIDATION_FAILED",
        "BAD_USER_INPUT",
        "MAX_ALIASES_EXCEEDED",
        "MAX_RECURSION_EXCEEDED",
        "MAX_TOKENS_EXCEEDED",
        "MAX_DIRECTIVES_EXCEEDED",
        "COST_ESTIMATED_TOO_EXPENSIVE",
        "OPERATION_NAME_REQUIRED",
        "BATCHING_NOT_ENABLED",
        "PERSISTED_QUERY_NOT_FOUND",
        "PERSISTED_QUERY_HASH_MISMATCH",
    ] {
        assert!(codes.contains_key(code), "no {code} among {codes:?}");
    }
}
