//! One endpoint as the balancer sees it: passive health (outlier
//! ejection, as Envoy does it) and the cost the balancer compares.
//!
//! An endpoint that fails `consecutive_failures` times in a row (connect
//! errors, timeouts, 5xx) is ejected: its `poll_ready` stays pending, so
//! the balancer routes around it, for `base_ejection` times its ejection
//! count (which falls back by one for every `base_ejection` it then stays
//! in), capped, and never for more than `max_ejected_percent` of the
//! endpoints at once (though one may always be). Between failure and
//! ejection an endpoint that just failed is the balancer's last choice
//! for `FAILURE_PENALTY`, so a retry goes to another endpoint rather than
//! to the one that failed fast (a refused connection is quicker than any
//! answer, and would otherwise look like the best endpoint there is).
//!
//! Active health checks (`health`) take an endpoint out the same way: its
//! `poll_ready` stays pending while its `unhealthy` flag is set, and the
//! checker wakes the balancer when it clears it. That flag is all the
//! checks cost a request.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::task::AtomicWaker;
use tokio::time::{Instant, Sleep};
use tower::Service;
use tower::load::Load;

use crate::config::OutlierConfig;
use crate::error::UpstreamError;
use crate::health::CheckState;
use crate::request::{Request, Response};
use crate::status::{EndpointStatus, HealthState};

/// How long an endpoint that just failed loses every comparison.
pub(crate) const FAILURE_PENALTY: Duration = Duration::from_secs(1);

/// What is known about one endpoint, shared by its service (owned by the
/// balancer) and the upstream (status, breaker).
pub(crate) struct EndpointState {
    pub(crate) url: Arc<str>,
    health: Mutex<Health>,
    outstanding: AtomicUsize,
    requests: AtomicU64,
    failures: AtomicU64,
    /// Set by the health checker: the endpoint failed its checks.
    unhealthy: AtomicBool,
    /// The health checker's count of passes and failures.
    pub(crate) check: Mutex<CheckState>,
    /// Wakes the balancer when the endpoint is let back in early.
    waker: AtomicWaker,
    /// Its tries as Prometheus sees them.
    metrics: crate::metrics::EndpointMetrics,
}

#[derive(Debug, Default)]
struct Health {
    consecutive_failures: u32,
    penalized_until: Option<Instant>,
    ejected_until: Option<Instant>,
    /// The multiplier of the next ejection's length.
    ejections: u32,
    /// When the last ejection ended.
    returned_at: Option<Instant>,
    total_ejections: u64,
    latency_ms: Option<f64>,
    /// Taken out of the pool by discovery.
    removed: bool,
}

