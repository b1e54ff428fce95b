//! Query planning cost, without any network.
//!
//! ```sh
//! cargo bench -p benchmarks --bench planning            # ~1s per case
//! BENCH_SECS=3 cargo bench -p benchmarks --bench planning
//! ```
//!
//! For each operation it measures, over `schema/supergraph.graphql`:
//! - `parse+validate`: `ExecutableDocument::parse_and_validate` against the supergraph schema;
//! - `plan`: `Planner::plan` on the already validated document (the planner alone);
//! - `engine cold`: `Engine::explain` on text neither cache has seen (a unique alias
//!   per iteration): what a router request pays on a cache miss — parse, validate
//!   against the API schema, normalize, plan, print the plan;
//! - `engine cached`: `Engine::explain` on the same text again: both caches hit,
//!   plus printing the plan.
//!
//! Each case runs a short warm-up, then as many iterations as fit in the time
//! budget (at least 20); every iteration is timed on its own.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use apollo_compiler::ExecutableDocument;
use router::config::RouterConfig;
use router::engine::Engine;
use router::plan::{PlanNode, Planner, QueryPlan};
use router::supergraph::Supergraph;
use router::transport::HttpTransport;

const CASES: &[(&str, &str)] = &[
    (
        "product (1 subgraph)",
        "query Small { products(first: 5) { edges { node { id sku name price { amount currency } } } } }",
    ),
    (
        "product+inventory (@requires)",
        "query Stock { products(first: 10) { edges { node { id name price { amount currency } inventory { onHand available } inStock stockValue { amount currency } } } } }",
    ),
    (
        "order+payments",
        "query OrderPayments { orders(first: 10) { edges { node { id status total { amount currency } payments { id status amount { amount currency } } } } } }",
    ),
    (
        "deep (4 subgraphs, 5 levels)",
        "query Deep { orders(first: 30) { edges { node { id status customerEmail total { amount currency } statusHistory { status at } items { quantity unitPrice { amount currency } lineTotal { amount } product { id sku name description category price { amount currency } inventory { onHand reserved available reorderPoint } inStock stockValue { amount currency } } } payments { id status amount { amount currency } gateway order { id status } } } } } }",
    ),
];

struct Summary {
    iterations: usize,
    mean: Duration,
    p50: Duration,
    p99: Duration,
}

fn bench(budget: Duration, mut f: impl FnMut(usize)) -> Summary {
    // Warm-up: a tenth of the budget.
    let warm_until = Instant::now() + budget / 10;
    let mut i = 0usize;
    while Instant::now() < warm_until {
        f(i);
        i += 1;
    }
    let mut samples = Vec::new();
    let started = Instant::now();
    while (started.elapsed() < budget || samples.len() < 20) && samples.len() < 2_000_000 {
        let t = Instant::now();
        f(i);
        samples.push(t.elapsed());
        i += 1;
    }
    samples.sort();
    let pick = |p: f64| {
        let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
        samples[rank.clamp(1, samples.len()) - 1]
    };
    Summary {
        iterations: samples.len(),
        mean: samples.iter().sum::<Duration>() / samples.len() as u32,
        p50: pick(50.0),
        p99: pick(99.0),
    }
}

fn fmt(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.1} µs")
    }
}

fn fetches(plan: &QueryPlan) -> usize {
    fn count(node: &PlanNode) -> usize {
        match node {
            PlanNode::Fetch(_) => 1,
            PlanNode::Sequence(nodes) | PlanNode::Parallel(nodes) => nodes.iter().map(count).sum(),
            PlanNode::Condition(condition) => count(&condition.then),
        }
    }
    plan.root.as_ref().map(count).unwrap_or(0)
}

/// The query with its first root field aliased uniquely, so neither the
/// document cache (keyed by text) nor the plan cache (keyed by the
/// normalized document) has seen it.
fn unique_variant(query: &str, n: usize) -> String {
    let open = query.find('{').expect("a selection set") + 1;
    format!("{} q{n}: {}", &query[..open], query[open..].trim_start())
}

fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; accept and ignore harness flags.
    let budget = Duration::from_secs_f64(
        std::env::var("BENCH_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1.0),
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let path = root.join("schema/supergraph.graphql");
    let sdl = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;

    let started = Instant::now();
    let supergraph = Arc::new(Supergraph::parse(&sdl)?);
    println!(
        "Supergraph::parse of {} ({} bytes): {}",
        path.display(),
        sdl.len(),
        fmt(started.elapsed())
    );
    let planner = Planner::new(supergraph.clone());
    let started = Instant::now();
    // The transport is never used: explain plans without executing.
    let transport = Arc::new(HttpTransport::from_config(&RouterConfig::default())?);
    let engine = Engine::new(&sdl, &RouterConfig::default(), transport)?;
    println!("Engine::new: {}", fmt(started.elapsed()));
    println!("time budget per case: {budget:?} (BENCH_SECS)\n");

    println!(
        "{:<44} {:<15} {:>9} {:>10} {:>10} {:>10}",
        "operation", "measure", "iters", "mean", "p50", "p99"
    );
    for (label, query) in CASES {
        let document =
            ExecutableDocument::parse_and_validate(supergraph.schema(), *query, "q.graphql")
                .map_err(|e| anyhow::anyhow!("{label}: {e}"))?;
        let operation = document
            .operations
            .iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("{label}: no operation"))?;
        let plan = planner.plan(&document, operation)?;
        let label = format!("{label} [{} fetches]", fetches(&plan));
        // The engine must agree with the planner.
        let explained = engine
            .explain(query, None)
            .map_err(|r| anyhow::anyhow!("{label}: {:?}", r.errors))?;
        assert_eq!(explained, plan.to_string(), "{label}: engine plan differs");

        let mut results = Vec::new();
        results.push((
            "parse+validate",
            bench(budget, |_| {
                black_box(
                    ExecutableDocument::parse_and_validate(
                        supergraph.schema(),
                        black_box(*query),
                        "q.graphql",
                    )
                    .is_ok(),
                );
            }),
        ));
        results.push((
            "plan",
            bench(budget, |_| {
                black_box(planner.plan(&document, operation).is_ok());
            }),
        ));
        // A never-seen text per iteration (building it costs well under 1 µs).
        results.push((
            "engine cold",
            bench(budget, |i| {
                let text = unique_variant(query, i);
                black_box(engine.explain(&text, None).is_ok());
            }),
        ));
        results.push((
            "engine cached",
            bench(budget, |_| {
                black_box(engine.explain(black_box(*query), None).is_ok());
            }),
        ));
        for (i, (measure, s)) in results.iter().enumerate() {
            println!(
                "{:<44} {:<15} {:>9} {:>10} {:>10} {:>10}",
                if i == 0 { label.as_str() } else { "" },
                measure,
                s.iterations,
                fmt(s.mean),
                fmt(s.p50),
                fmt(s.p99)
            );
        }
    }
    Ok(())
}
