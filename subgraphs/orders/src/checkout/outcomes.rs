//! Orders' consumer of payment events: it records the outcome of a payment
//! an order waits for (an invoice paid, voided or refused later) and runs
//! the order on. Idempotent through the inbox, and a no-op for orders that
//! are not waiting (the checkout's own card payments come by here too),
//! except that a payment authorized or captured for an order that already
//! ended without it (a call that landed after its checkout was undone) is
//! voided or refunded.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

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
        let change: PaymentChanged = match event.payload() {
            Ok(change) => change,
            Err(err) => {
                // Redelivering it would not make it readable: skip it.
                tracing::error!(id = %event.id, subject = event.subject, error = %err, "unreadable payment event skipped");
                return Ok(());
            }
        };
        let (Some((step, failure)), Some(order_id)) =
            (outcome(&change), OrderId::parse(&change.order_id))
        else {
            return Ok(());
        };
        let seen = Arc::new(Mutex::new(Outcome::NotAwaiting));
        let (id, payment, follows) = (
            order_id.clone(),
            change.payment_id.clone(),
            change.follows_authorization(),
        );
        let record = seen.clone();
        let handled = inbox::handle_once(db, CONSUMER, &event, move |txn| {
            Box::pin(async move {
                let outcome =
                    OrderStore::payment_outcome(txn, &id, &payment, step, failure.as_ref()).await?;
                if outcome == Outcome::NotYetAwaiting && follows {
                    // Fail, so the event is not marked handled and comes again.
                    return Err(OutcomeError::NotYetAwaiting(id.as_str().to_owned()));
                }
                *record.lock().unwrap_or_else(PoisonError::into_inner) = outcome;
                Ok(())
            })
        })
        .await?;
        if handled == Handled::Duplicate {
            return Ok(());
        }
        let outcome = *seen.lock().unwrap_or_else(PoisonError::into_inner);
        let checkout = self.clone();
        match outcome {
            // Run the order on in its own task: the consumer moves on.
            Outcome::Recorded => {
                subgraph_kit::traces::spawn(async move {
                    let settled = match checkout.store.get(&order_id).await {
                        Ok(Some(order)) => checkout.settle(order, None).await.map(drop),
                        Ok(None) => Ok(()),
                        Err(err) => Err(err),
                    };
                    if let Err(err) = settled {
                        tracing::warn!(error = %err, "cannot run the order on after its payment; recovery will");
                    }
                });
            }
            // A payment that turned up for an order that ended without it
            // (a late authorization): give the money back.
            Outcome::Ended => {
                subgraph_kit::traces::spawn(async move { checkout.return_stray(&change).await });
            }
            Outcome::NotYetAwaiting | Outcome::NotAwaiting => {}
        }
        Ok(())
    }

    /// Voids or refunds a payment its (final, failed) order does not hold.
    /// Idempotent on the payments side; a payment already given back is
    /// refused, which is fine.
    async fn return_stray(&self, change: &PaymentChanged) {
        let returned = match change.status.as_str() {
            "AUTHORIZED" => self.billing.void(&change.payment_id).await,
            "CAPTURED" => self.billing.refund(&change.payment_id).await,
            _ => return,
        };
        match returned {
            Ok(state) => {
                tracing::warn!(payment = change.payment_id, order = change.order_id, status = ?state.status, "returned a payment its order does not hold")
            }
            Err(err) => {
                tracing::info!(payment = change.payment_id, error = %err, "stray payment not returned")
            }
        }
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
