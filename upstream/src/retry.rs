//! Which failed tries go again, when, and how many (tower's `Retry` with
//! this policy; the budget is tower's `TpsBudget`, as Linkerd's is: retries
//! may add at most `budget_percent` of the calls plus `min_per_second`).
//!
//! Retried: connect errors always (the request never left); for
//! idempotent requests also other transport errors, timeouts and the
//! statuses that mean "try elsewhere or later" (502, 503, 504, 429, the
//! last two honouring `Retry-After`). Never past the caller's deadline,
//! never beyond `attempts` tries. Backoff doubles from `backoff` with
//! jitter (a random half to all of it), capped by `max_backoff`.

use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use http::header::RETRY_AFTER;
use tokio::time::{Instant, Sleep};
use tower::retry::Policy;
use tower::retry::budget::{Budget, TpsBudget};

use crate::config::RetryConfig;
use crate::error::UpstreamError;
use crate::request::{Request, Response};

#[derive(Clone)]
pub(crate) struct RetryPolicy {
    budget: Arc<TpsBudget>,
    attempts: u32,
    backoff: Duration,
    max_backoff: Duration,
    /// The upstream its retries are counted under (`metrics`).
    upstream: Arc<str>,
}

impl RetryPolicy {
    pub(crate) fn new(config: &RetryConfig, upstream: Arc<str>) -> Self {
        RetryPolicy {
            budget: Arc::new(TpsBudget::new(
                Duration::from_secs(10),
                config.min_per_second,
                config.budget_percent / 100.0,
            )),
            attempts: config.attempts,
            backoff: Duration::from_millis(config.backoff_ms),
            max_backoff: Duration::from_millis(config.max_backoff_ms),
            upstream,
        }
    }

    /// The jittered backoff before retry number `retry` (1 = the first).
    fn backoff(&self, retry: u32) -> Duration {
        let full = self
            .backoff
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)))
            .min(self.max_backoff);
        full.mul_f64(rand::random_range(0.5..=1.0))
    }
}

/// What a result asks of the retry policy.
#[derive(Debug, PartialEq)]
enum Verdict {
    Done,
    Again { at_least: Duration },
}

