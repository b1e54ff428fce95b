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

/// Where another service's subgraph answers and how long one call may take.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub url: String,
    /// Upper bound for one call, connecting included.
    pub timeout: Duration,
}

impl Endpoint {
    pub fn new(url: impl Into<String>, timeout: Duration) -> Self {
        Endpoint {
            url: url.into(),
            timeout,
        }
    }
}

pub const DEFAULT_INVENTORY_URL: &str = "http://127.0.0.1:4002/graphql";
pub const DEFAULT_PAYMENTS_URL: &str = "http://127.0.0.1:4004/graphql";

/// A subgraph endpoint with its own timeout and connection pool.
#[derive(Clone)]
pub struct Subgraph {
    service: &'static str,
    http: reqwest::Client,
    url: String,
}

impl Subgraph {
    pub fn connect(service: &'static str, endpoint: &Endpoint) -> Result<Self, reqwest::Error> {
        Self::new(service, &endpoint.url, endpoint.timeout)
    }

    pub fn new(
        service: &'static str,
        url: &str,
        timeout: Duration,
    ) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()?;
        Ok(Subgraph {
            service,
            http,
            url: url.to_owned(),
        })
    }

    /// Runs `query` and returns `data.<field>` as `T`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        query: &str,
        variables: Value,
        field: &str,
    ) -> Result<T, CallError> {
        let unavailable = |reason: String| CallError::Unavailable {
            service: self.service,
            reason,
        };
        let response = self
            .http
            .post(&self.url)
            .json(&serde_json::json!({ "query": query, "variables": variables }))
            .send()
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        let body: Value = serde_json::from_slice(&body)
            .map_err(|_| unavailable(format!("HTTP {status} without a GraphQL response")))?;
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
                _ => unavailable(message),
            });
        }
        if !status.is_success() {
            return Err(unavailable(format!("HTTP {status}")));
        }
        serde_json::from_value(body["data"][field].clone())
            .map_err(|e| unavailable(format!("unexpected data.{field}: {e}")))
    }
}
