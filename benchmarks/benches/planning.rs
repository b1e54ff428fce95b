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
//!   plus printing the plan;
//! - then each stage of the router's request pipeline on its own, with the
//!   router's default limits: `stage parse` (with the token and nesting
//!   limits), `stage validate` (against the API schema), `stage limits`
//!   (measuring the operation; a request pays it once per text, the
//!   document cache keeps the measures), `stage cost` (the cost estimate,
//!   which a request pays each time: it depends on the variables).
//!
//! A last row plans a wide operation over a generated supergraph of
//! [`LARGE_SUBGRAPHS`] subgraphs and [`LARGE_SUBGRAPHS`] × [`TYPES_PER_SUBGRAPH`]
//! entity types, each type's fields spread over two subgraphs and its
//! references pointing into others: planning time on a graph far larger than ours.
//!
//! Each case runs a short warm-up, then as many iterations as fit in the time
//! budget (at least 20); every iteration is timed on its own.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use apollo_compiler::ExecutableDocument;
use router::compose::{SubgraphSource, compose};
use router::config::RouterConfig;
use router::engine::Engine;
use router::pipeline::cost::CostModel;
use router::pipeline::limits::{LimitsConfig, Measurements};
use router::pipeline::{parse, validate};
use router::plan::{PlanNode, Planner, QueryPlan};
use router::supergraph::Supergraph;

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

const LARGE_SUBGRAPHS: usize = 30;
const TYPES_PER_SUBGRAPH: usize = 10;

/// Entity `T{s}_{t}` belongs to subgraph `s`; subgraph `s + 1` adds a field
/// to it; `next` and `other` point at types of other subgraphs.
fn large_subgraphs() -> Vec<SubgraphSource> {
    let n = LARGE_SUBGRAPHS;
    let name = |s: usize, t: usize| format!("T{}_{}", s % n, t % TYPES_PER_SUBGRAPH);
    (0..n)
        .map(|s| {
            let mut sdl = String::from(
                "extend schema @link(url: \"https://specs.apollo.dev/federation/v2.3\", import: [\"@key\"])\n",
            );
            let mut stubs = std::collections::BTreeSet::new();
            for t in 0..TYPES_PER_SUBGRAPH {
                let next = name(s + 1, t);
                let other = name(s + 7, t + 3);
                sdl.push_str(&format!(
                    "type {} @key(fields: \"id\") {{ id: ID! name: String! v{s}: Int! next: {next} other: {other} }}\n",
                    name(s, t)
                ));
                stubs.insert(next);
                stubs.insert(other);
            }
            // This subgraph's fields on the previous subgraph's types.
            for t in 0..TYPES_PER_SUBGRAPH {
                let previous = name(s + n - 1, t);
                stubs.remove(&previous);
                sdl.push_str(&format!(
                    "type {previous} @key(fields: \"id\") {{ id: ID! extra{s}: String! }}\n"
                ));
            }
            for stub in stubs {
                sdl.push_str(&format!(
                    "type {stub} @key(fields: \"id\", resolvable: false) {{ id: ID! }}\n"
                ));
            }
            sdl.push_str(&format!("type Query {{ s{s}: [{}!]! }}\n", name(s, 0)));
            SubgraphSource {
                name: format!("g{s}"),
                url: format!("http://127.0.0.1:1/g{s}"),
                sdl,
            }
        })
        .collect()
}

/// Ten root fields, each three levels deep through `next` and `other`,
/// every level asking for fields of two subgraphs.
fn wide_operation() -> String {
    let n = LARGE_SUBGRAPHS;
    let mut query = String::from("query Wide {");
    for s in 0..10 {
        let (a, b, c) = ((s + 1) % n, (s + 2) % n, (s + 7) % n);
        query.push_str(&format!(
            " s{s} {{ id name v{s} extra{a} next {{ name v{a} extra{b} next {{ v{b} extra{} }} other {{ v{} name }} }} other {{ v{c} extra{} }} }}",
            (s + 3) % n,
            (a + 7) % n,
            (c + 1) % n,
        ));
    }
    query.push_str(" }");
    query
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
    // The engine builds its upstreams on a runtime (none of them is called).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let engine = runtime.block_on(Engine::over_http(&sdl, &RouterConfig::default()))?;
    println!("Engine::new: {}", fmt(started.elapsed()));
    println!("time budget per case: {budget:?} (BENCH_SECS)\n");

    println!(
        "{:<44} {:<15} {:>9} {:>10} {:>10} {:>10}",
        "operation", "measure", "iters", "mean", "p50", "p99"
    );
    let large = compose(&large_subgraphs())?.supergraph_sdl;
    let large_supergraph = Arc::new(Supergraph::parse(&large)?);
    let large_planner = Planner::new(large_supergraph.clone());
    let large_engine = runtime.block_on(Engine::over_http(&large, &RouterConfig::default()))?;
    let wide = wide_operation();
    let mut cases: Vec<(String, &Arc<Supergraph>, &Planner, &Engine, &str)> = CASES
        .iter()
        .map(|(label, query)| (label.to_string(), &supergraph, &planner, &engine, *query))
        .collect();
    cases.push((
        format!(
            "wide ({LARGE_SUBGRAPHS} subgraphs, {} types)",
            LARGE_SUBGRAPHS * TYPES_PER_SUBGRAPH
        ),
        &large_supergraph,
        &large_planner,
        &large_engine,
        &wide,
    ));
    for (label, supergraph, planner, engine, query) in &cases {
        let query: &str = query;
        let document =
            ExecutableDocument::parse_and_validate(supergraph.schema(), query, "q.graphql")
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
                        black_box(query),
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
                black_box(engine.explain(black_box(query), None).is_ok());
            }),
        ));
        let limits = LimitsConfig::default();
        let api = engine.api_schema();
        let ast = parse::parse(query, &limits)?.document;
        let client_document =
            validate::validate(api, &ast, true).map_err(|e| anyhow::anyhow!("{label}: {e}"))?;
        let client_operation = client_document
            .operations
            .iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("{label}: no operation"))?;
        let cost = CostModel::new(supergraph.schema(), limits.default_list_size);
        let no_variables = serde_json::Map::new();
        results.push((
            "stage parse",
            bench(budget, |_| {
                black_box(parse::parse(black_box(query), &limits).is_ok());
            }),
        ));
        results.push((
            "stage validate",
            bench(budget, |_| {
                black_box(validate::validate(api, black_box(&ast), true).is_ok());
            }),
        ));
        results.push((
            "stage limits",
            bench(budget, |_| {
                black_box(Measurements::of(&client_document, client_operation, false));
            }),
        ));
        results.push((
            "stage cost",
            bench(budget, |_| {
                black_box(cost.estimate(&client_document, client_operation, &no_variables));
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
