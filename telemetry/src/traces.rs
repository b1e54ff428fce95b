//! OpenTelemetry traces over OTLP/HTTP (protobuf), off unless an endpoint
//! is given. On, `tracing` spans at INFO and above become OpenTelemetry
//! spans (`tracing-opentelemetry`), sampled by a parent-based ratio sampler
//! and sent in batches from a thread of the SDK's own. Off, no layer is
//! installed, so no span is ever enabled: a span macro costs a cached
//! callsite check and nothing is allocated or propagated.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};

/// The standard variable naming the collector's OTLP base URL.
pub const ENDPOINT_ENV: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
/// The standard variable giving the sampler's ratio.
pub const SAMPLING_RATIO_ENV: &str = "OTEL_TRACES_SAMPLER_ARG";
/// The standard variable overriding the `service.name` resource.
pub const SERVICE_NAME_ENV: &str = "OTEL_SERVICE_NAME";

/// Where traces go and how many: off without an endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceSettings {
    /// The collector's OTLP/HTTP base URL (`http://127.0.0.1:4318`);
    /// spans are POSTed to `<endpoint>/v1/traces`. `None`: tracing off.
    pub endpoint: Option<String>,
    /// The share of new traces recorded, 0 to 1. A trace started
    /// elsewhere follows its parent's decision (the `traceparent` flag).
    pub sampling_ratio: f64,
}

impl Default for TraceSettings {
    fn default() -> Self {
        TraceSettings {
            endpoint: None,
            sampling_ratio: 1.0,
        }
    }
}

impl TraceSettings {
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` and `OTEL_TRACES_SAMPLER_ARG`.
    pub fn from_env() -> Result<Self, TelemetryError> {
        TraceSettings::default().or_env()
    }

    /// These settings, with what they leave unset taken from the
    /// environment: a configured endpoint wins over the variable.
    pub fn or_env(mut self) -> Result<Self, TelemetryError> {
        if self.endpoint.is_none() {
            self.endpoint = std::env::var(ENDPOINT_ENV)
                .ok()
                .filter(|v| !v.trim().is_empty());
        }
        if let Ok(ratio) = std::env::var(SAMPLING_RATIO_ENV) {
            self.sampling_ratio =
                ratio
                    .trim()
                    .parse()
                    .map_err(|_| TelemetryError::SamplingRatio {
                        value: ratio.clone(),
                    })?;
        }
        self.check()?;
        Ok(self)
    }

    /// Refuses a ratio outside 0..=1.
    pub fn check(&self) -> Result<(), TelemetryError> {
        if !(0.0..=1.0).contains(&self.sampling_ratio) {
            return Err(TelemetryError::SamplingRatio {
                value: self.sampling_ratio.to_string(),
            });
        }
        Ok(())
    }

    /// The URL spans are sent to.
    fn traces_url(endpoint: &str) -> String {
        let base = endpoint.trim_end_matches('/');
        if base.ends_with("/v1/traces") {
            base.to_owned()
        } else {
            format!("{base}/v1/traces")
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("the trace sampling ratio must be a number from 0 to 1, not {value:?}")]
    SamplingRatio { value: String },
    #[error("cannot build the OTLP exporter for {endpoint}: {reason}")]
    Exporter { endpoint: String, reason: String },
    #[error("LOG_FORMAT must be `text` or `json`, not {value:?}")]
    LogFormat { value: String },
}

/// Whether traces are being recorded in this process: propagation and
/// every other piece of work for traces is skipped while it is false.
static ON: AtomicBool = AtomicBool::new(false);
static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// True once a tracer provider is installed.
#[inline]
pub fn enabled() -> bool {
    ON.load(Ordering::Relaxed)
}

/// The tracer provider for `settings` (`None` when tracing is off), kept
/// for flushing and shutdown. Only the first call of a process builds one.
pub(crate) fn provider(
    service: &str,
    settings: &TraceSettings,
) -> Result<Option<SdkTracerProvider>, TelemetryError> {
    let Some(endpoint) = settings.endpoint.as_deref() else {
        return Ok(None);
    };
    settings.check()?;
    if let Some(existing) = PROVIDER.get() {
        return Ok(Some(existing.clone()));
    }
    let url = TraceSettings::traces_url(endpoint);
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(url.clone())
        .with_timeout(Duration::from_secs(10))
        .build()
        .map_err(|err| TelemetryError::Exporter {
            endpoint: url,
            reason: err.to_string(),
        })?;
    let service = std::env::var(SERVICE_NAME_ENV)
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| service.to_owned());
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
            settings.sampling_ratio,
        ))))
        .with_resource(Resource::builder().with_service_name(service).build())
        .build();
    let provider = PROVIDER.get_or_init(|| provider).clone();
    ON.store(true, Ordering::Relaxed);
    Ok(Some(provider))
}

/// The tracer spans are made with.
pub(crate) fn tracer(provider: &SdkTracerProvider) -> opentelemetry_sdk::trace::SdkTracer {
    provider.tracer("shop")
}

/// Sends every finished span now (tests; before a process exits).
pub fn flush() {
    if let Some(provider) = PROVIDER.get() {
        let _ = provider.force_flush();
    }
}

/// Flushes and stops the exporter: the last spans leave before the
/// process does.
pub(crate) fn shutdown() {
    if let Some(provider) = PROVIDER.get() {
        let _ = provider.shutdown();
        ON.store(false, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_traces_url_is_under_the_base_url() {
        assert_eq!(
            TraceSettings::traces_url("http://c:4318"),
            "http://c:4318/v1/traces"
        );
        assert_eq!(
            TraceSettings::traces_url("http://c:4318/"),
            "http://c:4318/v1/traces"
        );
        assert_eq!(
            TraceSettings::traces_url("http://c:4318/v1/traces"),
            "http://c:4318/v1/traces"
        );
    }

    #[test]
    fn a_ratio_outside_zero_to_one_is_refused() {
        for ratio in [-0.1, 1.5, f64::NAN] {
            let settings = TraceSettings {
                endpoint: None,
                sampling_ratio: ratio,
            };
            assert!(settings.check().is_err(), "{ratio}");
        }
        assert!(TraceSettings::default().check().is_ok());
    }
}
