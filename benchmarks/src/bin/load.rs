//! Load benchmark: the deep query through the release router versus the same
//! subgraph operations sent directly to the subgraphs.
//!
//! ```sh
//! cargo build --release -p router
//! cargo run --release -p benchmarks --bin load -- --concurrency 32 --requests 5000 --duration-secs 30
//! ```
//!
//! See benchmarks/README.md for what each figure means.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use benchmarks::callgrind::Callgrind;
use benchmarks::gql;
use clap::Parser;
use router::compose::{SubgraphSource, compose};
use router::execute::tree::{Node, Object};
use router::execute::{answer, entities};
use router::plan::selection::Sel;
use router::plan::{PathElem, Planner};
use router::supergraph::Supergraph;
use router::transport::SubgraphRequest;
use serde_json::{Value, json};
use shop::system::{self, SystemSettings};

/// The deep query: five levels, all four subgraphs. `{FIRST}` is replaced by `--first`.
const DEEP_QUERY: &str = "query Deep { orders(first: {FIRST}) { edges { node { id status customerEmail total { amount currency } statusHistory { status at } items { quantity unitPrice { amount currency } lineTotal { amount } product { id sku name description category price { amount currency } inventory { onHand reserved available reorderPoint } inStock stockValue { amount currency } } } payments { id status amount { amount currency } gateway order { id status } } } } } }";

#[derive(Parser, Debug, Clone)]
#[command(about = "Deep federated query: router vs. direct subgraph calls")]
struct Args {
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Measured requests per row (the run also stops at --duration-secs).
    #[arg(long, default_value_t = 5000)]
    requests: usize,
    /// Time limit of each measured row, in seconds.
    #[arg(long, default_value_t = 30)]
    duration_secs: u64,
    /// Warm-up requests per row before measuring (also time-limited).
    #[arg(long, default_value_t = 300)]
    warmup: usize,
    /// Orders created for the benchmark (each with one captured payment).
    #[arg(long, default_value_t = 40)]
    orders: usize,
    /// `orders(first:)` of the deep query.
    #[arg(long, default_value_t = 40)]
    first: usize,
    /// Routers that share one execution among identical requests in flight
    /// (`[request_dedup]`): the default `router` row does, and a `router
    /// (subgraph dedup only)` row shows the same without. `--request-dedup
    /// false` for router builds from before it.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    request_dedup: bool,
    /// Also measure the router with `dedup_queries = false`.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    no_dedup_row: bool,
    /// Also measure the router against replayed subgraphs: servers that answer
    /// each distinct subgraph request from a recording of the real service's
    /// answer, so the row shows the router's own cost without the services
    /// competing for the CPU.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    replay_rows: bool,
    /// Also measure the dedup-off replayed row with one client (latency
    /// without queueing: where single-client wall time goes).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    single_client_row: bool,
    /// Also measure the replayed row with three replicas of every subgraph
    /// (needs a router that reads `endpoints`).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    replica_row: bool,
    /// Also run three replayed replicas of every subgraph and kill one of
    /// each halfway: req/s and failed queries before and after.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    killed_replica_rows: bool,
    /// Run each router under valgrind's callgrind and report the
    /// instructions it executed per measured request: a count, repeatable
    /// on a busy machine, for comparing two router builds (about 50 times
    /// slower: use a few hundred --requests and pick rows with the flags).
    #[arg(long)]
    callgrind: bool,
    /// Authentication and authorization as the graph needs them: every
    /// client request carries the development admin token, every router
    /// verifies it, decides the graph's authorization directives and
    /// forwards the signed identity the services check. `--auth false`
    /// for router builds from before authorization (the services then
    /// check nothing, and no token is sent).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    auth: bool,
    /// Also measure the dedup-off replayed rows with metrics off and with
    /// traces on at 100% sampling (what telemetry costs).
    #[arg(long, default_value_t = false, action = clap::ArgAction::Set)]
    telemetry_rows: bool,
    /// The router binary; default: <workspace>/target/release/router.
    #[arg(long)]
    router_bin: Option<PathBuf>,
    /// A Hive Router binary (`cargo install hive-router`) to measure beside
    /// ours on the same replayed subgraphs: its own rows with one client and
    /// with `--concurrency` clients, de-duplication off as in our dedup-off
    /// rows. Needs `--auth false` (it is not given our keys).
    #[arg(long)]
    hive_router: Option<PathBuf>,
    /// Where to write the JSON report; default: <workspace>/target/bench-load.json.
    #[arg(long)]
    output: Option<PathBuf>,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("benchmarks/ has a parent")
        .to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    ensure!(args.concurrency > 0, "--concurrency must be at least 1");
    ensure!(
        (1..=100).contains(&args.first),
        "--first must be 1-100 (the orders page size limit)"
    );

    let router_bin = args
        .router_bin
        .clone()
        .unwrap_or_else(|| target_dir().join("release").join("router"));
    if !router_bin.is_file() {
        bail!(
            "the release router binary is missing at {}.\n\
             Build it first:  cargo build --release -p router\n\
             (or pass --router-bin PATH)",
            router_bin.display()
        );
    }

    if let Some(hive) = &args.hive_router {
        ensure!(
            hive.is_file(),
            "no Hive Router binary at {}",
            hive.display()
        );
        ensure!(
            !args.auth,
            "--hive-router needs --auth false: the Hive Router is not configured with our keys"
        );
        ensure!(
            args.replay_rows,
            "--hive-router measures against the replayed subgraphs: keep --replay-rows"
        );
    }

    let clk_tck = clock_ticks();
    let work_dir = TempDir::new()?;
    println!("data directory: {}", work_dir.path.display());

    // 1. The services, in this process, over SQLite.
    let mut settings = SystemSettings::ephemeral(&work_dir.path);
    settings.check_identities = args.auth;
    let running = system::start(&settings)
        .await
        .context("starting the four services")?;
    println!("seeded {} products", running.seeded);
    let urls: std::collections::HashMap<&str, String> = running.endpoints().into_iter().collect();
    for (name, url) in running.endpoints() {
        println!("  {name:<10} {url}");
    }

    // The admin sees every order; the services accept its signed identity
    // from the benchmark's direct calls too.
    let (headers, auth_toml) = if args.auth {
        let auth = shop::dev_auth::DevAuth::load_or_create(&work_dir.path)?;
        (running.admin_headers(), Some(auth.router_toml()))
    } else {
        (reqwest::header::HeaderMap::new(), None)
    };
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .tcp_nodelay(true)
        .default_headers(headers)
        .build()?;

    // 2. Benchmark data through the services' APIs.
    let setup_started = Instant::now();
    create_orders(&client, &urls, args.orders).await?;
    println!(
        "created {} orders with a captured payment each in {:.1}s",
        args.orders,
        setup_started.elapsed().as_secs_f64()
    );

