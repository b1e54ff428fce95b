//! Active health checks, as Envoy does them: every `interval`, each
//! endpoint's health URL (its origin plus `path`) is asked with a GET
//! within `timeout`. `unhealthy_after` failures in a row (a non-2xx
//! answer, no connection, no answer in time) take the endpoint out, like
//! an ejection; `healthy_after` passes in a row bring it back, and end an
//! ejection by outlier detection early (the endpoint says it is well, so
//! it need not sit out the rest of its ejection).
//!
//! Endpoints start healthy, so a new one takes traffic at once. One task
//! per upstream checks them all; it holds the upstream only weakly and is
//! aborted with it. All a request pays for it is the flag `endpoint`
//! reads in `poll_ready`.

use std::sync::{PoisonError, Weak};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::time::{Instant, MissedTickBehavior};

use crate::config::HealthCheckConfig;
use crate::endpoint::{EndpointState, Pool};
use crate::http::error_chain;
use crate::upstream::Inner;

/// The checker's record of one endpoint (kept beside it in the pool).
#[derive(Debug, Default)]
pub(crate) struct CheckState {
    passes: u32,
    failures: u32,
    last_error: Option<String>,
    /// The ejection the last check saw (see `EndpointState::ejection`).
    ejection_seen: Option<u64>,
}

/// What one check's outcome changes.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// The endpoint becomes healthy (`true`) or unhealthy.
    pub(crate) healthy: Option<bool>,
    /// The endpoint's ejection ends.
    pub(crate) uneject: bool,
}

impl CheckState {
    /// Counts one check of an endpoint that is `unhealthy` now and
    /// perhaps ejected (`ejection`).
    pub(crate) fn record(
        &mut self,
        outcome: Result<(), String>,
        unhealthy: bool,
        ejection: Option<u64>,
        config: &HealthCheckConfig,
    ) -> Verdict {
        if ejection.is_some() && ejection != self.ejection_seen {
            // Passes before an ejection say nothing about what caused it.
            self.passes = 0;
        }
        self.ejection_seen = ejection;
        match outcome {
            Ok(()) => {
                self.passes = self.passes.saturating_add(1);
                self.failures = 0;
                self.last_error = None;
            }
            Err(reason) => {
                self.failures = self.failures.saturating_add(1);
                self.passes = 0;
                self.last_error = Some(reason);
            }
        }
        let healthy = if unhealthy && self.passes >= config.healthy_after {
            Some(true)
        } else if !unhealthy && self.failures >= config.unhealthy_after {
            Some(false)
        } else {
            None
        };
        Verdict {
            healthy,
            uneject: ejection.is_some() && self.passes >= config.healthy_after,
        }
    }

    pub(crate) fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }
}

/// One health check: `Ok` when the endpoint says it is well.
pub(crate) trait Probe: Send + Sync + 'static {
    fn check(&self, url: reqwest::Url) -> BoxFuture<'static, Result<(), String>>;
}

/// A GET over the upstream's HTTP client; any 2xx passes.
pub(crate) struct HttpProbe {
    pub(crate) client: crate::client::HttpClient,
    pub(crate) timeout: Duration,
}

impl Probe for HttpProbe {
    fn check(&self, url: reqwest::Url) -> BoxFuture<'static, Result<(), String>> {
        let sent = self
            .client
            .with(|client| client.get(url).timeout(self.timeout).send());
        let timeout = self.timeout;
        Box::pin(async move {
            let describe = |err: reqwest::Error| {
                if err.is_timeout() {
                    format!("no answer within {} ms", timeout.as_millis())
                } else {
                    error_chain(&err)
                }
            };
            let response = sent.await.map_err(describe)?;
            let status = response.status();
            // Read to the end, so the connection goes back to the pool.
            response.bytes().await.map_err(describe)?;
            if status.is_success() {
                Ok(())
            } else {
                Err(format!("HTTP {status}"))
            }
        })
    }
}

/// Where `endpoint` (a URL) is checked: `path` at its origin.
pub(crate) fn health_url(endpoint: &str, path: &str) -> Result<reqwest::Url, String> {
    reqwest::Url::parse(endpoint)
        .and_then(|url| url.join(path))
        .map_err(|err| format!("no health URL for {endpoint}: {err}"))
}

