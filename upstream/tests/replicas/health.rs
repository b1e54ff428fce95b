//! Active health checks against real replicas: one whose `/health` fails
//! is taken out before a request fails on it, and comes back once it
//! passes again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use upstream::status::HealthState;
use upstream::{HealthCheckConfig, TrafficPolicy, Upstream};

use crate::support::{Mode, eventually, keep_calling, replicas, upstream, urls};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_failing_its_health_checks_takes_no_traffic_until_it_passes() {
    let replicas = replicas(2).await;
    let policy = TrafficPolicy {
        health_check: HealthCheckConfig {
            enabled: true,
            interval_ms: 100,
            timeout_ms: 200,
            unhealthy_after: 2,
            healthy_after: 2,
            ..HealthCheckConfig::default()
        },
        ..TrafficPolicy::default()
    };
    let upstream = upstream(&urls(&replicas), Duration::from_secs(5), &policy);
    let sick = replicas[0].clone();
    let health = |upstream: &Upstream| {
        upstream
            .status()
            .endpoints
            .into_iter()
            .find(|e| e.url == sick.url())
            .unwrap()
    };
    let stop = Arc::new(AtomicBool::new(false));
    let running = keep_calling(&upstream, 4, &stop);
    eventually("both replicas take traffic", || {
        replicas.iter().all(|r| r.hits() > 0)
    })
    .await;
    assert_eq!(health(&upstream).health, HealthState::Healthy);

    // It says it is unwell (draining, say) before it starts failing.
    sick.set_health(503);
    let started = Instant::now();
    eventually("the replica is taken out", || {
        health(&upstream).health == HealthState::Unhealthy
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let status = health(&upstream);
    assert!(!status.available);
    assert!(
        status
            .health_error
            .as_deref()
            .unwrap_or_default()
            .contains("503"),
        "{status:?}"
    );
    // Calls already on their way there finish; none go after them.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let hits = sick.hits();
    sick.set_mode(Mode::Status(500));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sick.hits(), hits, "no traffic while unhealthy");
    assert!(replicas[1].hits() > 0);

    sick.set_mode(Mode::Answer);
    sick.set_health(200);
    eventually("the replica is back", || {
        health(&upstream).health == HealthState::Healthy
    })
    .await;
    eventually("it takes traffic again", || sick.hits() > hits).await;
    stop.store(true, Ordering::SeqCst);
    let outcomes = running.await.unwrap();
    let failed: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    assert_eq!(failed, Vec::<&String>::new());
    assert_eq!(health(&upstream).failures, 0, "no request failed on it");

    // The checker stops with the upstream.
    drop(upstream);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let checks = sick.health_checks();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(sick.health_checks(), checks, "no checks once it is gone");
}
