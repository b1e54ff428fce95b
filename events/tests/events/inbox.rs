//! The inbox: an event's effects apply once per consumer, however often it
//! is delivered, also when copies arrive at the same moment.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use events::inbox::{Handled, handle_once};
use futures::FutureExt;
use sea_orm::{ConnectionTrait, DbErr, Statement};
use subgraph_kit::testing::Backend;

use crate::helpers::{database, event};

/// Counts applications in a table, so the count commits with the inbox row.
async fn apply_count(db: &sea_orm::DatabaseConnection) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM event_outbox WHERE subject = 'applied'",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

async fn apply(
    db: &sea_orm::DatabaseConnection,
    consumer: &str,
    e: &events::Event,
    calls: Arc<AtomicUsize>,
    fail: bool,
) -> Result<Handled, DbErr> {
    handle_once(db, consumer, e, move |txn| {
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            // The handler's effect: an outbox row, as a real handler's event would be.
            events::outbox::append(txn, &events::Event::new("applied", "x", &()).unwrap()).await?;
            if fail {
                return Err(DbErr::Custom("the handler failed".into()));
            }
            Ok(())
        }
        .boxed()
    })
    .await
}

async fn a_redelivered_event_changes_nothing_twice(backend: Backend) {
    let Some((_guard, db)) = database(backend, "inbox_redelivery").await else {
        return;
    };
    let calls = Arc::new(AtomicUsize::new(0));
    let e = event("shop.payments.payment.captured", "p1");
    assert_eq!(
        apply(&db, "orders-payments", &e, calls.clone(), false)
            .await
            .unwrap(),
        Handled::Applied
    );
    assert_eq!(
        apply(&db, "orders-payments", &e, calls.clone(), false)
            .await
            .unwrap(),
        Handled::Duplicate
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(apply_count(&db).await, 1);
    // Another consumer handles it on its own account.
    assert_eq!(
        apply(&db, "inventory-audit", &e, calls.clone(), false)
            .await
            .unwrap(),
        Handled::Applied
    );
    assert_eq!(apply_count(&db).await, 2);
}

async fn a_failed_handler_keeps_nothing_and_can_run_again(backend: Backend) {
    let Some((_guard, db)) = database(backend, "inbox_failure").await else {
        return;
    };
    let calls = Arc::new(AtomicUsize::new(0));
    let e = event("shop.inventory.stock.low", "p1");
    assert!(apply(&db, "c", &e, calls.clone(), true).await.is_err());
    assert_eq!(
        apply_count(&db).await,
        0,
        "the failed handler's effects rolled back"
    );
    assert_eq!(
        apply(&db, "c", &e, calls.clone(), false).await.unwrap(),
        Handled::Applied
    );
    assert_eq!(apply_count(&db).await, 1);
}

async fn simultaneous_copies_apply_once(backend: Backend) {
    let Some((_guard, db)) = database(backend, "inbox_concurrent").await else {
        return;
    };
    let calls = Arc::new(AtomicUsize::new(0));
    let e = event("shop.orders.order.cancelled", "o1");
    let copies = (0..8).map(|_| {
        let (db, e, calls) = (db.clone(), e.clone(), calls.clone());
        tokio::spawn(async move { apply(&db, "c", &e, calls, false).await })
    });
    let results = futures::future::join_all(copies).await;
    let applied = results
        .into_iter()
        .map(|r| r.unwrap())
        .filter(|r| matches!(r, Ok(Handled::Applied)))
        .count();
    assert_eq!(applied, 1);
    assert_eq!(apply_count(&db).await, 1);
}

subgraph_kit::both_backends!(
    a_redelivered_event_changes_nothing_twice,
    a_failed_handler_keeps_nothing_and_can_run_again,
    simultaneous_copies_apply_once,
);
