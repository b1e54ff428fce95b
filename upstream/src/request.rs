//! What one call carries in and out.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use tokio::time::Instant;

/// One POST of a JSON body to the service.
#[derive(Debug, Clone)]
pub struct Request {
    pub body: Bytes,
    /// Sent in addition to the upstream's default headers.
    pub headers: HeaderMap,
    /// The caller's W3C trace context, sent as `traceparent`. Not part of
    /// what makes two requests identical: a shared call carries its first
    /// caller's.
    pub traceparent: Option<HeaderValue>,
    /// Safe to send twice (a query): retried after any failure worth it.
    /// Otherwise (a mutation) retried only when it provably never left.
    pub idempotent: bool,
    /// Shareable with identical requests in flight at the same moment.
    pub dedup: bool,
    /// The call, retries included, is over by then.
    pub deadline: Instant,
    /// Tries made before this one (the retry policy counts them).
    pub(crate) attempt: u32,
}

impl Request {
    /// An idempotent, shareable request (a query).
    pub fn query(body: impl Into<Bytes>, deadline: Instant) -> Self {
        Request {
            body: body.into(),
            headers: HeaderMap::new(),
            traceparent: None,
            idempotent: true,
            dedup: true,
            deadline,
            attempt: 0,
        }
    }

    /// A request that must not run twice (a mutation).
    pub fn mutation(body: impl Into<Bytes>, deadline: Instant) -> Self {
        Request {
            idempotent: false,
            dedup: false,
            ..Request::query(body, deadline)
        }
    }

    pub fn with_headers(mut self, headers: HeaderMap) -> Self {
        self.headers = headers;
        self
    }
}

/// The service's answer, whatever its status.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}
