//! Replicas of a fake service on 127.0.0.1, each its own HTTP server that a
//! test can slow down, break, stall, or kill outright (every connection
//! cut at once, as when a process dies) and start again on the same port.
//! Each also answers `GET /health`, with a status the test sets.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio::time::Instant;
use upstream::{Request, TrafficPolicy, Upstream};

/// How a replica treats requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    Answer,
    /// Answers with this status.
    Status(u16),
    /// Reads the request and never answers.
    Stall,
    /// Reads the request, then closes the connection without an answer.
    Drop,
}

struct Behaviour {
    mode: Mode,
    delay: Duration,
}

pub struct Replica {
    pub addr: SocketAddr,
    /// Requests it read (health checks apart).
    hits: Arc<AtomicUsize>,
    /// What `GET /health` answers, and how often it was asked.
    health: Arc<AtomicU16>,
    health_checks: Arc<AtomicUsize>,
    behaviour: Arc<Mutex<Behaviour>>,
    tasks: Mutex<Option<Arc<Mutex<JoinSet<()>>>>>,
    index: usize,
}

impl Replica {
    pub async fn start(index: usize) -> Replica {
        let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
        Replica::start_at(any_port, index).await.expect("bind")
    }

    /// A replica at `addr`: any loopback address (all of 127.0.0.0/8 is),
    /// port 0 for any port.
    pub async fn start_at(addr: SocketAddr, index: usize) -> std::io::Result<Replica> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let replica = Replica {
            addr,
            hits: Arc::default(),
            health: Arc::new(AtomicU16::new(200)),
            health_checks: Arc::default(),
            behaviour: Arc::new(Mutex::new(Behaviour {
                mode: Mode::Answer,
                delay: Duration::ZERO,
            })),
            tasks: Mutex::new(None),
            index,
        };
        replica.serve(listener);
        Ok(replica)
    }

    pub fn url(&self) -> String {
        format!("http://{}/graphql", self.addr)
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// What `GET /health` answers from now on.
    pub fn set_health(&self, status: u16) {
        self.health.store(status, Ordering::SeqCst);
    }

    pub fn health_checks(&self) -> usize {
        self.health_checks.load(Ordering::SeqCst)
    }

    pub fn set_mode(&self, mode: Mode) {
        self.behaviour.lock().unwrap().mode = mode;
    }

    pub fn set_delay(&self, delay: Duration) {
        self.behaviour.lock().unwrap().delay = delay;
    }

    /// Stops listening and cuts every open connection, at once.
    pub fn kill(&self) {
        if let Some(tasks) = self.tasks.lock().unwrap().take() {
            tasks.lock().unwrap().abort_all();
        }
    }

    /// Listens again on the same port.
    pub async fn revive(&self) {
        let listener = TcpListener::bind(self.addr).await.expect("rebind");
        self.serve(listener);
    }

    fn serve(&self, listener: TcpListener) {
        let tasks = Arc::new(Mutex::new(JoinSet::new()));
        let (hits, behaviour, index) = (self.hits.clone(), self.behaviour.clone(), self.index);
        let (health, health_checks) = (self.health.clone(), self.health_checks.clone());
        let accepting = tasks.clone();
        tasks.lock().unwrap().spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (hits, behaviour) = (hits.clone(), behaviour.clone());
                let (health, health_checks) = (health.clone(), health_checks.clone());
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let (hits, behaviour) = (hits.clone(), behaviour.clone());
                    let (health, health_checks) = (health.clone(), health_checks.clone());
                    async move {
                        if request.method() == hyper::Method::GET
                            && request.uri().path() == "/health"
                        {
                            health_checks.fetch_add(1, Ordering::SeqCst);
                            return Ok(hyper::Response::builder()
                                .status(health.load(Ordering::SeqCst))
                                .body(Full::new(Bytes::from_static(b"ok")))
                                .expect("response"));
                        }
                        let _ = request.into_body().collect().await;
                        hits.fetch_add(1, Ordering::SeqCst);
                        let (mode, delay) = {
                            let b = behaviour.lock().unwrap();
                            (b.mode, b.delay)
                        };
                        tokio::time::sleep(delay).await;
                        let status = match mode {
                            Mode::Answer => 200,
                            Mode::Status(status) => status,
                            Mode::Stall => {
                                std::future::pending::<()>().await;
                                unreachable!()
                            }
                            Mode::Drop => return Err("dropping the connection"),
                        };
                        let body = format!("{{\"data\":{{\"replica\":{index}}}}}");
                        Ok(hyper::Response::builder()
                            .status(status)
                            .header("content-type", "application/json")
                            .body(Full::new(Bytes::from(body)))
                            .expect("response"))
                    }
                });
                accepting.lock().unwrap().spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        *self.tasks.lock().unwrap() = Some(tasks);
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}

