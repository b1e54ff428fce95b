//! Hot reload over real HTTP: the router watches its supergraph and config
//! files (and, as a process, takes SIGHUP). A new supergraph takes over
//! under load without a failed query and its new field answers; a broken
//! file is refused and the old one keeps serving; a config change moves a
//! subgraph's traffic. Bounded in queries and time.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use router::compose::{SubgraphSource, compose};
use router::reload::{EngineHandle, ReloadStatus, Reloader, Sources, Triggers, Watching};
use serde_json::{Value, json};

use crate::kit::{Fixture, Subgraph};

/// The catalog as the first supergraph knows it...
const CATALOG_V1: &str = r#"
    type Product @key(fields: "id") { id: ID! name: String! }
    type Query { products: [Product!]! }
"#;
/// ...and with the field the new supergraph adds. The fixture serves this
/// one from the start, as a subgraph deployed before its supergraph.
const CATALOG_V2: &str = r#"
    type Product @key(fields: "id") { id: ID! name: String! price: Int }
    type Query { products: [Product!]! }
"#;

/// Valid against both supergraphs; two subgraphs, so an entity fetch.
const QUERY: &str = "{ products { id name rating } }";
const NEW_FIELD: &str = "{ products { id price } }";

/// No wait in these tests may take longer than this.
const DEADLINE: Duration = Duration::from_secs(15);

async fn catalog() -> Fixture {
    Subgraph::new("catalog", CATALOG_V2)
        .root(
            "products",
            json!([
                { "id": "p1", "name": "Mug", "price": 1200 },
                { "id": "p2", "name": "Pen", "price": 300 },
            ]),
        )
        .start()
        .await
}

async fn reviews() -> Fixture {
    // Slow enough that queries are in flight whenever the swap happens.
    reviews_taking(Duration::from_millis(5)).await
}

async fn reviews_taking(latency: Duration) -> Fixture {
    Subgraph::new(
        "reviews",
        r#"type Product @key(fields: "id") { id: ID! rating: Int }"#,
    )
    .entities(
        "Product",
        json!([{ "id": "p1", "rating": 5 }, { "id": "p2", "rating": 3 }]),
    )
    .latency(latency)
    .start()
    .await
}

fn answer() -> Value {
    json!({ "data": { "products": [
        { "id": "p1", "name": "Mug", "rating": 5 },
        { "id": "p2", "name": "Pen", "rating": 3 },
    ] } })
}

fn new_field_answer() -> Value {
    json!({ "data": { "products": [
        { "id": "p1", "price": 1200 },
        { "id": "p2", "price": 300 },
    ] } })
}

/// A supergraph over the two fixtures, with the catalog's SDL as given.
fn supergraph(catalog: &Fixture, catalog_sdl: &str, reviews: &Fixture) -> String {
    let source = |name: &str, url: &str, sdl: &str| SubgraphSource {
        name: name.into(),
        url: url.into(),
        sdl: sdl.into(),
    };
    compose(&[
        source(
            "catalog",
            catalog.url(),
            Subgraph::new("catalog", catalog_sdl).sdl(),
        ),
        source("reviews", reviews.url(), reviews.sdl()),
    ])
    .unwrap_or_else(|e| panic!("{e}"))
    .supergraph_sdl
}

/// A directory of the router's files, written as deploy tools write them.
struct Files {
    dir: PathBuf,
}

