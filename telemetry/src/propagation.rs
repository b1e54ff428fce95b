//! W3C trace context (`traceparent`) across process boundaries: read from
//! an incoming request's headers or an event, written into outgoing calls
//! and events. Every function here returns at once, doing nothing, while
//! tracing is off (`traces::enabled`) or the span is disabled, so callers
//! need no checks of their own and pay nothing when traces are off.

use http::{HeaderMap, HeaderValue};
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{SpanContext, TraceContextExt, TraceId};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::traces::enabled;

/// The header (and NATS message header) trace context travels in.
pub const TRACEPARENT: &str = "traceparent";

/// Makes `span` a child of the trace context `headers` carry, if any.
/// Call it right after creating the span, before it is entered.
pub fn set_parent_from_headers(span: &Span, headers: &HeaderMap) {
    if !enabled() || span.is_disabled() || !headers.contains_key(TRACEPARENT) {
        return;
    }
    let context = TraceContextPropagator::new().extract(&Headers(headers));
    let _ = span.set_parent(context);
}

/// Makes `span` a child of the span `traceparent` names, if any (a stored
/// or received `traceparent` value). A malformed value is ignored.
pub fn set_parent(span: &Span, traceparent: Option<&str>) {
    let Some(traceparent) = traceparent else {
        return;
    };
    if !enabled() || span.is_disabled() {
        return;
    }
    let context = TraceContextPropagator::new().extract(&One(traceparent));
    let _ = span.set_parent(context);
}

/// The `traceparent` naming `span`, for a call or event it causes.
pub fn traceparent(span: &Span) -> Option<String> {
    let context = span_context(span)?;
    Some(format!(
        "00-{}-{}-{:02x}",
        context.trace_id(),
        context.span_id(),
        context.trace_flags().to_u8()
    ))
}

/// [`traceparent`] as a header value.
pub fn header(span: &Span) -> Option<HeaderValue> {
    HeaderValue::try_from(traceparent(span)?).ok()
}

/// The `traceparent` of the span the caller is in.
pub fn current_traceparent() -> Option<String> {
    if !enabled() {
        return None;
    }
    traceparent(&Span::current())
}

/// The trace the caller is in, for log lines.
pub fn current_trace_id() -> Option<TraceId> {
    if !enabled() {
        return None;
    }
    Some(span_context(&Span::current())?.trace_id())
}

fn span_context(span: &Span) -> Option<SpanContext> {
    if !enabled() || span.is_disabled() {
        return None;
    }
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context.is_valid().then_some(span_context)
}

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

struct One<'a>(&'a str);

impl Extractor for One<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        (key == TRACEPARENT).then_some(self.0)
    }

    fn keys(&self) -> Vec<&str> {
        vec![TRACEPARENT]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_read_or_written_while_tracing_is_off() {
        let span = tracing::info_span!("off");
        let mut headers = HeaderMap::new();
        headers.insert(
            TRACEPARENT,
            HeaderValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        );
        set_parent_from_headers(&span, &headers);
        assert_eq!(traceparent(&span), None);
        assert_eq!(current_traceparent(), None);
        assert_eq!(current_trace_id(), None);
    }
}
