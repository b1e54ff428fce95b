//! Where events go after the outbox: a durable log that consumers read at
//! their own pace, each acknowledging what it has handled.

pub mod memory;
pub mod nats;

use std::time::Duration;

use futures::stream::BoxStream;

use crate::Event;

#[derive(Debug, Clone, thiserror::Error)]
pub enum BrokerError {
    #[error("the broker is unavailable: {0}")]
    Unavailable(String),
    #[error("a message is not an event: {0}")]
    Malformed(String),
}

/// A message broker with durable, acknowledged consumers.
#[async_trait::async_trait]
pub trait Broker: Send + Sync + 'static {
    /// Publishes `event`; `Ok` once the broker holds it durably. Publishing
    /// the same event twice may deliver it twice: consumers de-duplicate.
    async fn publish(&self, event: &Event) -> Result<(), BrokerError>;

    /// A durable subscription: `consumer` (letters, digits, `-` and `_`)
    /// names the reader's position, so a new subscription under the same
    /// name carries on where the last one stopped acknowledging. It sees
    /// every event, past and future, whose subject matches `filter`.
    async fn subscribe(&self, consumer: &str, filter: &str) -> Result<Subscription, BrokerError>;

    /// Events published from now on whose subject matches `filter`, for
    /// live views (the changes a replica pushes to its WebSocket clients,
    /// whichever replica committed them): nothing is acknowledged or kept
    /// for the watcher. After a lost connection the stream ends; the caller
    /// watches again and treats the gap as changes it may have missed.
    async fn watch(&self, filter: &str) -> Result<Watch, BrokerError>;
}

/// A live view of published events (see [`Broker::watch`]).
pub type Watch = BoxStream<'static, Result<Event, BrokerError>>;

/// Deliveries in order; an error item is one message that could not be read
/// (the stream goes on) or a lost connection (the stream ends after it).
pub type Subscription = BoxStream<'static, Result<Delivery, BrokerError>>;

/// One event handed to a consumer. Unless acknowledged it is delivered
/// again: after `nak`'s delay, or when the broker's wait runs out.
pub struct Delivery {
    pub event: Event,
    pub meta: DeliveryMeta,
    acker: Box<dyn Acker>,
}

/// What the broker says about a delivery, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryMeta {
    /// How many times this event has been delivered to this consumer,
    /// this time included (1: the first).
    pub delivered: u64,
    /// Events the broker holds for this consumer after this one, where it
    /// tells (JetStream does).
    pub pending: Option<u64>,
}

impl Default for DeliveryMeta {
    fn default() -> Self {
        DeliveryMeta {
            delivered: 1,
            pending: None,
        }
    }
}

/// How a broker settles a delivery.
#[async_trait::async_trait]
pub trait Acker: Send {
    async fn ack(self: Box<Self>) -> Result<(), BrokerError>;
    async fn nak(self: Box<Self>, delay: Duration) -> Result<(), BrokerError>;
}

impl Delivery {
    pub fn new(event: Event, acker: impl Acker + 'static) -> Self {
        Delivery {
            event,
            meta: DeliveryMeta::default(),
            acker: Box::new(acker),
        }
    }

    pub fn with_meta(mut self, meta: DeliveryMeta) -> Self {
        self.meta = meta;
        self
    }

    /// Handled: never deliver it to this consumer again.
    pub async fn ack(self) -> Result<(), BrokerError> {
        self.acker.ack().await
    }

    /// Not handled: deliver it again after `delay`.
    pub async fn nak(self, delay: Duration) -> Result<(), BrokerError> {
        self.acker.nak(delay).await
    }
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("event", &self.event)
            .finish()
    }
}