    // 3. The supergraph with the real URLs.
    let sources: Vec<SubgraphSource> = shop::schema_files::subgraphs()
        .into_iter()
        .map(|mut source| {
            source.url = urls[source.name.as_str()].clone();
            source
        })
        .collect();
    let mut composed = compose(&sources).context("composing the supergraph")?;
    if !args.auth {
        // Nobody authenticates, so no router may demand it.
        composed.supergraph_sdl = without_authorization(&composed.supergraph_sdl)?;
    }
    let supergraph_path = work_dir.path.join("supergraph.graphql");
    std::fs::write(&supergraph_path, &composed.supergraph_sdl)?;

    let query = DEEP_QUERY.replace("{FIRST}", &args.first.to_string());
    let query_path = work_dir.path.join("deep.graphql");
    std::fs::write(&query_path, &query)?;

    // The router's own plan, printed by its binary.
    let plan_output = Command::new(&router_bin)
        .arg("plan")
        .arg("--supergraph")
        .arg(&supergraph_path)
        .arg("--query")
        .arg(&query_path)
        .output()
        .context("running `router plan`")?;
    ensure!(
        plan_output.status.success(),
        "`router plan` failed: {}",
        String::from_utf8_lossy(&plan_output.stderr)
    );
    let plan_text = String::from_utf8_lossy(&plan_output.stdout).into_owned();
    println!("\nrouter plan of the deep query:\n{plan_text}");

    // The same plan through the library, for the direct (baseline) client.
    let baseline = Arc::new(Baseline::new(
        client.clone(),
        &composed.supergraph_sdl,
        &query,
    )?);
    ensure!(
        baseline.plan_text == plan_text,
        "the router library's plan (which the baseline follows) differs from the plan of {}:\n{}\n\
         The binary is probably older than the source: rebuild it with `cargo build --release -p router`.",
        router_bin.display(),
        baseline.plan_text
    );
    for step in &baseline.steps {
        let mut services: Vec<&str> = step.iter().map(|f| f.service.as_str()).collect();
        services.sort();
        if services.windows(2).any(|w| w[0] == w[1]) {
            println!(
                "note: a step sends several fetches to one subgraph; the router batches them into \
                 one request, the baseline sends them separately"
            );
        }
    }
    println!(
        "baseline: {} subgraph fetches per request in {} sequential steps: {}",
        baseline.fetch_count(),
        baseline.steps.len(),
        baseline.describe()
    );

    let mut rows = Vec::new();
    let mut first_response_bytes = 0usize;
    let launch = Launch {
        bin: &router_bin,
        supergraph: &supergraph_path,
        dir: &work_dir.path,
        callgrind: args.callgrind,
        auth_toml: auth_toml.as_deref(),
        request_dedup_known: args.request_dedup,
    };

    // 4. Through the router (the default config: identical requests and
    // identical subgraph fetches in flight shared), then with only the
    // subgraph fetches shared, then nothing.
    let default_dedup = if args.request_dedup {
        Dedup::Requests
    } else {
        Dedup::Subgraphs
    };
    let mut variants: Vec<Variant> = vec![Variant::new("router", default_dedup, Vec::new())];
    if args.request_dedup {
        variants.push(Variant::new(
            "router (subgraph dedup only)",
            Dedup::Subgraphs,
            Vec::new(),
        ));
    }
    if args.no_dedup_row {
        variants.push(Variant::new(
            "router (dedup_queries=false)",
            Dedup::Off,
            Vec::new(),
        ));
    }
    let mut replays = Vec::new();
    let mut replica_replays = Vec::new();
    // Where the traces rows export to; lives as long as the rows run.
    let mut trace_sink = None;
    if args.replay_rows {
        let mut overrides = Vec::new();
        for (name, url) in running.endpoints() {
            let replay = Replay::start(client.clone(), url).await?;
            overrides.push((name.to_owned(), vec![replay.url.clone()]));
            replays.push(replay);
        }
        if args.replica_row {
            // Three replicas of every subgraph, each its own replay server.
            let (replicated, servers) = replay_replicas(&client, &running, 3).await?;
            replica_replays.extend(servers.into_iter().flatten());
            variants.push(Variant::new(
                "router, replayed subgraphs x3 replicas",
                Dedup::Subgraphs,
                replicated,
            ));
        }
        variants.push(Variant::new(
            "router, replayed subgraphs",
            Dedup::Subgraphs,
            overrides.clone(),
        ));
        if args.single_client_row {
            variants.push(Variant {
                concurrency: Some(1),
                ..Variant::new(
                    "router (dedup off), replayed, 1 client",
                    Dedup::Off,
                    overrides.clone(),
                )
            });
        }
        if let Some(hive) = &args.hive_router {
            // The same replay servers behind the Hive Router: the supergraph
            // it loads names them as the subgraphs' URLs.
            let replayed_sdl = with_subgraph_urls(&composed.supergraph_sdl, &urls, &overrides);
            let hive_supergraph = work_dir.path.join("supergraph-replayed.graphql");
            std::fs::write(&hive_supergraph, replayed_sdl)?;
            let kind = RouterKind::Hive {
                bin: hive.clone(),
                supergraph: hive_supergraph,
            };
            if args.single_client_row {
                variants.push(Variant {
                    concurrency: Some(1),
                    kind: kind.clone(),
                    ..Variant::new(
                        "hive-router (dedup off), replayed, 1 client",
                        Dedup::Off,
                        overrides.clone(),
                    )
                });
            }
            variants.push(Variant {
                kind,
                ..Variant::new(
                    "hive-router (dedup off), replayed subgraphs",
                    Dedup::Off,
                    overrides.clone(),
                )
            });
        }
        if args.telemetry_rows {
            let sink = TraceSink::start().await?;
            for (one_client, many, extra_toml) in TELEMETRY_ROWS {
                if extra_toml.is_empty() {
                    continue; // a setting this build does not have
                }
                let extra_toml = extra_toml.replace("{collector}", &sink.url);
                variants.push(Variant {
                    concurrency: Some(1),
                    extra_toml: extra_toml.clone(),
                    ..Variant::new(one_client, Dedup::Off, overrides.clone())
                });
                variants.push(Variant {
                    extra_toml,
                    ..Variant::new(many, Dedup::Off, overrides.clone())
                });
            }
            trace_sink = Some(sink);
        }
        variants.push(Variant::new(
            "router (dedup off), replayed subgraphs",
            Dedup::Off,
            overrides,
        ));
    }
    for (index, variant) in variants.into_iter().enumerate() {
        let Variant {
            label,
            dedup,
            overrides,
            concurrency,
            kind,
            extra_toml,
        } = variant;
        let concurrency = concurrency.unwrap_or(args.concurrency);
        let replayed = !overrides.is_empty();
        let mut router = match &kind {
            RouterKind::Ours => {
                RouterProcess::spawn(&launch, index, dedup, &overrides, &extra_toml)?
            }
            RouterKind::Hive { bin, supergraph } => {
                RouterProcess::spawn_hive(&launch, index, bin, supergraph, dedup)?
            }
        };
        router.wait_ready(&client).await?;
        let url = format!("http://{}/graphql", router.addr);
        let body = Arc::new(serde_json::to_vec(&json!({ "query": query }))?);

        // Check the first response.
        let bytes = post_json(&client, &url, &body).await?;
        let parsed: Value = serde_json::from_slice(&bytes)?;
        if let Some(errors) = parsed.get("errors") {
            bail!("the deep query returned errors through the router: {errors}");
        }
        let edges = parsed["data"]["orders"]["edges"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0);
        ensure!(edges > 0, "the deep query returned no orders: {parsed}");
        first_response_bytes = bytes.len();
        println!(
            "{label}: first response OK, {} bytes, {edges} orders",
            bytes.len()
        );

        let fetch = checked_fetch(client.clone(), url.clone(), body.clone());
        let stats = measure(&args, concurrency, Some(&router), fetch).await?;
        let peak_kb = vm_hwm_kb(router.pid());
        let mut row = Row::new(label, stats, clk_tck, peak_kb);
        row.concurrency = concurrency;
        if replayed {
            // What one client query costs the subgraphs: requests sent one at
            // a time, so nothing is shared between queries.
            // Every replay server: single ones and replicas (only the row's
            // own receive anything).
            let all = || replays.iter().chain(&replica_replays);
            for replay in all() {
                replay.traffic.reset();
            }
            for _ in 0..TRAFFIC_SAMPLES {
                post_json(&client, &url, &body).await?;
            }
            let total = all()
                .map(|r| r.traffic.read())
                .fold(Traffic::default(), |a, b| a.add(b));
            row.traffic = Some(total.per(TRAFFIC_SAMPLES));
        }
        rows.push(row);
        drop(router);
    }

