//! Serving on one single-threaded runtime per core.
//!
//! Each worker thread runs its own current-thread tokio runtime and accepts
//! on its own listener; the listeners share one address (`SO_REUSEPORT`),
//! so the kernel spreads connections across them. A request is then read,
//! planned, fetched (through the worker's own subgraph connections: see
//! `upstream::HttpClient`) and answered on one thread. On a work-stealing
//! runtime the same request wakes tasks across threads at every fetch, and
//! those wake-ups were a fifth of the router's CPU with one client. The
//! engine, caches and upstream state are shared by all workers; the reload
//! watchers, health checks and the admin listener stay on the main runtime.

use std::net::SocketAddr;
use std::thread::JoinHandle;

use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;

use crate::reload::EngineHandle;
use crate::server::{RequestLimit, routes, serve_routes};

/// Connections a listener queues before they are accepted.
const BACKLOG: u32 = 1024;

/// The worker threads serving one address.
pub struct Workers {
    addr: SocketAddr,
    threads: Vec<JoinHandle<std::io::Result<()>>>,
    stop: watch::Sender<bool>,
}

/// How many workers `configured` asks for: itself, or one per core for 0.
pub fn count(configured: usize) -> usize {
    match configured {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    }
}

impl Workers {
    /// Binds `n` listeners at `addr` (a port 0 is chosen once, then shared)
    /// and starts a worker on each. Must be called within a runtime (the
    /// listeners are bound on it, then handed to their threads).
    pub fn start(addr: SocketAddr, n: usize, engine: EngineHandle) -> std::io::Result<Workers> {
        // Without SO_REUSEPORT a second listener cannot share the address.
        let n = if cfg!(unix) { n.max(1) } else { 1 };
        let first = bind(addr)?;
        let addr = first.local_addr()?;
        let mut listeners = vec![first];
        for _ in 1..n {
            listeners.push(bind(addr)?);
        }
        // One load-shedding count for the whole server, not one per thread.
        let limit = RequestLimit::of(engine.current().config());
        let (stop, stopped) = watch::channel(false);
        let mut threads = Vec::with_capacity(listeners.len());
        for (i, listener) in listeners.into_iter().enumerate() {
            let listener = listener.into_std()?;
            let (engine, limit, mut stopped) = (engine.clone(), limit.clone(), stopped.clone());
            let thread = std::thread::Builder::new()
                .name(format!("router-worker-{i}"))
                .spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?;
                    runtime.block_on(async move {
                        let listener = TcpListener::from_std(listener)?;
                        let shutdown = async move {
                            let _ = stopped.wait_for(|stop| *stop).await;
                        };
                        serve_routes(listener, routes(engine, &limit), shutdown).await
                    })
                })?;
            threads.push(thread);
        }
        Ok(Workers {
            addr,
            threads,
            stop,
        })
    }

    /// The address the workers listen on (its port chosen if 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets in-flight requests finish, and waits for every
    /// worker; the first worker's error, if any.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let _ = self.stop.send(true);
        let threads = self.threads;
        let joined = tokio::task::spawn_blocking(move || {
            let mut outcome = Ok(());
            for thread in threads {
                let result = thread
                    .join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("a worker thread panicked")));
                if outcome.is_ok() {
                    outcome = result;
                }
            }
            outcome
        })
        .await;
        joined.unwrap_or_else(|err| Err(std::io::Error::other(err)))
    }
}

