//! Persisted documents: automatic persisted queries (Apollo's protocol:
//! hash first, text with hash when unknown), shared by replicas through
//! Redis; and trusted documents from a manifest, as a safelist or logged.

use std::time::Duration;

use router::config::RouterConfig;
use router::graphql::Request;
use router::pipeline::persisted::sha256_hex;
use router::pipeline::trusted::Mode;
use serde_json::{Value, json};

use crate::kit::{Fixture, Subgraph, Supergraph};

const QUERY: &str = "query Shelf { products { name } }";

async fn catalog() -> Fixture {
    Subgraph::new(
        "catalog",
        "type Product { name: String! } type Query { products: [Product!]! other: Int }",
    )
    .root("products", json!([{ "name": "Mug" }, { "name": "Pen" }]))
    .root("other", json!(7))
    .start()
    .await
}

fn persisted(hash: &str, query: Option<&str>) -> Request {
    Request {
        query: query.map(str::to_owned),
        extensions: json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
            .as_object()
            .cloned(),
        ..Default::default()
    }
}

fn code(outcome: &crate::kit::Outcome) -> Value {
    outcome.errors()[0]["extensions"]["code"].clone()
}

fn shelf() -> Value {
    json!({ "products": [{ "name": "Mug" }, { "name": "Pen" }] })
}

#[tokio::test]
async fn a_client_sends_the_hash_then_the_text_once_then_the_hash_alone() {
    let catalog = catalog().await;
    let supergraph = Supergraph::new(&[&catalog]).await;
    let hash = sha256_hex(QUERY);

    let unknown = supergraph.execute(persisted(&hash, None)).await;
    assert_eq!(code(&unknown), "PERSISTED_QUERY_NOT_FOUND");
    assert_eq!(catalog.request_count(), 0);

    let registered = supergraph.execute(persisted(&hash, Some(QUERY))).await;
    registered.assert_data(shelf());
    let by_hash = supergraph.execute(persisted(&hash, None)).await;
    by_hash.assert_data(shelf());
    // Upper-case hex names the same query.
    let upper = supergraph
        .execute(persisted(&hash.to_uppercase(), None))
        .await;
    upper.assert_data(shelf());
}

#[tokio::test]
async fn a_hash_that_is_not_the_texts_is_refused_and_stores_nothing() {
    let catalog = catalog().await;
    let supergraph = Supergraph::new(&[&catalog]).await;
    let other = sha256_hex("{ other }");
    let mismatch = supergraph.execute(persisted(&other, Some(QUERY))).await;
    assert_eq!(code(&mismatch), "PERSISTED_QUERY_HASH_MISMATCH");
    assert_eq!(mismatch.status, 400);
    let still_unknown = supergraph.execute(persisted(&other, None)).await;
    assert_eq!(code(&still_unknown), "PERSISTED_QUERY_NOT_FOUND");
    assert_eq!(catalog.request_count(), 0);

    // A text that does not validate is not stored either.
    let bad = "{ nope }";
    let refused = supergraph
        .execute(persisted(&sha256_hex(bad), Some(bad)))
        .await;
    assert_eq!(code(&refused), "GRAPHQL_VALIDATION_FAILED");
    let unknown = supergraph.execute(persisted(&sha256_hex(bad), None)).await;
    assert_eq!(code(&unknown), "PERSISTED_QUERY_NOT_FOUND");
}

#[tokio::test]
async fn other_versions_and_a_disabled_cache_say_so() {
    let catalog = catalog().await;
    let supergraph = Supergraph::new(&[&catalog]).await;
    let mut request = persisted(&sha256_hex(QUERY), None);
    request.extensions = json!({ "persistedQuery": { "version": 2, "sha256Hash": "x" } })
        .as_object()
        .cloned();
    let outcome = supergraph.execute(request).await;
    assert_eq!(code(&outcome), "PERSISTED_QUERY_VERSION_NOT_SUPPORTED");

    let mut config = crate::kit::router::suite_config();
    config.apq.enabled = false;
    let off = Supergraph::with_config(&[&catalog], config).await;
    let outcome = off.execute(persisted(&sha256_hex(QUERY), None)).await;
    assert_eq!(code(&outcome), "PERSISTED_QUERY_NOT_SUPPORTED");
    // With its text the query still runs.
    let outcome = off
        .execute(persisted(&sha256_hex(QUERY), Some(QUERY)))
        .await;
    outcome.assert_data(shelf());
}

