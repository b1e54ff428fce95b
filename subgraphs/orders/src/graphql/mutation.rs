use async_graphql::{Context, ID, Object, Result};
use subgraph_kit::authorization::authenticated;
use subgraph_kit::caller::Caller;
use subgraph_kit::error::ResultExt;

use super::types::{OrderObject, PlaceOrderInput};
use crate::domain::{
    IdempotencyKey, OrderError, OrderId, OrderRequest, OrderStatus, Shipment, parse_optional_reason,
};
use crate::service::OrderService;

pub struct Mutation;

#[Object]
impl Mutation {
    /// Checks out: prices the items at the catalog's current prices, holds
    /// the stock, charges the payment and confirms the order. The order comes
    /// back CONFIRMED; or PAYMENT_FAILED / CANCELLED with `failure` saying
    /// why, and what was held or charged given back; or PENDING while an
    /// invoice is open, or while a service is unreachable (the checkout then
    /// goes on by itself: completed if the payment was authorized, undone
    /// otherwise; follow it with `order` or `orderStatusChanged`). Retrying
    /// with the same `idempotencyKey` returns the first call's order and
    /// never charges twice.
    #[graphql(directive = authenticated::apply())]
    async fn place_order(
        &self,
        ctx: &Context<'_>,
        input: PlaceOrderInput,
        idempotency_key: Option<String>,
    ) -> Result<OrderObject> {
        let lines: Vec<(&str, i64)> = input
            .items
            .iter()
            .map(|item| (item.product_id.as_str(), i64::from(item.quantity)))
            .collect();
        // A customer orders for themselves; staff may order for anyone.
        Caller::of(ctx).require_act_for(&input.customer_email, "admin")?;
        let request = OrderRequest::parse(&input.customer_email, &lines).gql()?;
        let key = IdempotencyKey::parse(idempotency_key.as_deref()).gql()?;
        let payment = input.payment.into_details();
        let service = ctx.data::<OrderService>()?;
        let order = service
            .place(&request, &payment, key.as_ref())
            .await
            .gql()?;
        Ok(OrderObject(order))
    }

    /// Cancels a CONFIRMED order (its payment is refunded and its units go
    /// back on hand) or a PENDING one waiting for an invoice (the invoice is
    /// voided and the stock released). Cancelling twice is harmless.
    #[graphql(directive = authenticated::apply())]
    async fn cancel_order(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: Option<String>,
    ) -> Result<OrderObject> {
        let reason = parse_optional_reason(reason.as_deref()).gql()?;
        let given = id;
        let id = parse_id(&given).gql()?;
        let service = ctx.data::<OrderService>()?;
        let caller = Caller::of(ctx);
        caller.require_authenticated()?;
        // Another customer's order is as good as none.
        match service.store().get(&id).await.gql()? {
            Some(order) if caller.may_act_for(order.customer_email.as_str(), "admin") => {}
            _ => return Err(OrderError::NotFound(given.to_string())).gql(),
        }
        let order = service.cancel(&id, reason.as_deref()).await.gql()?;
        Ok(OrderObject(order))
    }

    /// Hands a CONFIRMED order to a carrier. Shipping twice is harmless (the
    /// first carrier and tracking number stay).
    #[graphql(requires_scopes = "admin")]
    async fn ship_order(
        &self,
        ctx: &Context<'_>,
        id: ID,
        carrier: String,
        tracking_number: String,
    ) -> Result<OrderObject> {
        Caller::of(ctx).require_scope("admin")?;
        let shipment = Shipment::parse(&carrier, &tracking_number).gql()?;
        change(ctx, &id, OrderStatus::Shipped, None, Some(&shipment)).await
    }

    /// Records that a SHIPPED order arrived. Idempotent.
    #[graphql(requires_scopes = "admin")]
    async fn mark_delivered(&self, ctx: &Context<'_>, id: ID) -> Result<OrderObject> {
        Caller::of(ctx).require_scope("admin")?;
        change(ctx, &id, OrderStatus::Delivered, None, None).await
    }
}

async fn change(
    ctx: &Context<'_>,
    id: &ID,
    to: OrderStatus,
    note: Option<&str>,
    shipment: Option<&Shipment>,
) -> Result<OrderObject> {
    let id = parse_id(id).gql()?;
    let service = ctx.data::<OrderService>()?;
    let order = service.change_status(&id, to, note, shipment).await.gql()?;
    Ok(OrderObject(order))
}

fn parse_id(id: &ID) -> Result<OrderId, OrderError> {
    OrderId::parse(id).ok_or_else(|| OrderError::NotFound(id.to_string()))
}
