//! What travels with one client request from the HTTP handler through the
//! engine and the executor into every subgraph request: the client's
//! headers, the HTTP method, the deadline no fetch may outlive, and the
//! claims of the client's verified token. (Trace ids join it later.)

use http::HeaderMap;
use tokio::time::Instant;

/// The HTTP method a request came with: GET may only run queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    Get,
    Post,
}

#[derive(Debug, Clone)]
pub struct RequestContext {
    pub method: HttpMethod,
    /// The client's request headers, as received.
    pub headers: HeaderMap,
    /// When the client's request must be answered: every subgraph fetch
    /// ends by then, whatever its own timeout.
    pub deadline: Instant,
    /// The verified client; `None` for an anonymous request.
    pub identity: Option<std::sync::Arc<crate::auth::Identity>>,
    /// The address the request came from (for per-client rate limits);
    /// `None` when it did not come over a socket.
    pub peer: Option<std::net::IpAddr>,
}

impl RequestContext {
    pub fn new(method: HttpMethod, headers: HeaderMap, deadline: Instant) -> Self {
        RequestContext {
            method,
            headers,
            deadline,
            identity: None,
            peer: None,
        }
    }

    /// This context, for a verified client.
    pub fn with_identity(&self, identity: std::sync::Arc<crate::auth::Identity>) -> Self {
        RequestContext {
            identity: Some(identity),
            ..self.clone()
        }
    }

    /// This context, for a request from `peer`.
    pub fn with_peer(mut self, peer: Option<std::net::IpAddr>) -> Self {
        self.peer = peer;
        self
    }

    /// The verified token's claims; `None` for an anonymous request.
    pub fn claims(&self) -> Option<&crate::auth::Claims> {
        self.identity.as_deref().map(|i| &i.claims)
    }

    /// A POST without headers, due within `budget` from now (tests, tools).
    pub fn post_within(budget: std::time::Duration) -> Self {
        RequestContext::new(HttpMethod::Post, HeaderMap::new(), Instant::now() + budget)
    }
}