    // 5. Three replicas of every subgraph, one of each killed halfway.
    if args.replay_rows && args.killed_replica_rows {
        let (replicated, servers) = replay_replicas(&client, &running, 3).await?;
        let mut router = RouterProcess::spawn(&launch, 99, Dedup::Subgraphs, &replicated, "")?;
        router.wait_ready(&client).await?;
        let url = format!("http://{}/graphql", router.addr);
        let body = Arc::new(serde_json::to_vec(&json!({ "query": query }))?);
        let fetch = Arc::new(checked_fetch(client.clone(), url, body));
        let half = Args {
            requests: args.requests / 2,
            duration_secs: args.duration_secs.div_ceil(2),
            ..args.clone()
        };
        let before = measure(&half, args.concurrency, Some(&router), {
            let fetch = fetch.clone();
            move || fetch()
        })
        .await?;
        // The first replica of every subgraph dies.
        for replay in servers.iter().filter_map(|replicas| replicas.first()) {
            replay.kill();
        }
        let after = measure(
            &Args { warmup: 0, ..half },
            args.concurrency,
            Some(&router),
            move || fetch(),
        )
        .await?;
        let peak_kb = vm_hwm_kb(router.pid());
        for (label, stats) in [
            ("x3 replicas: before one of each dies", before),
            ("x3 replicas: after one of each died", after),
        ] {
            let mut row = Row::new(label, stats, clk_tck, peak_kb);
            row.concurrency = args.concurrency;
            rows.push(row);
        }
        drop(router);
        drop(servers);
    }

    // 6. Directly against the subgraphs.
    {
        let data = baseline.execute().await?;
        let edges = data["orders"]["edges"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0);
        ensure!(edges > 0, "the baseline found no orders");
        let fetch = {
            let baseline = baseline.clone();
            move || {
                let baseline = baseline.clone();
                async move { baseline.execute_counting().await }
            }
        };
        let stats = measure(&args, args.concurrency, None, fetch).await?;
        let mut row = Row::new("subgraphs direct (baseline)", stats, clk_tck, None);
        row.concurrency = args.concurrency;
        rows.push(row);
    }

    // 7. Report.
    println!();
    print_table(&rows, &args, clk_tck);
    let report = json!({
        "config": {
            "concurrency": args.concurrency,
            "requests": args.requests,
            "duration_secs": args.duration_secs,
            "warmup": args.warmup,
            "orders": args.orders,
            "first": args.first,
            "clk_tck": clk_tck.ticks,
            "clk_tck_source": clk_tck.source,
            "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        },
        "query": query,
        "first_response_bytes": first_response_bytes,
        "router_plan": plan_text,
        "baseline_fetches_per_request": baseline.fetch_count(),
        "rows": rows.iter().map(Row::to_json).collect::<Vec<_>>(),
    });
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| target_dir().join("bench-load.json"));
    if let Some(parent) = output.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&output, serde_json::to_string_pretty(&report)?)?;
    println!("\nwrote {}", output.display());

    drop(replays);
    drop(trace_sink);
    running.shutdown().await.context("stopping the services")?;
    Ok(())
}

/// `n` replay servers for every subgraph of `running`: the router's
/// `endpoints` per subgraph, and the servers, grouped by subgraph.
async fn replay_replicas(
    client: &reqwest::Client,
    running: &system::RunningSystem,
    n: usize,
) -> anyhow::Result<(Vec<(String, Vec<String>)>, Vec<Vec<Replay>>)> {
    let mut endpoints = Vec::new();
    let mut servers = Vec::new();
    for (name, url) in running.endpoints() {
        let mut replicas = Vec::with_capacity(n);
        for _ in 0..n {
            replicas.push(Replay::start(client.clone(), url.clone()).await?);
        }
        endpoints.push((
            name.to_owned(),
            replicas.iter().map(|r| r.url.clone()).collect(),
        ));
        servers.push(replicas);
    }
    Ok((endpoints, servers))
}

/// One client query: its response size, or an error when it failed or
/// its answer holds errors.
fn checked_fetch(
    client: reqwest::Client,
    url: String,
    body: Arc<Vec<u8>>,
) -> impl Fn() -> std::pin::Pin<Box<dyn Future<Output = anyhow::Result<usize>> + Send>>
+ Send
+ Sync
+ 'static {
    move || {
        let (client, url, body) = (client.clone(), url.clone(), body.clone());
        Box::pin(async move {
            let bytes = post_json(&client, &url, &body).await?;
            ensure!(
                !contains(&bytes, b"\"errors\""),
                "response has errors: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(500)])
            );
            Ok(bytes.len())
        })
    }
}

/// POSTs a JSON body and returns the answer's body; an error unless 2xx.
async fn post_json(
    client: &reqwest::Client,
    url: &str,
    body: &[u8],
) -> anyhow::Result<bytes::Bytes> {
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await?;
    ensure!(
        response.status().is_success(),
        "{url} answered {}",
        response.status()
    );
    Ok(response.bytes().await?)
}

// ---------------------------------------------------------------------------
// Benchmark data

/// A small deterministic generator, so every run creates the same orders.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % bound as u64) as usize
    }
}

