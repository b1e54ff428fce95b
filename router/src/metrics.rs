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
    Counter, Histogram, Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge,
    histogram,
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
    let status: metrics::SharedString = match status {
        200 => "200".into(),
        400 => "400".into(),
        401 => "401".into(),
        429 => "429".into(),
        503 => "503".into(),
        other => other.to_string().into(),
    };
    let code: metrics::SharedString = match code {
        None => "none".into(),
        Some(code) => code.to_owned().into(),
    };
    counter!(
        REQUESTS,
        "operation" => operation.clone(),
        "status" => status,
        "code" => code,
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

/// One subgraph's fetch metrics, resolved once when its upstream is built
/// (a fetch then does two atomic updates, no lookup or allocation).
pub(crate) struct FetchMetrics {
    subgraph: String,
    ok: Counter,
    http_4xx: Counter,
    http_5xx: Counter,
    duration: Histogram,
}

impl FetchMetrics {
    pub(crate) fn new(subgraph: &str) -> Self {
        let outcome = |outcome: &'static str| counter!(FETCHES, "subgraph" => subgraph.to_owned(), "outcome" => outcome);
        FetchMetrics {
            subgraph: subgraph.to_owned(),
            ok: outcome("ok"),
            http_4xx: outcome("http_4xx"),
            http_5xx: outcome("http_5xx"),
            duration: histogram!(FETCH_DURATION, "subgraph" => subgraph.to_owned()),
        }
    }

    /// One fetch: its HTTP status, or the transport error (a rare path that
    /// looks its counter up).
    pub(crate) fn record(
        &self,
        answered: Result<http::StatusCode, &upstream::UpstreamError>,
        elapsed: Duration,
    ) {
        match answered {
            Ok(status) if status.is_success() => self.ok.increment(1),
            Ok(status) if status.is_server_error() => self.http_5xx.increment(1),
            Ok(_) => self.http_4xx.increment(1),
            Err(err) => counter!(
                FETCHES,
                "subgraph" => self.subgraph.clone(),
                "outcome" => err.kind(),
            )
            .increment(1),
        }
        self.duration.record(elapsed.as_secs_f64());
    }
}
