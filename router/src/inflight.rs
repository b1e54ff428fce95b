//! Identical requests in flight at the same moment share one execution and
//! its response bytes: a burst of clients asking the same thing costs one
//! plan walk, one set of subgraph fetches and one response written.
//!
//! Identical means everything that can change the answer: the operation
//! (normalized text and name), its coerced variables, the progressive
//! override labels drawn, what authorization denied, the identity the
//! subgraphs are told and every client header a header rule forwards, and
//! whether the cost report or the plan extension was asked for. Queries
//! share by default, mutations only when configured (`[request_dedup]`).
//!
//! The first request of a key leads: it runs, then hands its finished
//! response to the others. If it goes away first (its client hung up), the
//! others run on their own; none waits past its own deadline.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use bytes::Bytes;
use serde::Deserialize;
use tokio::sync::watch;

use crate::engine::ResponseStatus;

/// `[request_dedup]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RequestDedupConfig {
    pub queries: bool,
    /// Only for mutations that are idempotent by their arguments.
    pub mutations: bool,
}

impl Default for RequestDedupConfig {
    fn default() -> Self {
        RequestDedupConfig {
            queries: true,
            mutations: false,
        }
    }
}

/// What makes two requests the same.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestKey {
    pub operation: std::sync::Arc<str>,
    pub operation_name: Option<apollo_compiler::Name>,
    /// The coerced variables as JSON text.
    pub variables: String,
    pub labels: crate::supergraph::ActiveLabels,
    pub denied: Option<std::sync::Arc<[u32]>>,
    pub identity: Option<http::HeaderValue>,
    /// The values of the headers the rules forward, in the rules' order.
    pub headers: Vec<Option<http::HeaderValue>>,
    pub cost_report: bool,
    /// Whether `extensions.queryPlan` was asked for (and is exposed).
    pub query_plan: bool,
}

/// A finished response: its status and its bytes.
pub type Finished = (ResponseStatus, Bytes);

type Slot = watch::Receiver<Option<Finished>>;

#[derive(Default)]
pub struct InFlight {
    calls: Mutex<HashMap<RequestKey, (u64, Slot)>>,
    next: AtomicU64,
}

pub enum Joined<'a> {
    /// Run, then `Lead::finish`.
    Lead(Lead<'a>),
    /// Wait for the leader (`wait`).
    Follow(Slot),
}

/// The leading request of a key; its drop takes the key out of the table.
pub struct Lead<'a> {
    inflight: &'a InFlight,
    key: Option<RequestKey>,
    id: u64,
    sender: watch::Sender<Option<Finished>>,
}

impl InFlight {
    pub fn join(&self, key: RequestKey) -> Joined<'_> {
        let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, slot)) = calls.get(&key) {
            return Joined::Follow(slot.clone());
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (sender, slot) = watch::channel(None);
        calls.insert(key.clone(), (id, slot));
        Joined::Lead(Lead {
            inflight: self,
            key: Some(key),
            id,
            sender,
        })
    }

    /// The leader's response; `None` when the leader went away without one
    /// or `deadline` came first (the caller then runs the request itself).
    pub async fn wait(mut slot: Slot, deadline: tokio::time::Instant) -> Option<Finished> {
        tokio::time::timeout_at(deadline, slot.wait_for(Option::is_some))
            .await
            .ok()?
            .ok()?
            .clone()
    }
}

impl Lead<'_> {
    /// Whether any request waits on this one.
    pub fn has_followers(&self) -> bool {
        // The table's own receiver is one of them while the key is in it.
        let table = usize::from(self.key.is_some());
        self.sender.receiver_count() > table
    }

    /// Hands the response to every request waiting on this one.
    pub fn finish(mut self, finished: Finished) {
        self.leave();
        // Nobody may be waiting: that is fine.
        let _ = self.sender.send(Some(finished));
    }

    fn leave(&mut self) {
        let Some(key) = self.key.take() else { return };
        let mut calls = self
            .inflight
            .calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if calls.get(&key).is_some_and(|(id, _)| *id == self.id) {
            calls.remove(&key);
        }
    }
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        self.leave();
    }
}
