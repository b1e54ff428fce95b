//! With the subscriber installed (its own test binary: one per process):
//! JSON log lines carry the trace id, and trace context goes in and out.

use std::io::Write;
use std::sync::{Arc, Mutex};

use http::{HeaderMap, HeaderValue};
use telemetry::propagation::{self, TRACEPARENT};
use telemetry::{LogFormat, LogSettings, TraceSettings};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn json_lines_carry_the_trace_id_and_context_crosses_boundaries() {
    let captured = Captured::default();
    let writer = captured.clone();
    // Nothing listens there: exports fail quietly in the SDK's thread.
    let traces = TraceSettings {
        endpoint: Some("http://127.0.0.1:9".into()),
        sampling_ratio: 1.0,
    };
    let logs = LogSettings {
        format: LogFormat::Json,
        filter: Some("info".into()),
        ansi: false,
    };
    let installed = telemetry::install("test", &traces, &logs, move || writer.clone()).unwrap();
    assert!(installed.traces_on());

    // A request arrives with a parent: the span joins its trace.
    let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let mut headers = HeaderMap::new();
    headers.insert(TRACEPARENT, HeaderValue::from_static(incoming));
    let span = tracing::info_span!("request");
    propagation::set_parent_from_headers(&span, &headers);
    let outgoing = propagation::traceparent(&span).expect("a traced span has a traceparent");
    assert!(
        outgoing.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
        "{outgoing}"
    );
    assert!(!outgoing.contains("00f067aa0ba902b7"), "a span of its own");
    assert!(outgoing.ends_with("-01"), "sampled, as its parent");

    span.in_scope(|| {
        assert_eq!(propagation::current_traceparent(), Some(outgoing.clone()));
        tracing::info!(answer = 42, "inside");
    });
    tracing::info!("outside");

    // A stored traceparent (an event's) makes a child too.
    let consumer = tracing::info_span!("consume");
    propagation::set_parent(&consumer, Some(&outgoing));
    let child = propagation::traceparent(&consumer).unwrap();
    assert_eq!(&child[..35], &outgoing[..35], "the same trace");

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let inside = lines
        .iter()
        .find(|l| l["fields"]["message"] == "inside")
        .expect("the line inside the span");
    assert_eq!(inside["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(inside["fields"]["answer"], 42);
    let outside = lines
        .iter()
        .find(|l| l["fields"]["message"] == "outside")
        .expect("the line outside");
    assert!(outside.get("trace_id").is_none(), "{outside}");
}
