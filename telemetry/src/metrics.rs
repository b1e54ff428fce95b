//! The process's Prometheus recorder. The `metrics` facade has one global
//! recorder per process, and in the all-in-one run the router and the four
//! services share it: whoever renders `/metrics` first installs it, and each
//! crate's `describe` adds its help texts. Services tell their metrics apart
//! by a `service` label, not by a recorder of their own.

use std::collections::HashSet;
use std::sync::{Once, OnceLock, RwLock};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Latency buckets, in seconds: 0.5 ms to 30 s.
const BUCKETS: [f64; 15] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// How often queued histogram samples are folded in.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The process's recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!(
                "a metrics recorder was already installed; /metrics shows only what this one records"
            );
        }
        // Histogram samples queue until drained; without a scrape for a
        // while they would pile up, so a thread drains them every few
        // seconds (what the exporter's own `install` spawns).
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                }
            });
        if let Err(err) = spawned {
            tracing::warn!(error = %err, "cannot start the metrics upkeep thread; histograms drain at each scrape only");
        }
        handle
    })
}

/// Installs the recorder and runs `describe` once per call site: each
/// crate passes its own `describe` (help texts and units), and a second
/// service in the same process does not describe twice.
pub fn install(once: &'static Once, describe: fn()) -> &'static PrometheusHandle {
    let handle = handle();
    once.call_once(describe);
    handle
}

/// The `Content-Type` of `render`'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// How many distinct operation names a process keeps as label values.
pub const MAX_OPERATION_NAMES: usize = 200;

/// Operation names as label values, so that a client inventing names cannot
/// grow the series without bound: the first `cap` distinct names stay as
/// they are, later ones are `other`, and an unnamed operation is `anonymous`.
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

/// The process's operation names, shared by every GraphQL server in it.
pub fn operation_label(name: Option<&str>) -> String {
    static NAMES: OnceLock<OperationNames> = OnceLock::new();
    NAMES
        .get_or_init(|| OperationNames::new(MAX_OPERATION_NAMES))
        .label(name)
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
