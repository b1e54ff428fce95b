//! The HTTP client an upstream calls through: one shared pool, or one pool
//! per calling thread.
//!
//! A pooled connection's task runs on the runtime that opened it, and every
//! answer on it wakes its caller from there. A server that runs one
//! single-threaded runtime per core (the router) and shared one pool would
//! hand most answers across threads: a futex wake and a context switch per
//! fetch, which at low concurrency is a large part of the wall time. With a
//! pool per thread, a fetch opened on a thread is answered on it.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

/// Builds one thread's client.
type Make = dyn Fn() -> reqwest::Result<reqwest::Client> + Send + Sync;

/// What an upstream sends its requests with. Cheap to clone.
#[derive(Clone)]
pub enum HttpClient {
    /// One pool for every thread (callers on a multi-threaded runtime).
    Shared(reqwest::Client),
    /// A pool per calling thread, built on the thread's first call.
    PerThread(PerThread),
}

impl From<reqwest::Client> for HttpClient {
    fn from(client: reqwest::Client) -> Self {
        HttpClient::Shared(client)
    }
}

impl HttpClient {
    /// A client per calling thread, each made by `make`. It is called once
    /// here, so a builder that cannot build fails now, not on a request.
    pub fn per_thread(
        make: impl Fn() -> reqwest::Result<reqwest::Client> + Send + Sync + 'static,
    ) -> reqwest::Result<Self> {
        let fallback = make()?;
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Ok(HttpClient::PerThread(PerThread {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            live: Arc::new(()),
            make: Arc::new(make),
            fallback,
        }))
    }

    /// `f` with the client for a call made on this thread (a request
    /// builder takes its own copy; none is made here).
    pub fn with<R>(&self, f: impl FnOnce(&reqwest::Client) -> R) -> R {
        match self {
            HttpClient::Shared(client) => f(client),
            HttpClient::PerThread(per_thread) => per_thread.with(f),
        }
    }
}

#[derive(Clone)]
pub struct PerThread {
    id: u64,
    /// Its threads' clients go once every copy of it has.
    live: Arc<()>,
    make: Arc<Make>,
    /// Used where a thread's own client cannot be built (it built once).
    fallback: reqwest::Client,
}

/// A thread's clients: the owner's id, whether the owner lives, the client.
type ThreadClients = Vec<(u64, Weak<()>, reqwest::Client)>;

thread_local! {
    static CLIENTS: RefCell<ThreadClients> = const { RefCell::new(Vec::new()) };
}

impl PerThread {
    fn with<R>(&self, f: impl FnOnce(&reqwest::Client) -> R) -> R {
        CLIENTS.with_borrow_mut(|clients| {
            let at = match clients.iter().position(|(id, ..)| *id == self.id) {
                Some(at) => at,
                None => {
                    // Clients of upstreams that are gone (replaced by a
                    // reload) leave with the next one a thread makes.
                    clients.retain(|(_, live, _)| live.strong_count() > 0);
                    let client = (self.make)().unwrap_or_else(|_| self.fallback.clone());
                    clients.push((self.id, Arc::downgrade(&self.live), client));
                    clients.len() - 1
                }
            };
            f(&clients[at].2)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counting() -> (Arc<AtomicU64>, HttpClient) {
        let made = Arc::new(AtomicU64::new(0));
        let counter = made.clone();
        let client = HttpClient::per_thread(move || {
            counter.fetch_add(1, Ordering::Relaxed);
            reqwest::Client::builder().build()
        })
        .expect("builds");
        (made, client)
    }

    #[test]
    fn each_thread_builds_its_own_client_once() {
        let (made, client) = counting();
        assert_eq!(made.load(Ordering::Relaxed), 1, "checked at construction");
        client.with(|_| ());
        client.with(|_| ());
        assert_eq!(made.load(Ordering::Relaxed), 2, "this thread's, once");
        std::thread::scope(|scope| {
            scope.spawn(|| {
                client.with(|_| ());
                client.with(|_| ());
            });
        });
        assert_eq!(made.load(Ordering::Relaxed), 3, "the other thread's, once");
    }

    #[test]
    fn a_dropped_upstreams_clients_leave_with_the_next_one_made() {
        let (_, first) = counting();
        first.with(|_| ());
        let live = |id| CLIENTS.with_borrow(|c| c.iter().any(|(i, ..)| *i == id));
        let HttpClient::PerThread(PerThread { id: first_id, .. }) = first else {
            unreachable!()
        };
        assert!(live(first_id));
        drop(first);
        let (_, second) = counting();
        second.with(|_| ());
        assert!(!live(first_id), "pruned when the thread made another");
    }
}
