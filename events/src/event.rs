//! The envelope of a domain event.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Something that happened in one service, for others to react to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Unique per event. Consumers de-duplicate by it, and JetStream drops a
    /// re-publication within its duplicate window (`Nats-Msg-Id`).
    pub id: Uuid,
    /// What happened, as a broker subject: `shop.<service>.<what>.<verb>`,
    /// e.g. `shop.orders.order.placed`.
    pub subject: String,
    /// The entity it happened to (an order id, a product id, …).
    pub key: String,
    pub occurred_at: DateTime<Utc>,
    pub payload: serde_json::Value,
    /// The W3C `traceparent` of the work that caused the event, when that
    /// work was traced: stored beside the event in the outbox and carried
    /// as a message header, never in the body, so a consumer's span joins
    /// the trace of the change it reacts to.
    #[serde(skip)]
    pub traceparent: Option<String>,
}

impl Event {
    /// A new event with a fresh time-ordered id.
    pub fn new(
        subject: impl Into<String>,
        key: impl Into<String>,
        payload: &impl Serialize,
    ) -> Result<Self, serde_json::Error> {
        Ok(Event {
            id: Uuid::now_v7(),
            subject: subject.into(),
            key: key.into(),
            occurred_at: Utc::now(),
            payload: serde_json::to_value(payload)?,
            traceparent: None,
        })
    }

    /// The payload as `T`.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.payload)
    }

    pub fn to_json(&self) -> Vec<u8> {
        // An Event is plain data: serializing it cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json() {
        let event = Event::new(
            "shop.orders.order.placed",
            "ord_1",
            &serde_json::json!({"total": 1200}),
        )
        .unwrap();
        let back = Event::from_json(&event.to_json()).unwrap();
        assert_eq!(back, event);
        #[derive(Deserialize)]
        struct Placed {
            total: i64,
        }
        assert_eq!(back.payload::<Placed>().unwrap().total, 1200);
        assert!(
            Event::new("s", "k", &()).unwrap().id > event.id,
            "ids are time-ordered"
        );
    }
}
