//! The circuit breaker of one upstream (the Hystrix/Cosmo model): it opens
//! when at least `failure_percent` of the calls in a rolling window failed,
//! with at least `min_requests` calls in it, or when no endpoint is left
//! to call; while open, calls fail at once with `CircuitOpen`; after
//! `sleep` it lets up to `probes` calls through at a time (and every
//! ejected endpoint back in, so a probe can reach any of them): a success
//! closes it, `probes` failures open it again.
//!
//! It judges the service, not one endpoint: a failure at an endpoint that
//! outlier ejection has already taken out, while another takes traffic,
//! is not counted (a replica that dies with calls in flight fails them
//! all at once, which would otherwise open the breaker on its healthy
//! siblings too).

use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::time::Instant;
use tower::Service;

use crate::config::BreakerConfig;
use crate::endpoint::Pool;
use crate::error::UpstreamError;
use crate::request::{Request, Response};
use crate::status::BreakerState;

/// Buckets the rolling window is counted in.
const BUCKETS: usize = 10;

/// The breaker's state machine, apart from any service (unit-tested on
/// its own with a paused clock).
#[derive(Debug)]
pub(crate) struct Breaker {
    config: BreakerConfig,
    bucket_length: Duration,
    state: State,
    /// Calls and failures per bucket, the current one at `head`.
    buckets: [(u32, u32); BUCKETS],
    /// The upstream its state changes are reported under (`metrics`).
    upstream: Option<Arc<str>>,
    head: usize,
    head_started: Instant,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Closed,
    Open { until: Instant },
    HalfOpen { in_flight: u32, failures: u32 },
}

/// What the breaker lets a call do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    Allowed,
    /// Allowed as a probe: its outcome decides the breaker's state.
    Probe,
    Rejected,
}

impl Breaker {
    pub(crate) fn new(config: BreakerConfig) -> Self {
        let bucket_length = config.window() / BUCKETS as u32;
        Breaker {
            config,
            bucket_length,
            state: State::Closed,
            buckets: [(0, 0); BUCKETS],
            head: 0,
            head_started: Instant::now(),
            upstream: None,
        }
    }

    /// Reports its state changes as `upstream`'s (see `crate::metrics`).
    pub(crate) fn reporting_as(mut self, upstream: Arc<str>) -> Self {
        metrics_state(Some(&upstream), BreakerState::Closed);
        self.upstream = Some(upstream);
        self
    }

    /// Whether a call may go now. The first call after the sleep turns
    /// the breaker half-open (`true` in the second field: time to let
    /// ejected endpoints back in).
    pub(crate) fn admit(&mut self, now: Instant) -> (Admission, bool) {
        match self.state {
            State::Closed => (Admission::Allowed, false),
            State::Open { until } if now < until => (Admission::Rejected, false),
            State::Open { .. } => {
                self.state = State::HalfOpen {
                    in_flight: 1,
                    failures: 0,
                };
                metrics_state(self.upstream.as_deref(), BreakerState::HalfOpen);
                (Admission::Probe, true)
            }
            State::HalfOpen {
                ref mut in_flight,
                failures,
            } => {
                if *in_flight + failures < self.config.probes {
                    *in_flight += 1;
                    (Admission::Probe, false)
                } else {
                    (Admission::Rejected, false)
                }
            }
        }
    }

    /// Records a call's outcome. `no_endpoint` failures open the breaker
    /// at once: there is nothing to call.
    pub(crate) fn record(&mut self, now: Instant, admission: Admission, outcome: Outcome) {
        if admission == Admission::Probe {
            if let State::HalfOpen {
                in_flight,
                failures,
            } = &mut self.state
            {
                *in_flight = in_flight.saturating_sub(1);
                match outcome {
                    Outcome::Success => self.close(now),
                    Outcome::Ignored => {}
                    Outcome::Failure | Outcome::NoEndpoint => {
                        *failures += 1;
                        if *failures >= self.config.probes {
                            self.open(now);
                        }
                    }
                }
            }
            return;
        }
        if self.state != State::Closed || outcome == Outcome::Ignored {
            return;
        }
        self.rotate(now);
        let bucket = &mut self.buckets[self.head];
        bucket.0 += 1;
        match outcome {
            Outcome::Success | Outcome::Ignored => return,
            Outcome::NoEndpoint => {
                self.open(now);
                return;
            }
            Outcome::Failure => bucket.1 += 1,
        }
        let (calls, failures) = self
            .buckets
            .iter()
            .fold((0, 0), |(c, f), (bc, bf)| (c + bc, f + bf));
        if calls >= self.config.min_requests
            && u64::from(failures) * 100
                >= u64::from(calls) * u64::from(self.config.failure_percent)
        {
            tracing::warn!(calls, failures, "circuit breaker opened");
            self.open(now);
        }
    }