/// The endpoints of one upstream and how many of them are ejected.
///
/// Lock order: `endpoints` before any endpoint's `health`; code holding a
/// `health` lock reads the endpoint count from `count`, never `endpoints`.
pub(crate) struct Pool {
    pub(crate) upstream: Arc<str>,
    policy: OutlierConfig,
    /// Active health checks run over these endpoints.
    checked: bool,
    endpoints: Mutex<Vec<Arc<EndpointState>>>,
    count: AtomicUsize,
    ejected: AtomicUsize,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Pool {
    pub(crate) fn new(upstream: Arc<str>, policy: OutlierConfig, checked: bool) -> Self {
        Pool {
            upstream,
            policy,
            checked,
            endpoints: Mutex::new(Vec::new()),
            count: AtomicUsize::new(0),
            ejected: AtomicUsize::new(0),
        }
    }

    pub(crate) fn add(&self, url: Arc<str>) -> Arc<EndpointState> {
        let state = Arc::new(EndpointState {
            metrics: crate::metrics::EndpointMetrics::new(&self.upstream, &url),
            url,
            health: Mutex::new(Health::default()),
            outstanding: AtomicUsize::new(0),
            requests: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            unhealthy: AtomicBool::new(false),
            check: Mutex::new(CheckState::default()),
            waker: AtomicWaker::new(),
        });
        let mut endpoints = lock(&self.endpoints);
        endpoints.push(state.clone());
        self.count.store(endpoints.len(), Ordering::Release);
        state
    }

    /// Takes the endpoint out. Calls still in flight on it finish, but
    /// their outcomes no longer eject it (it holds no ejection slot).
    pub(crate) fn remove(&self, url: &str) {
        let mut endpoints = lock(&self.endpoints);
        if let Some(i) = endpoints.iter().position(|e| &*e.url == url) {
            let gone = endpoints.swap_remove(i);
            self.count.store(endpoints.len(), Ordering::Release);
            let mut health = lock(&gone.health);
            health.removed = true;
            if health.ejected_until.take().is_some() {
                self.ejected.fetch_sub(1, Ordering::AcqRel);
            }
        }
    }

    /// Lets every ejected endpoint back in (the breaker is about to probe:
    /// its probes may go anywhere).
    pub(crate) fn readmit_all(&self) {
        let now = Instant::now();
        for endpoint in lock(&self.endpoints).iter() {
            if self.end_ejection(&mut lock(&endpoint.health), now) {
                endpoint.waker.wake();
            }
        }
    }

    /// Ends `endpoint`'s ejection now (it passed its health checks); says
    /// whether it was ejected.
    pub(crate) fn uneject(&self, endpoint: &EndpointState) -> bool {
        let ended = self.end_ejection(&mut lock(&endpoint.health), Instant::now());
        if ended {
            endpoint.waker.wake();
        }
        ended
    }

    /// The endpoints as they are now.
    pub(crate) fn endpoints(&self) -> Vec<Arc<EndpointState>> {
        lock(&self.endpoints).clone()
    }

    pub(crate) fn statuses(&self) -> Vec<EndpointStatus> {
        let now = Instant::now();
        lock(&self.endpoints)
            .iter()
            .map(|e| e.status(now, self.checked))
            .collect()
    }

    /// Whether a failure of `url` is that endpoint's own trouble, already
    /// dealt with: it is out of rotation (ejected, failing its health
    /// checks, or removed) while another
    /// endpoint takes traffic. Such failures (the calls in flight when a
    /// replica died, say) say nothing about the service as a whole.
    pub(crate) fn isolates(&self, url: &str) -> bool {
        let now = Instant::now();
        let mut isolated = true; // a removed endpoint is no longer listed
        let mut another_available = false;
        for endpoint in lock(&self.endpoints).iter() {
            let out = endpoint.is_unhealthy()
                || lock(&endpoint.health)
                    .ejected_until
                    .is_some_and(|until| until > now);
            if &*endpoint.url == url {
                isolated = out;
            } else if !out {
                another_available = true;
            }
        }
        isolated && another_available
    }

    /// Takes one ejection slot, if the cap leaves one.
    fn try_eject(&self) -> bool {
        let endpoints = self.count.load(Ordering::Acquire);
        let share =
            (endpoints as f64 * f64::from(self.policy.max_ejected_percent) / 100.0) as usize;
        let cap = share.max(1);
        self.ejected
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < cap).then_some(n + 1)
            })
            .is_ok()
    }

    /// Ends `health`'s ejection, if it has one; says whether it did.
    fn end_ejection(&self, health: &mut Health, now: Instant) -> bool {
        if health.ejected_until.take().is_none() {
            return false;
        }
        health.returned_at = Some(now);
        health.consecutive_failures = 0;
        self.ejected.fetch_sub(1, Ordering::AcqRel);
        true
    }
}

/// Whether the balancer may use the endpoint now.
enum Availability {
    Available,
    EjectedUntil(Instant),
    /// Until the health checker says otherwise.
    Unhealthy,
}

impl EndpointState {
    fn availability(&self, pool: &Pool, now: Instant) -> Availability {
        if self.is_unhealthy() {
            return Availability::Unhealthy;
        }
        let mut health = lock(&self.health);
        match health.ejected_until {
            Some(until) if until > now => Availability::EjectedUntil(until),
            Some(_) => {
                pool.end_ejection(&mut health, now);
                Availability::Available
            }
            None => Availability::Available,
        }
    }