pub async fn replicas(n: usize) -> Vec<Arc<Replica>> {
    let mut all = Vec::with_capacity(n);
    for i in 0..n {
        all.push(Arc::new(Replica::start(i).await));
    }
    all
}

pub fn urls(replicas: &[Arc<Replica>]) -> Vec<String> {
    replicas.iter().map(|r| r.url()).collect()
}

pub fn upstream(urls: &[String], timeout: Duration, policy: &TrafficPolicy) -> Upstream {
    named_upstream("svc", urls, timeout, policy)
}

/// [`upstream`] under a name of its own, so its metrics are its own.
pub fn named_upstream(
    name: &str,
    urls: &[String],
    timeout: Duration,
    policy: &TrafficPolicy,
) -> Upstream {
    metrics();
    let client = Upstream::default_client().expect("client");
    Upstream::new(name, urls, timeout, policy, client).expect("upstream")
}

/// The process's Prometheus exposition, with the upstream metrics described.
pub fn metrics() -> String {
    let handle = telemetry::metrics::handle();
    static DESCRIBED: std::sync::Once = std::sync::Once::new();
    DESCRIBED.call_once(upstream::metrics::describe);
    handle.render()
}

/// The value of `name`'s sample whose labels include all of `labels`.
pub fn metric(name: &str, labels: &[&str]) -> Option<f64> {
    metrics()
        .lines()
        .filter(|line| line.starts_with(&format!("{name}{{")))
        .find(|line| labels.iter().all(|label| line.contains(label)))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

pub fn query(n: usize) -> Request {
    // Distinct bodies: no two calls are shared by dedup.
    Request::query(
        format!("{{\"query\":\"{{ q{n} }}\"}}"),
        Instant::now() + Duration::from_secs(10),
    )
}

/// Which replica answered, or why none did.
pub type Outcome = Result<u64, String>;

pub async fn outcome(upstream: &Upstream, request: Request) -> Outcome {
    let response = upstream.call(request).await.map_err(|e| e.to_string())?;
    if response.status != 200 {
        return Err(format!("HTTP {}", response.status));
    }
    let body: serde_json::Value =
        serde_json::from_slice(&response.body).map_err(|e| e.to_string())?;
    body["data"]["replica"]
        .as_u64()
        .ok_or_else(|| format!("no replica in {body}"))
}

/// Runs `total` queries, `concurrency` at a time; `during(done)` is called
/// after each one finishes (to kill a replica mid-run, say).
pub async fn load(
    upstream: &Upstream,
    total: usize,
    concurrency: usize,
    during: impl Fn(usize) + Send + Sync + 'static,
) -> Vec<Outcome> {
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let during = Arc::new(during);
    let mut workers = JoinSet::new();
    for _ in 0..concurrency {
        let (upstream, next, done, during) =
            (upstream.clone(), next.clone(), done.clone(), during.clone());
        workers.spawn(async move {
            let mut outcomes = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= total {
                    return outcomes;
                }
                outcomes.push(outcome(&upstream, query(n)).await);
                during(done.fetch_add(1, Ordering::SeqCst) + 1);
            }
        });
    }
    let mut all = Vec::with_capacity(total);
    while let Some(outcomes) = workers.join_next().await {
        all.extend(outcomes.expect("worker"));
    }
    all
}

/// Calls `upstream` from `workers` tasks, a little apart, until `stop`
/// (or 20 000 calls in all).
pub fn keep_calling(
    upstream: &Upstream,
    workers: usize,
    stop: &Arc<AtomicBool>,
) -> tokio::task::JoinHandle<Vec<Outcome>> {
    let (upstream, stop) = (upstream.clone(), stop.clone());
    tokio::spawn(async move {
        let calls = (0..workers).map(|worker| {
            let (upstream, stop) = (upstream.clone(), stop.clone());
            async move {
                let mut outcomes = Vec::new();
                for n in 0..20_000 / workers {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    outcomes.push(outcome(&upstream, query(worker * 100_000 + n)).await);
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                outcomes
            }
        });
        futures::future::join_all(calls)
            .await
            .into_iter()
            .flatten()
            .collect()
    })
}

pub async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(10), "never: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
