//! The event pipeline's Prometheus metrics, declared here with units and
//! help: how far the outbox is behind, and how consumers keep up.
//! Outbox series carry the owning `service`; consumer series their
//! consumer name, which names the service reading.

use std::sync::Once;
use std::time::Duration;

use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};

pub const OUTBOX_PENDING: &str = "events_outbox_pending";
pub const OUTBOX_OLDEST_AGE: &str = "events_outbox_oldest_age_seconds";
pub const PUBLISHED: &str = "events_published_total";
pub const CONSUMED: &str = "events_consumed_total";
pub const HANDLE_DURATION: &str = "events_handle_duration_seconds";
pub const CONSUMER_PENDING: &str = "events_consumer_pending";
pub const REDELIVERIES: &str = "events_consumer_redeliveries_total";

/// Installs the process's recorder (see `telemetry`) and describes these.
pub fn register() {
    static DESCRIBED: Once = Once::new();
    telemetry::metrics::install(&DESCRIBED, describe);
}

fn describe() {
    describe_gauge!(
        OUTBOX_PENDING,
        Unit::Count,
        "Events in a service's outbox not yet relayed to the broker."
    );
    describe_gauge!(
        OUTBOX_OLDEST_AGE,
        Unit::Seconds,
        "Age of the oldest event in a service's outbox not yet relayed (0 when none waits)."
    );
    describe_counter!(
        PUBLISHED,
        Unit::Count,
        "Events a service's relay handed to the broker."
    );
    describe_counter!(
        CONSUMED,
        Unit::Count,
        "Deliveries a consumer handled, by consumer and outcome (ok, failed)."
    );
    describe_histogram!(
        HANDLE_DURATION,
        Unit::Seconds,
        "Time a consumer's handler took for one delivery, by consumer."
    );
    describe_gauge!(
        CONSUMER_PENDING,
        Unit::Count,
        "Events the broker holds for a consumer beyond the one it is handling (its lag; JetStream only)."
    );
    describe_counter!(
        REDELIVERIES,
        Unit::Count,
        "Deliveries of an event a consumer had been given before, by consumer."
    );
}

/// The outbox as a relay last saw it: how many wait, and for how long the
/// oldest has.
pub(crate) fn outbox(service: &'static str, pending: u64, oldest_age: Duration) {
    gauge!(OUTBOX_PENDING, "service" => service).set(pending as f64);
    gauge!(OUTBOX_OLDEST_AGE, "service" => service).set(oldest_age.as_secs_f64());
}

pub(crate) fn published(service: &'static str, count: usize) {
    counter!(PUBLISHED, "service" => service).increment(count as u64);
}

/// A consumer's handles, resolved once per subscription so a delivery
/// does no lookup.
pub(crate) struct ConsumerMetrics {
    ok: metrics::Counter,
    failed: metrics::Counter,
    duration: metrics::Histogram,
    pending: metrics::Gauge,
    redeliveries: metrics::Counter,
}

impl ConsumerMetrics {
    pub(crate) fn new(consumer: &str) -> Self {
        register();
        let consumer = consumer.to_owned();
        ConsumerMetrics {
            ok: counter!(CONSUMED, "consumer" => consumer.clone(), "outcome" => "ok"),
            failed: counter!(CONSUMED, "consumer" => consumer.clone(), "outcome" => "failed"),
            duration: histogram!(HANDLE_DURATION, "consumer" => consumer.clone()),
            pending: gauge!(CONSUMER_PENDING, "consumer" => consumer.clone()),
            redeliveries: counter!(REDELIVERIES, "consumer" => consumer),
        }
    }

    pub(crate) fn delivered(&self, meta: &crate::broker::DeliveryMeta) {
        if meta.delivered > 1 {
            self.redeliveries.increment(1);
        }
        if let Some(pending) = meta.pending {
            self.pending.set(pending as f64);
        }
    }

    pub(crate) fn handled(&self, ok: bool, elapsed: Duration) {
        if ok { &self.ok } else { &self.failed }.increment(1);
        self.duration.record(elapsed.as_secs_f64());
    }
}
