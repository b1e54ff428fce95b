//! The upstream over real replicas on 127.0.0.1: balancing, replicas that
//! die, stall or fail, the breaker, the retry budget and mutations; active
//! health checks (`health`) and DNS discovery (`dns`). Every run is bounded in calls and time.

mod dns;
mod health;
mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use support::{Mode, load, metric, named_upstream, outcome, query, replicas, upstream, urls};
use upstream::{BreakerConfig, OutlierConfig, Request, RetryConfig, TrafficPolicy, UpstreamError};

/// An upstream over `replicas` with the default policies and a 5 s timeout.
fn plain_upstream(replicas: &[std::sync::Arc<support::Replica>]) -> upstream::Upstream {
    upstream(
        &urls(replicas),
        Duration::from_secs(5),
        &TrafficPolicy::default(),
    )
}

fn shares(outcomes: &[support::Outcome]) -> HashMap<u64, usize> {
    let mut counts = HashMap::new();
    for replica in outcomes.iter().flatten() {
        *counts.entry(*replica).or_default() += 1;
    }
    counts
}

fn failures(outcomes: &[support::Outcome]) -> Vec<&String> {
    outcomes.iter().filter_map(|o| o.as_ref().err()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn equal_replicas_share_the_traffic() {
    let replicas = replicas(3).await;
    let upstream = plain_upstream(&replicas);
    let outcomes = load(&upstream, 2_000, 16, |_| {}).await;
    assert_eq!(failures(&outcomes), Vec::<&String>::new());
    for (replica, count) in shares(&outcomes) {
        let share = count as f64 / 2_000.0;
        assert!(
            (0.233..=0.433).contains(&share),
            "replica {replica}: {share}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_replica_gets_little_traffic() {
    let replicas = replicas(3).await;
    replicas[2].set_delay(Duration::from_millis(50));
    let upstream = plain_upstream(&replicas);
    let outcomes = load(&upstream, 2_000, 16, |_| {}).await;
    assert_eq!(failures(&outcomes), Vec::<&String>::new());
    let slow = shares(&outcomes).get(&2).copied().unwrap_or(0);
    assert!(slow < 200, "the slow replica answered {slow} of 2000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_under_load_costs_no_call() {
    let replicas = replicas(3).await;
    let upstream = plain_upstream(&replicas);
    let victim = replicas[1].clone();
    let outcomes = load(&upstream, 3_000, 32, move |done| {
        if done == 1_000 {
            victim.kill();
        }
    })
    .await;
    assert_eq!(failures(&outcomes), Vec::<&String>::new());
    let status = upstream.status();
    let killed = status
        .endpoints
        .iter()
        .find(|e| e.url == replicas[1].url())
        .unwrap();
    assert!(!killed.available, "the dead replica is ejected: {killed:?}");
    assert!(
        killed.failures < 50,
        "little traffic after its death: {killed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_replica_is_routed_around_and_ejected() {
    let replicas = replicas(3).await;
    replicas[0].set_mode(Mode::Stall);
    let timeout = Duration::from_millis(200);
    let upstream = named_upstream(
        "stalled",
        &urls(&replicas),
        timeout,
        &TrafficPolicy::default(),
    );
    // Once a replica has timed out it is the balancer's last choice for a
    // while (penalized, then its peak-EWMA cost decays from the timeout),
    // so it sees few requests; bursts of calls at once, before any has
    // timed out, give it the five failures in a row that eject it.
    let started = Instant::now();
    let stalled = || {
        upstream
            .status()
            .endpoints
            .into_iter()
            .find(|e| e.url == replicas[0].url())
            .unwrap()
    };
    let mut slowest = Duration::ZERO;
    let mut n = 0;
    while stalled().ejections == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "never ejected: {:?}",
            stalled()
        );
        let calls = (0..24).map(|i| {
            let upstream = upstream.clone();
            let request = query(n * 24 + i);
            async move {
                let started = Instant::now();
                let answered = outcome(&upstream, request).await;
                (answered, started.elapsed())
            }
        });
        for (answered, took) in futures::future::join_all(calls).await {
            assert!(matches!(answered, Ok(1 | 2)), "{answered:?}");
            slowest = slowest.max(took);
        }
        n += 1;
    }
    assert!(slowest < timeout * 2, "slowest call took {slowest:?}");
    assert!(!stalled().available, "{:?}", stalled());
    let endpoint = format!(r#"endpoint="{}""#, replicas[0].url());
    assert_eq!(
        metric(
            "upstream_ejections_total",
            &[r#"upstream="stalled""#, &endpoint]
        ),
        Some(stalled().ejections as f64),
        "ejections are counted for Prometheus"
    );
    assert!(
        metric(
            "upstream_endpoint_tries_total",
            &[r#"upstream="stalled""#, &endpoint, r#"outcome="failed""#]
        ) >= Some(5.0),
        "the stalled replica's timeouts are counted as its failed tries"
    );
}

fn quick_breaker() -> TrafficPolicy {
    TrafficPolicy {
        breaker: BreakerConfig {
            sleep_ms: 500,
            ..BreakerConfig::default()
        },
        ..TrafficPolicy::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_every_replica_down_the_breaker_fails_fast_then_recovers() {
    let replicas = replicas(2).await;
    let timeout = Duration::from_millis(500);
    let upstream = named_upstream("all-down", &urls(&replicas), timeout, &quick_breaker());
    let state = || metric("upstream_breaker_state", &[r#"upstream="all-down""#]);
    assert!(outcome(&upstream, query(0)).await.is_ok());
    assert_eq!(state(), Some(0.0), "closed");
    for replica in &replicas {
        replica.kill();
    }
    // Failing calls end within the timeout and soon open the breaker.
    let mut opened = None;
    for n in 0..100 {
        let started = Instant::now();
        let result = upstream.call(query(n)).await;
        assert!(started.elapsed() < timeout, "{:?}", started.elapsed());
        if matches!(result, Err(UpstreamError::CircuitOpen { .. })) {
            opened = Some(n);
            break;
        }
        assert!(result.is_err());
    }
    assert!(opened.is_some(), "the breaker never opened");
    for n in 0..50 {
        let started = Instant::now();
        let result = upstream.call(query(n)).await;
        assert!(
            matches!(result, Err(UpstreamError::CircuitOpen { .. })),
            "{result:?}"
        );
        assert!(
            started.elapsed() < Duration::from_millis(5),
            "{:?}",
            started.elapsed()
        );
    }
    assert_eq!(
        upstream.status().breaker,
        Some(upstream::status::BreakerState::Open)
    );
    assert_eq!(state(), Some(2.0), "open");
    assert!(
        metric(
            "upstream_breaker_openings_total",
            &[r#"upstream="all-down""#]
        ) >= Some(1.0)
    );

    for replica in &replicas {
        replica.revive().await;
    }
    let back = Instant::now();
    loop {
        if outcome(&upstream, query(1)).await.is_ok() {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_millis(500) + timeout * 2,
            "still failing"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        upstream.status().breaker,
        Some(upstream::status::BreakerState::Closed)
    );
    assert_eq!(state(), Some(0.0), "closed again");
    let outcomes = load(&upstream, 100, 4, |_| {}).await;
    assert_eq!(failures(&outcomes), Vec::<&String>::new());
}

/// Retries at the subgraphs: every request beyond one per call.
fn retries(replicas: &[std::sync::Arc<support::Replica>], calls: usize) -> usize {
    replicas.iter().map(|r| r.hits()).sum::<usize>() - calls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_stay_within_the_budget() {
    // One replica that fails every request, no breaker, no ejection:
    // without a budget every call would be tried three times.
    let replicas = replicas(1).await;
    replicas[0].set_mode(Mode::Status(503));
    let policy = TrafficPolicy {
        breaker: BreakerConfig {
            enabled: false,
            ..BreakerConfig::default()
        },
        outlier: OutlierConfig {
            consecutive_failures: 0,
            ..OutlierConfig::default()
        },
        retry: RetryConfig {
            backoff_ms: 1,
            max_backoff_ms: 2,
            ..RetryConfig::default()
        },
        ..TrafficPolicy::default()
    };
    let upstream = named_upstream(
        "budgeted",
        &urls(&replicas),
        Duration::from_secs(5),
        &policy,
    );
    let started = Instant::now();
    let outcomes = load(&upstream, 1_000, 8, |_| {}).await;
    let seconds = started.elapsed().as_secs_f64().ceil() as usize;
    assert_eq!(failures(&outcomes).len(), 1_000);
    let retried = retries(&replicas, 1_000);
    // 20 % of the calls, plus 10 per second over the 10 s window.
    let allowed = 200 + 10 * (10 + seconds);
    assert!(retried <= allowed, "{retried} retries, {allowed} allowed");
    assert!(retried >= 150, "retries happen: {retried}");
    assert_eq!(
        metric("upstream_retries_total", &[r#"upstream="budgeted""#]),
        Some(retried as f64),
        "each retry is counted for Prometheus"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_one_of_two_replicas_failing_every_call_succeeds_within_the_budget() {
    let replicas = replicas(2).await;
    replicas[0].set_mode(Mode::Status(503));
    let upstream = plain_upstream(&replicas);
    let outcomes = load(&upstream, 1_000, 8, |_| {}).await;
    assert_eq!(failures(&outcomes), Vec::<&String>::new());
    assert!(retries(&replicas, 1_000) <= 200 + 10 * 10);
}

fn mutation() -> Request {
    Request::mutation(
        "{\"query\":\"mutation { pay }\"}",
        tokio::time::Instant::now() + Duration::from_secs(10),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mutation_that_may_have_arrived_is_never_sent_again() {
    let replicas = replicas(1).await;
    replicas[0].set_mode(Mode::Drop);
    let upstream = plain_upstream(&replicas);
    let result = upstream.call(mutation()).await;
    assert!(
        matches!(result, Err(UpstreamError::Transport { .. })),
        "{result:?}"
    );
    assert_eq!(replicas[0].hits(), 1, "received once, never again");

    // A query in the same spot is tried again.
    let result = upstream.call(query(0)).await;
    assert!(result.is_err());
    assert_eq!(replicas[0].hits(), 1 + 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mutation_refused_a_connection_goes_to_another_replica() {
    let live = replicas(1).await;
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}/graphql", dead.local_addr().unwrap());
    drop(dead);
    let upstream = upstream(
        &[dead_url, live[0].url()],
        Duration::from_secs(5),
        &TrafficPolicy::default(),
    );
    for n in 0..20 {
        let response = upstream.call(mutation()).await.expect("mutation");
        assert_eq!(response.status, 200);
        assert_eq!(live[0].hits(), n + 1, "each mutation arrives once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_dying_with_mutations_in_flight_leaves_the_breaker_closed() {
    let replicas = replicas(2).await;
    for replica in &replicas {
        replica.set_delay(Duration::from_millis(300));
    }
    let upstream = plain_upstream(&replicas);
    // Forty mutations in flight, about half of them on the replica that dies.
    let calls: Vec<_> = (0..40)
        .map(|_| {
            let upstream = upstream.clone();
            tokio::spawn(async move { upstream.call(mutation()).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let in_flight_on_the_dead = replicas[1].hits();
    assert!(in_flight_on_the_dead >= 10, "{in_flight_on_the_dead} on it");
    replicas[1].kill();
    let mut lost = 0;
    for call in calls {
        if call.await.expect("call").is_err() {
            lost += 1;
        }
    }
    assert_eq!(
        lost, in_flight_on_the_dead,
        "only those in flight on it are lost"
    );

    // Its failures were its own: the other replica takes every mutation.
    let status = upstream.status();
    assert_eq!(status.breaker, Some(upstream::status::BreakerState::Closed));
    replicas[0].set_delay(Duration::ZERO);
    for _ in 0..20 {
        let response = upstream.call(mutation()).await.expect("mutation");
        assert_eq!(response.status, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_come_and_go_without_a_failed_call() {
    let replicas = replicas(3).await;
    let upstream = upstream(
        &urls(&replicas[..1]),
        Duration::from_secs(5),
        &TrafficPolicy::default(),
    );
    let outcomes = load(&upstream, 300, 8, |_| {}).await;
    assert_eq!(shares(&outcomes).len(), 1);
    upstream.set_endpoints(&urls(&replicas)).unwrap();
    let outcomes = load(&upstream, 600, 8, |_| {}).await;
    assert_eq!(failures(&outcomes), Vec::<&String>::new());
    assert_eq!(shares(&outcomes).len(), 3, "added endpoints take traffic");
    upstream.set_endpoints(&urls(&replicas[2..])).unwrap();
    let before = replicas[0].hits() + replicas[1].hits();
    let outcomes = load(&upstream, 300, 8, |_| {}).await;
    assert_eq!(failures(&outcomes), Vec::<&String>::new());
    assert_eq!(
        replicas[0].hits() + replicas[1].hits(),
        before,
        "removed ones get nothing"
    );
    assert!(
        upstream.set_endpoints(&[]).is_err(),
        "an empty set is refused"
    );
    assert!(upstream.set_endpoints(&["ftp://x".into()]).is_err());
    assert_eq!(upstream.status().endpoints.len(), 1, "and changes nothing");
    // One URL listed twice, or spelt two ways that parse alike, is one endpoint.
    let port = replicas[2].addr.port();
    let twice = [
        replicas[2].url(),
        format!("http://127.0.0.1:{port}/./graphql"),
    ];
    upstream.set_endpoints(&twice).unwrap();
    assert_eq!(upstream.status().endpoints.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_queries_in_flight_share_one_call() {
    let replicas = replicas(1).await;
    replicas[0].set_delay(Duration::from_millis(150));
    let upstream = plain_upstream(&replicas);
    let same = || query(7);
    let answers = futures::future::join_all((0..10).map(|_| outcome(&upstream, same()))).await;
    assert!(answers.iter().all(|a| a == &Ok(0)), "{answers:?}");
    assert_eq!(replicas[0].hits(), 1);
    // Done calls leave the table: the next one goes out again.
    outcome(&upstream, same()).await.unwrap();
    assert_eq!(replicas[0].hits(), 2);

    // Different bodies, different headers, or mutations: each its own call.
    let mut with_header = same();
    with_header
        .headers
        .insert("authorization", "Bearer x".parse().unwrap());
    let (a, b, c) = tokio::join!(
        outcome(&upstream, same()),
        outcome(&upstream, with_header),
        outcome(&upstream, query(8)),
    );
    assert!(a.is_ok() && b.is_ok() && c.is_ok());
    assert_eq!(replicas[0].hits(), 5);
    let mutations = futures::future::join_all((0..3).map(|_| upstream.call(mutation()))).await;
    assert!(mutations.iter().all(Result::is_ok));
    assert_eq!(replicas[0].hits(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_call_outlives_its_deadline() {
    let replicas = replicas(1).await;
    replicas[0].set_mode(Mode::Stall);
    let upstream = plain_upstream(&replicas);
    for dedup in [true, false] {
        let mut request = Request::query(
            "{}",
            tokio::time::Instant::now() + Duration::from_millis(100),
        );
        request.dedup = dedup;
        let started = Instant::now();
        let result = upstream.call(request).await;
        assert!(
            matches!(result, Err(UpstreamError::DeadlineExceeded { .. })),
            "{result:?}"
        );
        assert!(started.elapsed() < Duration::from_millis(500));
    }
    let past = Request::query("{}", tokio::time::Instant::now());
    let before = replicas[0].hits();
    assert!(upstream.call(past).await.is_err());
    assert_eq!(
        replicas[0].hits(),
        before,
        "past its deadline nothing is sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_follow_a_watched_file_under_load() {
    let replicas = replicas(3).await;
    let dir = std::env::temp_dir().join(format!("upstream-watch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("reviews.endpoints");
    let write = |urls: &[String]| {
        // Written aside and renamed over, as deploy tools do.
        let next = dir.join("reviews.endpoints.next");
        std::fs::write(&next, format!("# reviews\n{}\n", urls.join("\n"))).unwrap();
        std::fs::rename(&next, &file).unwrap();
    };
    write(&urls(&replicas[..1]));
    let client = upstream::Upstream::default_client().unwrap();
    let upstream = upstream::Upstream::new(
        "svc",
        &[replicas[0].url()],
        Duration::from_secs(5),
        &TrafficPolicy::default(),
        client,
    )
    .unwrap();
    upstream.watch_file(&file).unwrap();
    let endpoints = |upstream: &upstream::Upstream| upstream.status().endpoints.len();

    let running = {
        let upstream = upstream.clone();
        tokio::spawn(async move { load(&upstream, 3_000, 8, |_| {}).await })
    };
    let until = |want: usize| {
        let upstream = upstream.clone();
        async move {
            let started = Instant::now();
            while endpoints(&upstream) != want {
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "never saw {want} endpoints"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    write(&urls(&replicas));
    until(3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A broken file keeps the last good set.
    std::fs::write(&file, "not a url\n").unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(endpoints(&upstream), 3);
    write(&urls(&replicas[2..]));
    until(1).await;
    let outcomes = running.await.unwrap();
    assert_eq!(failures(&outcomes), Vec::<&String>::new());
    for replica in &replicas {
        assert!(
            replica.hits() > 0,
            "every replica took traffic while listed"
        );
    }
    let before = replicas[0].hits() + replicas[1].hits();
    let after = load(&upstream, 200, 4, |_| {}).await;
    assert_eq!(failures(&after), Vec::<&String>::new());
    assert_eq!(
        replicas[0].hits() + replicas[1].hits(),
        before,
        "removed ones get nothing"
    );

    // At start-up a bad file is an error that names it.
    std::fs::write(&file, "").unwrap();
    let err = upstream.watch_file(&file).unwrap_err().to_string();
    assert!(
        err.contains("no endpoints") && err.contains("reviews.endpoints"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
