//! A resilient client to one named service that runs as one or more
//! endpoints (replicas). Every call between the system's parts goes
//! through it: the router's fetches to subgraphs and the services' calls
//! to each other.
//!
//! An [`Upstream`] is a tower stack built once per service, outermost first:
//!
//! 1. `dedup`: identical idempotent requests in flight at once share one call;
//! 2. `deadline`: nothing outlives the caller's deadline;
//! 3. `retry`: failed tries go again (on another endpoint) within a budget;
//! 4. `breaker`: a failing service is failed fast, then probed;
//! 5. `balance`: power of two choices over peak-EWMA cost, across the
//!    endpoints the discovery source names;
//! 6. per endpoint, `endpoint`: passive health (outlier ejection), the
//!    flag active health checks (`health`) set, and the cost the balancer
//!    reads, around tower's `PeakEwma` and the HTTP call (`http`).
//!
//! Beside the stack, `background` tasks live as long as the upstream: the
//! health checker and DNS discovery.
//!
//! Endpoints come from a list (`Upstream::set_endpoints`), a watched file
//! or DNS (`discovery`). `config` holds the policies with their defaults;
//! `client` is the HTTP client calls go through (one pool, or one per
//! thread); `status` is what an operator sees of it all, `metrics` what
//! Prometheus does (retries, breaker states, ejections); `testing` (feature) is a
//! fake DNS server for tests.

#![forbid(unsafe_code)]

mod background;
mod balance;
mod breaker;
mod client;
pub mod config;
mod deadline;
mod dedup;
mod discovery;
mod endpoint;
mod error;
mod health;
mod http;
pub mod metrics;
mod request;
mod retry;
pub mod status;
#[cfg(feature = "testing")]
pub mod testing;
mod upstream;

pub use client::HttpClient;
pub use config::{BreakerConfig, HealthCheckConfig, OutlierConfig, RetryConfig, TrafficPolicy};
pub use discovery::{Discovery, DnsDiscovery};
pub use error::{BuildError, UpstreamError};
pub use request::{Request, Response};
pub use upstream::Upstream;
