//! The policies of an upstream, with the defaults a production client
//! would ship (Linkerd's retry budget, Hystrix's breaker window, Envoy's
//! outlier detection and active health checks). Every struct reads from TOML with unknown keys
//! rejected, so the router's file and the services' settings share them.

use std::time::Duration;

use serde::Deserialize;

/// Every policy one upstream runs with.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrafficPolicy {
    pub retry: RetryConfig,
    pub breaker: BreakerConfig,
    pub outlier: OutlierConfig,
    pub health_check: HealthCheckConfig,
}

/// Retries of failed tries, on another endpoint where there is one.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    /// Tries per call, the first included (1 turns retries off).
    pub attempts: u32,
    /// Retries allowed as a share of calls, in percent, over 10 s...
    pub budget_percent: f32,
    /// ...plus this many per second, so a quiet service can still retry.
    pub min_per_second: u32,
    /// Backoff before the first retry; doubled for each one after, with
    /// jitter (a random half to all of it).
    pub backoff_ms: u64,
    /// The longest backoff (a `Retry-After` may ask for more, up to the deadline).
    pub max_backoff_ms: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            attempts: 3,
            budget_percent: 20.0,
            min_per_second: 10,
            backoff_ms: 10,
            max_backoff_ms: 1_000,
        }
    }
}

/// The circuit breaker of one upstream.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerConfig {
    pub enabled: bool,
    /// Opens when at least this share of calls failed (percent)...
    pub failure_percent: u32,
    /// ...among at least this many calls...
    pub min_requests: u32,
    /// ...within this rolling window.
    pub window_ms: u64,
    /// How long it stays open before probing.
    pub sleep_ms: u64,
    /// Probe calls let through at once while half-open: one success
    /// closes the breaker, this many failures open it again.
    pub probes: u32,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            enabled: true,
            failure_percent: 50,
            min_requests: 20,
            window_ms: 10_000,
            sleep_ms: 5_000,
            probes: 3,
        }
    }
}

/// Passive health: endpoints that keep failing are taken out for a while.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutlierConfig {
    /// Failures in a row (connect errors, 5xx, timeouts) that eject an
    /// endpoint; 0 turns ejection off.
    pub consecutive_failures: u32,
    /// An ejection lasts this long times the endpoint's ejection count...
    pub base_ejection_ms: u64,
    /// ...but never longer than this.
    pub max_ejection_ms: u64,
    /// Never more than this share of endpoints ejected at once (percent),
    /// though one may always be.
    pub max_ejected_percent: f32,
}

impl Default for OutlierConfig {
    fn default() -> Self {
        OutlierConfig {
            consecutive_failures: 5,
            base_ejection_ms: 30_000,
            max_ejection_ms: 300_000,
            max_ejected_percent: 50.0,
        }
    }
}

/// Active health: each endpoint's health URL asked on a timer, so an
/// endpoint that says it is unwell (draining, a dependency down) stops
/// taking traffic before a request fails on it. Envoy's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HealthCheckConfig {
    pub enabled: bool,
    /// Asked with GET at the endpoint URL's origin (`http://h:p/graphql`
    /// is checked at `http://h:p/health`); any 2xx passes.
    pub path: String,
    /// Time between two checks of one endpoint.
    pub interval_ms: u64,
    /// A check without an answer by then fails.
    pub timeout_ms: u64,
    /// Failed checks in a row that take an endpoint out...
    pub unhealthy_after: u32,
    /// ...and passed checks in a row that bring it back (and end an
    /// ejection by outlier detection early).
    pub healthy_after: u32,
}

impl Default for HealthCheckConfig {
    fn default() -> Self {
        HealthCheckConfig {
            enabled: false,
            path: "/health".into(),
            interval_ms: 5_000,
            timeout_ms: 1_000,
            unhealthy_after: 3,
            healthy_after: 2,
        }
    }
}

impl HealthCheckConfig {
    pub fn interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms)
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    fn check(&self) -> Result<(), String> {
        // `//host/x` would be another host once joined to the endpoint URL.
        if !self.path.starts_with('/') || self.path.starts_with("//") {
            return Err(format!(
                "health_check.path must be an absolute path such as /health, got {:?}",
                self.path
            ));
        }
        if self.interval_ms == 0 {
            return Err("health_check.interval_ms must be greater than 0".into());
        }
        if self.timeout_ms == 0 {
            return Err("health_check.timeout_ms must be greater than 0".into());
        }
        if self.unhealthy_after == 0 {
            return Err("health_check.unhealthy_after must be at least 1".into());
        }
        if self.healthy_after == 0 {
            return Err("health_check.healthy_after must be at least 1".into());
        }
        Ok(())
    }
}