/// Redis at 127.0.0.1:6379 (`TEST_REDIS_URL`), or `None` with a visible
/// skip (a failure under `REQUIRE_REDIS=1`).
async fn redis_url(test: &str) -> Option<String> {
    let url = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    let reachable = async {
        let client = redis::Client::open(url.as_str()).ok()?;
        let mut connection = client.get_multiplexed_async_connection().await.ok()?;
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
            .ok()
    };
    if tokio::time::timeout(Duration::from_secs(2), reachable)
        .await
        .ok()
        .flatten()
        .is_some()
    {
        return Some(url);
    }
    if std::env::var("REQUIRE_REDIS").is_ok_and(|v| v == "1") {
        panic!("{test}: Redis is required (REQUIRE_REDIS=1) but does not answer at {url}");
    }
    eprintln!("SKIPPED {test}: no Redis at {url} (set REQUIRE_REDIS=1 to fail instead)");
    None
}

fn with_redis(url: &str, prefix: &str) -> RouterConfig {
    let mut config = crate::kit::router::suite_config();
    config.apq.redis_url = Some(url.to_owned());
    config.apq.redis_prefix = prefix.to_owned();
    config
}

fn unique_prefix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("apq-test-{}-{nanos}:", std::process::id())
}

#[tokio::test]
async fn replicas_share_registered_queries_through_redis() {
    let Some(url) = redis_url("replicas_share_registered_queries_through_redis").await else {
        return;
    };
    let catalog = catalog().await;
    let prefix = unique_prefix();
    let first = Supergraph::with_config(&[&catalog], with_redis(&url, &prefix)).await;
    let second = Supergraph::with_config(&[&catalog], with_redis(&url, &prefix)).await;
    let hash = sha256_hex(QUERY);
    first
        .execute(persisted(&hash, Some(QUERY)))
        .await
        .assert_data(shelf());
    // Stored in the background: the other replica finds it soon.
    let mut found = None;
    for _ in 0..50 {
        let outcome = second.execute(persisted(&hash, None)).await;
        if outcome.errors().is_empty() {
            found = Some(outcome);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    found
        .expect("the second replica reads it from Redis")
        .assert_data(shelf());

    // A value in Redis that is not the hash's text is never served.
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let forged = sha256_hex("{ other }");
    redis::cmd("SET")
        .arg(format!("{prefix}{forged}"))
        .arg(QUERY)
        .query_async::<()>(&mut connection)
        .await
        .unwrap();
    let third = Supergraph::with_config(&[&catalog], with_redis(&url, &prefix)).await;
    let outcome = third.execute(persisted(&forged, None)).await;
    assert_eq!(code(&outcome), "PERSISTED_QUERY_NOT_FOUND");
}

#[tokio::test]
async fn an_unreachable_redis_leaves_the_memory_cache_serving() {
    let catalog = catalog().await;
    // Nothing listens on port 1.
    let mut config = with_redis("redis://127.0.0.1:1/", "apq:");
    config.apq.redis_timeout_ms = 200;
    let supergraph = Supergraph::with_config(&[&catalog], config).await;
    let hash = sha256_hex(QUERY);
    let started = std::time::Instant::now();
    let unknown = supergraph.execute(persisted(&hash, None)).await;
    assert_eq!(code(&unknown), "PERSISTED_QUERY_NOT_FOUND");
    supergraph
        .execute(persisted(&hash, Some(QUERY)))
        .await
        .assert_data(shelf());
    supergraph
        .execute(persisted(&hash, None))
        .await
        .assert_data(shelf());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

/// A manifest in a file of its own, removed when dropped.
struct Manifest(std::path::PathBuf);

impl Manifest {
    fn new(operations: &[(&str, &str)]) -> Manifest {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!("trusted-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let manifest = Manifest(dir.join("manifest.json"));
        manifest.write(operations);
        manifest
    }

    fn write(&self, operations: &[(&str, &str)]) {
        let operations: Vec<Value> = operations
            .iter()
            .map(|(id, body)| json!({ "id": id, "name": "Op", "type": "query", "body": body }))
            .collect();
        let text = json!({ "format": "apollo-persisted-query-manifest", "version": 1, "operations": operations });
        std::fs::write(&self.0, text.to_string()).unwrap();
    }
}

impl Drop for Manifest {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn trusted(manifest: &Manifest, mode: Mode) -> RouterConfig {
    let mut config = crate::kit::router::suite_config();
    config.trusted_documents.manifest = Some(manifest.0.clone());
    config.trusted_documents.mode = mode;
    config
}

fn text(query: &str) -> Request {
    Request {
        query: Some(query.to_owned()),
        ..Default::default()
    }
}

#[tokio::test]
async fn with_a_safelist_only_trusted_documents_run() {
    let catalog = catalog().await;
    let manifest = Manifest::new(&[("shelf-v1", QUERY)]);
    let supergraph = Supergraph::with_config(&[&catalog], trusted(&manifest, Mode::Safelist)).await;

    supergraph
        .execute(persisted("shelf-v1", None))
        .await
        .assert_data(shelf());
    // The same document as text, however it is formatted.
    supergraph
        .execute(text(
            "query Shelf {\n  products {\n    name # the label\n  }\n}",
        ))
        .await
        .assert_data(shelf());

    let other = supergraph.execute(text("{ other }")).await;
    assert_eq!(code(&other), "QUERY_NOT_ON_SAFELIST");
    let unknown = supergraph.execute(persisted("nope", None)).await;
    assert_eq!(code(&unknown), "PERSISTED_QUERY_NOT_IN_LIST");
    // APQ cannot add to the list.
    let hash = sha256_hex("{ other }");
    let registered = supergraph
        .execute(persisted(&hash, Some("{ other }")))
        .await;
    assert_eq!(code(&registered), "QUERY_NOT_ON_SAFELIST");
    assert_eq!(
        catalog.requests().len(),
        2,
        "only the trusted ones reached the subgraph"
    );
}

#[tokio::test]
async fn in_log_only_mode_everything_runs() {
    let catalog = catalog().await;
    let manifest = Manifest::new(&[("shelf-v1", QUERY)]);
    let supergraph = Supergraph::with_config(&[&catalog], trusted(&manifest, Mode::LogOnly)).await;
    supergraph
        .execute(persisted("shelf-v1", None))
        .await
        .assert_data(shelf());
    supergraph
        .execute(text("{ other }"))
        .await
        .assert_data(json!({ "other": 7 }));
}

#[tokio::test]
async fn the_manifest_reloads_when_its_file_changes_and_a_bad_one_keeps_the_last() {
    let catalog = catalog().await;
    let manifest = Manifest::new(&[("shelf-v1", QUERY)]);
    let supergraph = Supergraph::with_config(&[&catalog], trusted(&manifest, Mode::Safelist)).await;
    assert_eq!(
        code(&supergraph.execute(persisted("other-v1", None)).await),
        "PERSISTED_QUERY_NOT_IN_LIST"
    );

    manifest.write(&[("shelf-v1", QUERY), ("other-v1", "{ other }")]);
    let mut outcome = None;
    for _ in 0..100 {
        let attempt = supergraph.execute(persisted("other-v1", None)).await;
        if attempt.errors().is_empty() {
            outcome = Some(attempt);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    outcome
        .expect("the new manifest applies")
        .assert_data(json!({ "other": 7 }));

    std::fs::write(&manifest.0, "{ not json").unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    supergraph
        .execute(persisted("other-v1", None))
        .await
        .assert_data(json!({ "other": 7 }));
}

#[test]
fn a_manifest_that_does_not_read_is_an_error_at_start() {
    let manifest = Manifest::new(&[]);
    std::fs::write(
        &manifest.0,
        r#"{"format": "something-else", "version": 1, "operations": []}"#,
    )
    .unwrap();
    let config = trusted(&manifest, Mode::Safelist);
    let loaded = router::pipeline::trusted::TrustedDocuments::load(
        &config.trusted_documents,
        std::sync::Arc::new(|_: &str| None),
    );
    assert!(
        loaded
            .unwrap_err()
            .to_string()
            .contains("apollo-persisted-query-manifest")
    );
}
