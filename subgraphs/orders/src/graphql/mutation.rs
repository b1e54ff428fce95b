use async_graphql::{Context, ID, Object, Result};
use subgraph_kit::error::ResultExt;

use super::types::{OrderObject, PlaceOrderInput};
use crate::domain::{
    IdempotencyKey, OrderError, OrderId, OrderRequest, OrderStatus, Shipment,
    parse_optional_reason, parse_reason,
};
use crate::service::OrderService;

pub struct Mutation;

#[Object]
impl Mutation {
    /// Places a PENDING order at the catalog's current prices. Retrying with
    /// the same `idempotencyKey` returns the order the first call created.
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
        let request = OrderRequest::parse(&input.customer_email, &lines).gql()?;
        let key = IdempotencyKey::parse(idempotency_key.as_deref()).gql()?;
        let service = ctx.data::<OrderService>()?;
        let order = service.place(&request, key.as_ref()).await.gql()?;
        Ok(OrderObject(order))
    }

    /// Cancels a PENDING or CONFIRMED order. Cancelling twice is harmless.
    async fn cancel_order(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: Option<String>,
    ) -> Result<OrderObject> {
        let reason = parse_optional_reason(reason.as_deref()).gql()?;
        change(ctx, &id, OrderStatus::Cancelled, reason.as_deref(), None).await
    }

    /// Hands a CONFIRMED order to a carrier. Shipping twice is harmless (the
    /// first carrier and tracking number stay).
    async fn ship_order(
        &self,
        ctx: &Context<'_>,
        id: ID,
        carrier: String,
        tracking_number: String,
    ) -> Result<OrderObject> {
        let shipment = Shipment::parse(&carrier, &tracking_number).gql()?;
        change(ctx, &id, OrderStatus::Shipped, None, Some(&shipment)).await
    }

    /// Records that a SHIPPED order arrived. Idempotent.
    async fn mark_delivered(&self, ctx: &Context<'_>, id: ID) -> Result<OrderObject> {
        change(ctx, &id, OrderStatus::Delivered, None, None).await
    }

    /// For the checkout: payment succeeded for a PENDING order. Idempotent.
    #[graphql(inaccessible)]
    async fn confirm_order(&self, ctx: &Context<'_>, id: ID) -> Result<OrderObject> {
        change(ctx, &id, OrderStatus::Confirmed, None, None).await
    }

    /// For the checkout: payment failed for a PENDING order. Idempotent.
    #[graphql(inaccessible)]
    async fn mark_payment_failed(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> Result<OrderObject> {
        let reason = parse_reason(&reason).gql()?;
        change(ctx, &id, OrderStatus::PaymentFailed, Some(&reason), None).await
    }
}

async fn change(
    ctx: &Context<'_>,
    id: &ID,
    to: OrderStatus,
    note: Option<&str>,
    shipment: Option<&Shipment>,
) -> Result<OrderObject> {
    let id = OrderId::parse(id)
        .ok_or_else(|| OrderError::NotFound(id.to_string()))
        .gql()?;
    let service = ctx.data::<OrderService>()?;
    let order = service.change_status(&id, to, note, shipment).await.gql()?;
    Ok(OrderObject(order))
}
