//! Sending operations to subgraphs. The executor only sees the [`Transport`]
//! trait, so it can be tested without sockets; `HttpTransport` is the real one.

mod http;

use std::sync::Arc;

use serde::Serialize;

pub use http::{HttpOptions, HttpTransport};

use crate::graphql::{JsonMap, Response};

/// One operation for one subgraph.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubgraphRequest {
    pub query: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_name: Option<Arc<str>>,
    #[serde(skip_serializing_if = "JsonMap::is_empty")]
    pub variables: JsonMap,
    /// May share one HTTP call with identical requests in flight at the same
    /// time: true for queries, never for mutations. Not sent.
    #[serde(skip)]
    pub dedup: bool,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum TransportError {
    #[error("subgraph {subgraph} is unreachable: {reason}")]
    Unreachable { subgraph: String, reason: String },
    #[error("subgraph {subgraph} did not answer within {timeout_ms} ms")]
    Timeout { subgraph: String, timeout_ms: u64 },
    #[error("subgraph {subgraph} answered HTTP {status}")]
    Status { subgraph: String, status: u16 },
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
            TransportError::Timeout { .. } => "SUBGRAPH_TIMEOUT",
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
    async fn fetch(
        &self,
        subgraph: &SubgraphEndpoint,
        request: SubgraphRequest,
    ) -> Result<Response, TransportError>;
}
