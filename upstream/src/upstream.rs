//! Building the stack for one service and calling it.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::channel::mpsc::{UnboundedSender, unbounded};
use http::HeaderValue;
use http::header::{ACCEPT, CONTENT_TYPE};
use tower::ServiceExt;
use tower::discover::Change;
use tower::load::{CompleteOnResponse, PeakEwma};
use tower::retry::Retry;

use crate::background::Background;
use crate::balance::{Balancer, EndpointService};
use crate::breaker::{Breaker, CircuitBreaker};
use crate::client::HttpClient;
use crate::config::TrafficPolicy;
use crate::deadline::Deadline;
use crate::dedup::Dedup;
use crate::endpoint::{Guarded, Pool};
use crate::error::{BuildError, UpstreamError};
use crate::health::{self, HttpProbe};
use crate::http::HttpEndpoint;
use crate::request::{Request, Response};
use crate::retry::RetryPolicy;
use crate::status::UpstreamStatus;

/// The peak-EWMA estimate an endpoint starts with, before any answer.
const DEFAULT_RTT: Duration = Duration::from_millis(5);
/// How fast the estimate forgets a peak.
const EWMA_DECAY: Duration = Duration::from_secs(10);

/// The layers, outermost first (see the crate's documentation).
type Stack = Dedup<Deadline<Retry<RetryPolicy, CircuitBreaker<Balancer>>>>;

/// What one change of the endpoint set did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EndpointChanges {
    pub(crate) added: usize,
    pub(crate) removed: usize,
}

/// A resilient client to one named service. Cheap to clone.
#[derive(Clone)]
pub struct Upstream {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    name: Arc<str>,
    stack: Stack,
    pub(crate) pool: Arc<Pool>,
    breaker: Option<Arc<Mutex<Breaker>>>,
    client: HttpClient,
    timeout: Duration,
    changes: UnboundedSender<Result<Change<Arc<str>, EndpointService>, std::convert::Infallible>>,
    endpoints: Mutex<HashSet<Arc<str>>>,
    /// Files the endpoints come from, watched while the upstream lives.
    pub(crate) watches: Mutex<Vec<crate::discovery::FileWatch>>,
    /// Its health checker and discovery, stopped with it.
    pub(crate) tasks: Mutex<Vec<Background>>,
}

