use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use events::broker::memory::MemoryBroker;
use events::{Broker, BrokerError, Event};
use sea_orm::DatabaseConnection;
use subgraph_kit::testing::{Backend, TestDatabase};

/// A migrated database with the event tables, or `None` when the backend is
/// unavailable here (the skip is reported).
pub async fn database(backend: Backend, test: &str) -> Option<(TestDatabase, DatabaseConnection)> {
    let database = TestDatabase::create(backend, test).await?;
    let db = subgraph_kit::database::open_migrated::<migrations::orders::Migrator>(&database.url)
        .await
        .expect("migrated database");
    Some((database, db))
}

pub fn event(subject: &str, key: &str) -> Event {
    Event::new(subject, key, &serde_json::json!({"key": key})).unwrap()
}

/// An in-process broker that can be switched off, like a broker outage.
#[derive(Clone, Default)]
pub struct FlakyBroker {
    pub inner: MemoryBroker,
    pub down: Arc<AtomicBool>,
}

impl FlakyBroker {
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }
}

#[async_trait::async_trait]
impl Broker for FlakyBroker {
    async fn publish(&self, event: &Event) -> Result<(), BrokerError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(BrokerError::Unavailable("switched off by the test".into()));
        }
        self.inner.publish(event).await
    }

    async fn subscribe(
        &self,
        consumer: &str,
        filter: &str,
    ) -> Result<events::Subscription, BrokerError> {
        self.inner.subscribe(consumer, filter).await
    }

    async fn watch(&self, filter: &str) -> Result<events::Watch, BrokerError> {
        self.inner.watch(filter).await
    }
}