impl Files {
    fn new(test: &str) -> Files {
        let dir = std::env::temp_dir().join(format!("router-reload-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Files { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Replaces `name` at once: written beside it, then renamed over it.
    fn replace(&self, name: &str, text: &str) -> PathBuf {
        let staged = self.path(&format!("{name}.staged"));
        std::fs::write(&staged, text).unwrap();
        std::fs::rename(&staged, self.path(name)).unwrap();
        self.path(name)
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The router in-process over its files, on 127.0.0.1:0, reloading on
/// file changes.
struct Router {
    url: String,
    admin_url: String,
    engine: EngineHandle,
    reloads: Watching,
    client: reqwest::Client,
}

impl Router {
    async fn start(files: &Files) -> Router {
        let reloader = Reloader::start(Sources {
            supergraph: files.path("supergraph.graphql"),
            config: Some(files.path("router.toml")),
            listen: None,
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let engine = reloader.handle();
        let reloads = reloader
            .spawn(Triggers {
                files: true,
                hangup: false,
            })
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let admin = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/graphql", listener.local_addr().unwrap());
        let admin_url = format!("http://{}/status", admin.local_addr().unwrap());
        tokio::spawn(router::server::serve(
            listener,
            engine.clone(),
            std::future::pending(),
        ));
        tokio::spawn(router::server::serve_admin(
            admin,
            engine.clone(),
            std::future::pending(),
        ));
        Router {
            url,
            admin_url,
            engine,
            reloads,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
        }
    }

    async fn query(&self, query: &str) -> Result<Value, String> {
        post(&self.client, &self.url, query).await
    }

    /// Waits for the next reload after `seen` attempts; returns its status.
    async fn reload_after(&self, seen: u64) -> ReloadStatus {
        let mut status = self.reloads.status();
        let waited = tokio::time::timeout(DEADLINE, status.wait_for(|s| s.attempts > seen)).await;
        let status = waited.expect("a reload within the deadline").unwrap();
        status.clone()
    }

    fn attempts(&self) -> u64 {
        self.reloads.status().borrow().attempts
    }
}

async fn post(client: &reqwest::Client, url: &str, query: &str) -> Result<Value, String> {
    let response = client
        .post(url)
        .json(&json!({ "query": query }))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("HTTP {status}: {body}"));
    }
    Ok(body)
}

/// Polls until `query` answers `expected`, within the deadline.
async fn until_answers(router: &Router, query: &str, expected: &Value) {
    let started = Instant::now();
    loop {
        let got = router.query(query).await;
        if got.as_ref() == Ok(expected) {
            return;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "{query} still answers {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Clients sending `QUERY` back to back until stopped: each outcome that
/// is not the exact answer is a failure.
struct Load {
    stop: Arc<AtomicBool>,
    done: Arc<AtomicUsize>,
    tasks: Vec<tokio::task::JoinHandle<Vec<String>>>,
}

impl Load {
    fn start(router: &Router, clients: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let tasks = (0..clients)
            .map(|_| {
                let (client, url) = (router.client.clone(), router.url.clone());
                let (stop, done) = (stop.clone(), done.clone());
                tokio::spawn(async move {
                    let mut failures = Vec::new();
                    while !stop.load(Ordering::Relaxed) && started.elapsed() < DEADLINE * 2 {
                        match post(&client, &url, QUERY).await {
                            Ok(body) if body == answer() => {}
                            Ok(body) => failures.push(body.to_string()),
                            Err(err) => failures.push(err),
                        }
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    failures
                })
            })
            .collect();
        Load { stop, done, tasks }
    }

    /// Waits until `n` more queries have been answered, so a step happens
    /// under load.
    async fn run_for(&self, n: usize) {
        let target = self.done.load(Ordering::Relaxed) + n;
        let started = Instant::now();
        while self.done.load(Ordering::Relaxed) < target {
            assert!(started.elapsed() < DEADLINE, "the load stalled");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Stops the clients; returns how many queries ran and every failure.
    async fn stop(self) -> (usize, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        let mut failures = Vec::new();
        for task in self.tasks {
            failures.extend(task.await.unwrap());
        }
        (self.done.load(Ordering::Relaxed), failures)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_supergraph_takes_over_under_load_and_a_broken_one_is_refused() {
    let (catalog, reviews) = (catalog().await, reviews().await);
    let files = Files::new("under-load");
    files.replace(
        "supergraph.graphql",
        &supergraph(&catalog, CATALOG_V1, &reviews),
    );
    files.replace("router.toml", "");
    let router = Router::start(&files).await;
    assert_eq!(router.query(QUERY).await, Ok(answer()));
    let unknown = router.query(NEW_FIELD).await.unwrap();
    assert_eq!(
        unknown["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{unknown}"
    );
    let first = router.engine.current();

    let load = Load::start(&router, 8);
    load.run_for(50).await;
    files.replace(
        "supergraph.graphql",
        &supergraph(&catalog, CATALOG_V2, &reviews),
    );
    until_answers(&router, NEW_FIELD, &new_field_answer()).await;
    assert!(
        !Arc::ptr_eq(&first, &router.engine.current()),
        "a new engine"
    );
    load.run_for(50).await;

    let seen = router.attempts();
    let broken = files.replace("supergraph.graphql", "type Query { products: [Nope] ");
    let refused = router.reload_after(seen).await;
    let error = refused.last_error.unwrap_or_default();
    assert!(
        error.contains(&broken.display().to_string()),
        "the refusal names the file: {error}"
    );
    load.run_for(50).await;
    assert_eq!(router.query(NEW_FIELD).await, Ok(new_field_answer()));

    let (queries, failures) = load.stop().await;
    assert_eq!(failures, Vec::<String>::new(), "of {queries} queries");
    assert!(queries >= 150, "{queries}");
    for fixture in [&catalog, &reviews] {
        let invalid = fixture.invalid_operations();
        assert_eq!(*invalid.lock().unwrap(), Vec::<String>::new());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_change_moves_a_subgraphs_traffic_to_its_new_url() {
    let (old, new, reviews) = (catalog().await, catalog().await, reviews().await);
    let files = Files::new("config");
    files.replace(
        "supergraph.graphql",
        &supergraph(&old, CATALOG_V2, &reviews),
    );
    files.replace("router.toml", "timeout_ms = 5000");
    let router = Router::start(&files).await;
    let load = Load::start(&router, 4);
    load.run_for(20).await;
    assert!(old.request_count() > 0);
    assert_eq!(new.request_count(), 0);

    files.replace(
        "router.toml",
        &format!(
            "timeout_ms = 5000\n[subgraphs.catalog]\nurl = \"{}\"\n",
            new.url()
        ),
    );
    let started = Instant::now();
    while new.request_count() == 0 {
        assert!(started.elapsed() < DEADLINE, "no traffic moved");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    load.run_for(20).await;
    let (queries, failures) = load.stop().await;
    assert_eq!(failures, Vec::<String>::new(), "of {queries} queries");

    // Nothing more reaches the old URL, and the admin view shows the new one.
    old.clear_requests();
    for _ in 0..10 {
        assert_eq!(router.query(QUERY).await, Ok(answer()));
    }
    assert_eq!(old.request_count(), 0);
    let status: Value = router
        .client
        .get(&router.admin_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let catalog = status["subgraphs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "catalog")
        .unwrap();
    assert_eq!(catalog["endpoints"][0]["url"], new.url(), "{status}");
    assert_eq!(
        router.engine.current().config().subgraphs["catalog"]
            .url
            .as_deref(),
        Some(new.url())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_finishes_on_the_engine_it_started_with() {
    let catalog = catalog().await;
    let reviews = reviews_taking(Duration::from_millis(1_500)).await;
    let files = Files::new("in-flight");
    files.replace(
        "supergraph.graphql",
        &supergraph(&catalog, CATALOG_V2, &reviews),
    );
    files.replace("router.toml", "");
    let router = Router::start(&files).await;
    let first = router.engine.current();
    let (client, url) = (router.client.clone(), router.url.clone());
    let in_flight = tokio::spawn(async move { post(&client, &url, QUERY).await });
    // Wait until the request waits on reviews, then deploy a supergraph
    // without that subgraph at all.
    let started = Instant::now();
    while reviews.request_count() == 0 {
        assert!(
            started.elapsed() < DEADLINE,
            "the request never reached reviews"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let catalog_only = compose(&[SubgraphSource {
        name: "catalog".into(),
        url: catalog.url().into(),
        sdl: catalog.sdl().into(),
    }])
    .unwrap()
    .supergraph_sdl;
    files.replace("supergraph.graphql", &catalog_only);
    while Arc::ptr_eq(&first, &router.engine.current()) {
        assert!(started.elapsed() < DEADLINE, "no reload");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        !in_flight.is_finished(),
        "the swap came while it was in flight"
    );
    let refused = router.query(QUERY).await.unwrap();
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "new requests see the new supergraph: {refused}"
    );
    drop(first);
    // The old engine, its reviews upstream with it, answers the old request.
    assert_eq!(in_flight.await.unwrap(), Ok(answer()));
}

/// The `router` binary, killed when dropped.
struct Process {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    /// Every stderr line so far, for failure messages.
    seen: Vec<String>,
}

impl Process {
    fn start(files: &Files) -> Process {
        let mut child = Command::new(env!("CARGO_BIN_EXE_router"))
            .arg("--supergraph")
            .arg(files.path("supergraph.graphql"))
            .arg("--config")
            .arg(files.path("router.toml"))
            .arg("--no-watch")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the router binary starts");
        let stderr = child.stderr.take().unwrap();
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                if send.send(line).is_err() {
                    return;
                }
            }
        });
        Process {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The first stderr line from now on that contains `text`.
    fn line_with(&mut self, text: &str) -> String {
        let started = Instant::now();
        while let Some(left) = DEADLINE.checked_sub(started.elapsed()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no line with {text:?} on stderr:\n{}", self.seen.join("\n"));
    }

    fn hangup(&self) {
        let status = Command::new("kill")
            .arg("-HUP")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address in `router listening on http://ADDR/graphql …`.
fn graphql_url(line: &str) -> String {
    let start = line.find("http://").expect("a URL");
    let end = line[start..].find("/graphql").expect("/graphql") + start;
    format!("{}/graphql", &line[start..end])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_binary_reloads_on_sighup() {
    let (catalog, reviews) = (catalog().await, reviews().await);
    let files = Files::new("sighup");
    files.replace(
        "supergraph.graphql",
        &supergraph(&catalog, CATALOG_V1, &reviews),
    );
    files.replace(
        "router.toml",
        "listen = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\n",
    );
    let mut process = Process::start(&files);
    let listening = process.line_with("router listening on");
    let router = RouterClient::new(graphql_url(&listening));
    assert_eq!(router.query(QUERY).await, Ok(answer()));

    // Started with --no-watch: a changed file alone changes nothing...
    let path = files.replace(
        "supergraph.graphql",
        &supergraph(&catalog, CATALOG_V2, &reviews),
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = router.query(NEW_FIELD).await.unwrap();
    assert_eq!(
        before["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{before}"
    );
    // ...until SIGHUP.
    process.hangup();
    process.line_with("SIGHUP");
    let reloaded = process.line_with("reloaded");
    assert!(reloaded.contains(&path.display().to_string()), "{reloaded}");
    assert_eq!(router.query(NEW_FIELD).await, Ok(new_field_answer()));

    // A broken file is refused, naming it, and the last good one serves on.
    files.replace("supergraph.graphql", "type Query {");
    process.hangup();
    let refused = process.line_with("reload refused");
    assert!(refused.contains(&path.display().to_string()), "{refused}");
    assert!(refused.contains("ERROR"), "{refused}");
    assert_eq!(router.query(NEW_FIELD).await, Ok(new_field_answer()));
    assert_eq!(router.query(QUERY).await, Ok(answer()));

    // A listener changed in the config waits for a restart.
    files.replace(
        "supergraph.graphql",
        &supergraph(&catalog, CATALOG_V2, &reviews),
    );
    files.replace(
        "router.toml",
        "listen = \"127.0.0.1:1\"\nadmin_listen = \"127.0.0.1:0\"\n",
    );
    process.hangup();
    let restart = process.line_with("needs a restart");
    assert!(restart.contains("`listen`"), "{restart}");
    assert_eq!(router.query(QUERY).await, Ok(answer()));
}

/// A client of a router in another process.
struct RouterClient {
    url: String,
    client: reqwest::Client,
}

impl RouterClient {
    fn new(url: String) -> RouterClient {
        RouterClient {
            url,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
        }
    }

    async fn query(&self, query: &str) -> Result<Value, String> {
        post(&self.client, &self.url, query).await
    }
}
