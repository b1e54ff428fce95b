//! The payment flows: the only code that talks to both the store and the
//! gateways.
//!
//! Each flow runs on its own task, so a client that disconnects mid-request
//! cannot stop it between the gateway's answer and recording that answer.

use std::future::Future;

use crate::domain::{
    AuthorizationOutcome, GatewayDecision, IdempotencyKey, NewPayment, Payment, PaymentCommand,
    PaymentError, PaymentId, Plan, plan,
};
use crate::gateway::{AuthorizeRequest, GatewayRegistry};
use crate::store::{Inserted, PaymentStore};

#[derive(Clone)]
pub struct PaymentProcessor {
    store: PaymentStore,
    gateways: GatewayRegistry,
}

impl PaymentProcessor {
    pub fn new(store: PaymentStore, gateways: GatewayRegistry) -> Self {
        PaymentProcessor { store, gateways }
    }

    pub fn store(&self) -> &PaymentStore {
        &self.store
    }

    /// Authorizes a payment once per idempotency key. The PENDING row is
    /// written before the gateway is asked, so a retry (even a concurrent
    /// one) finds it and never reaches the gateway a second time; a retry
    /// that arrives while the first call is still with the gateway gets the
    /// payment as it is then: PENDING without a gateway reference.
    pub async fn authorize(
        &self,
        new: NewPayment,
        key: IdempotencyKey,
    ) -> Result<Payment, PaymentError> {
        let this = self.clone();
        detached(async move {
            let payment = match this.store.insert_pending(&new, &key).await? {
                Inserted::Existing(existing) => return existing.replay(&new),
                Inserted::Created(payment) => payment,
            };
            let decision = this
                .gateways
                .get(payment.gateway)
                .authorize(AuthorizeRequest {
                    payment_id: &payment.id,
                    amount: payment.amount,
                    card: new.card.as_ref(),
                })
                .await;
            this.store
                .record_authorization(&payment.id, AuthorizationOutcome::from(decision))
                .await
        })
        .await
    }

    /// Captures, refunds, voids or settles a payment. A payment already in
    /// the target state comes back unchanged; the move itself is one
    /// conditional update, so of two racing requests only one moves it.
    pub async fn execute(
        &self,
        id: &PaymentId,
        command: PaymentCommand,
    ) -> Result<Payment, PaymentError> {
        let this = self.clone();
        let id = id.clone();
        detached(async move {
            let payment = this.store.require(&id).await?;
            let (from, to) = match plan_for(&payment, command)? {
                Plan::Unchanged => return Ok(payment),
                Plan::Move { from, to } => (from, to),
            };
            let gateway = this.gateways.get(payment.gateway);
            let reference = payment.gateway_reference.as_deref().unwrap_or_default();
            let decision = match command {
                PaymentCommand::Capture | PaymentCommand::MarkInvoicePaid => {
                    gateway.capture(reference, payment.amount).await
                }
                PaymentCommand::Refund => gateway.refund(reference, payment.amount).await,
                PaymentCommand::Void => gateway.void(reference).await,
            };
            match decision {
                GatewayDecision::Approved { .. } => {}
                GatewayDecision::Pending { .. } => {
                    return Err(refused(command, "the gateway left it pending".into()));
                }
                GatewayDecision::Declined { reason } | GatewayDecision::Failed { reason } => {
                    return Err(refused(command, reason));
                }
            }
            if let Some(moved) = this.store.move_status(&id, from, to).await? {
                return Ok(moved);
            }
            // Another request moved it first: fine if it got where we wanted.
            let current = this.store.require(&id).await?;
            match plan_for(&current, command)? {
                Plan::Unchanged => Ok(current),
                Plan::Move { .. } => Err(PaymentError::InvalidState {
                    from: current.status,
                    to,
                }),
            }
        })
        .await
    }
}

fn plan_for(payment: &Payment, command: PaymentCommand) -> Result<Plan, PaymentError> {
    plan(
        payment.status,
        payment.gateway,
        payment.gateway_reference.is_some(),
        command,
    )
}

fn refused(command: PaymentCommand, reason: String) -> PaymentError {
    PaymentError::GatewayRefused {
        action: command.verb(),
        reason,
    }
}

/// Runs a flow to completion whatever happens to the request awaiting it.
async fn detached<T: Send + 'static>(
    flow: impl Future<Output = Result<T, PaymentError>> + Send + 'static,
) -> Result<T, PaymentError> {
    // In the caller's span: the flow's events belong to the request's trace.
    tokio::spawn(tracing::Instrument::in_current_span(flow))
        .await
        .unwrap_or_else(|err| {
            tracing::error!(error = %err, "payment flow panicked or was cancelled");
            Err(PaymentError::Interrupted)
        })
}
