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
    /// Takes traffic (not ejected).
    pub available: bool,
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