    pub(crate) fn is_unhealthy(&self) -> bool {
        self.unhealthy.load(Ordering::Acquire)
    }

    /// Takes the endpoint out (`true`) or lets it back in, waking the
    /// balancer so it sees the endpoint ready again.
    pub(crate) fn set_unhealthy(&self, unhealthy: bool) {
        self.unhealthy.store(unhealthy, Ordering::Release);
        if !unhealthy {
            self.waker.wake();
        }
    }

    /// While ejected, which ejection it is (they are counted), so the
    /// health checker can tell a new one from the one it already saw.
    pub(crate) fn ejection(&self, now: Instant) -> Option<u64> {
        let health = lock(&self.health);
        health
            .ejected_until
            .filter(|until| *until > now)
            .map(|_| health.total_ejections)
    }

    fn penalized(&self, now: Instant) -> bool {
        lock(&self.health)
            .penalized_until
            .is_some_and(|until| until > now)
    }

    pub(crate) fn record(&self, pool: &Pool, failed: bool, took: Duration) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.metrics.record(failed, took);
        let now = Instant::now();
        let mut health = lock(&self.health);
        let sample = took.as_secs_f64() * 1000.0;
        health.latency_ms = Some(match health.latency_ms {
            Some(ewma) => ewma * 0.8 + sample * 0.2,
            None => sample,
        });
        if !failed {
            health.consecutive_failures = 0;
            health.penalized_until = None;
            return;
        }
        self.failures.fetch_add(1, Ordering::Relaxed);
        health.penalized_until = Some(now + FAILURE_PENALTY);
        health.consecutive_failures += 1;
        let policy = &pool.policy;
        if policy.consecutive_failures == 0
            || health.consecutive_failures < policy.consecutive_failures
            || health.ejected_until.is_some()
            || health.removed
            || !pool.try_eject()
        {
            return;
        }
        let base = Duration::from_millis(policy.base_ejection_ms);
        let max = Duration::from_millis(policy.max_ejection_ms);
        health.ejections = next_multiplier(health.ejections, health.returned_at, now, base);
        let length = ejection_length(health.ejections, base, max);
        health.ejected_until = Some(now + length);
        health.total_ejections += 1;
        health.consecutive_failures = 0;
        crate::metrics::ejection(&pool.upstream, &self.url);
        tracing::warn!(upstream = %pool.upstream, endpoint = %self.url, ejected_for_ms = length.as_millis() as u64, "endpoint ejected after failing repeatedly");
    }

    fn status(&self, now: Instant, checked: bool) -> EndpointStatus {
        let unhealthy = self.is_unhealthy();
        let (health_state, health_error) = if checked {
            let state = if unhealthy {
                HealthState::Unhealthy
            } else {
                HealthState::Healthy
            };
            (state, lock(&self.check).last_error().map(str::to_owned))
        } else {
            (HealthState::Unchecked, None)
        };
        let health = lock(&self.health);
        let ejected_for = health
            .ejected_until
            .filter(|until| *until > now)
            .map(|until| until - now);
        EndpointStatus {
            url: self.url.to_string(),
            available: ejected_for.is_none() && !unhealthy,
            health: health_state,
            health_error,
            ejected_for_ms: ejected_for.map(|d| d.as_millis() as u64),
            ejections: health.total_ejections,
            consecutive_failures: health.consecutive_failures,
            outstanding: self.outstanding.load(Ordering::Relaxed),
            latency_ms: health.latency_ms,
            requests: self.requests.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
        }
    }
}

/// The multiplier of a new ejection: one more than the last, less one for
/// every `base` the endpoint has been back since.
fn next_multiplier(last: u32, returned_at: Option<Instant>, now: Instant, base: Duration) -> u32 {
    let forgiven = match returned_at {
        Some(at) if !base.is_zero() => ((now - at).as_nanos() / base.as_nanos()) as u32,
        _ => 0,
    };
    last.saturating_sub(forgiven).saturating_add(1)
}

fn ejection_length(multiplier: u32, base: Duration, max: Duration) -> Duration {
    base.saturating_mul(multiplier).min(max)
}

