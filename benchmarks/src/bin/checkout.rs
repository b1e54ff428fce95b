//! Checkout benchmark: `placeOrder` through the router's single endpoint over
//! the four real services (in this process, SQLite by default), each checkout
//! crossing products, inventory and payments.
//!
//! ```sh
//! cargo run --release -p benchmarks --bin checkout -- --concurrency 16 --checkouts 2000
//! ```
//!
//! Two rows: "checkouts" (plenty of stock, the approved test card: every
//! checkout completes) and "last units" (`--contenders` concurrent checkouts
//! for `--units` units: exactly that many may succeed, and the run checks it).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use benchmarks::gql;
use clap::Parser;
use serde_json::{Value, json};
use shop::system::{self, SystemSettings};

const PLACE: &str = "mutation($input: PlaceOrderInput!, $key: String) { placeOrder(input: $input, idempotencyKey: $key) { id status failure { code } } }";

#[derive(Parser, Debug)]
#[command(about = "Checkouts through the router over the four services")]
struct Args {
    /// Checkouts in flight at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Measured checkouts (the run also stops at --duration-secs).
    #[arg(long, default_value_t = 2000)]
    checkouts: usize,
    /// Time limit of the measured run, in seconds.
    #[arg(long, default_value_t = 60)]
    duration_secs: u64,
    /// Warm-up checkouts before measuring.
    #[arg(long, default_value_t = 100)]
    warmup: usize,
    /// Concurrent checkouts in the "last units" row.
    #[arg(long, default_value_t = 200)]
    contenders: usize,
    /// Units on hand in the "last units" row.
    #[arg(long, default_value_t = 20)]
    units: i64,
}