/// A listener at `addr` that others may share (`SO_REUSEPORT`).
fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    #[cfg(unix)]
    socket.set_reuseport(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;
    use crate::config::RouterConfig;
    use crate::engine::Engine;
    use crate::request::RequestContext;
    use crate::transport::{
        RawResponse, SubgraphEndpoint, SubgraphRequest, Transport, TransportError,
    };

    /// Answers every fetch after `delay`, noting the thread it ran on.
    #[derive(Default)]
    struct ThreadNoting {
        delay: Duration,
        threads: Mutex<HashSet<String>>,
    }

    #[async_trait::async_trait]
    impl Transport for ThreadNoting {
        async fn fetch(
            &self,
            _: &SubgraphEndpoint,
            _: SubgraphRequest,
            _: &RequestContext,
        ) -> Result<RawResponse, TransportError> {
            let name = std::thread::current().name().unwrap_or("").to_owned();
            self.threads.lock().unwrap().insert(name);
            tokio::time::sleep(self.delay).await;
            Ok(RawResponse::ok(bytes::Bytes::from_static(
                b"{\"data\":{\"lowStock\":[]}}",
            )))
        }
    }

    /// `n` workers over `transport`, and a client that opens a connection
    /// per request (so the kernel spreads them over the listeners).
    fn start(
        n: usize,
        config: &RouterConfig,
        transport: Arc<ThreadNoting>,
    ) -> (Workers, reqwest::Client) {
        let sdl = crate::api_schema::tests::supergraph_sdl();
        let engine = EngineHandle::new(Engine::new(&sdl, config, transport).unwrap());
        let workers = Workers::start("127.0.0.1:0".parse().unwrap(), n, engine).unwrap();
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        (workers, client)
    }

    async fn post(client: &reqwest::Client, workers: &Workers) -> u16 {
        client
            .post(format!("http://{}/graphql", workers.local_addr()))
            .header("content-type", "application/json")
            .body(r#"{"query": "{ lowStock { id } }"}"#)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    }

    #[tokio::test]
    async fn each_request_runs_on_the_worker_that_accepted_it_and_both_workers_serve() {
        let transport = Arc::new(ThreadNoting::default());
        // Every request runs its own fetch: none shares another's.
        let mut config = RouterConfig::default();
        config.request_dedup.queries = false;
        config.dedup_queries = false;
        let (workers, client) = start(2, &config, transport.clone());
        let statuses = futures::future::join_all((0..32).map(|_| post(&client, &workers))).await;
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
        let threads = transport.threads.lock().unwrap().clone();
        assert!(
            threads.iter().all(|t| t.starts_with("router-worker-")),
            "fetches run on the workers, not the test's runtime: {threads:?}"
        );
        // 32 connections all hashed to one listener: 1 in 2^31.
        assert_eq!(threads.len(), 2, "{threads:?}");
        workers.shutdown().await.unwrap();
    }

    #[tokio::test]
    async fn max_concurrent_requests_counts_every_worker_together() {
        let config = RouterConfig {
            max_concurrent_requests: 2,
            ..RouterConfig::default()
        };
        let transport = Arc::new(ThreadNoting {
            delay: Duration::from_millis(800),
            ..Default::default()
        });
        let (workers, client) = start(2, &config, transport.clone());
        let statuses = futures::future::join_all((0..16).map(|_| post(&client, &workers))).await;
        let served = statuses.iter().filter(|s| **s == 200).count();
        let shed = statuses.iter().filter(|s| **s == 503).count();
        assert_eq!((served, shed), (2, 14), "{statuses:?}");
        workers.shutdown().await.unwrap();
    }

    #[tokio::test]
    async fn shutdown_lets_a_request_in_flight_finish() {
        let transport = Arc::new(ThreadNoting {
            delay: Duration::from_millis(300),
            ..Default::default()
        });
        let (workers, client) = start(2, &RouterConfig::default(), transport);
        let addr = workers.local_addr();
        let request = tokio::spawn(async move {
            client
                .post(format!("http://{addr}/graphql"))
                .header("content-type", "application/json")
                .body(r#"{"query": "{ lowStock { id } }"}"#)
                .send()
                .await
                .map(|r| r.status().as_u16())
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        workers.shutdown().await.unwrap();
        assert_eq!(request.await.unwrap().unwrap(), 200);
        assert!(
            std::net::TcpStream::connect(addr).is_err(),
            "nothing listens after shutdown"
        );
    }
}
