//! One GraphQL call to another service's subgraph endpoint: the plumbing the
//! checkout's clients (`stock`, `billing`) share. A call either gets the
//! data it asked for, or says why not in a way the caller can act on: the
//! service refused (a GraphQL error with its `extensions.code`, e.g.
//! INSUFFICIENT_STOCK) or could not be asked (unreachable, slow, broken),
//! which is worth a retry because every call the checkout makes is
//! idempotent by order id.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::time::Instant;
use tracing::Instrument;
use upstream::{BuildError, Discovery, DnsDiscovery, Request, TrafficPolicy, Upstream};

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The service answered with a GraphQL error: the request itself was refused.
    #[error("{service} refused: {message} ({code})")]
    Refused {
        service: &'static str,
        code: String,
        message: String,
    },
    /// Nothing usable came back: connection, timeout, status or body.
    #[error("{service} could not be asked: {reason}")]
    Unavailable {
        service: &'static str,
        reason: String,
    },
}

impl CallError {
    /// What the service said when it refused.
    pub fn refusal_message(&self) -> Option<&str> {
        match self {
            CallError::Refused { message, .. } => Some(message),
            CallError::Unavailable { .. } => None,
        }
    }

    /// The refusal code, if the service refused.
    pub fn refusal(&self) -> Option<&str> {
        match self {
            CallError::Refused { code, .. } => Some(code),
            CallError::Unavailable { .. } => None,
        }
    }
}

/// Where another service's subgraph answers (its replicas: listed, or
/// found by DNS) and how long one call may take.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub discovery: Discovery,
    /// Upper bound for one call, connecting and its retries included.
    pub timeout: Duration,
    /// Retries, breaker, ejection and health checks of the calls.
    pub policy: TrafficPolicy,
}

impl Endpoint {
    pub fn new(url: impl Into<String>, timeout: Duration) -> Self {
        Endpoint::replicas(vec![url.into()], timeout)
    }

    /// The replicas of one service, balanced across.
    pub fn replicas(urls: Vec<String>, timeout: Duration) -> Self {
        Endpoint {
            discovery: Discovery::Static(urls),
            timeout,
            policy: TrafficPolicy::default(),
        }
    }

    /// The replicas DNS names, followed as they change.
    pub fn dns(dns: DnsDiscovery, timeout: Duration) -> Self {
        Endpoint {
            discovery: Discovery::Dns(dns),
            timeout,
            policy: TrafficPolicy::default(),
        }
    }

    /// The same replicas, called with `policy`.
    pub fn with_policy(self, policy: TrafficPolicy) -> Self {
        Endpoint { policy, ..self }
    }
}

pub const DEFAULT_INVENTORY_URL: &str = "http://127.0.0.1:4002/graphql";
pub const DEFAULT_PAYMENTS_URL: &str = "http://127.0.0.1:4004/graphql";

/// Another service's subgraph, through the resilient client every call
/// between parts uses (`upstream`): balanced over its replicas, with
/// retries on another replica (safe: every call orders makes is
/// idempotent by order id or is a read), ejection of failing replicas and
/// a circuit breaker.
#[derive(Clone)]
pub struct Subgraph {
    service: &'static str,
    upstream: Upstream,
    timeout: Duration,
}

/// How long one try of a call may take: a share of the call's timeout, so a
/// replica that accepts and never answers costs one try, and the retry on
/// another replica still fits in the call.
fn try_timeout(call: Duration, attempts: u32) -> Duration {
    call / attempts.max(1)
}

impl Subgraph {
    /// `service` at `endpoint`, over the shared HTTP `client` (DNS, if it
    /// names the replicas, is asked here: a name that gives nothing fails).
    pub async fn connect(
        service: &'static str,
        endpoint: &Endpoint,
        client: reqwest::Client,
    ) -> Result<Self, BuildError> {
        let policy = &endpoint.policy;
        let upstream = Upstream::discover(
            service,
            &endpoint.discovery,
            try_timeout(endpoint.timeout, policy.retry.attempts),
            policy,
            client,
        )
        .await?;
        Ok(Subgraph {
            service,
            upstream,
            timeout: endpoint.timeout,
        })
    }

    /// `service` at one `url`, with a client of its own (tests, tools).
    pub fn new(service: &'static str, url: &str, timeout: Duration) -> Result<Self, BuildError> {
        let client = Upstream::default_client().map_err(|err| BuildError::InvalidPolicy {
            upstream: service.to_owned(),
            message: format!("cannot build an HTTP client: {err}"),
        })?;
        let policy = TrafficPolicy::default();
        let upstream = Upstream::new(
            service,
            &[url.to_owned()],
            try_timeout(timeout, policy.retry.attempts),
            &policy,
            client,
        )?;
        Ok(Subgraph {
            service,
            upstream,
            timeout,
        })
    }

    /// Posts `{"query": …, "variables": …}` and returns the status and body,
    /// whatever they are. `shareable`: a read that identical reads in flight
    /// at once may share.
    pub async fn post(
        &self,
        query: &str,
        variables: Value,
        shareable: bool,
    ) -> Result<(u16, bytes::Bytes), CallError> {
        let body =
            serde_json::to_vec(&serde_json::json!({ "query": query, "variables": variables }))
                .map_err(|e| self.unavailable(e.to_string()))?;
        let mut request = Request::query(body, Instant::now() + self.timeout);
        request.dedup = shareable;
        // The call's span; the callee continues the trace from it.
        let span = tracing::info_span!(
            "orders.call",
            otel.name = %format_args!("call {}", self.service),
            otel.kind = "client",
            service = "orders",
            peer.service = self.service,
        );
        request.traceparent = subgraph_kit::telemetry::propagation::header(&span);
        let response = self
            .upstream
            .call(request)
            .instrument(span)
            .await
            .map_err(|e| self.unavailable(e.to_string()))?;
        Ok((response.status.as_u16(), response.body))
    }

    fn unavailable(&self, reason: String) -> CallError {
        CallError::Unavailable {
            service: self.service,
            reason,
        }
    }

    /// Runs `query` and returns `data.<field>` as `T`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        query: &str,
        variables: Value,
        field: &str,
    ) -> Result<T, CallError> {
        let (status, body) = self.post(query, variables, false).await?;
        let body: Value = serde_json::from_slice(&body)
            .map_err(|_| self.unavailable(format!("HTTP {status} without a GraphQL response")))?;
        if let Some(error) = body["errors"].as_array().and_then(|e| e.first()) {
            let code = error["extensions"]["code"].as_str();
            let message = error["message"].as_str().unwrap_or("no message").to_owned();
            return Err(match code {
                // The service failing inside is not a refusal of the request.
                Some(code) if code != "INTERNAL_SERVER_ERROR" && code != "DATABASE_ERROR" => {
                    CallError::Refused {
                        service: self.service,
                        code: code.to_owned(),
                        message,
                    }
                }
                _ => self.unavailable(message),
            });
        }
        if !(200..300).contains(&status) {
            return Err(self.unavailable(format!("HTTP {status}")));
        }
        serde_json::from_value(body["data"][field].clone())
            .map_err(|e| self.unavailable(format!("unexpected data.{field}: {e}")))
    }
}
