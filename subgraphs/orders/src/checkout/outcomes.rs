//! Orders' consumer of payment events: it records the outcome of a payment
//! an order waits for (an invoice paid, voided or refused later) and runs
//! the order on. Idempotent through the inbox, and a no-op for orders that
//! are not waiting (the checkout's own card payments come by here too).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use events::inbox::{self, Handled};
use events::{Broker, Event};
use sea_orm::{DatabaseConnection, DbErr};
use serde::Deserialize;

use super::Checkout;
use crate::domain::{CheckoutFailure, CheckoutStep, OrderError, OrderId};
use crate::store::{OrderStore, Outcome};

pub const CONSUMER: &str = "orders-payment-outcomes";
pub const SUBJECTS: &str = "shop.payments.payment.>";

/// The fields of the payments service's `PaymentChanged` this needs.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PaymentChanged {
    payment_id: String,
    order_id: String,
    status: String,
    gateway: String,
    failure_reason: Option<String>,
}

impl PaymentChanged {
    /// True for outcomes that only come after the authorization answered
    /// (an invoice's), which the order may not have recorded yet. A card's
    /// authorization outcome reaches the checkout in the call's answer.
    fn follows_authorization(&self) -> bool {
        self.gateway == "INVOICE" || matches!(self.status.as_str(), "CAPTURED" | "VOIDED")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OutcomeError {
    #[error("unreadable payment event: {0}")]
    Payload(#[from] serde_json::Error),
    #[error(transparent)]
    Order(#[from] OrderError),
    #[error("order {0} has not recorded its payment yet; try again")]
    NotYetAwaiting(String),
}

impl From<DbErr> for OutcomeError {
    fn from(err: DbErr) -> Self {
        OutcomeError::Order(err.into())
    }
}

/// What a payment's new status means for an order waiting on it.
fn outcome(event: &PaymentChanged) -> Option<(CheckoutStep, Option<CheckoutFailure>)> {
    let reason = event.failure_reason.as_deref().unwrap_or("no reason given");
    match event.status.as_str() {
        "AUTHORIZED" => Some((CheckoutStep::Capture, None)),
        "CAPTURED" => Some((CheckoutStep::Commit, None)),
        "DECLINED" => Some((
            CheckoutStep::Release,
            Some(CheckoutFailure::new(
                "PAYMENT_DECLINED",
                format!("payment declined: {reason}"),
            )),
        )),
        "FAILED" => Some((
            CheckoutStep::Release,
            Some(CheckoutFailure::new(
                "PAYMENT_FAILED",
                format!("payment failed: {reason}"),
            )),
        )),
        "VOIDED" => Some((
            CheckoutStep::Release,
            Some(CheckoutFailure::new(
                "PAYMENT_FAILED",
                "the invoice was cancelled before it was paid",
            )),
        )),
        _ => None,
    }
}

impl Checkout {
    /// Handles one payment event (see the module docs).
    pub async fn on_payment_event(
        &self,
        db: &DatabaseConnection,
        event: Event,
    ) -> Result<(), OutcomeError> {
        let change: PaymentChanged = event.payload()?;
        let (Some((step, failure)), Some(order_id)) =
            (outcome(&change), OrderId::parse(&change.order_id))
        else {
            return Ok(());
        };
        let recorded = Arc::new(AtomicBool::new(false));
        let (id, payment, follows) = (
            order_id.clone(),
            change.payment_id.clone(),
            change.follows_authorization(),
        );
        let flag = recorded.clone();
        let handled = inbox::handle_once(db, CONSUMER, &event, move |txn| {
            Box::pin(async move {
                let outcome =
                    OrderStore::payment_outcome(txn, &id, &payment, step, failure.as_ref()).await?;
                match outcome {
                    Outcome::Recorded => {
                        flag.store(true, Ordering::Relaxed);
                        Ok(())
                    }
                    // Fail, so the event is not marked handled and comes again.
                    Outcome::NotYetAwaiting if follows => {
                        Err(OutcomeError::NotYetAwaiting(id.as_str().to_owned()))
                    }
                    Outcome::NotYetAwaiting | Outcome::NotAwaiting => Ok(()),
                }
            })
        })
        .await?;
        if handled == Handled::Duplicate {
            return Ok(());
        }
        if recorded.load(Ordering::Relaxed)
            && let Some(order) = self.store.get(&order_id).await?
        {
            self.settle(order, None).await?;
        }
        Ok(())
    }

    /// Consumes payment events until `stopping` completes.
    pub async fn run_outcomes(
        self,
        db: DatabaseConnection,
        broker: Arc<dyn Broker>,
        stopping: impl Future<Output = ()>,
    ) {
        let checkout = &self;
        let db = &db;
        events::consumer::run(
            broker,
            CONSUMER,
            SUBJECTS,
            |event| checkout.on_payment_event(db, event),
            stopping,
        )
        .await;
    }
}
