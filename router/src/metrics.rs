//! The router's Prometheus metrics, all declared here with their units and
//! help, recorded through the `metrics` facade and rendered by
//! `metrics-exporter-prometheus` on the admin listener's `/metrics`.
//!
//! Label values are bounded: operation names by `telemetry::metrics`
//! (the first few hundred seen, later ones `other`), error codes and
//! outcomes come from fixed sets, subgraph names from the supergraph.

use std::sync::Once;
use std::time::Duration;

use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use metrics_exporter_prometheus::PrometheusHandle;
use telemetry::metrics::operation_label;

pub const REQUESTS: &str = "router_requests_total";
pub const REQUEST_DURATION: &str = "router_request_duration_seconds";
pub const FETCHES: &str = "router_subgraph_fetches_total";
pub const FETCH_DURATION: &str = "router_subgraph_fetch_duration_seconds";
pub const IN_FLIGHT: &str = "router_requests_in_flight";
pub const PLAN_CACHE: &str = "router_plan_cache_lookups_total";
pub const LIMITS: &str = "router_limit_verdicts_total";

/// `[metrics]`: whether the router records metrics, and where the admin
/// listener serves them. Read at start (a change takes a restart).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Off: nothing is recorded (the `metrics` calls find no recorder and
    /// return at once) and the path answers 404.
    pub enabled: bool,
    /// The admin listener's path for Prometheus' text format.
    pub path: String,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            enabled: true,
            path: "/metrics".to_owned(),
        }
    }
}

impl MetricsConfig {
    pub(crate) fn check(&self) -> Result<(), String> {
        if !self.path.starts_with('/') || self.path.len() < 2 {
            return Err(format!(
                "metrics.path must be a path below / (got {:?})",
                self.path
            ));
        }
        if ["/status", "/health", "/ready"].contains(&self.path.as_str()) {
            return Err(format!("metrics.path {} is taken", self.path));
        }
        Ok(())
    }
}

/// The process's recorder (see `telemetry::metrics`), with the router's
/// metrics described.
pub fn handle() -> &'static PrometheusHandle {
    static DESCRIBED: Once = Once::new();
    telemetry::metrics::install(&DESCRIBED, describe)
}

fn describe() {
    upstream::metrics::describe();
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
