//! Log lines: human-readable by default, one JSON object a line with
//! `LOG_FORMAT=json`; `RUST_LOG` filters (`info` by default); written to
//! stderr. A line written inside a traced span starts with (text) or
//! carries (JSON) its `trace_id`, so logs and traces join up.

use std::fmt;

use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::traces::TelemetryError;

/// The variable choosing the log format.
pub const FORMAT_ENV: &str = "LOG_FORMAT";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// For people: one line per event, colored on a terminal.
    #[default]
    Text,
    /// For log pipelines: one JSON object per line.
    Json,
}

impl LogFormat {
    /// `LOG_FORMAT` (`text` or `json`), text when unset.
    pub fn from_env() -> Result<Self, TelemetryError> {
        match std::env::var(FORMAT_ENV) {
            Ok(value) => value.parse(),
            Err(_) => Ok(LogFormat::Text),
        }
    }
}

impl std::str::FromStr for LogFormat {
    type Err = TelemetryError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(TelemetryError::LogFormat {
                value: value.to_owned(),
            }),
        }
    }
}

/// How logs are written.
#[derive(Debug, Clone, Default)]
pub struct LogSettings {
    pub format: LogFormat,
    /// `EnvFilter` directives; `None`: `RUST_LOG`, or `info`.
    pub filter: Option<String>,
    /// Colors (text only).
    pub ansi: bool,
}

impl LogSettings {
    /// `LOG_FORMAT`; the filter from `RUST_LOG`; colors on a terminal.
    pub fn from_env() -> Result<Self, TelemetryError> {
        Ok(LogSettings {
            format: LogFormat::from_env()?,
            filter: None,
            ansi: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        })
    }
}

/// Another event format with the current trace id added.
pub(crate) struct WithTraceId<E> {
    pub(crate) inner: E,
    pub(crate) json: bool,
}

impl<S, N, E> FormatEvent<S, N> for WithTraceId<E>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    E: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let Some(trace_id) = crate::propagation::current_trace_id() else {
            return self.inner.format_event(ctx, writer, event);
        };
        if !self.json {
            write!(writer, "trace_id={trace_id} ")?;
            return self.inner.format_event(ctx, writer, event);
        }
        // The JSON formatter writes one object: the id goes in first.
        let mut line = String::new();
        self.inner
            .format_event(ctx, Writer::new(&mut line), event)?;
        match line.strip_prefix('{') {
            Some(rest) => write!(writer, "{{\"trace_id\":\"{trace_id}\",{rest}"),
            None => writer.write_str(&line),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_named_text_or_json() {
        assert_eq!("json".parse::<LogFormat>().unwrap(), LogFormat::Json);
        assert_eq!("JSON".parse::<LogFormat>().unwrap(), LogFormat::Json);
        assert_eq!("text".parse::<LogFormat>().unwrap(), LogFormat::Text);
        assert!("yaml".parse::<LogFormat>().is_err());
    }
}
