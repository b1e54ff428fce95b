use async_graphql::{Context, ID, Object, Result};
use chrono::Utc;
use subgraph_kit::caller::Caller;
use subgraph_kit::error::ResultExt;

use super::types::{AuthorizePaymentInput, PaymentObject};
use crate::domain::{IdempotencyKey, NewPayment, PaymentCommand, PaymentError, PaymentId};
use crate::processor::PaymentProcessor;

pub struct Mutation;

#[Object]
impl Mutation {
    /// For the checkout: authorizes a payment once per `idempotencyKey`; a
    /// retry returns the first attempt's payment. A declined card is not an
    /// error: the payment comes back DECLINED with a `failureReason`.
    #[graphql(inaccessible)]
    async fn authorize_payment(
        &self,
        ctx: &Context<'_>,
        input: AuthorizePaymentInput,
        idempotency_key: String,
    ) -> Result<PaymentObject> {
        let key = IdempotencyKey::parse(&idempotency_key).gql()?;
        let new = NewPayment::parse(
            &input.order_id,
            i64::from(input.amount.amount),
            &input.amount.currency,
            input.gateway.into(),
            input.card.as_ref().map(|c| c.details()),
            Utc::now().date_naive(),
        )
        .gql()?;
        let processor = ctx.data::<PaymentProcessor>()?;
        Ok(PaymentObject(processor.authorize(new, key).await.gql()?))
    }

    /// For the checkout: takes the authorized funds. Capturing a captured
    /// payment returns it unchanged.
    #[graphql(inaccessible)]
    async fn capture_payment(&self, ctx: &Context<'_>, id: ID) -> Result<PaymentObject> {
        execute(ctx, &id, PaymentCommand::Capture).await
    }

    /// For the checkout: returns captured funds. Refunding a refunded
    /// payment returns it unchanged.
    #[graphql(inaccessible)]
    async fn refund_payment(&self, ctx: &Context<'_>, id: ID) -> Result<PaymentObject> {
        execute(ctx, &id, PaymentCommand::Refund).await
    }

    /// For the checkout: releases an authorization, or cancels an open
    /// invoice. Voiding a voided payment returns it unchanged.
    #[graphql(inaccessible)]
    async fn void_payment(&self, ctx: &Context<'_>, id: ID) -> Result<PaymentObject> {
        execute(ctx, &id, PaymentCommand::Void).await
    }

    /// Back office: the money for an invoice arrived, which captures the
    /// payment. Marking a paid invoice again returns it unchanged.
    #[graphql(requires_scopes = "admin")]
    async fn mark_invoice_paid(&self, ctx: &Context<'_>, payment_id: ID) -> Result<PaymentObject> {
        Caller::of(ctx).require_scope("admin")?;
        execute(ctx, &payment_id, PaymentCommand::MarkInvoicePaid).await
    }
}

async fn execute(ctx: &Context<'_>, id: &ID, command: PaymentCommand) -> Result<PaymentObject> {
    let id = PaymentId::parse(id)
        .ok_or_else(|| PaymentError::NotFound(id.to_string()))
        .gql()?;
    let processor = ctx.data::<PaymentProcessor>()?;
    Ok(PaymentObject(processor.execute(&id, command).await.gql()?))
}