/// Checks every endpoint of `upstream` every interval, until it is gone.
pub(crate) async fn run(upstream: Weak<Inner>, config: HealthCheckConfig, probe: impl Probe) {
    let mut ticks = tokio::time::interval(config.interval());
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(pool) = upstream.upgrade().map(|inner| inner.pool.clone()) else {
            return;
        };
        let endpoints = pool.endpoints();
        let checks = endpoints.iter().map(|endpoint| {
            let url = health_url(&endpoint.url, &config.path);
            async {
                match url {
                    Ok(url) => probe.check(url).await,
                    Err(reason) => Err(reason),
                }
            }
        });
        let outcomes = futures::future::join_all(checks).await;
        for (endpoint, outcome) in endpoints.iter().zip(outcomes) {
            apply(&pool, endpoint, outcome, &config);
        }
    }
}

fn apply(
    pool: &Pool,
    endpoint: &EndpointState,
    outcome: Result<(), String>,
    config: &HealthCheckConfig,
) {
    let ejection = endpoint.ejection(Instant::now());
    let verdict = endpoint
        .check
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .record(outcome.clone(), endpoint.is_unhealthy(), ejection, config);
    match (verdict.healthy, outcome) {
        (Some(false), Err(reason)) => {
            endpoint.set_unhealthy(true);
            tracing::warn!(upstream = %pool.upstream, endpoint = %endpoint.url, %reason, "endpoint failed its health checks: taking it out");
        }
        (Some(true), _) => {
            endpoint.set_unhealthy(false);
            tracing::info!(upstream = %pool.upstream, endpoint = %endpoint.url, "endpoint passed its health checks: back in");
        }
        _ => {}
    }
    if verdict.uneject && pool.uneject(endpoint) {
        tracing::info!(upstream = %pool.upstream, endpoint = %endpoint.url, "ejected endpoint passed its health checks: back in early");
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::config::TrafficPolicy;
    use crate::status::HealthState;
    use crate::upstream::Upstream;

    fn config() -> HealthCheckConfig {
        HealthCheckConfig {
            enabled: true,
            interval_ms: 1_000,
            ..HealthCheckConfig::default()
        }
    }

    #[test]
    fn thresholds_in_a_row_change_the_state() {
        let config = config();
        let mut state = CheckState::default();
        let fail = || Err("HTTP 503".to_owned());
        assert_eq!(
            state.record(fail(), false, None, &config),
            Verdict::default()
        );
        assert_eq!(
            state.record(fail(), false, None, &config),
            Verdict::default()
        );
        assert_eq!(
            state.record(Ok(()), false, None, &config),
            Verdict::default()
        );
        assert_eq!(state.last_error(), None, "a pass clears the reason");
        for _ in 0..2 {
            state.record(fail(), false, None, &config);
        }
        assert_eq!(state.last_error(), Some("HTTP 503"));
        let out = state.record(fail(), false, None, &config);
        assert_eq!(out.healthy, Some(false), "three failures in a row");
        assert_eq!(
            state.record(Ok(()), true, None, &config),
            Verdict::default()
        );
        let back = state.record(Ok(()), true, None, &config);
        assert_eq!(back.healthy, Some(true), "two passes in a row");
    }

    #[test]
    fn passes_after_an_ejection_end_it() {
        let config = config();
        let mut state = CheckState::default();
        for _ in 0..5 {
            state.record(Ok(()), false, None, &config);
        }
        // Passes from before the ejection do not count.
        let first = state.record(Ok(()), false, Some(1), &config);
        assert!(!first.uneject);
        assert!(state.record(Ok(()), false, Some(1), &config).uneject);
        // A later ejection starts the count again.
        assert!(!state.record(Ok(()), false, Some(2), &config).uneject);
        state.record(Err("down".into()), false, Some(2), &config);
        assert!(!state.record(Ok(()), false, Some(2), &config).uneject);
        assert!(state.record(Ok(()), false, Some(2), &config).uneject);
    }

    #[test]
    fn the_health_url_is_the_path_at_the_origin() {
        let url = health_url("http://127.0.0.1:4002/graphql?x=1", "/health").unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:4002/health");
        let url = health_url("https://inventory/api/graphql", "/live/z").unwrap();
        assert_eq!(url.as_str(), "https://inventory/live/z");
        assert!(health_url("not a url", "/health").is_err());
    }

    /// Health URLs that fail their checks, set by the test.
    #[derive(Clone, Default)]
    struct Fake {
        failing: Arc<Mutex<HashSet<String>>>,
        checks: Arc<Mutex<usize>>,
    }

    impl Fake {
        fn fail(&self, url: &str, failing: bool) {
            let health = health_url(url, "/health").unwrap().to_string();
            let mut set = self.failing.lock().unwrap();
            if failing {
                set.insert(health);
            } else {
                set.remove(&health);
            }
        }

        fn checks(&self) -> usize {
            *self.checks.lock().unwrap()
        }
    }

    impl Probe for Fake {
        fn check(&self, url: reqwest::Url) -> BoxFuture<'static, Result<(), String>> {
            *self.checks.lock().unwrap() += 1;
            let failing = self.failing.lock().unwrap().contains(url.as_str());
            Box::pin(async move {
                if failing {
                    Err("HTTP 503".into())
                } else {
                    Ok(())
                }
            })
        }
    }

    const A: &str = "http://127.0.0.1:9/graphql";
    const B: &str = "http://127.0.0.2:9/graphql";

    fn two_endpoints() -> Upstream {
        // Checks off here: the test runs the checker itself.
        let client = Upstream::default_client().unwrap();
        let policy = TrafficPolicy::default();
        Upstream::new(
            "svc",
            &[A.into(), B.into()],
            Duration::from_secs(1),
            &policy,
            client,
        )
        .unwrap()
    }

    /// Whether it takes traffic, and why its last check failed.
    fn health_of(upstream: &Upstream, url: &str) -> (bool, Option<String>) {
        let status = upstream.status();
        let available = status
            .endpoints
            .iter()
            .find(|e| e.url == url)
            .unwrap()
            .available;
        let endpoints = upstream.inner.pool.endpoints();
        let state = endpoints.iter().find(|e| &*e.url == url).unwrap();
        let reason = state.check.lock().unwrap().last_error().map(str::to_owned);
        (available, reason)
    }

    #[tokio::test(start_paused = true)]
    async fn failing_checks_take_an_endpoint_out_until_it_passes_again() {
        let upstream = two_endpoints();
        let fake = Fake::default();
        let checker = tokio::spawn(run(Arc::downgrade(&upstream.inner), config(), fake.clone()));
        let interval = Duration::from_secs(1);
        tokio::time::sleep(interval / 2).await;
        assert_eq!(fake.checks(), 2, "the first round goes at once");
        fake.fail(A, true);
        tokio::time::sleep(interval * 2).await;
        assert!(health_of(&upstream, A).0, "two failures are not enough");
        tokio::time::sleep(interval).await;
        assert_eq!(
            health_of(&upstream, A),
            (false, Some("HTTP 503".into())),
            "out after the third"
        );
        assert!(health_of(&upstream, B).0);
        assert_eq!(upstream.status().available(), 1);

        fake.fail(A, false);
        tokio::time::sleep(interval).await;
        assert!(!health_of(&upstream, A).0, "one pass is not enough");
        tokio::time::sleep(interval).await;
        assert_eq!(health_of(&upstream, A), (true, None), "back after two");

        // An ejected endpoint that passes its checks is let back early.
        let pool = upstream.inner.pool.clone();
        let a = pool.endpoints().into_iter().find(|e| &*e.url == A).unwrap();
        for _ in 0..5 {
            a.record(&pool, true, Duration::ZERO);
        }
        assert!(a.ejection(Instant::now()).is_some(), "ejected for 30 s");
        tokio::time::sleep(interval * 2).await;
        assert_eq!(a.ejection(Instant::now()), None, "back after two passes");

        // The checker ends once the upstream is gone.
        drop((a, pool));
        drop(upstream);
        tokio::time::sleep(interval * 2).await;
        assert!(checker.is_finished());
    }

    #[tokio::test(start_paused = true)]
    async fn an_unhealthy_endpoint_stays_out_when_the_breaker_readmits() {
        let upstream = two_endpoints();
        let pool = upstream.inner.pool.clone();
        let a = pool.endpoints().into_iter().find(|e| &*e.url == A).unwrap();
        a.set_unhealthy(true);
        pool.readmit_all();
        assert!(!health_of(&upstream, A).0);
        a.set_unhealthy(false);
        assert!(health_of(&upstream, A).0);
    }

    #[tokio::test(start_paused = true)]
    async fn with_checks_on_the_status_shows_each_endpoint_health() {
        let client = Upstream::default_client().unwrap();
        let policy = TrafficPolicy {
            health_check: config(),
            ..TrafficPolicy::default()
        };
        let upstream =
            Upstream::new("svc", &[A.into()], Duration::from_secs(1), &policy, client).unwrap();
        assert_eq!(upstream.status().endpoints[0].health, HealthState::Healthy);
        let off = two_endpoints();
        assert_eq!(off.status().endpoints[0].health, HealthState::Unchecked);
    }
}
