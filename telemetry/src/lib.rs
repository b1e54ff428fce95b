//! Observability every binary of the system shares. The router and the four
//! services can run in one process (the all-in-one run), and the `metrics`
//! facade and `tracing` each have one global sink per process, so installing
//! them lives here, once, rather than in each crate.
//!
//! - `metrics`: the process's Prometheus recorder and bounded label values;
//!   each crate declares its own metrics in its own `metrics` module.
//! - `logs`: log lines, text or JSON (`LOG_FORMAT`), filtered by `RUST_LOG`,
//!   each with the trace id when there is one.
//! - `traces`: OpenTelemetry over OTLP/HTTP, off unless an endpoint is set
//!   (`OTEL_EXPORTER_OTLP_ENDPOINT`), with a parent-based ratio sampler.
//! - `propagation`: W3C `traceparent` in and out of HTTP headers and events.
//!
//! [`init`] installs both logs and traces as one `tracing` subscriber: log
//! lines come from events only (no span is ever enabled for them), spans
//! only exist for the trace layer, so with traces off every span is
//! disabled at its callsite and costs nothing.
#![forbid(unsafe_code)]

pub mod logs;
pub mod metrics;
pub mod propagation;
pub mod traces;

use tracing::subscriber::Interest;
use tracing::{Metadata, level_filters::LevelFilter};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{EnvFilter, FilterExt};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::layer::{Context, Filter};
use tracing_subscriber::registry::Registry;
use tracing_subscriber::util::SubscriberInitExt;

pub use logs::{LogFormat, LogSettings};
pub use traces::{TelemetryError, TraceSettings};

/// What [`init`] installed. Dropping it flushes and stops the trace
/// exporter: keep it until the process ends.
#[must_use = "dropping it stops the trace exporter"]
pub struct Telemetry {
    traces: bool,
}

impl Telemetry {
    /// Whether spans are being exported.
    pub fn traces_on(&self) -> bool {
        self.traces
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if self.traces {
            traces::shutdown();
        }
    }
}

/// Logs (`LOG_FORMAT`, `RUST_LOG`) to stderr and, when `traces` names an
/// endpoint, traces of `service` (its `service.name`, unless
/// `OTEL_SERVICE_NAME` says otherwise). Only the first call of a process
/// installs anything; later ones change nothing.
pub fn init(service: &str, traces: &TraceSettings) -> Result<Telemetry, TelemetryError> {
    install(service, traces, &LogSettings::from_env()?, std::io::stderr)
}

/// [`init`] with explicit log settings and writer (tests capture logs).
pub fn install<W>(
    service: &str,
    traces: &TraceSettings,
    logs: &LogSettings,
    writer: W,
) -> Result<Telemetry, TelemetryError>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = match &logs.filter {
        Some(directives) => EnvFilter::new(directives),
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    };
    // Log lines are events; spans are for traces only.
    let events = Kinds {
        spans: LevelFilter::OFF,
        events: LevelFilter::TRACE,
    }
    .and(filter);
    let ansi = logs.format == LogFormat::Text && logs.ansi;
    let log_layer = match logs.format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_ansi(ansi)
            .event_format(logs::WithTraceId {
                inner: tracing_subscriber::fmt::format(),
                json: false,
            })
            .with_filter(events)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(writer)
            .event_format(logs::WithTraceId {
                inner: tracing_subscriber::fmt::format().json(),
                json: true,
            })
            .with_filter(events)
            .boxed(),
    };
    let mut layers = vec![log_layer];
    let provider = traces::provider(service, traces)?;
    if let Some(provider) = &provider {
        layers.push(
            tracing_opentelemetry::layer()
                .with_tracer(traces::tracer(provider))
                .with_threads(false)
                .with_location(false)
                .with_target(false)
                .with_tracked_inactivity(false)
                // Parents come from the tracing span tree; not activating
                // an OpenTelemetry context on every poll of an instrumented
                // future keeps entering a span cheap.
                .with_context_activation(false)
                // Spans at INFO and above; warnings and errors as span events.
                .with_filter(Kinds {
                    spans: LevelFilter::INFO,
                    events: LevelFilter::WARN,
                })
                .boxed(),
        );
    }
    let installed = Registry::default().with(layers).try_init().is_ok();
    Ok(Telemetry {
        traces: installed && provider.is_some(),
    })
}

/// Spans up to one level and events up to another, decided once per
/// callsite (`tracing` caches the answer), so what no layer wants — every
/// span, while traces are off — is never even asked about again.
struct Kinds {
    spans: LevelFilter,
    events: LevelFilter,
}

impl Kinds {
    fn wants(&self, meta: &Metadata<'_>) -> bool {
        let limit = if meta.is_span() {
            self.spans
        } else {
            self.events
        };
        *meta.level() <= limit
    }
}

impl<S> Filter<S> for Kinds {
    fn enabled(&self, meta: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        self.wants(meta)
    }

    fn callsite_enabled(&self, meta: &'static Metadata<'static>) -> Interest {
        if self.wants(meta) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.spans.max(self.events))
    }
}
