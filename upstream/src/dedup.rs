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
    /// Requests share a call only with equal headers too...
    headers: HeaderMap,
    /// ...and only if it runs about as long as they may wait (see `joins`).
    deadline: tokio::time::Instant,
    call: SharedCall,
}

/// Takes a finished (or failed, or aborted) call out of the table.
struct Leave {
    table: Arc<Table>,
    key: Bytes,
    id: u64,
}

impl Drop for Leave {
    fn drop(&mut self) {
        let mut calls = self
            .table
            .calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if calls.get(&self.key).is_some_and(|c| c.id == self.id) {
            calls.remove(&self.key);
        }
    }
}

#[derive(Default)]
struct Table {
    calls: Mutex<HashMap<Bytes, InFlight, foldhash::fast::RandomState>>,
    next_id: AtomicU64,
}

/// A caller joins a call in flight when that call's deadline leaves it at
/// least nine tenths of its own time: callers arriving together (the
/// common case) share; one with much more time left starts its own call
/// rather than fail at another's deadline.
fn joins(leader: tokio::time::Instant, own: tokio::time::Instant) -> bool {
    let now = tokio::time::Instant::now();
    let own_left = own.saturating_duration_since(now);
    leader.saturating_duration_since(now) >= own_left.mul_f64(0.9)
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
        if !(request.dedup && request.idempotent) {
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
                Some(existing)
                    if existing.headers == request.headers
                        && joins(existing.deadline, deadline) =>
                {
                    existing.call.clone()
                }
                _ => {
                    let id = self.table.next_id.fetch_add(1, Ordering::Relaxed);
                    let key = request.body.clone();
                    let headers = request.headers.clone();
                    let table = self.table.clone();
                    let inner = self.inner.clone();
                    let task_key = key.clone();
                    let leave = Leave {
                        table,
                        key: task_key,
                        id,
                    };
                    let task = tokio::spawn(async move {
                        let _leave = leave;
                        inner.oneshot(request).await
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
                            deadline,
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