struct Temp(std::path::PathBuf);

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    ensure!(args.concurrency > 0, "--concurrency must be at least 1");
    let dir =
        Temp(std::env::temp_dir().join(format!("shop-bench-checkout-{}", std::process::id())));
    let settings = SystemSettings::ephemeral(&dir.0);
    let running = system::start(&settings)
        .await
        .context("starting the system")?;
    let router = running.router_url();
    let urls: HashMap<&str, String> = running.endpoints().into_iter().collect();
    // As the back office: orders for any customer, direct stock calls.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .tcp_nodelay(true)
        .default_headers(running.admin_headers())
        .build()?;

    // Plenty of stock for every seeded product.
    let products = gql(
        &client,
        &router,
        "{ products(first: 100) { edges { node { id } } } }",
        json!({}),
    )
    .await?;
    let ids: Vec<String> = products["products"]["edges"]
        .as_array()
        .context("no products")?
        .iter()
        .filter_map(|e| e["node"]["id"].as_str().map(str::to_owned))
        .collect();
    ensure!(
        ids.len() >= 4,
        "the catalog has only {} products",
        ids.len()
    );
    for id in &ids {
        gql(
            &client,
            &urls["inventory"],
            "mutation($p: ID!) { adjustStock(productId: $p, delta: 100000, reason: \"benchmark stock\") { onHand } }",
            json!({ "p": id }),
        )
        .await?;
    }
    let ids = Arc::new(ids);

    let checkout = |n: usize| {
        let lines = 1 + n % 3;
        let items: Vec<Value> = (0..lines)
            .map(|i| json!({ "productId": ids[(n * 7 + i * 13) % ids.len()], "quantity": 1 + (n + i) % 2 }))
            .collect();
        json!({
            "input": {
                "customerEmail": format!("bench{}@example.com", n % 50),
                "items": items,
                "payment": { "gateway": "TEST_CARD", "card": { "number": "4242424242424242", "expMonth": 12, "expYear": 2035, "cvc": "123" } },
            },
            "key": format!("bench-{n}"),
        })
    };

    // Warm-up, then the measured run: a closed loop of `concurrency` clients.
    run(
        &client,
        &router,
        args.concurrency,
        args.warmup,
        Duration::from_secs(30),
        0,
        &checkout,
    )
    .await?;
    let started = Instant::now();
    let latencies = run(
        &client,
        &router,
        args.concurrency,
        args.checkouts,
        Duration::from_secs(args.duration_secs),
        args.warmup,
        &checkout,
    )
    .await?;
    let elapsed = started.elapsed();
    report("checkouts", &latencies, elapsed);

    // The last units: many checkouts at once for a few units.
    let product = &ids[0];
    let level = gql(
        &client,
        &urls["inventory"],
        "query($p: ID!) { inventory(productId: $p) { available } }",
        json!({ "p": product }),
    )
    .await?;
    let available = level["inventory"]["available"]
        .as_i64()
        .context("available")?;
    gql(
        &client,
        &urls["inventory"],
        "mutation($p: ID!, $d: Int!) { adjustStock(productId: $p, delta: $d, reason: \"benchmark: last units\") { onHand } }",
        json!({ "p": product, "d": args.units - available }),
    )
    .await?;
    let confirmed = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..args.contenders)
        .map(|n| {
            let (client, router, confirmed) = (client.clone(), router.clone(), confirmed.clone());
            let variables = json!({
                "input": {
                    "customerEmail": format!("rush{n}@example.com"),
                    "items": [{ "productId": product, "quantity": 1 }],
                    "payment": { "gateway": "TEST_CARD", "card": { "number": "4242424242424242", "expMonth": 12, "expYear": 2035, "cvc": "123" } },
                },
            });
            tokio::spawn(async move {
                let sent = Instant::now();
                let order = gql(&client, &router, PLACE, variables).await?;
                if order["placeOrder"]["status"] == "CONFIRMED" {
                    confirmed.fetch_add(1, Ordering::Relaxed);
                }
                anyhow::Ok(sent.elapsed())
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.push(task.await??);
    }
    let elapsed = started.elapsed();
    report(
        &format!("last {} units, {} at once", args.units, args.contenders),
        &latencies,
        elapsed,
    );
    let sold = confirmed.load(Ordering::Relaxed);
    if sold as i64 != args.units {
        bail!("{sold} checkouts confirmed for {} units", args.units);
    }
    println!("exactly {sold} confirmed");
    running.shutdown().await.context("shutting down")?;
    Ok(())
}

/// Runs `count` checkouts (numbered from `first`) with `concurrency` in flight,
/// stopping early at `limit`; returns each one's latency.
async fn run(
    client: &reqwest::Client,
    router: &str,
    concurrency: usize,
    count: usize,
    limit: Duration,
    first: usize,
    checkout: &(dyn Fn(usize) -> Value + Sync),
) -> anyhow::Result<Vec<Duration>> {
    let next = AtomicUsize::new(0);
    let deadline = Instant::now() + limit;
    let workers = (0..concurrency).map(|_| async {
        let mut latencies = Vec::new();
        loop {
            let n = next.fetch_add(1, Ordering::Relaxed);
            if n >= count || Instant::now() >= deadline {
                return anyhow::Ok(latencies);
            }
            let sent = Instant::now();
            let order = gql(client, router, PLACE, checkout(first + n)).await?;
            ensure!(
                order["placeOrder"]["status"] == "CONFIRMED",
                "checkout {n} did not complete: {}",
                order["placeOrder"]
            );
            latencies.push(sent.elapsed());
        }
    });
    let mut all = Vec::new();
    for latencies in futures::future::try_join_all(workers).await? {
        all.extend(latencies);
    }
    Ok(all)
}

fn report(row: &str, latencies: &[Duration], elapsed: Duration) {
    let mut sorted = latencies.to_vec();
    sorted.sort();
    let at = |q: f64| {
        sorted
            .get(((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{row:<32} {:>6} done  {:>7.1}/s  p50 {:>7.1} ms  p99 {:>7.1} ms",
        sorted.len(),
        sorted.len() as f64 / elapsed.as_secs_f64(),
        at(0.5),
        at(0.99),
    );
}