async fn create_orders(
    client: &reqwest::Client,
    urls: &std::collections::HashMap<&str, String>,
    count: usize,
) -> anyhow::Result<()> {
    let products = gql(
        client,
        &urls["products"],
        "{ products(first: 100) { edges { node { id } } } }",
        json!({}),
    )
    .await?;
    let ids: Vec<String> = products["products"]["edges"]
        .as_array()
        .context("products: no edges")?
        .iter()
        .filter_map(|e| e["node"]["id"].as_str().map(str::to_owned))
        .collect();
    ensure!(
        ids.len() >= 6,
        "the catalog has only {} products",
        ids.len()
    );

    // Enough stock that every checkout succeeds.
    for id in &ids {
        gql(
            client,
            &urls["inventory"],
            "mutation($p: ID!, $key: String) { adjustStock(productId: $p, delta: 10000, reason: \"benchmark stock\", idempotencyKey: $key) { onHand } }",
            json!({ "p": id, "key": format!("bench-stock-{id}") }),
        )
        .await
        .with_context(|| format!("stocking product {id}"))?;
    }

    let mut rng = Lcg(42);
    for n in 0..count {
        let lines = 3 + rng.next(4); // 3-6 distinct products
        let mut picked: Vec<&String> = Vec::new();
        while picked.len() < lines {
            let id = &ids[rng.next(ids.len())];
            if !picked.contains(&id) {
                picked.push(id);
            }
        }
        let items: Vec<Value> = picked
            .iter()
            .map(|id| json!({ "productId": id, "quantity": 1 + rng.next(3) }))
            .collect();
        let order = gql(
            client,
            &urls["orders"],
            "mutation($input: PlaceOrderInput!, $key: String) { placeOrder(input: $input, idempotencyKey: $key) { id status } }",
            json!({
                "input": {
                    "customerEmail": format!("bench{}@example.com", n % 7),
                    "items": items,
                    "payment": {
                        "gateway": "TEST_CARD",
                        "card": { "number": "4242424242424242", "expMonth": 12, "expYear": 2035, "cvc": "123" },
                    },
                },
                "key": format!("bench-order-{n}"),
            }),
        )
        .await
        .with_context(|| format!("placing order {n}"))?;
        let order = &order["placeOrder"];
        ensure!(
            order["status"] == "CONFIRMED",
            "order {n} was not confirmed: {order}"
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The router child process

struct RouterProcess {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
    /// Counting its instructions (`--callgrind`).
    callgrind: Option<Callgrind>,
}

/// What every router of a run starts with.
struct Launch<'a> {
    bin: &'a Path,
    supergraph: &'a Path,
    dir: &'a Path,
    /// Under valgrind's callgrind.
    callgrind: bool,
    /// `[authentication]` and `[authorization]`, when the run authenticates.
    auth_toml: Option<&'a str>,
    /// The build reads `[request_dedup]`.
    request_dedup_known: bool,
}

/// A loopback address with a port free now, for a child to listen on.
fn free_loopback_addr() -> anyhow::Result<SocketAddr> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    Ok(([127, 0, 0, 1], port).into())
}

impl RouterProcess {
    /// Starts the router; `urls` replace subgraph URLs by subgraph name
    /// (several: the subgraph's replicas).
    fn spawn(
        launch: &Launch<'_>,
        index: usize,
        dedup: Dedup,
        urls: &[(String, Vec<String>)],
        extra_toml: &str,
    ) -> anyhow::Result<Self> {
        let Launch {
            bin,
            supergraph,
            dir,
            callgrind,
            auth_toml,
            request_dedup_known,
        } = *launch;
        let addr = free_loopback_addr()?;
        let config = dir.join(format!("router-{index}.toml"));
        let (keys, table) = dedup.toml(request_dedup_known);
        let mut text = format!("listen = \"{addr}\"\n{keys}{table}");
        if let Some(auth) = auth_toml {
            text.push_str(auth);
        }
        text.push_str(extra_toml);
        for (name, urls) in urls {
            // One URL as `url`, which routers from before replicas read too.
            match &urls[..] {
                [url] => text.push_str(&format!("\n[subgraphs.{name}]\nurl = \"{url}\"\n")),
                several => {
                    text.push_str(&format!("\n[subgraphs.{name}]\nendpoints = {several:?}\n"))
                }
            }
        }
        std::fs::write(&config, text)?;
        let name = format!("router-{index}");
        Self::start(launch.dir, &name, bin, callgrind, addr, |command| {
            command
                .arg("--supergraph")
                .arg(supergraph)
                .arg("--listen")
                .arg(addr.to_string())
                .arg("--config")
                .arg(&config);
        })
    }

    /// Starts a Hive Router on `supergraph` (its URLs already the replay
    /// servers'), configured by a YAML file: listening where ours would,
    /// logging errors only, subgraph de-duplication as `dedup` says (it has
    /// no whole-request sharing, so `Requests` is refused).
    fn spawn_hive(
        launch: &Launch<'_>,
        index: usize,
        bin: &Path,
        supergraph: &Path,
        dedup: Dedup,
    ) -> anyhow::Result<Self> {
        ensure!(
            dedup != Dedup::Requests,
            "the Hive Router has no whole-request de-duplication"
        );
        let addr = free_loopback_addr()?;
        let port = addr.port();
        let config = launch.dir.join(format!("hive-router-{index}.yaml"));
        std::fs::write(
            &config,
            format!(
                "supergraph:\n  source: file\n  path: {supergraph:?}\n\
                 http:\n  host: 127.0.0.1\n  port: {port}\n\
                 log:\n  level: error\n\
                 traffic_shaping:\n  all:\n    dedupe_enabled: {}\n",
                dedup != Dedup::Off,
            ),
        )?;
        let name = format!("hive-router-{index}");
        Self::start(launch.dir, &name, bin, launch.callgrind, addr, |command| {
            command
                .env("ROUTER_CONFIG_FILE_PATH", &config)
                .current_dir(launch.dir);
        })
    }

    /// Runs `bin` (under callgrind when asked) with what `configure` adds,
    /// its stderr to `<dir>/<name>.log`, no per-request logging.
    fn start(
        dir: &Path,
        name: &str,
        bin: &Path,
        callgrind: bool,
        addr: SocketAddr,
        configure: impl FnOnce(&mut Command),
    ) -> anyhow::Result<Self> {
        let log = dir.join(format!("{name}.log"));
        let callgrind = callgrind
            .then(|| Callgrind::new(dir, &format!("{name}.callgrind")))
            .transpose()?;
        let mut command = match &callgrind {
            Some(callgrind) => callgrind.command(bin),
            None => Command::new(bin),
        };
        configure(&mut command);
        let child = command
            // The routers' default filters log no line per request.
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        Ok(RouterProcess {
            child,
            addr,
            log,
            callgrind,
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Polls `GET /health` until it answers 200.
    async fn wait_ready(&mut self, client: &reqwest::Client) -> anyhow::Result<()> {
        let url = format!("http://{}/health", self.addr);
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                bail!("the router exited during start-up ({status}):\n{log}");
            }
            if let Ok(response) = client.get(&url).send().await
                && response.status().is_success()
            {
                println!(
                    "router pid {} ready on {} after {:.0} ms",
                    self.pid(),
                    self.addr,
                    started.elapsed().as_secs_f64() * 1000.0
                );
                return Ok(());
            }
            if started.elapsed() > Duration::from_secs(30) {
                bail!("the router did not become healthy within 30s");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for RouterProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------
// Replayed subgraphs

/// A stand-in for one subgraph: the first time a request body is seen it is
/// forwarded to the real service and the answer recorded; afterwards the
/// recording is served. The deep query sends the same few requests every
/// time, so after the warm-up this costs a hash lookup per request.
struct Replay {
    url: String,
    task: tokio::task::JoinHandle<()>,
    connections: Arc<std::sync::Mutex<tokio::task::JoinSet<()>>>,
    traffic: Arc<TrafficCounter>,
}

struct ReplayState {
    client: reqwest::Client,
    upstream: String,
    recorded: std::sync::Mutex<HashMap<bytes::Bytes, bytes::Bytes>>,
    traffic: Arc<TrafficCounter>,
}

/// Sequential client queries the per-query traffic figures average over.
const TRAFFIC_SAMPLES: usize = 20;

/// What a replayed subgraph received: requests, representations (objects
/// starting `{"__typename":` in the variables) and request bytes.
#[derive(Default)]
struct TrafficCounter {
    requests: AtomicUsize,
    representations: AtomicUsize,
    bytes: AtomicUsize,
}

impl TrafficCounter {
    fn record(&self, body: &[u8]) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(body.len(), Ordering::Relaxed);
        let variables = find(body, b"\"variables\"").map_or(&[][..], |at| &body[at..]);
        let reps = count(variables, b"{\"__typename\":");
        self.representations.fetch_add(reps, Ordering::Relaxed);
    }

    fn reset(&self) {
        self.requests.store(0, Ordering::Relaxed);
        self.representations.store(0, Ordering::Relaxed);
        self.bytes.store(0, Ordering::Relaxed);
    }

    fn read(&self) -> Traffic {
        Traffic {
            requests: self.requests.load(Ordering::Relaxed) as f64,
            representations: self.representations.load(Ordering::Relaxed) as f64,
            bytes: self.bytes.load(Ordering::Relaxed) as f64,
        }
    }
}

#[derive(Default, Clone, Copy)]
struct Traffic {
    requests: f64,
    representations: f64,
    bytes: f64,
}

impl Traffic {
    fn add(self, other: Traffic) -> Traffic {
        Traffic {
            requests: self.requests + other.requests,
            representations: self.representations + other.representations,
            bytes: self.bytes + other.bytes,
        }
    }

    fn per(self, queries: usize) -> Traffic {
        let n = queries.max(1) as f64;
        Traffic {
            requests: self.requests / n,
            representations: self.representations / n,
            bytes: self.bytes / n,
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

/// What a router row shares among requests in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dedup {
    /// Identical client requests share one execution, and identical
    /// subgraph fetches one call (the default config).
    Requests,
    /// Only identical subgraph fetches share (`[request_dedup] queries =
    /// false`; every router build before request dedup).
    Subgraphs,
    /// Nothing (`dedup_queries = false` too).
    Off,
}

impl Dedup {
    /// Its top-level keys and its `[request_dedup]` table (only for router
    /// builds that know it).
    fn toml(self, request_dedup_known: bool) -> (String, String) {
        let subgraphs = self != Dedup::Off;
        let table = if request_dedup_known && self != Dedup::Requests {
            "[request_dedup]\nqueries = false\n".to_owned()
        } else {
            String::new()
        };
        (format!("dedup_queries = {subgraphs}\n"), table)
    }
}

/// One router row: its label, what it shares in flight, subgraph URL
/// overrides (replayed rows), how many clients drive it (default
/// `--concurrency`) and which router runs it.
struct Variant {
    label: &'static str,
    dedup: Dedup,
    overrides: Vec<(String, Vec<String>)>,
    concurrency: Option<usize>,
    kind: RouterKind,
    /// More of our router's TOML (tables), for telemetry rows.
    extra_toml: String,
}

impl Variant {
    fn new(label: &'static str, dedup: Dedup, overrides: Vec<(String, Vec<String>)>) -> Variant {
        Variant {
            label,
            dedup,
            overrides,
            concurrency: None,
            kind: RouterKind::Ours,
            extra_toml: String::new(),
        }
    }
}

/// `--telemetry-rows`: the dedup-off replayed rows (one client and
/// `--concurrency`) again with each telemetry setting, to be read against
/// the rows with the defaults (metrics on, traces off).
const TELEMETRY_ROWS: [(&str, &str, &str); 2] = [
    (
        "router (dedup off), replayed, 1 client, metrics off",
        "router (dedup off), replayed subgraphs, metrics off",
        "\n[metrics]\nenabled = false\n",
    ),
    (
        "router (dedup off), replayed, 1 client, traces 100%",
        "router (dedup off), replayed subgraphs, traces 100%",
        TRACES_ON,
    ),
];

/// Traces exported at every request, to a collector that takes them (the
/// replay of a collector is an endpoint answering 200 to anything:
/// `TraceSink`, whose URL replaces `{collector}`).
const TRACES_ON: &str = "\n[tracing]\notlp_endpoint = \"{collector}\"\nsampling_ratio = 1.0\n";

/// An OTLP/HTTP collector that keeps nothing: every POST is read whole and
/// answered 200, as a collector would, so the router pays for building,
/// encoding and sending its spans and nothing else.
struct TraceSink {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl TraceSink {
    async fn start() -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let service = hyper::service::service_fn(
                    |request: hyper::Request<hyper::body::Incoming>| async move {
                        use http_body_util::BodyExt;
                        request.into_body().collect().await?;
                        Ok::<_, hyper::Error>(hyper::Response::new(http_body_util::Full::new(
                            bytes::Bytes::new(),
                        )))
                    },
                );
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(TraceSink { url, task })
    }
}

impl Drop for TraceSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The router a row measures.
#[derive(Clone)]
enum RouterKind {
    /// `--router-bin`, configured by our TOML.
    Ours,
    /// `--hive-router`, loading a supergraph whose URLs are the replay
    /// servers (it has no per-subgraph URL setting we share).
    Hive { bin: PathBuf, supergraph: PathBuf },
}

/// The supergraph without the applications of the authorization directives
/// (`@authenticated`, `@requiresScopes`, `@policy`; their definitions stay):
/// for runs where no client authenticates (`--auth false`), which every
/// router would otherwise refuse the deep query.
fn without_authorization(sdl: &str) -> anyhow::Result<String> {
    use apollo_compiler::ast::{Definition, DirectiveList};
    fn strip(directives: &mut DirectiveList) {
        directives.0.retain(|d| {
            !matches!(
                d.name.as_str(),
                "authenticated" | "requiresScopes" | "policy"
            )
        });
    }
    let mut document = apollo_compiler::ast::Document::parse(sdl, "supergraph.graphql")
        .map_err(|err| anyhow::anyhow!("the composed supergraph does not parse: {err}"))?;
    for definition in &mut document.definitions {
        match definition {
            Definition::ObjectTypeDefinition(ty) => {
                let ty = ty.make_mut();
                strip(&mut ty.directives);
                for field in &mut ty.fields {
                    strip(&mut field.make_mut().directives);
                }
            }
            Definition::InterfaceTypeDefinition(ty) => {
                let ty = ty.make_mut();
                strip(&mut ty.directives);
                for field in &mut ty.fields {
                    strip(&mut field.make_mut().directives);
                }
            }
            Definition::ScalarTypeDefinition(ty) => strip(&mut ty.make_mut().directives),
            Definition::EnumTypeDefinition(ty) => strip(&mut ty.make_mut().directives),
            _ => {}
        }
    }
    Ok(document.to_string())
}

/// `sdl` with each subgraph's routing URL (`urls`, by name) replaced by the
/// first of its `overrides`.
fn with_subgraph_urls(
    sdl: &str,
    urls: &HashMap<&str, String>,
    overrides: &[(String, Vec<String>)],
) -> String {
    let mut sdl = sdl.to_owned();
    for (name, replacements) in overrides {
        if let (Some(from), Some(to)) = (urls.get(name.as_str()), replacements.first()) {
            sdl = sdl.replace(&format!("url: \"{from}\""), &format!("url: \"{to}\""));
        }
    }
    sdl
}

impl Replay {
    async fn start(client: reqwest::Client, upstream: String) -> anyhow::Result<Self> {
        let traffic = Arc::new(TrafficCounter::default());
        let state = Arc::new(ReplayState {
            client,
            upstream,
            recorded: Default::default(),
            traffic: traffic.clone(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/graphql", listener.local_addr()?);
        // Connections are tasks of the set, so `kill` ends them all at
        // once, as a crashed process would.
        let connections = Arc::new(std::sync::Mutex::new(tokio::task::JoinSet::new()));
        let accepting = connections.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                let service = hyper::service::service_fn(
                    move |request: hyper::Request<hyper::body::Incoming>| {
                        let state = state.clone();
                        async move {
                            use http_body_util::BodyExt;
                            let body = request.into_body().collect().await?.to_bytes();
                            Ok::<_, hyper::Error>(replay(&state, body).await)
                        }
                    },
                );
                if let Ok(mut set) = accepting.lock() {
                    set.spawn(async move {
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await;
                    });
                }
            }
        });
        Ok(Replay {
            url,
            task,
            connections,
            traffic,
        })
    }

    /// Stops abruptly: no more connections, and the open ones cut.
    fn kill(&self) {
        self.task.abort();
        if let Ok(mut connections) = self.connections.lock() {
            connections.abort_all();
        }
    }
}

impl Drop for Replay {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The recorded answer to `body`, recorded now if it is new.
async fn replay(
    state: &ReplayState,
    body: bytes::Bytes,
) -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
    let respond = |status: u16, body: bytes::Bytes| {
        hyper::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(http_body_util::Full::new(body))
            .unwrap_or_default()
    };
    state.traffic.record(&body);
    let known = state
        .recorded
        .lock()
        .ok()
        .and_then(|r| r.get(&body).cloned());
    if let Some(answer) = known {
        return respond(200, answer);
    }
    let upstream = state
        .client
        .post(&state.upstream)
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await;
    let answer = match upstream {
        Ok(response) if response.status().is_success() => response.bytes().await.ok(),
        _ => None,
    };
    match answer {
        Some(answer) => {
            if let Ok(mut recorded) = state.recorded.lock() {
                recorded.insert(body, answer.clone());
            }
            respond(200, answer)
        }
        None => respond(502, bytes::Bytes::new()),
    }
}

// ---------------------------------------------------------------------------
// The baseline: the router's plan, executed by a minimal client

struct BaselineFetch {
    service: String,
    url: String,
    body_query: Arc<str>,
    operation_name: Option<Arc<str>>,
    path: Vec<PathElem>,
    representations: Option<Vec<Sel>>,
}

struct Baseline {
    client: reqwest::Client,
    supergraph: Arc<Supergraph>,
    steps: Vec<Vec<BaselineFetch>>,
    /// The plan the baseline follows, printed like `router plan` prints it.
    plan_text: String,
}

impl Baseline {
    fn new(client: reqwest::Client, supergraph_sdl: &str, query: &str) -> anyhow::Result<Self> {
        let supergraph = Arc::new(Supergraph::parse(supergraph_sdl)?);
        // Validated against the API schema, as the router's preparer does.
        let api_schema = router::api_schema::derive(supergraph.schema())?;
        let document = apollo_compiler::ExecutableDocument::parse_and_validate(
            &api_schema,
            query,
            "deep.graphql",
        )
        .map_err(|err| anyhow::anyhow!("the deep query is invalid: {err}"))?;
        let operation = document
            .operations
            .get(None)
            .map_err(|_| anyhow::anyhow!("expected one operation"))?;
        let planner = Planner::new(supergraph.clone());
        let plan = planner.plan(&document, operation)?;
        let plan_text = plan.to_string();
        let root = plan.root.context("empty plan")?;
        let steps = entities::steps(&root)
            .into_iter()
            .map(|step| {
                step.into_iter()
                    .map(|fetch| BaselineFetch {
                        service: fetch.service.clone(),
                        url: supergraph.subgraph(fetch.graph).url.clone(),
                        body_query: fetch.operation.clone(),
                        operation_name: fetch.operation_name.clone(),
                        path: fetch.path.clone(),
                        representations: fetch.representations.clone(),
                    })
                    .collect()
            })
            .collect();
        Ok(Baseline {
            client,
            supergraph,
            steps,
            plan_text,
        })
    }

    fn fetch_count(&self) -> usize {
        self.steps.iter().map(Vec::len).sum()
    }

    fn describe(&self) -> String {
        self.steps
            .iter()
            .map(|step| {
                let names: Vec<String> = step
                    .iter()
                    .map(|f| {
                        if f.path.is_empty() {
                            format!("{} (root)", f.service)
                        } else {
                            format!("{} @ {}", f.service, router::plan::print_path(&f.path))
                        }
                    })
                    .collect();
                format!("[{}]", names.join(" | "))
            })
            .collect::<Vec<_>>()
            .join(" -> ")
    }

    async fn execute_counting(&self) -> anyhow::Result<usize> {
        let (_, bytes) = self.run().await?;
        Ok(bytes)
    }

    async fn execute(&self) -> anyhow::Result<Value> {
        Ok(self.run().await?.0)
    }

    /// One logical request: every step's fetches concurrently, steps in order;
    /// entity results merged into the data so the next step can build its
    /// representations. Uses the router's own data tree and representation
    /// writer, so its JSON work matches the router's. Returns the merged data
    /// and the bytes received.
    async fn run(&self) -> anyhow::Result<(Value, usize)> {
        let bodies: Vec<OnceLock<bytes::Bytes>> =
            (0..self.fetch_count()).map(|_| OnceLock::new()).collect();
        let mut data = Node::Object(Object::new());
        let mut received = 0usize;
        let mut slot = 0;
        for step in &self.steps {
            let mut requests = Vec::new();
            for fetch in step {
                let mut targets = Vec::new();
                let mut target_rep = Vec::new();
                let mut paths = entities::Paths::default();
                let mut variables = String::new();
                if let Some(rep_sels) = &fetch.representations {
                    let mut objects = Vec::new();
                    entities::collect_objects(
                        &data,
                        &fetch.path,
                        &mut Vec::new(),
                        &mut paths,
                        &mut objects,
                    );
                    let mut seen: HashMap<Vec<u8>, usize> = HashMap::new();
                    let mut reps: Vec<u8> = b"[".to_vec();
                    for (object_index, object) in objects.into_iter().enumerate() {
                        let mut rep = Vec::new();
                        if !entities::write_representation(
                            &self.supergraph,
                            object,
                            rep_sels,
                            &mut rep,
                        ) {
                            continue;
                        }
                        let next = seen.len();
                        let index = *seen.entry(rep).or_insert_with_key(|rep| {
                            if next > 0 {
                                reps.push(b',');
                            }
                            reps.extend_from_slice(rep);
                            next
                        });
                        targets.push(object_index);
                        target_rep.push(index);
                    }
                    if seen.is_empty() {
                        continue;
                    }
                    reps.push(b']');
                    variables = String::from_utf8(reps)?;
                }
                let request = SubgraphRequest {
                    query: fetch.body_query.clone(),
                    operation_name: fetch.operation_name.clone(),
                    variables: if variables.is_empty() {
                        Vec::new()
                    } else {
                        vec![("representations".to_owned(), variables)]
                    },
                    idempotent: false,
                };
                requests.push((fetch, request.body(), paths, targets, target_rep));
            }
            let responses =
                futures::future::join_all(requests.iter().map(|(fetch, body, ..)| async move {
                    let response = self
                        .client
                        .post(&fetch.url)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await?;
                    ensure!(
                        response.status().is_success(),
                        "{}: status {}",
                        fetch.service,
                        response.status()
                    );
                    let bytes = response.bytes().await?;
                    Ok::<_, anyhow::Error>(bytes)
                }))
                .await;
            for (i, ((fetch, _, paths, targets, target_rep), response)) in
                requests.into_iter().zip(responses).enumerate()
            {
                let bytes = response?;
                received += bytes.len();
                let body = bodies[slot + i].get_or_init(|| bytes);
                let answer = answer::read(&fetch.service, 200, body)?;
                if let Some(error) = answer.errors.first() {
                    bail!("{}: {}", fetch.service, error.message);
                }
                let response_data = answer.data.unwrap_or_default();
                if fetch.representations.is_none() {
                    entities::deep_merge(&mut data, response_data);
                    continue;
                }
                let entities = match response_data {
                    Node::Object(mut map) => match map.remove("_entities") {
                        Some(Node::List(entities)) => entities,
                        _ => Vec::new(),
                    },
                    _ => Vec::new(),
                };
                for (target, index) in targets.iter().zip(&target_rep) {
                    let Some(entity) = entities.get(*index).filter(|e| !e.is_null()) else {
                        continue;
                    };
                    if let Some(object) = entities::pointer_mut(&mut data, paths.get(*target)) {
                        entities::deep_merge(object, entity.clone());
                    }
                }
            }
            slot += step.len();
        }
        Ok((data.to_value(), received))
    }
}

// ---------------------------------------------------------------------------
// Measurement

struct Stats {
    completed: usize,
    failed: usize,
    first_error: Option<String>,
    elapsed: Duration,
    latencies: Vec<Duration>,
    bytes_per_request: f64,
    /// CPU ticks of the router process over the measured run.
    router_ticks: Option<u64>,
    /// CPU ticks of this process (load client + the four services).
    self_ticks: u64,
    /// Instructions the router executed over the measured run (`--callgrind`).
    router_instructions: Option<u64>,
}

/// Warm-up, then the measured run: `concurrency` workers share the request
/// budget and stop at the deadline, whichever comes first.
async fn measure<F, Fut>(
    args: &Args,
    concurrency: usize,
    router: Option<&RouterProcess>,
    fetch: F,
) -> anyhow::Result<Stats>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<usize>> + Send + 'static,
{
    let fetch = Arc::new(fetch);
    let warm_deadline = Duration::from_secs(args.duration_secs.clamp(1, 10));
    let warm = drive(fetch.clone(), concurrency, args.warmup, warm_deadline).await;
    if warm.failed > 0 {
        bail!(
            "warm-up: {} of {} requests failed; first error: {}",
            warm.failed,
            warm.failed + warm.completed,
            warm.first_error.unwrap_or_default()
        );
    }

    let router_pid = router.map(RouterProcess::pid);
    let counting = router.and_then(|r| Some((r.callgrind.as_ref()?, r.pid())));
    if let Some((callgrind, pid)) = counting {
        callgrind.zero(pid)?;
    }
    let router_before = router_pid.map(cpu_ticks).transpose()?;
    let self_before = cpu_ticks(std::process::id())?;
    let mut run = drive(
        fetch,
        concurrency,
        args.requests,
        Duration::from_secs(args.duration_secs),
    )
    .await;
    run.self_ticks = cpu_ticks(std::process::id())? - self_before;
    if let (Some(pid), Some(before)) = (router_pid, router_before) {
        run.router_ticks = Some(cpu_ticks(pid)? - before);
    }
    if let Some((callgrind, pid)) = counting {
        run.router_instructions = Some(callgrind.collected(pid)?);
    }
    Ok(run)
}

async fn drive<F, Fut>(fetch: Arc<F>, concurrency: usize, requests: usize, limit: Duration) -> Stats
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<usize>> + Send + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + limit;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let fetch = fetch.clone();
        let next = next.clone();
        workers.spawn(async move {
            let mut latencies = Vec::new();
            let mut failed = 0usize;
            let mut first_error = None;
            let mut bytes = 0usize;
            while next.fetch_add(1, Ordering::Relaxed) < requests && Instant::now() < deadline {
                let sent = Instant::now();
                match fetch().await {
                    Ok(n) => {
                        latencies.push(sent.elapsed());
                        bytes += n;
                    }
                    Err(err) => {
                        failed += 1;
                        first_error.get_or_insert_with(|| format!("{err:#}"));
                    }
                }
            }
            (latencies, failed, first_error, bytes)
        });
    }
    let mut stats = Stats {
        completed: 0,
        failed: 0,
        first_error: None,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
        bytes_per_request: 0.0,
        router_ticks: None,
        self_ticks: 0,
        router_instructions: None,
    };
    let mut bytes = 0usize;
    while let Some(joined) = workers.join_next().await {
        let (latencies, failed, first_error, b) = joined.expect("worker panicked");
        stats.latencies.extend(latencies);
        stats.failed += failed;
        if stats.first_error.is_none() {
            stats.first_error = first_error;
        }
        bytes += b;
    }
    stats.elapsed = started.elapsed();
    stats.completed = stats.latencies.len();
    stats.latencies.sort();
    stats.bytes_per_request = bytes as f64 / stats.completed.max(1) as f64;
    stats
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

struct Row {
    label: String,
    completed: usize,
    failed: usize,
    first_error: Option<String>,
    elapsed_s: f64,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    mean_ms: f64,
    bytes_per_request: f64,
    router_cpu_us_per_req: Option<f64>,
    /// Thousands of instructions the router executed per request (`--callgrind`).
    router_kinstr_per_req: Option<f64>,
    self_cpu_us_per_req: f64,
    router_peak_rss_kb: Option<u64>,
    /// Clients driving the row.
    concurrency: usize,
    /// Replayed rows: what one client query sent the subgraphs.
    traffic: Option<Traffic>,
}

impl Row {
    fn new(label: &str, stats: Stats, clk: ClockTicks, router_peak_kb: Option<u64>) -> Row {
        let n = stats.completed.max(1) as f64;
        let per_req_us = |ticks: u64| ticks as f64 / clk.ticks as f64 * 1e6 / n;
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let mean = stats.latencies.iter().map(|d| d.as_secs_f64()).sum::<f64>() / n * 1000.0;
        Row {
            label: label.to_owned(),
            completed: stats.completed,
            failed: stats.failed,
            first_error: stats.first_error,
            elapsed_s: stats.elapsed.as_secs_f64(),
            rps: stats.completed as f64 / stats.elapsed.as_secs_f64(),
            p50_ms: ms(percentile(&stats.latencies, 50.0)),
            p99_ms: ms(percentile(&stats.latencies, 99.0)),
            mean_ms: mean,
            bytes_per_request: stats.bytes_per_request,
            router_cpu_us_per_req: stats.router_ticks.map(per_req_us),
            router_kinstr_per_req: stats.router_instructions.map(|i| i as f64 / 1000.0 / n),
            self_cpu_us_per_req: per_req_us(stats.self_ticks),
            router_peak_rss_kb: router_peak_kb,
            concurrency: 0,
            traffic: None,
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "label": self.label,
            "requests": self.completed,
            "failed": self.failed,
            "first_error": self.first_error,
            "elapsed_s": self.elapsed_s,
            "rps": self.rps,
            "latency_ms": { "p50": self.p50_ms, "p99": self.p99_ms, "mean": self.mean_ms },
            "bytes_per_request": self.bytes_per_request,
            "router_cpu_us_per_request": self.router_cpu_us_per_req,
            "router_instructions_per_request": self.router_kinstr_per_req.map(|k| k * 1000.0),
            "bench_process_cpu_us_per_request": self.self_cpu_us_per_req,
            "router_peak_rss_kb": self.router_peak_rss_kb,
            "concurrency": self.concurrency,
            "subgraph_traffic_per_query": self.traffic.map(|t| json!({
                "requests": t.requests,
                "representations": t.representations,
                "request_bytes": t.bytes,
            })),
        })
    }
}

fn print_table(rows: &[Row], args: &Args, clk: ClockTicks) {
    println!(
        "concurrency {} (unless the row says 1 client), up to {} requests or {}s per row; CPU from /proc/<pid>/stat at CLK_TCK={} ({})",
        args.concurrency, args.requests, args.duration_secs, clk.ticks, clk.source
    );
    println!(
        "{:<40} {:>6} {:>4} {:>8} {:>8} {:>8} {:>9} {:>11} {:>11} {:>10}",
        "target",
        "reqs",
        "err",
        "req/s",
        "p50 ms",
        "p99 ms",
        "KB/req",
        "router CPU",
        "bench CPU",
        "router HWM"
    );
    println!(
        "{:<40} {:>6} {:>4} {:>8} {:>8} {:>8} {:>9} {:>11} {:>11} {:>10}",
        "", "", "", "", "", "", "", "µs/req", "µs/req", "MiB"
    );
    for row in rows {
        println!(
            "{:<40} {:>6} {:>4} {:>8.1} {:>8.2} {:>8.2} {:>9.1} {:>11} {:>11.0} {:>10}",
            row.label,
            row.completed,
            row.failed,
            row.rps,
            row.p50_ms,
            row.p99_ms,
            row.bytes_per_request / 1024.0,
            row.router_cpu_us_per_req
                .map(|v| format!("{v:.0}"))
                .unwrap_or_else(|| "-".into()),
            row.self_cpu_us_per_req,
            row.router_peak_rss_kb
                .map(|kb| format!("{:.1}", kb as f64 / 1024.0))
                .unwrap_or_else(|| "-".into()),
        );
        if let Some(err) = &row.first_error {
            println!("    first error: {err}");
        }
    }
    let counted: Vec<&Row> = rows
        .iter()
        .filter(|r| r.router_kinstr_per_req.is_some())
        .collect();
    if !counted.is_empty() {
        println!("\nrouter instructions per request, counted by callgrind (repeatable):");
        for row in counted {
            println!(
                "{:<40} {:>12.0} k",
                row.label,
                row.router_kinstr_per_req.unwrap_or_default()
            );
        }
    }
    println!(
        "bench CPU = this process: the load client plus all four services (they run in-process).\n\
         KB/req = router: client response size; baseline: sum of the subgraph responses."
    );
    let traffic: Vec<&Row> = rows.iter().filter(|r| r.traffic.is_some()).collect();
    if !traffic.is_empty() {
        println!(
            "\nper client query, sent one at a time ({TRAFFIC_SAMPLES} queries): what the subgraphs received"
        );
        println!(
            "{:<40} {:>9} {:>9} {:>11} {:>11}",
            "target", "requests", "reps", "request KB", "router CPU"
        );
        for row in traffic {
            if let Some(t) = row.traffic {
                println!(
                    "{:<40} {:>9.1} {:>9.1} {:>11.1} {:>11}",
                    row.label,
                    t.requests,
                    t.representations,
                    t.bytes / 1024.0,
                    row.router_cpu_us_per_req
                        .map(|v| format!("{v:.0} µs"))
                        .unwrap_or_else(|| "-".into()),
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// /proc

#[derive(Clone, Copy)]
struct ClockTicks {
    ticks: u64,
    source: &'static str,
}

fn clock_ticks() -> ClockTicks {
    let from_getconf = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<u64>()
                .ok()
        })
        .filter(|&t| t > 0);
    match from_getconf {
        Some(ticks) => ClockTicks {
            ticks,
            source: "getconf CLK_TCK",
        },
        None => ClockTicks {
            ticks: 100,
            source: "assumed; getconf unavailable",
        },
    }
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    // Fields after the command name (which may contain spaces) start at field 3.
    let rest = &stat[stat.rfind(')').context("malformed stat")? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11).context("no utime")?.parse()?;
    let stime: u64 = fields.get(12).context("no stime")?.parse()?;
    Ok(utime + stime)
}

fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// ---------------------------------------------------------------------------

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new() -> anyhow::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let path = std::env::temp_dir().join(format!("shop-bench-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(TempDir { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
