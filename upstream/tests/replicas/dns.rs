//! DNS discovery against an in-process DNS server (`upstream::testing`)
//! whose records the tests change: the upstream follows adds and removes
//! under load without a failed call, drains removed replicas, and keeps
//! its last good endpoints while the name server fails.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use upstream::testing::{DnsMode, FakeDns};
use upstream::{BuildError, Discovery, DnsDiscovery, TrafficPolicy, Upstream};

use crate::support::{Replica, eventually, keep_calling, load, outcome, query, replicas};

const SRV: &str = "_graphql._tcp.svc.test";
const HOST: &str = "replicas.test";

async fn over_dns(dns: DnsDiscovery) -> Result<Upstream, BuildError> {
    let client = Upstream::default_client().unwrap();
    Upstream::discover(
        "svc",
        &Discovery::Dns(dns),
        Duration::from_secs(5),
        &TrafficPolicy::default(),
        client,
    )
    .await
}

fn quick(dns: DnsDiscovery, server: &FakeDns) -> DnsDiscovery {
    DnsDiscovery {
        interval_ms: 100,
        nameserver: Some(server.addr()),
        ..dns
    }
}

/// The SRV records naming `replicas` (all on 127.0.0.1, told apart by port).
fn point_at(server: &FakeDns, replicas: &[&Arc<Replica>]) {
    let targets: Vec<(&str, u16)> = replicas.iter().map(|r| (HOST, r.addr.port())).collect();
    server.set_srv(SRV, &targets);
}

fn endpoint_urls(upstream: &Upstream) -> Vec<String> {
    let mut urls: Vec<String> = upstream
        .status()
        .endpoints
        .into_iter()
        .map(|e| e.url)
        .collect();
    urls.sort();
    urls
}

fn sorted_urls(replicas: &[&Arc<Replica>]) -> Vec<String> {
    let mut urls: Vec<String> = replicas.iter().map(|r| r.url()).collect();
    urls.sort();
    urls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_follow_srv_records_under_load_without_a_failed_call() {
    let replicas = replicas(3).await;
    let [a, b, c] = [&replicas[0], &replicas[1], &replicas[2]];
    let server = FakeDns::start().await;
    server.set_addresses(HOST, &[IpAddr::V4(Ipv4Addr::LOCALHOST)]);
    point_at(&server, &[a]);
    let upstream = over_dns(quick(DnsDiscovery::srv(SRV), &server))
        .await
        .unwrap();
    assert_eq!(endpoint_urls(&upstream), sorted_urls(&[a]));

    let stop = Arc::new(AtomicBool::new(false));
    let running = keep_calling(&upstream, 8, &stop);
    eventually("a takes traffic", || a.hits() > 50).await;
    point_at(&server, &[a, b, c]);
    eventually("three endpoints", || endpoint_urls(&upstream).len() == 3).await;
    eventually("the added ones take traffic", || {
        b.hits() > 0 && c.hits() > 0
    })
    .await;

    // Removed while calls are in flight on it: they finish.
    a.set_delay(Duration::from_millis(100));
    let outstanding = |upstream: &Upstream| {
        let status = upstream.status();
        let on_a = status.endpoints.iter().find(|e| e.url == a.url());
        on_a.map_or(0, |e| e.outstanding)
    };
    eventually("calls in flight on a", || outstanding(&upstream) > 0).await;
    point_at(&server, &[c]);
    eventually("one endpoint", || {
        endpoint_urls(&upstream) == sorted_urls(&[c])
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::SeqCst);
    let outcomes = running.await.unwrap();
    let failed: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    assert_eq!(failed, Vec::<&String>::new());

    let before = a.hits() + b.hits();
    let after = load(&upstream, 200, 4, |_| {}).await;
    assert!(after.iter().all(|o| o == &Ok(2)), "{after:?}");
    assert_eq!(a.hits() + b.hits(), before, "removed ones get nothing");
}

/// Two replicas on one port, at 127.0.0.1 and 127.0.0.2, as two pods
/// behind one name.
async fn two_addresses() -> (Arc<Replica>, Arc<Replica>) {
    for _ in 0..20 {
        let first = Replica::start(0).await;
        let second = SocketAddr::from(([127, 0, 0, 2], first.addr.port()));
        if let Ok(second) = Replica::start_at(second, 1).await {
            return (Arc::new(first), Arc::new(second));
        }
    }
    panic!("no port free on both 127.0.0.1 and 127.0.0.2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_name_server_keeps_the_last_good_endpoints() {
    let (a, b) = two_addresses().await;
    let port = a.addr.port();
    let server = FakeDns::start().await;
    let ip = |replica: &Replica| replica.addr.ip();
    server.set_addresses("svc.test", &[ip(&a)]);
    let dns = quick(DnsDiscovery::addresses("svc.test", port), &server);
    let upstream = over_dns(dns.clone()).await.unwrap();
    assert_eq!(endpoint_urls(&upstream), sorted_urls(&[&a]));
    server.set_addresses("svc.test", &[ip(&a), ip(&b)]);
    eventually("two endpoints", || endpoint_urls(&upstream).len() == 2).await;

    // Each way of failing, for a few rounds: nothing changes, calls go on.
    let failures: [(&str, &dyn Fn()); 4] = [
        ("NXDOMAIN", &|| server.set_mode(DnsMode::NxDomain)),
        ("no records", &|| {
            server.set_mode(DnsMode::Answer);
            server.set_addresses("svc.test", &[]);
        }),
        ("name gone", &|| server.remove("svc.test")),
        ("no answer", &|| server.set_mode(DnsMode::Silent)),
    ];
    for (how, fail) in failures {
        fail();
        let asked = server.queries();
        eventually(how, || server.queries() >= asked + 6).await;
        assert_eq!(endpoint_urls(&upstream), sorted_urls(&[&a, &b]), "{how}");
        let outcomes = load(&upstream, 100, 4, |_| {}).await;
        assert!(outcomes.iter().all(Result::is_ok), "{how}: {outcomes:?}");
    }

    // Answering again, it is followed again.
    server.set_mode(DnsMode::Answer);
    server.set_addresses("svc.test", &[ip(&b)]);
    eventually("back to one", || {
        endpoint_urls(&upstream) == sorted_urls(&[&b])
    })
    .await;
    assert_eq!(outcome(&upstream, query(0)).await, Ok(1));

    // Once the upstream is gone, so are its lookups.
    drop(upstream);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let asked = server.queries();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(server.queries(), asked);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_start_up_a_name_that_gives_nothing_is_an_error_naming_it() {
    let server = FakeDns::start().await;
    let named = |err: BuildError| {
        let text = err.to_string();
        assert!(
            text.contains("svc") && text.contains("missing.test"),
            "{text}"
        );
        text
    };
    let missing = quick(DnsDiscovery::addresses("missing.test", 80), &server);
    named(over_dns(missing.clone()).await.err().expect("NXDOMAIN"));
    server.set_addresses("missing.test", &[]);
    named(over_dns(missing.clone()).await.err().expect("no records"));
    let srv = quick(DnsDiscovery::srv("_x._tcp.missing.test"), &server);
    named(over_dns(srv).await.err().expect("no SRV records"));
    server.set_mode(DnsMode::Silent);
    let started = Instant::now();
    named(over_dns(missing).await.err().expect("no answer"));
    assert!(started.elapsed() < Duration::from_secs(3));
    let bad = DnsDiscovery {
        port: None,
        ..DnsDiscovery::addresses("missing.test", 80)
    };
    let text = named(over_dns(bad).await.err().expect("no port"));
    assert!(text.contains("port"), "{text}");
}
