//! The router's Prometheus metrics, all declared here with their units and
//! help, recorded through the `metrics` facade and rendered by
//! `metrics-exporter-prometheus` on the admin listener's `/metrics`.
//!
//! Label values are bounded: operation names are the first
//! `MAX_OPERATION_NAMES` seen (later ones count as `other`), error codes and
//! outcomes come from fixed sets, subgraph names from the supergraph.

use std::collections::HashSet;
use std::sync::{OnceLock, RwLock};
use std::time::Duration;

use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

pub const REQUESTS: &str = "router_requests_total";
pub const REQUEST_DURATION: &str = "router_request_duration_seconds";
pub const FETCHES: &str = "router_subgraph_fetches_total";
pub const FETCH_DURATION: &str = "router_subgraph_fetch_duration_seconds";
pub const IN_FLIGHT: &str = "router_requests_in_flight";
pub const PLAN_CACHE: &str = "router_plan_cache_lookups_total";
pub const LIMITS: &str = "router_limit_verdicts_total";

/// Distinct operation names kept as label values.
pub const MAX_OPERATION_NAMES: usize = 200;

/// Latency buckets, in seconds: 1 ms to 30 s.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The process's recorder, installed on first use (once per process: the
/// `metrics` facade has one global recorder).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics shows only what this one records");
        }
        describe();
        handle
    })
}

fn describe() {
    describe_counter!(
        REQUESTS,
        Unit::Count,
        "Client GraphQL requests, by operation name, HTTP status and the first error's code."
    );
    describe_histogram!(
        REQUEST_DURATION,
        Unit::Seconds,
        "Time to answer a client GraphQL request, by operation name."
    );
    describe_counter!(
        FETCHES,
        Unit::Count,
        "Subgraph fetches, by subgraph and outcome (ok, http_<status>, or the transport error)."
    );
    describe_gauge!(
        IN_FLIGHT,
        Unit::Count,
        "Client GraphQL requests being answered now."
    );
    describe_counter!(
        PLAN_CACHE,
        Unit::Count,
        "Query plan cache lookups, by result (hit or miss)."
    );
    describe_counter!(
        LIMITS,
        Unit::Count,
        "Operations past a limit, by limit and verdict (refused, or warned in warn_only)."
    );
    describe_histogram!(
        FETCH_DURATION,
        Unit::Seconds,
        "Time of one subgraph fetch, retries included, by subgraph."
    );
}

/// Operation names as label values: the first `cap` distinct names as
/// they are, later ones `other`.
pub struct OperationNames {
    seen: RwLock<HashSet<String>>,
    cap: usize,
}

impl OperationNames {
    pub fn new(cap: usize) -> Self {
        OperationNames {
            seen: RwLock::default(),
            cap,
        }
    }

    pub fn label(&self, name: Option<&str>) -> String {
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return "anonymous".to_owned();
        };
        let known = self
            .seen
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(name);
        if known {
            return name.to_owned();
        }
        let mut seen = self
            .seen
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.len() < self.cap || seen.contains(name) {
            seen.insert(name.to_owned());
            name.to_owned()
        } else {
            "other".to_owned()
        }
    }
}

fn operation_label(name: Option<&str>) -> String {
    static NAMES: OnceLock<OperationNames> = OnceLock::new();
    NAMES
        .get_or_init(|| OperationNames::new(MAX_OPERATION_NAMES))
        .label(name)
}

/// One answered client request.
pub fn request(operation: Option<&str>, status: u16, code: Option<&str>, elapsed: Duration) {
    let operation = operation_label(operation);
    counter!(
        REQUESTS,
        "operation" => operation.clone(),
        "status" => status.to_string(),
        "code" => code.unwrap_or("none").to_owned(),
    )
    .increment(1);
    histogram!(REQUEST_DURATION, "operation" => operation).record(elapsed.as_secs_f64());
}

/// Counts a request in flight while it lives.
pub struct InFlight;

impl InFlight {
    pub fn enter() -> InFlight {
        gauge!(IN_FLIGHT).increment(1.0);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        gauge!(IN_FLIGHT).decrement(1.0);
    }
}

/// One plan cache lookup.
pub fn plan_cache(hit: bool) {
    counter!(PLAN_CACHE, "result" => if hit { "hit" } else { "miss" }).increment(1);
}

/// An operation past `limit` (its config key), refused or only warned.
pub fn limit(limit: &'static str, refused: bool) {
    counter!(LIMITS, "limit" => limit, "verdict" => if refused { "refused" } else { "warned" })
        .increment(1);
}

/// One subgraph fetch.
pub fn fetch(subgraph: &str, outcome: &str, elapsed: Duration) {
    counter!(FETCHES, "subgraph" => subgraph.to_owned(), "outcome" => outcome.to_owned())
        .increment(1);
    histogram!(FETCH_DURATION, "subgraph" => subgraph.to_owned()).record(elapsed.as_secs_f64());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_capped() {
        let names = OperationNames::new(3);
        for n in 0..5 {
            let _ = names.label(Some(&format!("Op{n}")));
        }
        assert_eq!(names.label(Some("Op1")), "Op1", "known names stay");
        assert_eq!(names.label(Some("NeverSeenBefore")), "other");
        assert_eq!(names.label(None), "anonymous");
        assert_eq!(names.label(Some("")), "anonymous");
    }
}