    pub(crate) fn state(&self, now: Instant) -> BreakerState {
        match self.state {
            State::Closed => BreakerState::Closed,
            State::Open { until } if now < until => BreakerState::Open,
            State::Open { .. } | State::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    fn open(&mut self, now: Instant) {
        self.state = State::Open {
            until: now + self.config.sleep(),
        };
        metrics_state(self.upstream.as_deref(), BreakerState::Open);
    }

    fn close(&mut self, now: Instant) {
        self.state = State::Closed;
        metrics_state(self.upstream.as_deref(), BreakerState::Closed);
        self.buckets = [(0, 0); BUCKETS];
        self.head_started = now;
    }

    /// Moves the window on to `now`, emptying buckets that fell out of it.
    fn rotate(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.head_started);
        if elapsed < self.bucket_length {
            return;
        }
        let steps = (elapsed.as_nanos() / self.bucket_length.as_nanos().max(1)) as usize;
        for _ in 0..steps.min(BUCKETS) {
            self.head = (self.head + 1) % BUCKETS;
            self.buckets[self.head] = (0, 0);
        }
        self.head_started += self.bucket_length * steps as u32;
    }
}

fn metrics_state(upstream: Option<&str>, state: BreakerState) {
    if let Some(upstream) = upstream {
        crate::metrics::breaker(upstream, state);
    }
}

/// How a call went, as the breaker counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Success,
    Failure,
    NoEndpoint,
    /// Says nothing about the service (the caller's deadline passed).
    Ignored,
}

impl Outcome {
    pub(crate) fn of(result: &Result<Response, UpstreamError>) -> Self {
        match result {
            Ok(response) if response.status.is_server_error() => Outcome::Failure,
            Ok(_) => Outcome::Success,
            Err(UpstreamError::NoEndpoint { .. }) => Outcome::NoEndpoint,
            Err(err) if err.is_failure() => Outcome::Failure,
            Err(_) => Outcome::Ignored,
        }
    }
}

/// Records a call's outcome when it ends, however it ends: a call dropped
/// before its answer (the caller's deadline, a client gone) counts as
/// `Ignored`, so a probe cut short still frees its place.
struct Recording {
    breaker: Arc<Mutex<Breaker>>,
    admission: Admission,
    outcome: Outcome,
}

impl Drop for Recording {
    fn drop(&mut self) {
        self.breaker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(Instant::now(), self.admission, self.outcome);
    }
}

/// The breaker as a layer of the stack.
#[derive(Clone)]
pub(crate) struct CircuitBreaker<S> {
    inner: S,
    breaker: Option<Arc<Mutex<Breaker>>>,
    pool: Arc<Pool>,
}

impl<S> CircuitBreaker<S> {
    /// `breaker` is `None` when turned off in the config.
    pub(crate) fn new(inner: S, breaker: Option<Arc<Mutex<Breaker>>>, pool: Arc<Pool>) -> Self {
        CircuitBreaker {
            inner,
            breaker,
            pool,
        }
    }
}

