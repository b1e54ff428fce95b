//! deploy/grafana/dashboards/shop.json: the golden signals of the router
//! and each service, events and the checkout funnel, asking only for
//! metrics the system exports, by labels those metrics have.

use std::collections::BTreeSet;

use serde_json::Value;

const DASHBOARD: &str = "deploy/grafana/dashboards/shop.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}
use Kind::{Counter, Gauge, Histogram};

/// Every metric the dashboard reads, named by the constants the crates
/// record them under: the router on its admin listener's `/metrics`, each
/// service on `GET /metrics` at its own port. Each label,
/// with its values after `=` where they are a fixed set (an error `code`
/// is `none` when there is none).
const METRICS: &[(&str, Kind, &[&str])] = &[
    (
        router::metrics::REQUESTS,
        Counter,
        &["operation", "status", "code"],
    ),
    (router::metrics::REQUEST_DURATION, Histogram, &["operation"]),
    (router::metrics::FETCHES, Counter, &["subgraph", "outcome"]),
    (router::metrics::FETCH_DURATION, Histogram, &["subgraph"]),
    (router::metrics::IN_FLIGHT, Gauge, &[]),
    (router::metrics::PLAN_CACHE, Counter, &["result=hit|miss"]),
    (router::metrics::LIMITS, Counter, &["limit", "verdict"]),
    (upstream::metrics::RETRIES, Counter, &["upstream"]),
    (upstream::metrics::BREAKER_STATE, Gauge, &["upstream"]),
    (
        upstream::metrics::EJECTIONS,
        Counter,
        &["upstream", "endpoint"],
    ),
    (
        subgraph_kit::metrics::GRAPHQL_REQUESTS,
        Counter,
        &["service", "operation", "code"],
    ),
    (
        subgraph_kit::metrics::GRAPHQL_DURATION,
        Histogram,
        &["service", "operation"],
    ),
    (
        subgraph_kit::metrics::DB_QUERY_DURATION,
        Histogram,
        &["service"],
    ),
    (
        subgraph_kit::metrics::DB_POOL,
        Gauge,
        &["service", "state=idle|in_use"],
    ),
    (events::metrics::OUTBOX_PENDING, Gauge, &["service"]),
    (events::metrics::OUTBOX_OLDEST_AGE, Gauge, &["service"]),
    (events::metrics::CONSUMER_PENDING, Gauge, &["consumer"]),
    (events::metrics::REDELIVERIES, Counter, &["consumer"]),
    (
        orders::metrics::CHECKOUTS,
        Counter,
        &["outcome=started|confirmed|payment_failed|cancelled"],
    ),
    (orders::metrics::STEP_DURATION, Histogram, &["step"]),
    (orders::metrics::STEPS, Counter, &["step", "outcome"]),
    (orders::metrics::RECOVERY_SWEEPS, Counter, &["outcome"]),
    (inventory::metrics::STOCK_LOW, Counter, &[]),
    (inventory::metrics::OPEN_REPLENISHMENTS, Gauge, &[]),
];

/// What a series name of the list is: its metric, kind and labels
/// (a histogram's `_bucket` series also has `le`).
fn series(name: &str) -> Option<(&'static str, Kind, BTreeSet<&'static str>)> {
    let known = |metric: &str| METRICS.iter().find(|(m, _, _)| *m == metric);
    let (metric, kind, labels) = match known(name) {
        Some(&(metric, kind, labels)) if kind != Histogram => (metric, kind, labels),
        Some(_) => panic!("{name} is a histogram: ask for its _bucket, _sum or _count"),
        None => {
            let (base, suffix) = name.rsplit_once('_')?;
            let &(metric, kind, labels) = known(base).filter(|(_, k, _)| *k == Histogram)?;
            let mut labels: BTreeSet<_> = labels.iter().map(|l| label_name(l)).collect();
            match suffix {
                "bucket" => labels.insert("le"),
                "sum" | "count" => false,
                _ => return None,
            };
            return Some((metric, kind, labels));
        }
    };
    Some((metric, kind, labels.iter().map(|l| label_name(l)).collect()))
}

fn label_name(spec: &'static str) -> &'static str {
    spec.split('=').next().unwrap()
}

/// The values a label of `metric` takes, when they are a fixed set.
fn label_values(metric: &str, label: &str) -> Option<Vec<&'static str>> {
    let (_, _, labels) = METRICS.iter().find(|(m, _, _)| *m == metric)?;
    let spec = labels.iter().find(|l| label_name(l) == label)?;
    spec.split_once('=')
        .map(|(_, values)| values.split('|').collect())
}

/// One series selector of a query: the name, its label matchers
/// `(label, operator, value)`, and the function it is an argument of.
#[derive(Debug, Default)]
struct Selector {
    name: String,
    matchers: Vec<(String, String, String)>,
    within: String,
}

