//! The caller's deadline bounds the whole call, retries and backoff
//! included: past it the call ends with `DeadlineExceeded`.

use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use tokio::time::Instant;
use tower::Service;

use crate::error::UpstreamError;
use crate::request::{Request, Response};

#[derive(Clone)]
pub(crate) struct Deadline<S> {
    inner: S,
    upstream: Arc<str>,
}

impl<S> Deadline<S> {
    pub(crate) fn new(inner: S, upstream: Arc<str>) -> Self {
        Deadline { inner, upstream }
    }
}

impl<S> Service<Request> for Deadline<S>
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
        let upstream = self.upstream.clone();
        let deadline = request.deadline;
        if deadline <= Instant::now() {
            return Box::pin(async move { Err(UpstreamError::DeadlineExceeded { upstream }) });
        }
        let call = self.inner.call(request);
        Box::pin(async move {
            tokio::time::timeout_at(deadline, call)
                .await
                .unwrap_or(Err(UpstreamError::DeadlineExceeded { upstream }))
        })
    }
}