fn verdict(request: &Request, result: &Result<Response, UpstreamError>) -> Verdict {
    match result {
        Err(err) if err.retryable(request.idempotent) => Verdict::Again {
            at_least: Duration::ZERO,
        },
        Err(_) => Verdict::Done,
        Ok(response) if request.idempotent => match response.status {
            StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT => Verdict::Again {
                at_least: Duration::ZERO,
            },
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS => Verdict::Again {
                at_least: retry_after(response).unwrap_or(Duration::ZERO),
            },
            _ => Verdict::Done,
        },
        Ok(_) => Verdict::Done,
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not used by services).
fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.headers.get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

impl Policy<Request, Response, UpstreamError> for RetryPolicy {
    type Future = Sleep;

    fn retry(
        &mut self,
        request: &mut Request,
        result: &mut Result<Response, UpstreamError>,
    ) -> Option<Sleep> {
        let Verdict::Again { at_least } = verdict(request, result) else {
            return None;
        };
        if request.attempt + 1 >= self.attempts {
            return None;
        }
        let delay = self.backoff(request.attempt + 1).max(at_least);
        // Compared, not added: a `Retry-After` of any size cannot overflow.
        if delay >= request.deadline.saturating_duration_since(Instant::now()) {
            return None;
        }
        if !self.budget.withdraw() {
            tracing::debug!("retry budget spent");
            return None;
        }
        request.attempt += 1;
        crate::metrics::retry(&self.upstream);
        Some(tokio::time::sleep(delay))
    }

    fn clone_request(&mut self, request: &Request) -> Option<Request> {
        if request.attempt == 0 {
            // Every call (not every try) earns retries.
            self.budget.deposit();
        }
        (self.attempts > 1).then(|| request.clone())
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::HeaderMap;

    use super::*;

    fn config() -> RetryConfig {
        RetryConfig {
            attempts: 3,
            budget_percent: 20.0,
            min_per_second: 0,
            backoff_ms: 10,
            max_backoff_ms: 1_000,
        }
    }

    fn response(status: u16, retry_after: Option<&str>) -> Result<Response, UpstreamError> {
        let mut headers = HeaderMap::new();
        if let Some(value) = retry_after {
            headers.insert(RETRY_AFTER, value.parse().unwrap());
        }
        Ok(Response {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: Bytes::new(),
        })
    }

    fn connect() -> Result<Response, UpstreamError> {
        Err(UpstreamError::Connect {
            endpoint: "e".into(),
            reason: "refused".into(),
        })
    }

    fn reset() -> Result<Response, UpstreamError> {
        Err(UpstreamError::Transport {
            endpoint: "e".into(),
            reason: "connection reset".into(),
        })
    }

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    #[tokio::test(start_paused = true)]
    async fn what_is_retried() {
        let query = Request::query("{}", soon());
        let mutation = Request::mutation("{}", soon());
        let again = Verdict::Again {
            at_least: Duration::ZERO,
        };
        assert_eq!(verdict(&query, &connect()), again);
        assert_eq!(verdict(&query, &reset()), again);
        assert_eq!(verdict(&query, &response(502, None)), again);
        assert_eq!(verdict(&query, &response(504, None)), again);
        assert_eq!(
            verdict(&query, &response(503, Some("2"))),
            Verdict::Again {
                at_least: Duration::from_secs(2)
            }
        );
        assert_eq!(verdict(&query, &response(500, None)), Verdict::Done);
        assert_eq!(verdict(&query, &response(200, None)), Verdict::Done);
        assert_eq!(verdict(&query, &response(400, None)), Verdict::Done);
        // A mutation only when it never left.
        assert_eq!(verdict(&mutation, &connect()), again);
        assert_eq!(verdict(&mutation, &reset()), Verdict::Done);
        assert_eq!(verdict(&mutation, &response(503, None)), Verdict::Done);
        let open = Err(UpstreamError::CircuitOpen {
            upstream: "u".into(),
        });
        assert_eq!(verdict(&query, &open), Verdict::Done);
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_the_attempts_and_never_past_the_deadline() {
        let mut policy = RetryPolicy::new(
            &RetryConfig {
                min_per_second: 100,
                ..config()
            },
            "svc".into(),
        );
        let mut request = Request::query("{}", soon());
        policy.clone_request(&request);
        assert!(policy.retry(&mut request, &mut connect()).is_some());
        assert!(policy.retry(&mut request, &mut connect()).is_some());
        assert!(
            policy.retry(&mut request, &mut connect()).is_none(),
            "three tries in all"
        );

        let mut late = Request::query("{}", Instant::now() + Duration::from_secs(1));
        let huge = u64::MAX.to_string();
        assert!(
            policy
                .retry(&mut late, &mut response(503, Some(&huge)))
                .is_none()
        );
        assert!(
            policy
                .retry(&mut late, &mut response(503, Some("5")))
                .is_none()
        );
        assert!(
            policy
                .retry(&mut late, &mut response(503, Some("0")))
                .is_some()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn backoff_doubles_with_jitter_up_to_the_cap() {
        let policy = RetryPolicy::new(&config(), "svc".into());
        for (retry, full) in [(1, 10), (2, 20), (3, 40), (10, 1_000)] {
            let full = Duration::from_millis(full);
            for _ in 0..20 {
                let delay = policy.backoff(retry);
                assert!(delay >= full / 2 && delay <= full, "{retry}: {delay:?}");
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_budget_allows_a_fifth_of_the_calls() {
        let mut policy = RetryPolicy::new(&config(), "svc".into());
        let mut retried = 0;
        for _ in 0..100 {
            let mut request = Request::query("{}", soon());
            policy.clone_request(&request);
            if policy.retry(&mut request, &mut connect()).is_some() {
                retried += 1;
            }
        }
        assert!(
            (15..=21).contains(&retried),
            "{retried} retries for 100 calls"
        );
    }
}
