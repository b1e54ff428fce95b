//! NATS JetStream: the machine's server for the contract, and a private
//! server of our own for surviving a restart.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use events::broker::nats::NatsBroker;
use events::relay::Relay;
use events::{Broker, DeliveryMeta, Event, outbox};
use futures::StreamExt;
use sea_orm::TransactionTrait;
use subgraph_kit::testing::{Backend, nats_url};

use crate::helpers::{database, event};

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::now_v7().simple())
}

async fn next(sub: &mut events::Subscription) -> events::Delivery {
    tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .expect("a delivery within 10 s")
        .expect("the subscription is open")
        .expect("a readable event")
}

#[tokio::test]
async fn publishes_delivers_redelivers_and_drops_duplicates() {
    let Some(url) = nats_url("publishes_delivers_redelivers_and_drops_duplicates").await else {
        return;
    };
    let topic = unique("t");
    let broker = NatsBroker::connect(&url, &unique("TEST_"), &format!("{topic}.>"))
        .await
        .unwrap();
    let placed = event(&format!("{topic}.orders.order.placed"), "o1");
    let captured = event(&format!("{topic}.payments.payment.captured"), "p1");
    broker.publish(&placed).await.unwrap();
    broker.publish(&placed).await.unwrap(); // the relay retrying after a lost ack
    broker.publish(&captured).await.unwrap();

    let mut orders = broker
        .subscribe("orders-test", &format!("{topic}.orders.>"))
        .await
        .unwrap();
    let first = next(&mut orders).await;
    assert_eq!(first.event, placed);
    assert_eq!(
        first.meta,
        DeliveryMeta {
            delivered: 1,
            pending: Some(0)
        },
        "the first delivery, nothing behind it for this filter"
    );
    first.nak(Duration::from_millis(50)).await.unwrap();
    let again = next(&mut orders).await;
    assert_eq!(again.event, placed, "not acknowledged, so delivered again");
    assert_eq!(again.meta.delivered, 2, "JetStream counts the redelivery");
    again.ack().await.unwrap();
    let nothing = tokio::time::timeout(Duration::from_millis(500), orders.next()).await;
    assert!(
        nothing.is_err(),
        "the duplicate publication was stored once: {nothing:?}"
    );
    drop(orders);

    // A durable consumer resumes after what it acknowledged; another name reads all.
    let confirmed = event(&format!("{topic}.orders.order.confirmed"), "o1");
    broker.publish(&confirmed).await.unwrap();
    let mut resumed = broker
        .subscribe("orders-test", &format!("{topic}.orders.>"))
        .await
        .unwrap();
    assert_eq!(next(&mut resumed).await.event, confirmed);
    let mut all = broker
        .subscribe("all-test", &format!("{topic}.>"))
        .await
        .unwrap();
    let oldest = next(&mut all).await;
    assert_eq!(
        oldest.meta.pending,
        Some(2),
        "two more wait behind it: the lag"
    );
    let seen: Vec<Event> = [oldest, next(&mut all).await, next(&mut all).await]
        .into_iter()
        .map(|d| d.event)
        .collect();
    assert_eq!(seen, vec![placed, captured, confirmed]);
}

#[tokio::test]
async fn an_events_trace_context_travels_from_the_outbox_as_a_header() {
    let Some(url) = nats_url("an_events_trace_context_travels_from_the_outbox_as_a_header").await
    else {
        return;
    };
    let Some((_guard, db)) = database(Backend::Sqlite, "nats_trace").await else {
        return;
    };
    let topic = unique("t");
    let broker = NatsBroker::connect(&url, &unique("TEST_"), &format!("{topic}.>"))
        .await
        .unwrap();
    let mut traced = event(&format!("{topic}.orders.order.placed"), "o1");
    traced.traceparent = Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into());
    let untraced = event(&format!("{topic}.orders.order.confirmed"), "o1");
    let txn = db.begin().await.unwrap();
    outbox::append(&txn, &traced).await.unwrap();
    outbox::append(&txn, &untraced).await.unwrap();
    txn.commit().await.unwrap();
    let mut watch = broker.watch(&format!("{topic}.>")).await.unwrap();

    let relay = Relay::new(db.clone(), Arc::new(broker.clone()));
    assert_eq!(relay.drain().await.unwrap(), 2);
    let mut deliveries = broker
        .subscribe("trace-test", &format!("{topic}.>"))
        .await
        .unwrap();
    assert_eq!(
        next(&mut deliveries).await.event,
        traced,
        "with its traceparent"
    );
    assert_eq!(next(&mut deliveries).await.event.traceparent, None);
    let watched = tokio::time::timeout(Duration::from_secs(10), watch.next())
        .await
        .expect("a watched event")
        .expect("the watch is open")
        .expect("readable");
    assert_eq!(watched, traced);
}

