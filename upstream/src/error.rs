//! Why a call gave no answer.

use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    /// No connection could be made: the request provably never left.
    #[error("cannot connect to {endpoint}: {reason}")]
    Connect { endpoint: Arc<str>, reason: String },
    /// The request may have reached the service, but no answer came back.
    #[error("the request to {endpoint} failed: {reason}")]
    Transport { endpoint: Arc<str>, reason: String },
    /// One try took longer than the service's timeout.
    #[error("{endpoint} did not answer within {timeout_ms} ms")]
    Timeout { endpoint: Arc<str>, timeout_ms: u64 },
    /// The caller's deadline passed.
    #[error("{upstream} did not answer before the request's deadline")]
    DeadlineExceeded { upstream: Arc<str> },
    /// The service has been failing: calls fail at once until a probe passes.
    #[error("the circuit breaker of {upstream} is open")]
    CircuitOpen { upstream: Arc<str> },
    /// Every endpoint is ejected or unhealthy (or none was discovered).
    #[error("{upstream} has no healthy endpoint")]
    NoEndpoint { upstream: Arc<str> },
}

impl UpstreamError {
    /// Worth another try, given whether the request may run twice.
    pub fn retryable(&self, idempotent: bool) -> bool {
        match self {
            UpstreamError::Connect { .. } => true,
            UpstreamError::Transport { .. } | UpstreamError::Timeout { .. } => idempotent,
            UpstreamError::DeadlineExceeded { .. }
            | UpstreamError::CircuitOpen { .. }
            | UpstreamError::NoEndpoint { .. } => false,
        }
    }

    /// A short name of the failure's kind, for metric labels.
    pub fn kind(&self) -> &'static str {
        match self {
            UpstreamError::Connect { .. } => "connect",
            UpstreamError::Transport { .. } => "transport",
            UpstreamError::Timeout { .. } => "timeout",
            UpstreamError::DeadlineExceeded { .. } => "deadline",
            UpstreamError::CircuitOpen { .. } => "circuit_open",
            UpstreamError::NoEndpoint { .. } => "no_endpoint",
        }
    }

    /// The endpoint the failure happened at, when it was one endpoint's.
    pub fn endpoint(&self) -> Option<&str> {
        match self {
            UpstreamError::Connect { endpoint, .. }
            | UpstreamError::Transport { endpoint, .. }
            | UpstreamError::Timeout { endpoint, .. } => Some(endpoint),
            UpstreamError::DeadlineExceeded { .. }
            | UpstreamError::CircuitOpen { .. }
            | UpstreamError::NoEndpoint { .. } => None,
        }
    }

    /// Says the service (rather than the caller) is in trouble.
    pub fn is_failure(&self) -> bool {
        !matches!(self, UpstreamError::DeadlineExceeded { .. })
    }
}

/// Why an upstream could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("upstream {upstream}: no endpoints")]
    NoEndpoints { upstream: String },
    #[error("upstream {upstream}: invalid endpoint URL {url:?}: {reason}")]
    InvalidUrl {
        upstream: String,
        url: String,
        reason: String,
    },
    #[error("upstream {upstream}: {message}")]
    InvalidPolicy { upstream: String, message: String },
    #[error("upstream {upstream}: {what} need a tokio runtime, and there is none")]
    NoRuntime {
        upstream: String,
        what: &'static str,
    },
    #[error("upstream {upstream}: DNS name {name}: {message}")]
    Dns {
        upstream: String,
        name: String,
        message: String,
    },
    #[error("upstream {upstream}: endpoint file {}: {message}", path.display())]
    Discovery {
        upstream: String,
        path: std::path::PathBuf,
        message: String,
    },
}