impl Upstream {
    /// The HTTP client upstreams share: one keep-alive pool, JSON in and out.
    pub fn default_client() -> Result<reqwest::Client, reqwest::Error> {
        let mut headers = http::HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/graphql-response+json, application/json"),
        );
        reqwest::Client::builder()
            .default_headers(headers)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_keepalive(Duration::from_secs(60))
            .tcp_nodelay(true)
            .build()
    }

    /// [`Upstream::default_client`], one per calling thread (see
    /// [`HttpClient`]): for servers that run a single-threaded runtime per core.
    pub fn per_thread_client() -> Result<HttpClient, reqwest::Error> {
        HttpClient::per_thread(Upstream::default_client)
    }

    /// An upstream named `name` over `endpoints` (URLs), each try bounded
    /// by `timeout`, with `policy`'s retries, breaker, ejection and health
    /// checks (which need a tokio runtime to run on).
    pub fn new(
        name: &str,
        endpoints: &[String],
        timeout: Duration,
        policy: &TrafficPolicy,
        client: impl Into<HttpClient>,
    ) -> Result<Upstream, BuildError> {
        let upstream = Upstream::without_endpoints(name, timeout, policy, client.into())?;
        upstream.set_endpoints(endpoints)?;
        Ok(upstream)
    }

    /// The stack with no endpoint yet: its discovery gives them.
    pub(crate) fn without_endpoints(
        name: &str,
        timeout: Duration,
        policy: &TrafficPolicy,
        client: HttpClient,
    ) -> Result<Upstream, BuildError> {
        policy
            .check()
            .map_err(|message| BuildError::InvalidPolicy {
                upstream: name.to_owned(),
                message,
            })?;
        let name: Arc<str> = Arc::from(name);
        let checks = &policy.health_check;
        let pool = Arc::new(Pool::new(
            name.clone(),
            policy.outlier.clone(),
            checks.enabled,
        ));
        let (changes, discovered) = unbounded();
        let breaker = policy.breaker.enabled.then(|| {
            let breaker = Breaker::new(policy.breaker.clone()).reporting_as(name.clone());
            Arc::new(Mutex::new(breaker))
        });
        let balancer = Balancer::new(name.clone(), discovered);
        let stack = Dedup::new(
            Deadline::new(
                Retry::new(
                    RetryPolicy::new(&policy.retry, name.clone()),
                    CircuitBreaker::new(balancer, breaker.clone(), pool.clone()),
                ),
                name.clone(),
            ),
            name.clone(),
        );
        let upstream = Upstream {
            inner: Arc::new(Inner {
                name,
                stack,
                pool,
                breaker,
                client,
                timeout,
                changes,
                endpoints: Mutex::new(HashSet::new()),
                watches: Mutex::new(Vec::new()),
                tasks: Mutex::new(Vec::new()),
            }),
        };
        if checks.enabled {
            let probe = HttpProbe {
                client: upstream.inner.client.clone(),
                timeout: checks.timeout(),
            };
            let checker = health::run(Arc::downgrade(&upstream.inner), checks.clone(), probe);
            upstream.keep(Background::spawn(
                upstream.name(),
                "health checks",
                checker,
            )?);
        }
        Ok(upstream)
    }

    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Keeps `task` running while the upstream lives.
    pub(crate) fn keep(&self, task: Background) {
        self.inner
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(task);
    }

    /// Sends `request`, by its deadline.
    pub async fn call(&self, request: Request) -> Result<Response, UpstreamError> {
        self.inner.stack.clone().oneshot(request).await
    }

    /// Makes `urls` the endpoint set: new ones take traffic from the next
    /// call, removed ones take no more (calls in flight on them finish).
    /// An empty or invalid list changes nothing and is an error.
    pub fn set_endpoints(&self, urls: &[String]) -> Result<(), BuildError> {
        self.apply_endpoints(urls).map(drop)
    }

    /// `set_endpoints`, saying how many endpoints came and went.
    pub(crate) fn apply_endpoints(&self, urls: &[String]) -> Result<EndpointChanges, BuildError> {
        let upstream = || self.inner.name.to_string();
        if urls.is_empty() {
            return Err(BuildError::NoEndpoints {
                upstream: upstream(),
            });
        }
        let mut parsed = Vec::with_capacity(urls.len());
        for url in urls {
            let valid = reqwest::Url::parse(url)
                .map_err(|err| err.to_string())
                .and_then(|u| match u.scheme() {
                    "http" | "https" => Ok(u),
                    other => Err(format!("scheme {other} is not http or https")),
                });
            match valid {
                Ok(u) => parsed.push(u),
                Err(reason) => {
                    return Err(BuildError::InvalidUrl {
                        upstream: upstream(),
                        url: url.clone(),
                        reason,
                    });
                }
            }
        }
        let wanted: HashSet<Arc<str>> = parsed.iter().map(|u| Arc::from(u.as_str())).collect();
        let mut current = self
            .inner
            .endpoints
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut changes = EndpointChanges::default();
        for gone in current.difference(&wanted) {
            changes.removed += 1;
            self.inner.pool.remove(gone);
            let _ = self
                .inner
                .changes
                .unbounded_send(Ok(Change::Remove(gone.clone())));
        }
        for url in parsed {
            let key: Arc<str> = Arc::from(url.as_str());
            // Listed twice (or spelt two ways that parse alike): once.
            if !current.insert(key.clone()) {
                continue;
            }
            changes.added += 1;
            let state = self.inner.pool.add(key.clone());
            let http = HttpEndpoint::new(self.inner.client.clone(), url, self.inner.timeout);
            let service = Guarded::new(
                PeakEwma::new(
                    http,
                    DEFAULT_RTT,
                    EWMA_DECAY.as_nanos() as f64,
                    CompleteOnResponse::default(),
                ),
                state,
                self.inner.pool.clone(),
            );
            let _ = self
                .inner
                .changes
                .unbounded_send(Ok(Change::Insert(key, service)));
        }
        current.retain(|url| wanted.contains(url));
        Ok(changes)
    }

    /// Its breaker and endpoints as they are now.
    pub fn status(&self) -> UpstreamStatus {
        let now = tokio::time::Instant::now();
        UpstreamStatus {
            name: self.inner.name.to_string(),
            breaker: self
                .inner
                .breaker
                .as_ref()
                .map(|b| b.lock().unwrap_or_else(PoisonError::into_inner).state(now)),
            endpoints: self.inner.pool.statuses(),
        }
    }
}