impl TrafficPolicy {
    /// The first inconsistency, named by its key.
    pub fn check(&self) -> Result<(), String> {
        let r = &self.retry;
        if r.attempts == 0 {
            return Err("retry.attempts must be at least 1".into());
        }
        if !(0.0..=1000.0).contains(&r.budget_percent) {
            return Err("retry.budget_percent must be between 0 and 1000".into());
        }
        if r.min_per_second > 1_000_000 {
            return Err("retry.min_per_second must be at most 1000000".into());
        }
        if r.max_backoff_ms < r.backoff_ms {
            return Err("retry.max_backoff_ms must not be below retry.backoff_ms".into());
        }
        let b = &self.breaker;
        if b.failure_percent == 0 || b.failure_percent > 100 {
            return Err("breaker.failure_percent must be between 1 and 100".into());
        }
        if b.window_ms < 1_000 || b.window_ms > 60_000 {
            return Err("breaker.window_ms must be between 1000 and 60000".into());
        }
        if b.probes == 0 {
            return Err("breaker.probes must be at least 1".into());
        }
        let o = &self.outlier;
        if o.max_ejection_ms < o.base_ejection_ms {
            return Err(
                "outlier.max_ejection_ms must not be below outlier.base_ejection_ms".into(),
            );
        }
        if !(0.0..=100.0).contains(&o.max_ejected_percent) {
            return Err("outlier.max_ejected_percent must be between 0 and 100".into());
        }
        self.health_check.check()
    }
}

impl BreakerConfig {
    pub fn window(&self) -> Duration {
        Duration::from_millis(self.window_ms)
    }

    pub fn sleep(&self) -> Duration {
        Duration::from_millis(self.sleep_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_table_gives_the_defaults() {
        let policy: TrafficPolicy = toml::from_str("").unwrap();
        assert_eq!(policy, TrafficPolicy::default());
        assert_eq!(policy.retry.attempts, 3);
        assert_eq!(policy.retry.budget_percent, 20.0);
        assert_eq!(policy.breaker.failure_percent, 50);
        assert_eq!(policy.breaker.min_requests, 20);
        assert_eq!(policy.outlier.consecutive_failures, 5);
        assert_eq!(policy.outlier.base_ejection_ms, 30_000);
        let health = &policy.health_check;
        assert!(!health.enabled);
        assert_eq!(health.path, "/health");
        assert_eq!((health.interval_ms, health.timeout_ms), (5_000, 1_000));
        assert_eq!((health.unhealthy_after, health.healthy_after), (3, 2));
        assert!(policy.check().is_ok());
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        let err = toml::from_str::<TrafficPolicy>("[retry]\ntries = 2").unwrap_err();
        assert!(err.to_string().contains("tries"), "{err}");
        let policy: TrafficPolicy = toml::from_str("[breaker]\nfailure_percent = 0").unwrap();
        assert!(
            policy
                .check()
                .unwrap_err()
                .contains("breaker.failure_percent")
        );
        let policy: TrafficPolicy = toml::from_str("[retry]\nattempts = 0").unwrap();
        assert!(policy.check().unwrap_err().contains("retry.attempts"));
        let err = toml::from_str::<TrafficPolicy>("[health_check]\nevery_ms = 1").unwrap_err();
        assert!(err.to_string().contains("every_ms"), "{err}");
        for bad in [
            "path = \"health\"",
            "path = \"//elsewhere/health\"",
            "interval_ms = 0",
            "timeout_ms = 0",
            "unhealthy_after = 0",
            "healthy_after = 0",
        ] {
            let policy: TrafficPolicy = toml::from_str(&format!("[health_check]\n{bad}")).unwrap();
            let key = bad.split(' ').next().unwrap();
            assert!(
                policy
                    .check()
                    .unwrap_err()
                    .contains(&format!("health_check.{key}")),
                "{bad}"
            );
        }
    }
}
