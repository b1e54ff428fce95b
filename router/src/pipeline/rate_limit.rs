//! Per-client rate limits: a token bucket per client (governor's GCRA),
//! the client being the verified token's subject when there is one, else
//! the address the request came from. Past its bucket a request is
//! refused with 429, `RATE_LIMITED` and `Retry-After`, before it is
//! parsed. Buckets of clients gone quiet are dropped now and then, so a
//! flood of distinct clients does not grow the table without bound.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Deserialize;

use crate::auth::Claims;

pub const RATE_LIMITED: &str = "RATE_LIMITED";

/// `[rate_limit]`: off by default, because a sensible rate depends on the
/// deployment (a backend-for-frontend or a NAT puts many people behind one
/// client).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    pub enabled: bool,
    /// Each client's sustained rate.
    pub requests_per_second: u32,
    /// How many requests a client may send at once after a quiet spell.
    pub burst: u32,
    /// The first address of `x-forwarded-for` is the client's, for a router
    /// behind a proxy that sets it (otherwise a client could pick its own).
    pub trust_forwarded_for: bool,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            enabled: false,
            requests_per_second: 50,
            burst: 100,
            trust_forwarded_for: false,
        }
    }
}

/// Who a bucket belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClientKey {
    Subject(String),
    Address(IpAddr),
    /// Neither is known (a request not from a socket: tests, tools).
    Unknown,
}

impl ClientKey {
    pub fn of(
        claims: Option<&Claims>,
        peer: Option<IpAddr>,
        headers: &http::HeaderMap,
        trust_forwarded_for: bool,
    ) -> ClientKey {
        if let Some(subject) = claims.and_then(|c| c.get("sub")).and_then(|s| s.as_str()) {
            return ClientKey::Subject(subject.to_owned());
        }
        if trust_forwarded_for
            && let Some(forwarded) = headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .and_then(|first| first.trim().parse().ok())
        {
            return ClientKey::Address(forwarded);
        }
        peer.map_or(ClientKey::Unknown, ClientKey::Address)
    }
}

/// A request over its client's rate: retry after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Too many requests: retry in {} s.", retry_after_s(*.0))]
pub struct RateLimited(pub Duration);

impl RateLimited {
    /// Whole seconds, at least 1 (`Retry-After`).
    pub fn retry_after_s(&self) -> u64 {
        retry_after_s(self.0)
    }
}

/// Whole seconds, rounded up, at least 1.
fn retry_after_s(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// Checks after which the table drops quiet clients.
const SWEEP_EVERY: u64 = 4096;

pub struct RateLimits {
    limiter: DefaultKeyedRateLimiter<ClientKey>,
    trust_forwarded_for: bool,
    checks: AtomicU64,
}

impl RateLimits {
    /// `None` when off.
    pub fn new(config: &RateLimitConfig) -> Option<RateLimits> {
        if !config.enabled {
            return None;
        }
        let rate = NonZeroU32::new(config.requests_per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(config.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        Some(RateLimits {
            limiter: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            trust_forwarded_for: config.trust_forwarded_for,
            checks: AtomicU64::new(0),
        })
    }

    pub fn trusts_forwarded_for(&self) -> bool {
        self.trust_forwarded_for
    }

    /// Takes one token from `client`'s bucket.
    pub fn check(&self, client: &ClientKey) -> Result<(), RateLimited> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(client).map_err(|not_until| {
            RateLimited(not_until.wait_time_from(DefaultClock::default().now()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(rate: u32, burst: u32) -> RateLimits {
        RateLimits::new(&RateLimitConfig {
            enabled: true,
            requests_per_second: rate,
            burst,
            trust_forwarded_for: false,
        })
        .unwrap()
    }

    #[test]
    fn each_client_has_its_own_bucket() {
        let limits = limits(1, 3);
        let ada = ClientKey::Subject("ada".into());
        let bob = ClientKey::Subject("bob".into());
        for _ in 0..3 {
            assert!(limits.check(&ada).is_ok());
        }
        let refused = limits.check(&ada).unwrap_err();
        assert!(refused.0 <= Duration::from_secs(1), "{refused:?}");
        assert_eq!(refused.retry_after_s(), 1);
        assert!(
            limits.check(&bob).is_ok(),
            "another client is not held back"
        );
    }

    #[test]
    fn clients_are_their_subject_else_their_address() {
        let mut claims = Claims::new();
        claims.insert("sub".into(), "ada".into());
        let peer: IpAddr = "127.0.0.7".parse().unwrap();
        let mut headers = http::HeaderMap::new();
        headers.insert("x-forwarded-for", "203.0.113.9, 10.0.0.1".parse().unwrap());
        assert_eq!(
            ClientKey::of(Some(&claims), Some(peer), &headers, false),
            ClientKey::Subject("ada".into())
        );
        assert_eq!(
            ClientKey::of(None, Some(peer), &headers, false),
            ClientKey::Address(peer)
        );
        assert_eq!(
            ClientKey::of(None, Some(peer), &headers, true),
            ClientKey::Address("203.0.113.9".parse().unwrap())
        );
        assert_eq!(
            ClientKey::of(None, None, &headers, false),
            ClientKey::Unknown
        );
    }

    #[test]
    fn off_by_default() {
        assert!(RateLimits::new(&RateLimitConfig::default()).is_none());
    }
}
