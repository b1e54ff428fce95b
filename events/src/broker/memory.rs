//! An in-process broker with the same contract as JetStream: a log of every
//! event, durable consumers by name, one delivery in flight per consumer,
//! redelivery until acknowledged, and duplicate publications of one event id
//! dropped. What the all-in-one run uses; it lives as long as the process.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::{Notify, oneshot};
use uuid::Uuid;

use super::{Acker, Broker, BrokerError, Delivery, DeliveryMeta, Subscription, Watch};
use crate::{Event, subject};

/// How long a delivery dropped without an answer waits before it is sent again.
const DROPPED_REDELIVERY: Duration = Duration::from_millis(100);

#[derive(Clone, Default)]
pub struct MemoryBroker {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    published: Notify,
}

#[derive(Default)]
struct State {
    log: Vec<Event>,
    ids: HashSet<Uuid>,
    /// Per consumer name: the first log index not yet acknowledged.
    cursors: HashMap<String, usize>,
}

enum Outcome {
    Ack,
    Nak(Duration),
}

/// Settles one delivery: an ack moves the consumer's cursor at once (so it
/// holds even if the subscription is dropped next), and either answer lets
/// the subscription hand out the next delivery.
struct MemoryAcker {
    shared: Arc<Shared>,
    consumer: String,
    index: usize,
    answer: oneshot::Sender<Outcome>,
}

#[async_trait::async_trait]
impl Acker for MemoryAcker {
    async fn ack(self: Box<Self>) -> Result<(), BrokerError> {
        self.shared.acknowledge(&self.consumer, self.index);
        let _ = self.answer.send(Outcome::Ack);
        Ok(())
    }

    async fn nak(self: Box<Self>, delay: Duration) -> Result<(), BrokerError> {
        let _ = self.answer.send(Outcome::Nak(delay));
        Ok(())
    }
}

impl MemoryBroker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every event published so far, in order (for tests and diagnostics).
    pub fn published(&self) -> Vec<Event> {
        self.shared.lock().log.clone()
    }

    /// [`MemoryBroker::published`] once at least `count` events are there,
    /// or when `within` has passed: for tests that wait on a relay.
    pub async fn published_at_least(&self, count: usize, within: Duration) -> Vec<Event> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let published = self.shared.published.notified();
            tokio::pin!(published);
            published.as_mut().enable();
            let log = self.published();
            if log.len() >= count {
                return log;
            }
            if tokio::time::timeout_at(deadline, published).await.is_err() {
                return self.published();
            }
        }
    }
}

