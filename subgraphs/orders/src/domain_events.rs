//! The events orders publishes, written to the outbox by the store in the
//! transaction that makes the change.
//!
//! Subjects: `shop.orders.order.placed` for a new order, and
//! `shop.orders.order.<status>` (`confirmed`, `payment_failed`, `cancelled`,
//! `shipped`, `delivered`) for every status change after it; the payload is
//! [`OrderStatusChanged`] in both cases.

use chrono::{DateTime, Utc};
use events::Event;
use serde::{Deserialize, Serialize};

use crate::domain::{Order, OrderStatus};

/// The payload of every order event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderStatusChanged {
    pub order_id: String,
    pub status: String,
    /// `None` when the order was just placed.
    pub previous_status: Option<String>,
    pub note: Option<String>,
    pub customer_email: String,
    /// Minor units of `currency`.
    pub total_amount: i64,
    pub currency: String,
    pub at: DateTime<Utc>,
}

/// `shop.orders.order.placed` or `shop.orders.order.<status>`.
pub fn subject(previous: Option<OrderStatus>, status: OrderStatus) -> String {
    match previous {
        None => "shop.orders.order.placed".to_owned(),
        Some(_) => format!("shop.orders.order.{}", status.as_str().to_ascii_lowercase()),
    }
}

/// The change as it is published and streamed.
pub fn status_change(
    order: &Order,
    previous: Option<OrderStatus>,
    note: Option<&str>,
    at: DateTime<Utc>,
) -> OrderStatusChanged {
    OrderStatusChanged {
        order_id: order.id.as_str().to_owned(),
        status: order.status.as_str().to_owned(),
        previous_status: previous.map(|s| s.as_str().to_owned()),
        note: note.map(str::to_owned),
        customer_email: order.customer_email.as_str().to_owned(),
        total_amount: order.total.amount(),
        currency: order.total.currency().code().to_owned(),
        at,
    }
}

/// The change as an event for the outbox.
pub fn to_event(change: &OrderStatusChanged) -> Result<Event, serde_json::Error> {
    let status = OrderStatus::parse(&change.status).unwrap_or(OrderStatus::Pending);
    let previous = change
        .previous_status
        .as_deref()
        .and_then(OrderStatus::parse);
    Event::new(subject(previous, status), change.order_id.as_str(), change)
}