/// Whether an outcome counts against the endpoint.
fn failed(result: &Result<Response, UpstreamError>) -> bool {
    match result {
        Ok(response) => response.status.is_server_error(),
        Err(err) => err.is_failure(),
    }
}

/// An endpoint's service as the balancer holds it.
pub(crate) struct Guarded<S> {
    inner: S,
    state: Arc<EndpointState>,
    pool: Arc<Pool>,
    /// Wakes the balancer when an ejection ends.
    wake_at: Option<Pin<Box<Sleep>>>,
}

impl<S> Guarded<S> {
    pub(crate) fn new(inner: S, state: Arc<EndpointState>, pool: Arc<Pool>) -> Self {
        Guarded {
            inner,
            state,
            pool,
            wake_at: None,
        }
    }
}

/// Counts a request as outstanding until it ends, however it ends.
struct Outstanding(Arc<EndpointState>);

impl Drop for Outstanding {
    fn drop(&mut self) {
        self.0.outstanding.fetch_sub(1, Ordering::Relaxed);
    }
}

impl<S> Service<Request> for Guarded<S>
where
    S: Service<Request, Response = Response, Error = UpstreamError>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = UpstreamError;
    type Future = BoxFuture<'static, Result<Response, UpstreamError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), UpstreamError>> {
        match self.state.availability(&self.pool, Instant::now()) {
            Availability::Available => {
                self.wake_at = None;
                self.inner.poll_ready(cx)
            }
            Availability::EjectedUntil(until) => {
                self.state.waker.register(cx.waker());
                let sleep = self
                    .wake_at
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(until)));
                if sleep.deadline() != until {
                    sleep.as_mut().reset(until);
                }
                if sleep.as_mut().poll(cx).is_ready() {
                    // Over already: look again at once.
                    cx.waker().wake_by_ref();
                }
                Poll::Pending
            }
            Availability::Unhealthy => {
                self.wake_at = None;
                self.state.waker.register(cx.waker());
                // Back in between the look and the registration: its wake
                // may have gone to an older waker.
                if !self.state.is_unhealthy() {
                    cx.waker().wake_by_ref();
                }
                Poll::Pending
            }
        }
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let state = self.state.clone();
        let pool = self.pool.clone();
        state.outstanding.fetch_add(1, Ordering::Relaxed);
        let outstanding = Outstanding(state.clone());
        let started = Instant::now();
        let answer = self.inner.call(request);
        Box::pin(async move {
            let result = answer.await;
            state.record(&pool, failed(&result), started.elapsed());
            drop(outstanding);
            result
        })
    }
}

impl<S: Load> Load for Guarded<S> {
    /// An endpoint that just failed loses to any that did not; among
    /// equals, the inner cost decides.
    type Metric = (bool, S::Metric);