#[derive(Debug, Default)]
struct Query {
    selectors: Vec<Selector>,
    /// The labels of `by (…)`, `without (…)`, `on (…)` and the like.
    grouping: Vec<String>,
}

const GROUPINGS: [&str; 6] = [
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];
const KEYWORDS: [&str; 5] = ["and", "or", "unless", "bool", "offset"];

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// Reads the series selectors and groupings of a PromQL expression.
fn parse(expr: &str) -> Query {
    let chars: Vec<char> = expr.chars().collect();
    let mut query = Query::default();
    // The function each open parenthesis belongs to ("" for grouping).
    let mut open: Vec<String> = Vec::new();
    let mut function = String::new();
    let mut i = 0;
    let until = |from: usize, end: char| {
        let mut j = from;
        let mut quoted = None;
        while j < chars.len() {
            match (quoted, chars[j]) {
                (None, '"' | '\'') => quoted = Some(chars[j]),
                (Some(q), c) if c == q => quoted = None,
                (None, c) if c == end => return j,
                _ => {}
            }
            j += 1;
        }
        panic!("{expr}: unclosed {end}");
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '(' => {
                open.push(std::mem::take(&mut function));
                i += 1;
            }
            ')' => {
                open.pop();
                i += 1;
            }
            '[' => i = until(i, ']') + 1,
            '"' | '\'' => i = until(i + 1, c) + 1,
            '{' => {
                let end = until(i, '}');
                let inside: String = chars[i + 1..end].iter().collect();
                let selector = query
                    .selectors
                    .last_mut()
                    .unwrap_or_else(|| panic!("{expr}: matchers without a metric name"));
                selector.matchers.extend(matchers(&inside));
                i = end + 1;
            }
            '$' => {
                i += 1;
                while i < chars.len() && is_name_char(chars[i]) {
                    i += 1;
                }
            }
            c if c.is_ascii_digit() => {
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                    i += 1;
                }
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == ':' => {
                let start = i;
                while i < chars.len() && is_name_char(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let next = chars[i..].iter().find(|c| !c.is_whitespace());
                let rest: String = chars[i..].iter().collect();
                let next_word = rest.trim_start().split(|c| !is_name_char(c)).next();
                if next_word.is_some_and(|w| ["by", "without"].contains(&w)) {
                    // `sum by (…) (…)`: an aggregation, its grouping first.
                    function = word;
                } else if next == Some(&'(') && GROUPINGS.contains(&word.as_str()) {
                    let from = i + chars[i..].iter().position(|c| *c == '(').unwrap();
                    let end = until(from, ')');
                    let labels: String = chars[from + 1..end].iter().collect();
                    query.grouping.extend(
                        labels
                            .split(',')
                            .map(str::trim)
                            .filter(|l| !l.is_empty())
                            .map(str::to_owned),
                    );
                    i = end + 1;
                } else if next == Some(&'(') {
                    function = word;
                } else if !KEYWORDS.contains(&word.as_str()) {
                    query.selectors.push(Selector {
                        name: word,
                        matchers: Vec::new(),
                        within: open.last().cloned().unwrap_or_default(),
                    });
                }
            }
            _ => i += 1,
        }
    }
    query
}

/// `a="x", b!~"y|z"` as (label, operator, value).
fn matchers(text: &str) -> Vec<(String, String, String)> {
    text.split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(|m| {
            let name_end = m.find(|c: char| !is_name_char(c)).expect("an operator");
            let (name, rest) = m.split_at(name_end);
            let rest = rest.trim_start();
            let op = ["=~", "!~", "!=", "="]
                .into_iter()
                .find(|op| rest.starts_with(op))
                .unwrap_or_else(|| panic!("no operator in {m}"));
            let value = rest[op.len()..]
                .trim()
                .trim_matches(|c| c == '"' || c == '\'');
            (name.to_owned(), op.to_owned(), value.to_owned())
        })
        .collect()
}

pub fn dashboard() -> Value {
    serde_json::from_str(&crate::read(DASHBOARD)).expect("the dashboard is JSON")
}

/// Every panel, those inside rows included.
fn panels(dashboard: &Value) -> Vec<&Value> {
    let mut all = Vec::new();
    for panel in crate::items(dashboard, "/panels") {
        all.push(panel);
        all.extend(crate::items(panel, "/panels"));
    }
    all
}

/// The data source uids the panels and their queries name.
pub fn datasource_uids(dashboard: &Value) -> BTreeSet<String> {
    panels(dashboard)
        .into_iter()
        .filter(|p| p["type"] != "row")
        .flat_map(|p| std::iter::once(p).chain(crate::items(p, "/targets")))
        .map(|v| crate::text(v, "/datasource/uid").to_owned())
        .collect()
}

