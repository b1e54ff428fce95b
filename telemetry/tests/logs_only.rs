//! Traces off (no endpoint): logs are written, and no span is ever enabled,
//! so the spans the code is full of cost a cached callsite check.

use std::io::Write;
use std::sync::{Arc, Mutex};

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
fn without_an_endpoint_no_span_is_enabled_and_lines_are_text() {
    let captured = Captured::default();
    let writer = captured.clone();
    let logs = LogSettings {
        format: LogFormat::Text,
        filter: Some("trace".into()),
        ansi: false,
    };
    let installed = telemetry::install("test", &TraceSettings::default(), &logs, move || {
        writer.clone()
    })
    .unwrap();
    assert!(!installed.traces_on());
    assert!(!telemetry::traces::enabled());

    for _ in 0..2 {
        let span = tracing::error_span!("request", field = "value");
        assert!(span.is_disabled(), "no layer wants spans");
        let _entered = span.enter();
        tracing::info!(answer = 42, "logged");
        assert_eq!(telemetry::propagation::current_traceparent(), None);
    }

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("logged")).collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].contains("INFO") && lines[0].contains("answer=42"),
        "{text}"
    );
    assert!(!text.contains("trace_id"), "no trace, no id: {text}");
    assert!(!text.contains("request{"), "no span context: {text}");
}