    fn load(&self) -> Self::Metric {
        (self.state.penalized(Instant::now()), self.inner.load())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> OutlierConfig {
        OutlierConfig {
            consecutive_failures: 3,
            base_ejection_ms: 30_000,
            max_ejection_ms: 100_000,
            max_ejected_percent: 50.0,
        }
    }

    fn pool_of(n: usize) -> (Arc<Pool>, Vec<Arc<EndpointState>>) {
        let pool = Arc::new(Pool::new("svc".into(), policy(), false));
        let states = (0..n)
            .map(|i| pool.add(format!("http://e{i}").into()))
            .collect();
        (pool, states)
    }

    fn ejected(state: &EndpointState, pool: &Pool) -> Option<Duration> {
        let now = Instant::now();
        match state.availability(pool, now) {
            Availability::EjectedUntil(until) => Some(until - now),
            Availability::Available | Availability::Unhealthy => None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn consecutive_failures_eject_for_longer_each_time() {
        let (pool, states) = pool_of(2);
        let e = &states[0];
        e.record(&pool, true, Duration::ZERO);
        e.record(&pool, true, Duration::ZERO);
        assert_eq!(ejected(e, &pool), None, "two failures are not enough");
        e.record(&pool, false, Duration::ZERO);
        e.record(&pool, true, Duration::ZERO);
        e.record(&pool, true, Duration::ZERO);
        assert_eq!(ejected(e, &pool), None, "a success starts the count again");
        e.record(&pool, true, Duration::ZERO);
        assert_eq!(ejected(e, &pool), Some(Duration::from_secs(30)));

        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(ejected(e, &pool), None, "back after 30 s");
        for _ in 0..3 {
            e.record(&pool, true, Duration::ZERO);
        }
        assert_eq!(
            ejected(e, &pool),
            Some(Duration::from_secs(60)),
            "second time: twice as long"
        );
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!(ejected(e, &pool), None);
        for _ in 0..6 {
            e.record(&pool, true, Duration::ZERO);
            if ejected(e, &pool).is_some() {
                break;
            }
        }
        assert_eq!(ejected(e, &pool), Some(Duration::from_secs(90)));
        tokio::time::advance(Duration::from_secs(90)).await;
        assert_eq!(ejected(e, &pool), None);
        for _ in 0..3 {
            e.record(&pool, true, Duration::ZERO);
        }
        assert_eq!(ejected(e, &pool), Some(Duration::from_secs(100)), "capped");
    }

    #[tokio::test(start_paused = true)]
    async fn time_spent_healthy_shortens_the_next_ejection() {
        let (pool, states) = pool_of(2);
        let e = &states[0];
        for round in 0..2 {
            for _ in 0..3 {
                e.record(&pool, true, Duration::ZERO);
            }
            let length = ejected(e, &pool).unwrap();
            assert_eq!(length, Duration::from_secs(30 * (round + 1)));
            tokio::time::advance(length).await;
            assert_eq!(ejected(e, &pool), None);
        }
        // Back for two base periods: the count falls from 2 to 0.
        tokio::time::advance(Duration::from_secs(60)).await;
        for _ in 0..3 {
            e.record(&pool, true, Duration::ZERO);
        }
        assert_eq!(ejected(e, &pool), Some(Duration::from_secs(30)));
    }

    #[tokio::test(start_paused = true)]
    async fn never_more_than_the_share_but_always_one() {
        let (pool, states) = pool_of(4);
        for e in &states {
            for _ in 0..3 {
                e.record(&pool, true, Duration::ZERO);
            }
        }
        let out = states
            .iter()
            .filter(|e| ejected(e, &pool).is_some())
            .count();
        assert_eq!(out, 2, "50 % of 4");

        let (pool, states) = pool_of(1);
        for _ in 0..3 {
            states[0].record(&pool, true, Duration::ZERO);
        }
        assert!(
            ejected(&states[0], &pool).is_some(),
            "one may always be ejected"
        );
        pool.readmit_all();
        assert_eq!(
            ejected(&states[0], &pool),
            None,
            "the breaker's probe lets it back"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_removed_endpoint_holds_no_ejection_slot() {
        let (pool, states) = pool_of(2);
        pool.remove(&states[0].url);
        // Calls that were in flight on it end in failures afterwards.
        for _ in 0..3 {
            states[0].record(&pool, true, Duration::ZERO);
        }
        assert_eq!(pool.ejected.load(Ordering::Acquire), 0);
        for _ in 0..3 {
            states[1].record(&pool, true, Duration::ZERO);
        }
        assert!(
            ejected(&states[1], &pool).is_some(),
            "the slot is still free"
        );
        // An ejected endpoint that is removed gives its slot back.
        pool.remove(&states[1].url);
        assert_eq!(pool.ejected.load(Ordering::Acquire), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_endpoint_is_last_choice_for_a_moment() {
        let (pool, states) = pool_of(2);
        let e = &states[0];
        e.record(&pool, true, Duration::ZERO);
        assert!(e.penalized(Instant::now()));
        tokio::time::advance(FAILURE_PENALTY).await;
        assert!(!e.penalized(Instant::now()));
        e.record(&pool, true, Duration::ZERO);
        e.record(&pool, false, Duration::ZERO);
        assert!(!e.penalized(Instant::now()), "a success clears it");
    }
}
