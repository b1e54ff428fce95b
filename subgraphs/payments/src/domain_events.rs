//! The events payments publishes, written to the outbox by the store in the
//! statement's own transaction: `shop.payments.payment.<status>` for every
//! status a payment moves to after PENDING (`authorized`, `declined`,
//! `failed`, `captured`, `refunded`, `voided`), payload [`PaymentChanged`].

use events::Event;
use serde::{Deserialize, Serialize};

use crate::domain::{Payment, PaymentStatus};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentChanged {
    pub payment_id: String,
    pub order_id: String,
    pub status: String,
    pub previous_status: String,
    /// Minor units of `currency`.
    pub amount: i64,
    pub currency: String,
    pub gateway: String,
    pub failure_reason: Option<String>,
}

pub fn payment_changed(
    payment: &Payment,
    previous: PaymentStatus,
) -> Result<Event, serde_json::Error> {
    let payload = PaymentChanged {
        payment_id: payment.id.as_str().to_owned(),
        order_id: payment.order_id.as_str().to_owned(),
        status: payment.status.as_str().to_owned(),
        previous_status: previous.as_str().to_owned(),
        amount: payment.amount.amount(),
        currency: payment.amount.currency().code().to_owned(),
        gateway: payment.gateway.as_str().to_owned(),
        failure_reason: payment.failure_reason.clone(),
    };
    let subject = format!(
        "shop.payments.payment.{}",
        payment.status.as_str().to_ascii_lowercase()
    );
    Event::new(subject, payment.id.as_str(), &payload)
}
