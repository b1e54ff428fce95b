//! Identical idempotent requests in flight at the same moment (common when
//! many clients ask for the same thing) share one call. The call runs in
//! a task of its own, so it completes, and leaves the table, even when
//! every caller waiting on it has gone; each caller waits no longer than
//! its own deadline.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use http::HeaderMap;
use tower::{Service, ServiceExt};

use crate::error::UpstreamError;
use crate::request::{Request, Response};

type SharedCall = Shared<BoxFuture<'static, Result<Response, UpstreamError>>>;

struct InFlight {
    id: u64,
    /// Requests share a call only with equal headers too.
    headers: HeaderMap,
    call: SharedCall,
}

#[derive(Default)]
struct Table {
    calls: Mutex<HashMap<Bytes, InFlight, foldhash::fast::RandomState>>,
    next_id: AtomicU64,
}

#[derive(Clone)]
pub(crate) struct Dedup<S> {
    inner: S,
    table: Arc<Table>,
    upstream: Arc<str>,
}

impl<S> Dedup<S> {
    pub(crate) fn new(inner: S, upstream: Arc<str>) -> Self {
        Dedup {
            inner,
            table: Arc::default(),
            upstream,
        }
    }
}

impl<S> Service<Request> for Dedup<S>
where
    S: Service<Request, Response = Response, Error = UpstreamError> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = UpstreamError;
    type Future = BoxFuture<'static, Result<Response, UpstreamError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), UpstreamError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if !request.dedup {
            return Box::pin(self.inner.call(request));
        }
        let deadline = request.deadline;
        let upstream = self.upstream.clone();
        let call = {
            let mut calls = self
                .table
                .calls
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match calls.get(&request.body) {
                Some(existing) if existing.headers == request.headers => existing.call.clone(),
                _ => {
                    let id = self.table.next_id.fetch_add(1, Ordering::Relaxed);
                    let key = request.body.clone();
                    let headers = request.headers.clone();
                    let table = self.table.clone();
                    let inner = self.inner.clone();
                    let task_key = key.clone();
                    let task = tokio::spawn(async move {
                        let result = inner.oneshot(request).await;
                        let mut calls = table.calls.lock().unwrap_or_else(PoisonError::into_inner);
                        if calls.get(&task_key).is_some_and(|c| c.id == id) {
                            calls.remove(&task_key);
                        }
                        result
                    });
                    let task_upstream = upstream.clone();
                    let call = async move {
                        task.await.unwrap_or_else(|err| {
                            Err(UpstreamError::Transport {
                                endpoint: task_upstream,
                                reason: format!("the request task failed: {err}"),
                            })
                        })
                    }
                    .boxed()
                    .shared();
                    calls.insert(
                        key,
                        InFlight {
                            id,
                            headers,
                            call: call.clone(),
                        },
                    );
                    call
                }
            }
        };
        Box::pin(async move {
            tokio::time::timeout_at(deadline, call)
                .await
                .unwrap_or(Err(UpstreamError::DeadlineExceeded { upstream }))
        })
    }
}
