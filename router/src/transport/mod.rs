//! Sending operations to subgraphs. The executor only sees the [`Transport`]
//! trait, so it can be tested without sockets; `HttpTransport` is the real one.

pub mod headers;
mod http;

use std::sync::Arc;

use ::http::HeaderMap;
use bytes::Bytes;

use crate::request::RequestContext;

pub use http::{HttpTransport, TransportBuildError};

/// One operation for one subgraph.
#[derive(Debug, Clone)]
pub struct SubgraphRequest {
    pub query: Arc<str>,
    pub operation_name: Option<Arc<str>>,
    /// Variables by name, each value already JSON text: representations are
    /// written straight to text by the executor, never built as values.
    pub variables: Vec<(String, String)>,
    /// A query: may share one HTTP call with identical requests in flight
    /// at the same time, and be retried after it may have arrived. Never
    /// for mutations. Not sent.
    pub idempotent: bool,
}

impl SubgraphRequest {
    /// The JSON body: `{"query": …, "operationName": …, "variables": {…}}`.
    pub fn body(&self) -> Vec<u8> {
        let text: usize = self
            .variables
            .iter()
            .map(|(n, v)| n.len() + v.len() + 4)
            .sum();
        let mut out = Vec::with_capacity(self.query.len() + text + 64);
        out.extend_from_slice(b"{\"query\":");
        write_str(&mut out, &self.query);
        if let Some(name) = &self.operation_name {
            out.extend_from_slice(b",\"operationName\":");
            write_str(&mut out, name);
        }
        if !self.variables.is_empty() {
            out.extend_from_slice(b",\"variables\":{");
            for (i, (name, value)) in self.variables.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(&mut out, name);
                out.push(b':');
                out.extend_from_slice(value.as_bytes());
            }
            out.push(b'}');
        }
        out.push(b'}');
        out
    }

    /// A variable parsed back into a value (for tests and logs).
    pub fn variable(&self, name: &str) -> Option<serde_json::Value> {
        let (_, text) = self.variables.iter().find(|(n, _)| n == name)?;
        serde_json::from_str(text).ok()
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    // Writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// A subgraph's HTTP answer, whatever its status: the executor reads it
/// (`execute::answer`). The body is shared, not copied, between requests
/// that were de-duplicated into one call.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl RawResponse {
    /// A 200 answer without headers (fakes and tests).
    pub fn ok(body: impl Into<Bytes>) -> Self {
        RawResponse {
            status: 200,
            headers: HeaderMap::new(),
            body: body.into(),
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum TransportError {
    #[error("subgraph {subgraph} is unreachable: {reason}")]
    Unreachable { subgraph: String, reason: String },
    #[error("subgraph {subgraph} did not answer within {timeout_ms} ms")]
    Timeout { subgraph: String, timeout_ms: u64 },
    #[error("subgraph {subgraph} did not answer before the request's deadline")]
    DeadlineExceeded { subgraph: String },
    #[error("subgraph {subgraph} answered HTTP {status}")]
    Status { subgraph: String, status: u16 },
    #[error("subgraph {subgraph} is failing: its circuit breaker is open")]
    CircuitOpen { subgraph: String },
    #[error("subgraph {subgraph} sent an invalid GraphQL response: {reason}")]
    InvalidResponse { subgraph: String, reason: String },
}

impl TransportError {
    /// The `extensions.code` a client sees for this failure.
    pub fn code(&self) -> &'static str {
        match self {
            TransportError::Unreachable { .. } | TransportError::Status { .. } => {
                "SUBGRAPH_UNAVAILABLE"
            }
            TransportError::CircuitOpen { .. } => "SUBGRAPH_CIRCUIT_OPEN",
            TransportError::Timeout { .. } | TransportError::DeadlineExceeded { .. } => {
                "SUBGRAPH_TIMEOUT"
            }
            TransportError::InvalidResponse { .. } => "SUBGRAPH_INVALID_RESPONSE",
        }
    }
}

/// Where a subgraph lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubgraphEndpoint {
    pub name: String,
    pub url: String,
}

#[async_trait::async_trait]
pub trait Transport: Send + Sync + 'static {
    /// Sends `request` to `subgraph` on behalf of the client request
    /// `context`: done by `context.deadline` at the latest.
    async fn fetch(
        &self,
        subgraph: &SubgraphEndpoint,
        request: SubgraphRequest,
        context: &RequestContext,
    ) -> Result<RawResponse, TransportError>;

    /// Each subgraph's endpoints, health and breaker, where the transport
    /// keeps them.
    fn status(&self) -> Vec<upstream::status::UpstreamStatus> {
        Vec::new()
    }
}
