//! The upstream's Prometheus metrics, declared here with their units and
//! help. A try at an endpoint updates handles resolved when the endpoint
//! was added (two atomic updates, no lookup); the rest is recorded only on
//! the rare paths (a retry, a breaker changing state, an ejection). Label
//! values are bounded by the upstreams and endpoints a process has.

use std::time::Duration;

use metrics::{
    Counter, Histogram, Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge,
    histogram,
};

use crate::status::BreakerState;

pub const RETRIES: &str = "upstream_retries_total";
pub const BREAKER_STATE: &str = "upstream_breaker_state";
pub const BREAKER_OPENINGS: &str = "upstream_breaker_openings_total";
pub const EJECTIONS: &str = "upstream_ejections_total";
pub const ENDPOINT_TRIES: &str = "upstream_endpoint_tries_total";
pub const ENDPOINT_DURATION: &str = "upstream_endpoint_try_duration_seconds";

/// Help texts and units; the process that installs a recorder calls this.
pub fn describe() {
    describe_counter!(
        RETRIES,
        Unit::Count,
        "Tries sent again after a failed one, by upstream."
    );
    describe_gauge!(
        BREAKER_STATE,
        "Circuit breaker state by upstream: 0 closed, 1 half-open (probing), 2 open (failing fast)."
    );
    describe_counter!(
        BREAKER_OPENINGS,
        Unit::Count,
        "Times a circuit breaker opened, by upstream."
    );
    describe_counter!(
        ENDPOINT_TRIES,
        Unit::Count,
        "Tries sent to one endpoint (replica), by upstream, endpoint and outcome (ok, failed: a transport error, timeout or 5xx)."
    );
    describe_histogram!(
        ENDPOINT_DURATION,
        Unit::Seconds,
        "Time of one try at one endpoint, by upstream and endpoint."
    );
    describe_counter!(
        EJECTIONS,
        Unit::Count,
        "Endpoints taken out of rotation after failing repeatedly, by upstream and endpoint."
    );
}

pub(crate) fn retry(upstream: &str) {
    counter!(RETRIES, "upstream" => upstream.to_owned()).increment(1);
}

pub(crate) fn breaker(upstream: &str, state: BreakerState) {
    let value = match state {
        BreakerState::Closed => 0.0,
        BreakerState::HalfOpen => 1.0,
        BreakerState::Open => {
            counter!(BREAKER_OPENINGS, "upstream" => upstream.to_owned()).increment(1);
            2.0
        }
    };
    gauge!(BREAKER_STATE, "upstream" => upstream.to_owned()).set(value);
}

pub(crate) fn ejection(upstream: &str, endpoint: &str) {
    counter!(EJECTIONS, "upstream" => upstream.to_owned(), "endpoint" => endpoint.to_owned())
        .increment(1);
}

/// One endpoint's handles.
pub(crate) struct EndpointMetrics {
    ok: Counter,
    failed: Counter,
    duration: Histogram,
}

impl EndpointMetrics {
    pub(crate) fn new(upstream: &str, endpoint: &str) -> Self {
        let labels = [
            ("upstream", upstream.to_owned()),
            ("endpoint", endpoint.to_owned()),
        ];
        let with = |outcome: &'static str| {
            let mut labels = labels.to_vec();
            labels.push(("outcome", outcome.to_owned()));
            counter!(ENDPOINT_TRIES, &labels)
        };
        EndpointMetrics {
            ok: with("ok"),
            failed: with("failed"),
            duration: histogram!(ENDPOINT_DURATION, &labels),
        }
    }

    pub(crate) fn record(&self, failed: bool, took: Duration) {
        if failed { &self.failed } else { &self.ok }.increment(1);
        self.duration.record(took.as_secs_f64());
    }
}
