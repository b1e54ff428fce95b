//! The consumer loop: every event reaches the handler, a failed one comes
//! again, and what was handled is acknowledged (not delivered again).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use events::broker::memory::MemoryBroker;
use events::{Broker, consumer};
use futures::StreamExt;

use crate::helpers::event;

#[tokio::test]
async fn failed_events_come_again_and_handled_ones_are_acknowledged() {
    let metrics = telemetry::metrics::handle();
    let broker = MemoryBroker::new();
    let flaky = event("shop.inventory.stock.low", "p1");
    let fine = event("shop.inventory.stock.low", "p2");
    broker.publish(&flaky).await.unwrap();
    broker.publish(&fine).await.unwrap();

    let attempts: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let seen = attempts.clone();
    let running = tokio::spawn(consumer::run(
        Arc::new(broker.clone()),
        "replenisher",
        "shop.inventory.>",
        move |e| {
            let seen = seen.clone();
            async move {
                let mut seen = seen.lock().unwrap();
                let n = seen.entry(e.key.clone()).or_default();
                *n += 1;
                if e.key == "p1" && *n == 1 {
                    return Err("the first try fails");
                }
                Ok(())
            }
        },
        async {
            let _ = stopped.await;
        },
    ));

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let done = attempts.lock().unwrap().clone();
        if done.get("p1") == Some(&2) && done.get("p2") == Some(&1) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "handled: {done:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(());
    running.await.unwrap();

    // Prometheus sees the same: two handled, one failed, one redelivery.
    let text = metrics.render();
    let sample = |name: &str, outcome: &str| {
        text.lines()
            .find(|l| {
                l.starts_with(&format!("{name}{{"))
                    && l.contains(r#"consumer="replenisher""#)
                    && l.contains(outcome)
            })
            .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
    };
    assert_eq!(
        sample("events_consumed_total", r#"outcome="ok""#),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample("events_consumed_total", r#"outcome="failed""#),
        Some(1.0)
    );
    assert_eq!(sample("events_consumer_redeliveries_total", ""), Some(1.0));
    assert_eq!(
        sample("events_handle_duration_seconds_count", ""),
        Some(3.0)
    );

    // Everything was acknowledged: the same consumer gets only what is new.
    let later = event("shop.inventory.stock.replenished", "p1");
    broker.publish(&later).await.unwrap();
    let mut resumed = broker
        .subscribe("replenisher", "shop.inventory.>")
        .await
        .unwrap();
    let next = tokio::time::timeout(Duration::from_secs(5), resumed.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(next.event, later);
}