impl MemoryBroker {
    /// Waits (up to `within`) until `consumer` has acknowledged every event
    /// published so far that matches `filter`; false if it has not by then.
    /// For tests that wait on a consumer.
    pub async fn caught_up(&self, consumer: &str, filter: &str, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            {
                let state = self.shared.lock();
                let cursor = state.cursors.get(consumer).copied().unwrap_or(0);
                let behind = state
                    .log
                    .iter()
                    .skip(cursor)
                    .any(|event| subject::matches(filter, &event.subject));
                if !behind {
                    return true;
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves plain data behind.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next event for `consumer` at or after its cursor, moving the
    /// cursor past events its filter does not match.
    fn next_for(&self, consumer: &str, filter: &str) -> Option<(usize, Event)> {
        let mut state = self.lock();
        let state = &mut *state;
        let cursor = state.cursors.entry(consumer.to_owned()).or_insert(0);
        while let Some(event) = state.log.get(*cursor) {
            if subject::matches(filter, &event.subject) {
                return Some((*cursor, event.clone()));
            }
            *cursor += 1;
        }
        None
    }

    fn acknowledge(&self, consumer: &str, index: usize) {
        let mut state = self.lock();
        let cursor = state.cursors.entry(consumer.to_owned()).or_insert(0);
        if *cursor <= index {
            *cursor = index + 1;
        }
    }
}

#[async_trait::async_trait]
impl Broker for MemoryBroker {
    async fn publish(&self, event: &Event) -> Result<(), BrokerError> {
        {
            let mut state = self.shared.lock();
            if !state.ids.insert(event.id) {
                return Ok(());
            }
            state.log.push(event.clone());
        }
        self.shared.published.notify_waiters();
        Ok(())
    }

    async fn subscribe(&self, consumer: &str, filter: &str) -> Result<Subscription, BrokerError> {
        let state = Cursor {
            shared: self.shared.clone(),
            consumer: consumer.to_owned(),
            filter: filter.to_owned(),
            pending: None,
            last: None,
        };
        let stream = futures::stream::unfold(state, |mut cursor| async move {
            // Settle the previous delivery before handing out the next.
            if let Some(answer) = cursor.pending.take() {
                match answer.await {
                    Ok(Outcome::Ack) => {}
                    Ok(Outcome::Nak(delay)) => tokio::time::sleep(delay).await,
                    Err(_) => tokio::time::sleep(DROPPED_REDELIVERY).await,
                }
            }
            let (index, event) = loop {
                let published = cursor.shared.published.notified();
                tokio::pin!(published);
                published.as_mut().enable();
                if let Some(next) = cursor.shared.next_for(&cursor.consumer, &cursor.filter) {
                    break next;
                }
                published.await;
            };
            let (answer, pending) = oneshot::channel();
            let acker = MemoryAcker {
                shared: cursor.shared.clone(),
                consumer: cursor.consumer.clone(),
                index,
                answer,
            };
            cursor.pending = Some(pending);
            let delivered = match cursor.last {
                Some((last, times)) if last == index => times + 1,
                _ => 1,
            };
            cursor.last = Some((index, delivered));
            let meta = DeliveryMeta {
                delivered,
                pending: None,
            };
            Some((Ok(Delivery::new(event, acker).with_meta(meta)), cursor))
        });
        Ok(stream.boxed())
    }

    async fn watch(&self, filter: &str) -> Result<Watch, BrokerError> {
        let shared = self.shared.clone();
        let next = shared.lock().log.len();
        let filter = filter.to_owned();
        let stream = futures::stream::unfold(next, move |mut next| {
            let (shared, filter) = (shared.clone(), filter.clone());
            async move {
                loop {
                    let published = shared.published.notified();
                    tokio::pin!(published);
                    published.as_mut().enable();
                    {
                        let state = shared.lock();
                        while let Some(event) = state.log.get(next) {
                            next += 1;
                            if subject::matches(&filter, &event.subject) {
                                return Some((Ok(event.clone()), next));
                            }
                        }
                    }
                    published.await;
                }
            }
        });
        Ok(stream.boxed())
    }
}

/// A subscription's state between deliveries.
struct Cursor {
    shared: Arc<Shared>,
    consumer: String,
    filter: String,
    /// The answer to the delivery handed out last.
    pending: Option<oneshot::Receiver<Outcome>>,
    /// The log index handed out last, and how many times in a row.
    last: Option<(usize, u64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(subject: &str, key: &str) -> Event {
        Event::new(subject, key, &()).unwrap()
    }

    #[tokio::test]
    async fn consumers_see_past_and_future_events_matching_their_filter() {
        let broker = MemoryBroker::new();
        let placed = event("shop.orders.order.placed", "o1");
        broker.publish(&placed).await.unwrap();
        broker
            .publish(&event("shop.payments.payment.captured", "p1"))
            .await
            .unwrap();
        let mut orders = broker.subscribe("test", "shop.orders.>").await.unwrap();
        let first = orders.next().await.unwrap().unwrap();
        assert_eq!(first.event, placed);
        first.ack().await.unwrap();
        let later = event("shop.orders.order.confirmed", "o1");
        let publisher = broker.clone();
        let expected = later.clone();
        tokio::spawn(async move { publisher.publish(&later).await.unwrap() });
        let second = tokio::time::timeout(Duration::from_secs(2), orders.next())
            .await
            .expect("delivered when published")
            .unwrap()
            .unwrap();
        assert_eq!(second.event, expected);
    }

    #[tokio::test]
    async fn a_watch_sees_matching_events_published_from_then_on() {
        let broker = MemoryBroker::new();
        broker
            .publish(&event("shop.orders.order.placed", "o1"))
            .await
            .unwrap();
        let mut watch = broker.watch("shop.orders.>").await.unwrap();
        let confirmed = event("shop.orders.order.confirmed", "o1");
        broker.publish(&confirmed).await.unwrap();
        broker.publish(&confirmed).await.unwrap();
        broker
            .publish(&event("shop.payments.payment.captured", "p1"))
            .await
            .unwrap();
        let shipped = event("shop.orders.order.shipped", "o1");
        let publisher = broker.clone();
        let later = shipped.clone();
        tokio::spawn(async move { publisher.publish(&later).await.unwrap() });
        let mut seen = Vec::new();
        for _ in 0..2 {
            let next = tokio::time::timeout(Duration::from_secs(2), watch.next())
                .await
                .expect("seen when published");
            seen.push(next.unwrap().unwrap());
        }
        assert_eq!(seen, vec![confirmed, shipped]);
    }

    #[tokio::test]
    async fn unacknowledged_events_come_again_and_duplicates_are_dropped() {
        let broker = MemoryBroker::new();
        let placed = event("shop.orders.order.placed", "o1");
        broker.publish(&placed).await.unwrap();
        broker.publish(&placed).await.unwrap();
        assert_eq!(broker.published().len(), 1, "one event id is stored once");

        let mut sub = broker.subscribe("c", "shop.>").await.unwrap();
        let first = sub.next().await.unwrap().unwrap();
        first.nak(Duration::from_millis(10)).await.unwrap();
        let again = sub.next().await.unwrap().unwrap();
        assert_eq!(again.event.id, placed.id);
        drop(again);
        let once_more = sub.next().await.unwrap().unwrap();
        assert_eq!(
            once_more.event.id, placed.id,
            "a dropped delivery is redelivered"
        );
        once_more.ack().await.unwrap();
        drop(sub);

        // A new subscription under the same name starts after what was acknowledged.
        let next = event("shop.orders.order.cancelled", "o1");
        broker.publish(&next).await.unwrap();
        let mut resumed = broker.subscribe("c", "shop.>").await.unwrap();
        assert_eq!(resumed.next().await.unwrap().unwrap().event.id, next.id);
        // Another name reads from the start.
        let mut other = broker.subscribe("d", "shop.>").await.unwrap();
        assert_eq!(other.next().await.unwrap().unwrap().event.id, placed.id);
    }
}
