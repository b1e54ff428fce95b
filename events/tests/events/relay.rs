//! Outbox and relay: events commit with the change, reach the broker once
//! the broker takes them, and wait in the outbox while it does not.

use std::sync::Arc;
use std::time::Duration;

use events::relay::Relay;
use events::{Broker, outbox};
use sea_orm::TransactionTrait;
use subgraph_kit::testing::Backend;

use crate::helpers::{FlakyBroker, database, event};

async fn events_are_published_only_if_their_transaction_commits(backend: Backend) {
    let Some((_guard, db)) = database(backend, "relay_commit").await else {
        return;
    };
    let broker = FlakyBroker::default();
    let relay = Relay::new(db.clone(), Arc::new(broker.clone()));

    let rolled_back = event("shop.orders.order.placed", "o1");
    let txn = db.begin().await.unwrap();
    outbox::append(&txn, &rolled_back).await.unwrap();
    txn.rollback().await.unwrap();

    let committed = event("shop.orders.order.placed", "o2");
    let txn = db.begin().await.unwrap();
    outbox::append(&txn, &committed).await.unwrap();
    txn.commit().await.unwrap();

    assert_eq!(relay.drain().await.unwrap(), 1);
    assert_eq!(broker.inner.published(), vec![committed]);
    assert_eq!(
        relay.drain().await.unwrap(),
        0,
        "published events are not sent again"
    );
    assert_eq!(outbox::backlog(&db).await.unwrap(), 0);
}

async fn events_wait_in_the_outbox_while_the_broker_is_down(backend: Backend) {
    let Some((_guard, db)) = database(backend, "relay_outage").await else {
        return;
    };
    let broker = FlakyBroker::default();
    broker.set_down(true);
    let relay = Relay::new(db.clone(), Arc::new(broker.clone()))
        .with_poll_interval(Duration::from_millis(20));
    let waker = relay.waker();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(relay.run(async {
        let _ = stopped.await;
    }));

    let sent: Vec<_> = (0..5)
        .map(|i| event("shop.inventory.stock.low", &format!("p{i}")))
        .collect();
    for e in &sent {
        outbox::append(&db, e).await.unwrap();
        waker.wake();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(broker.inner.published().is_empty());
    assert_eq!(
        outbox::backlog(&db).await.unwrap(),
        5,
        "nothing is lost while the broker is down"
    );

    broker.set_down(false);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    // The relay marks an event sent only after the broker took it, so the
    // backlog empties a moment after the last publication: wait for both.
    while (broker.inner.published().len() < 5 || outbox::backlog(&db).await.unwrap() > 0)
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(broker.inner.published(), sent, "all of them, in order");
    assert_eq!(
        outbox::backlog(&db).await.unwrap(),
        0,
        "each published event is marked sent"
    );
    let _ = stop.send(());
    running.await.unwrap();

    // A publication that succeeds twice (a crash between publishing and
    // marking) reaches the broker once: it drops the duplicate id.
    broker.inner.publish(&sent[0]).await.unwrap();
    assert_eq!(broker.inner.published().len(), 5);
}

/// Replicas of a service run a relay each over their one outbox: only the
/// lease holder publishes, and when it stops a standby publishes the rest,
/// in order, nothing twice.
async fn one_relay_of_several_replicas_publishes_and_a_standby_takes_over(backend: Backend) {
    let Some((_guard, db)) = database(backend, "relay_lease").await else {
        return;
    };
    let broker = FlakyBroker::default();
    let lease = Duration::from_millis(300);
    let first = Relay::new(db.clone(), Arc::new(broker.clone())).with_lease(lease);
    let standby = Relay::new(db.clone(), Arc::new(broker.clone())).with_lease(lease);
    let sent: Vec<_> = (0..6)
        .map(|i| event("shop.orders.order.placed", &format!("o{i}")))
        .collect();
    for e in &sent[..3] {
        outbox::append(&db, e).await.unwrap();
    }
    assert_eq!(
        first.drain().await.unwrap(),
        3,
        "the first relay takes the lease"
    );
    for e in &sent[3..] {
        outbox::append(&db, e).await.unwrap();
    }
    assert_eq!(standby.drain().await.unwrap(), 0, "the lease is held");
    assert_eq!(outbox::backlog(&db).await.unwrap(), 3);

    // The holder goes quiet (it died): once its lease runs out, the standby
    // takes over, and the holder, were it to wake, publishes nothing.
    tokio::time::sleep(lease + Duration::from_millis(100)).await;
    assert_eq!(standby.drain().await.unwrap(), 3);
    assert_eq!(first.drain().await.unwrap(), 0, "the lease moved on");
    assert_eq!(broker.inner.published(), sent, "each once, in order");

    // A holder that stops cleanly hands over at once.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(standby.run(async {
        let _ = stopped.await;
    }));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let _ = stop.send(());
    running.await.unwrap();
    let last = event("shop.orders.order.placed", "o6");
    outbox::append(&db, &last).await.unwrap();
    assert_eq!(
        first.drain().await.unwrap(),
        1,
        "released, so taken at once"
    );
}

subgraph_kit::both_backends!(
    events_are_published_only_if_their_transaction_commits,
    events_wait_in_the_outbox_while_the_broker_is_down,
    one_relay_of_several_replicas_publishes_and_a_standby_takes_over,
);
