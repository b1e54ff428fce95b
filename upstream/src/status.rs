//! What an operator sees of an upstream (`GET /status` on the router):
//! its breaker and, per endpoint, health, latency and load.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

/// What the active health checks say of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthState {
    /// Health checks are turned off for the upstream.
    Unchecked,
    /// Passing (or not yet failed enough to be taken out).
    Healthy,
    /// Failed its checks: takes no traffic until it passes again.
    Unhealthy,
}

#[derive(Debug, Clone, Serialize)]
pub struct UpstreamStatus {
    pub name: String,
    /// `None` when the breaker is turned off.
    pub breaker: Option<BreakerState>,
    pub endpoints: Vec<EndpointStatus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EndpointStatus {
    pub url: String,
    /// Takes traffic (neither ejected nor unhealthy).
    pub available: bool,
    pub health: HealthState,
    /// Why its last health check failed, while it keeps failing.
    pub health_error: Option<String>,
    pub ejected_for_ms: Option<u64>,
    /// Times it was ejected.
    pub ejections: u64,
    pub consecutive_failures: u32,
    /// Requests in flight on it now.
    pub outstanding: usize,
    /// Moving average of its answer times.
    pub latency_ms: Option<f64>,
    pub requests: u64,
    pub failures: u64,
}

impl UpstreamStatus {
    /// Endpoints that take traffic now.
    pub fn available(&self) -> usize {
        self.endpoints.iter().filter(|e| e.available).count()
    }
}