impl<S> Service<Request> for CircuitBreaker<S>
where
    S: Service<Request, Response = Response, Error = UpstreamError>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = UpstreamError;
    type Future = BoxFuture<'static, Result<Response, UpstreamError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), UpstreamError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let Some(breaker) = self.breaker.clone() else {
            return Box::pin(self.inner.call(request));
        };
        let (admission, probing) = breaker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .admit(Instant::now());
        if probing {
            self.pool.readmit_all();
        }
        if admission == Admission::Rejected {
            let upstream = self.pool.upstream.clone();
            return Box::pin(async move { Err(UpstreamError::CircuitOpen { upstream }) });
        }
        let call = self.inner.call(request);
        let pool = self.pool.clone();
        let mut pending = Recording {
            breaker,
            admission,
            outcome: Outcome::Ignored,
        };
        Box::pin(async move {
            let result = call.await;
            pending.outcome = match Outcome::of(&result) {
                // One endpoint's failure that ejection has already dealt
                // with is not the service's (see `Pool::isolates`).
                Outcome::Failure
                    if result
                        .as_ref()
                        .err()
                        .and_then(UpstreamError::endpoint)
                        .is_some_and(|url| pool.isolates(url)) =>
                {
                    Outcome::Ignored
                }
                outcome => outcome,
            };
            drop(pending);
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> BreakerConfig {
        BreakerConfig {
            enabled: true,
            failure_percent: 50,
            min_requests: 20,
            window_ms: 10_000,
            sleep_ms: 5_000,
            probes: 3,
        }
    }

    fn calls(breaker: &mut Breaker, n: usize, outcome: Outcome) {
        for _ in 0..n {
            let now = Instant::now();
            let (admission, _) = breaker.admit(now);
            assert_eq!(admission, Admission::Allowed);
            breaker.record(now, admission, outcome);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn opens_at_half_failures_over_twenty_calls() {
        let mut breaker = Breaker::new(config());
        calls(&mut breaker, 9, Outcome::Success);
        calls(&mut breaker, 10, Outcome::Failure);
        assert_eq!(
            breaker.state(Instant::now()),
            BreakerState::Closed,
            "19 calls: too few"
        );
        calls(&mut breaker, 1, Outcome::Success);
        assert_eq!(
            breaker.state(Instant::now()),
            BreakerState::Closed,
            "10 of 20 checked on failures only"
        );
        calls(&mut breaker, 1, Outcome::Failure);
        assert_eq!(
            breaker.state(Instant::now()),
            BreakerState::Open,
            "11 of 21"
        );
        assert_eq!(breaker.admit(Instant::now()).0, Admission::Rejected);
    }

    #[tokio::test(start_paused = true)]
    async fn old_failures_fall_out_of_the_window() {
        let mut breaker = Breaker::new(config());
        calls(&mut breaker, 15, Outcome::Failure);
        tokio::time::advance(Duration::from_secs(11)).await;
        calls(&mut breaker, 10, Outcome::Success);
        calls(&mut breaker, 9, Outcome::Failure);
        assert_eq!(
            breaker.state(Instant::now()),
            BreakerState::Closed,
            "9 of 19 in the window"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_endpoint_opens_at_once() {
        let mut breaker = Breaker::new(config());
        calls(&mut breaker, 1, Outcome::NoEndpoint);
        assert_eq!(breaker.state(Instant::now()), BreakerState::Open);
    }

    #[tokio::test(start_paused = true)]
    async fn after_the_sleep_a_probe_success_closes_it() {
        let mut breaker = Breaker::new(config());
        calls(&mut breaker, 20, Outcome::Failure);
        tokio::time::advance(Duration::from_millis(4_999)).await;
        assert_eq!(breaker.admit(Instant::now()).0, Admission::Rejected);
        tokio::time::advance(Duration::from_millis(1)).await;
        let now = Instant::now();
        assert_eq!(
            breaker.admit(now),
            (Admission::Probe, true),
            "half-open: readmit endpoints"
        );
        assert_eq!(breaker.admit(now), (Admission::Probe, false));
        assert_eq!(breaker.admit(now), (Admission::Probe, false));
        assert_eq!(
            breaker.admit(now).0,
            Admission::Rejected,
            "three probes at a time"
        );
        breaker.record(now, Admission::Probe, Outcome::Success);
        assert_eq!(breaker.state(now), BreakerState::Closed);
        assert_eq!(breaker.admit(now).0, Admission::Allowed);
        // Probes still in flight when it closed change nothing.
        breaker.record(now, Admission::Probe, Outcome::Failure);
        assert_eq!(breaker.state(now), BreakerState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn failed_probes_open_it_again() {
        let mut breaker = Breaker::new(config());
        calls(&mut breaker, 20, Outcome::Failure);
        tokio::time::advance(Duration::from_secs(5)).await;
        let now = Instant::now();
        for _ in 0..2 {
            assert_eq!(breaker.admit(now).0, Admission::Probe);
            breaker.record(now, Admission::Probe, Outcome::Failure);
        }
        assert_eq!(
            breaker.state(now),
            BreakerState::HalfOpen,
            "two of three probes failed"
        );
        assert_eq!(breaker.admit(now).0, Admission::Probe);
        breaker.record(now, Admission::Probe, Outcome::Failure);
        assert_eq!(breaker.state(now), BreakerState::Open);
        assert_eq!(breaker.admit(now).0, Admission::Rejected);
    }

    #[tokio::test(start_paused = true)]
    async fn a_probe_cut_short_frees_its_place() {
        let mut breaker = Breaker::new(config());
        calls(&mut breaker, 20, Outcome::Failure);
        tokio::time::advance(Duration::from_secs(5)).await;
        let now = Instant::now();
        for _ in 0..3 {
            assert_eq!(breaker.admit(now).0, Admission::Probe);
            breaker.record(now, Admission::Probe, Outcome::Ignored);
        }
        assert_eq!(
            breaker.admit(now).0,
            Admission::Probe,
            "dropped probes hold no place"
        );
        breaker.record(now, Admission::Probe, Outcome::Success);
        assert_eq!(breaker.state(now), BreakerState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn deadlines_say_nothing_about_the_service() {
        let mut breaker = Breaker::new(config());
        calls(&mut breaker, 30, Outcome::Ignored);
        assert_eq!(breaker.state(Instant::now()), BreakerState::Closed);
    }
}
