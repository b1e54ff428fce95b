//! Power of two choices over the discovered endpoints (tower's `Balance`
//! over `PeakEwma`, the Finagle/Linkerd method): each call compares two
//! random ready endpoints by cost (latency x outstanding, a recent failure
//! first) and takes the cheaper.
//!
//! tower's `Balance` is one `&mut` service; the stack above it is shared
//! by every caller, so it sits behind a mutex held only while choosing
//! (never across a wait). A call that finds no endpoint ready fails at
//! once with `NoEndpoint` instead of queueing: endpoints are only unready
//! while ejected, and waiting would hide an outage from the breaker.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use futures::channel::mpsc::UnboundedReceiver;
use futures::future::BoxFuture;
use tower::Service;
use tower::balance::p2c::Balance;
use tower::discover::Change;
use tower::load::{CompleteOnResponse, PeakEwma};

use crate::endpoint::Guarded;
use crate::error::UpstreamError;
use crate::http::HttpEndpoint;
use crate::request::{Request, Response};

pub(crate) type EndpointService = Guarded<PeakEwma<HttpEndpoint, CompleteOnResponse>>;
/// What discovery sends the balancer: endpoints by URL.
pub(crate) type Changes = UnboundedReceiver<Result<Change<Arc<str>, EndpointService>, Infallible>>;

#[derive(Clone)]
pub(crate) struct Balancer {
    upstream: Arc<str>,
    inner: Arc<Mutex<Balance<Changes, Request>>>,
}

impl Balancer {
    pub(crate) fn new(upstream: Arc<str>, changes: Changes) -> Self {
        Balancer {
            upstream,
            inner: Arc::new(Mutex::new(Balance::new(changes))),
        }
    }

    /// Picks an endpoint and starts the call on it.
    fn start(
        &self,
        request: &mut Option<Request>,
        cx: &mut Context<'_>,
    ) -> Result<BoxFuture<'static, Result<Response, UpstreamError>>, UpstreamError> {
        let no_endpoint = || UpstreamError::NoEndpoint {
            upstream: self.upstream.clone(),
        };
        let mut balance = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        // Twice: a service woken while being polled can look pending once.
        for _ in 0..2 {
            if let Poll::Ready(Ok(())) = balance.poll_ready(cx) {
                let request = request.take().ok_or_else(no_endpoint)?;
                let call = balance.call(request);
                return Ok(Box::pin(
                    async move { call.await.map_err(into_upstream_error) },
                ));
            }
        }
        Err(no_endpoint())
    }
}

/// Endpoint services only fail with `UpstreamError`; the balancer boxes it.
fn into_upstream_error(err: tower::BoxError) -> UpstreamError {
    match err.downcast::<UpstreamError>() {
        Ok(err) => *err,
        Err(other) => UpstreamError::Transport {
            endpoint: "balancer".into(),
            reason: other.to_string(),
        },
    }
}

impl Service<Request> for Balancer {
    type Response = Response;
    type Error = UpstreamError;
    type Future = BoxFuture<'static, Result<Response, UpstreamError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), UpstreamError>> {
        // Readiness is decided per call, under the lock (see the module).
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let balancer = self.clone();
        let mut request = Some(request);
        Box::pin(async move {
            let call =
                std::future::poll_fn(|cx| Poll::Ready(balancer.start(&mut request, cx))).await?;
            call.await
        })
    }
}