fn queries(dashboard: &Value) -> Vec<(String, String)> {
    panels(dashboard)
        .into_iter()
        .filter(|p| p["type"] != "row")
        .flat_map(|panel| {
            let title = crate::text(panel, "/title").to_owned();
            let targets = crate::items(panel, "/targets");
            assert!(!targets.is_empty(), "panel {title:?} has no query");
            targets
                .iter()
                .map(move |t| (title.clone(), crate::text(t, "/expr").to_owned()))
        })
        .collect()
}

#[test]
fn the_query_reader_finds_names_matchers_groupings_and_functions() {
    let query = parse(
        r#"histogram_quantile(0.95, sum by (le, step) (rate(orders_checkout_step_duration_seconds_bucket{step!="RESERVE"}[$__rate_interval])))
           / on (step) max(inventory_open_replenishments) and up offset 5m"#,
    );
    let names: Vec<&str> = query.selectors.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "orders_checkout_step_duration_seconds_bucket",
            "inventory_open_replenishments",
            "up"
        ]
    );
    assert_eq!(query.selectors[0].within, "rate");
    assert_eq!(query.selectors[1].within, "max");
    assert_eq!(
        query.selectors[0].matchers,
        [("step".into(), "!=".into(), "RESERVE".into())]
    );
    assert_eq!(query.grouping, ["le", "step", "step"]);
}

#[test]
fn the_dashboard_asks_only_for_listed_metrics_by_their_labels() {
    let dashboard = dashboard();
    assert_eq!(dashboard["uid"], "shop-overview");
    for (panel, expr) in queries(&dashboard) {
        let query = parse(&expr);
        assert!(
            !query.selectors.is_empty(),
            "{panel}: {expr} reads no metric"
        );
        let mut labels = BTreeSet::new();
        for selector in &query.selectors {
            let (metric, kind, own) = series(&selector.name).unwrap_or_else(|| {
                panic!(
                    "{panel}: {} is not a metric the system exports",
                    selector.name
                )
            });
            let rated = ["rate", "increase", "irate"].contains(&selector.within.as_str());
            match kind {
                Counter => assert!(rated, "{panel}: counter {metric} read without rate()"),
                Gauge => assert!(
                    !rated,
                    "{panel}: gauge {metric} read with {}()",
                    selector.within
                ),
                Histogram => assert!(rated, "{panel}: histogram {metric} read without rate()"),
            }
            for (label, op, value) in &selector.matchers {
                assert!(
                    own.contains(label.as_str()),
                    "{panel}: {metric} has no label {label}"
                );
                if let (Some(values), "=" | "!=") = (label_values(metric, label), op.as_str()) {
                    assert!(
                        values.contains(&value.as_str()),
                        "{panel}: {metric}'s {label} is never {value:?} (one of {values:?})"
                    );
                }
            }
            labels.extend(own);
        }
        for label in &query.grouping {
            assert!(
                labels.contains(label.as_str()),
                "{panel}: no metric of {expr} has the label {label}"
            );
        }
    }
}

#[test]
fn every_listed_metric_is_on_the_dashboard() {
    let used: BTreeSet<&str> = queries(&dashboard())
        .iter()
        .flat_map(|(_, expr)| parse(expr).selectors)
        .filter_map(|s| series(&s.name).map(|(metric, _, _)| metric))
        .collect();
    for (metric, _, _) in METRICS {
        assert!(used.contains(metric), "{metric} is on no panel");
    }
}

#[test]
fn the_checkout_funnel_shows_every_outcome_and_the_conversion() {
    let dashboard = dashboard();
    let funnel = panels(&dashboard)
        .into_iter()
        .find(|p| p["type"] == "bargauge")
        .expect("a funnel panel");
    let expr = crate::text(funnel, "/targets/0/expr");
    let query = parse(expr);
    assert_eq!(query.selectors[0].name, "orders_checkouts_total");
    assert!(query.selectors[0].matchers.is_empty(), "every outcome");
    assert_eq!(query.grouping, ["outcome"]);
    let conversion = queries(&dashboard)
        .into_iter()
        .map(|(_, expr)| parse(&expr))
        .any(|q| {
            let outcome = |s: &Selector| {
                s.matchers
                    .iter()
                    .find(|(label, _, _)| label == "outcome")
                    .map(|(_, _, value)| value.clone())
            };
            q.selectors.len() == 2
                && outcome(&q.selectors[0]).as_deref() == Some("confirmed")
                && outcome(&q.selectors[1]).as_deref() == Some("started")
        });
    assert!(conversion, "a panel divides confirmed by started checkouts");
}