#[tokio::test]
async fn a_watch_sees_each_event_published_from_then_on_once() {
    let Some(url) = nats_url("a_watch_sees_each_event_published_from_then_on_once").await else {
        return;
    };
    let topic = unique("t");
    let broker = NatsBroker::connect(&url, &unique("TEST_"), &format!("{topic}.>"))
        .await
        .unwrap();
    let before = event(&format!("{topic}.orders.order.placed"), "o1");
    broker.publish(&before).await.unwrap();
    let mut watch = broker.watch(&format!("{topic}.orders.>")).await.unwrap();
    let confirmed = event(&format!("{topic}.orders.order.confirmed"), "o1");
    let other = event(&format!("{topic}.payments.payment.captured"), "p1");
    let shipped = event(&format!("{topic}.orders.order.shipped"), "o1");
    for e in [&confirmed, &confirmed, &other, &shipped] {
        broker.publish(e).await.unwrap();
    }
    let mut seen = Vec::new();
    for _ in 0..2 {
        let next = tokio::time::timeout(Duration::from_secs(10), watch.next())
            .await
            .expect("an event within 10 s")
            .expect("the watch is open")
            .expect("a readable event");
        seen.push(next);
    }
    assert_eq!(
        seen,
        vec![confirmed, shipped],
        "not the past, not other subjects"
    );
    let nothing = tokio::time::timeout(Duration::from_millis(300), watch.next()).await;
    assert!(
        nothing.is_err(),
        "the duplicate publication is seen once: {nothing:?}"
    );
}

/// Replicas subscribe under one consumer name: JetStream hands each event
/// to one of them (a queue group), and each event is handled once.
#[tokio::test]
async fn replicas_under_one_consumer_name_share_the_events() {
    let Some(url) = nats_url("replicas_under_one_consumer_name_share_the_events").await else {
        return;
    };
    let topic = unique("t");
    let broker = NatsBroker::connect(&url, &unique("TEST_"), &format!("{topic}.>"))
        .await
        .unwrap();
    let filter = format!("{topic}.>");
    let sent: Vec<Event> = (0..20)
        .map(|i| event(&format!("{topic}.orders.order.placed"), &format!("o{i}")))
        .collect();
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let mut sub = broker.subscribe("shared", &filter).await.unwrap();
        replicas.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while let Ok(Some(Ok(delivery))) =
                tokio::time::timeout(Duration::from_secs(2), sub.next()).await
            {
                got.push(delivery.event.id);
                delivery.ack().await.unwrap();
            }
            got
        }));
    }
    for e in &sent {
        broker.publish(e).await.unwrap();
    }
    let mut handled = Vec::new();
    for replica in replicas {
        handled.extend(replica.await.unwrap());
    }
    handled.sort();
    let mut expected: Vec<_> = sent.iter().map(|e| e.id).collect();
    expected.sort();
    assert_eq!(handled, expected, "every event, each to one replica");
}

/// A nats-server of our own, so the test can stop and start it.
struct PrivateNats {
    child: Option<Child>,
    port: u16,
    store: std::path::PathBuf,
}

impl PrivateNats {
    /// Whether `nats-server` is installed; if not, reports the skip, or
    /// fails under `REQUIRE_NATS=1`.
    fn available(test: &str) -> bool {
        if Self::binary().is_some() {
            return true;
        }
        let required = std::env::var("REQUIRE_NATS").is_ok_and(|v| v == "1" || v == "true");
        assert!(
            !required,
            "REQUIRE_NATS is set but nats-server is not installed"
        );
        eprintln!("SKIPPED {test}: nats-server is not installed");
        false
    }

    fn binary() -> Option<std::path::PathBuf> {
        std::env::var_os("PATH")?
            .to_str()?
            .split(':')
            .chain(["/usr/sbin", "/usr/local/bin"])
            .map(|dir| Path::new(dir).join("nats-server"))
            .find(|p| p.is_file())
    }

    async fn start(port: u16, store: &Path) -> PrivateNats {
        let mut server = PrivateNats {
            child: None,
            port,
            store: store.to_owned(),
        };
        server.spawn().await;
        server
    }

    async fn spawn(&mut self) {
        let binary = Self::binary().expect("nats-server binary");
        let child = Command::new(binary)
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(&self.store)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts");
        self.child = Some(child);
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    async fn restart(&mut self) {
        self.stop();
        self.spawn().await;
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.store);
    }
}

async fn events_survive_a_broker_restart(backend: Backend) {
    if !PrivateNats::available("events_survive_a_broker_restart") {
        return;
    }
    let Some((_guard, db)) = database(backend, "nats_restart").await else {
        return;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let store = std::env::temp_dir().join(unique("nats-store-"));
    let mut server = PrivateNats::start(port, &store).await;
    let url = format!("nats://127.0.0.1:{port}");
    let broker = Arc::new(NatsBroker::connect(&url, "SHOP", "shop.>").await.unwrap());
    let relay = Relay::new(db.clone(), broker.clone());

    let before = event("shop.orders.order.placed", "o1");
    outbox::append(&db, &before).await.unwrap();
    assert_eq!(relay.drain().await.unwrap(), 1);

    server.stop();
    let during = event("shop.orders.order.cancelled", "o1");
    outbox::append(&db, &during).await.unwrap();
    assert!(relay.drain().await.is_err(), "the broker is down");
    assert_eq!(
        outbox::backlog(&db).await.unwrap(),
        1,
        "the event waits in the outbox"
    );

    server.restart().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        match relay.drain().await {
            Ok(_) if outbox::backlog(&db).await.unwrap() == 0 => break,
            _ if tokio::time::Instant::now() > deadline => panic!("the relay never caught up"),
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }

    let mut sub = broker
        .subscribe("restart-test", "shop.orders.>")
        .await
        .unwrap();
    let first = next(&mut sub).await;
    assert_eq!(
        first.event, before,
        "stored before the restart, still there after it"
    );
    first.ack().await.unwrap();
    assert_eq!(next(&mut sub).await.event, during);
}

/// A service starts while its broker is down; its events wait in the outbox
/// and go out once the broker is up.
#[tokio::test]
async fn a_service_starts_before_its_broker() {
    if !PrivateNats::available("a_service_starts_before_its_broker") {
        return;
    }
    let Some((_guard, db)) = database(Backend::Sqlite, "nats_late").await else {
        return;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("nats://127.0.0.1:{port}");
    let broker = tokio::time::timeout(
        Duration::from_secs(5),
        NatsBroker::connect(&url, "SHOP", "shop.>"),
    )
    .await
    .expect("connecting does not wait for the server")
    .expect("a broker handle without a server");
    let relay = Relay::new(db.clone(), Arc::new(broker.clone()));
    let early = event("shop.orders.order.placed", "o1");
    outbox::append(&db, &early).await.unwrap();
    assert!(relay.drain().await.is_err(), "no server yet");
    assert_eq!(outbox::backlog(&db).await.unwrap(), 1);

    let store = std::env::temp_dir().join(unique("nats-store-"));
    let _server = PrivateNats::start(port, &store).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while relay.drain().await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the relay never got through"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(outbox::backlog(&db).await.unwrap(), 0);
    let mut sub = broker.subscribe("late-test", "shop.>").await.unwrap();
    assert_eq!(next(&mut sub).await.event, early);
}

subgraph_kit::both_backends!(events_survive_a_broker_restart);
