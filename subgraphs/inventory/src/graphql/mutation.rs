use async_graphql::{Context, ID, Object, Result};
use subgraph_kit::caller::Caller;
use subgraph_kit::error::ResultExt;

use super::level::InventoryLevelObject;
use super::replenishment::ReplenishmentObject;
use super::reservation::{ReservationItemInput, ReservationObject};
use crate::domain::{
    InventoryError, OrderId, ProductId, Quantity, ReorderPolicy, ReplenishmentId,
    ReservationRequest, StockAdjustment,
};
use crate::store::InventoryStore;

pub struct Mutation;

#[Object]
impl Mutation {
    /// Adds (positive delta) or removes (negative) units on hand and records
    /// why. Units reserved for orders cannot be removed. Retrying with the
    /// same `idempotencyKey` returns the current level without applying the
    /// change again.
    #[graphql(requires_scopes = "admin")]
    async fn adjust_stock(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        delta: i32,
        reason: String,
        idempotency_key: Option<String>,
    ) -> Result<InventoryLevelObject> {
        Caller::of(ctx).require_scope("admin")?;
        let adjustment = StockAdjustment::parse(
            &product_id,
            i64::from(delta),
            &reason,
            idempotency_key.as_deref(),
        )
        .gql()?;
        let store = ctx.data::<InventoryStore>()?;
        Ok(InventoryLevelObject(store.adjust(&adjustment).await.gql()?))
    }

    /// Requests `reorderQuantity` more units whenever available stock falls
    /// to `reorderPoint`. A quantity of 0 turns replenishment off.
    #[graphql(requires_scopes = "admin")]
    async fn set_reorder_policy(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        reorder_point: i32,
        reorder_quantity: i32,
    ) -> Result<InventoryLevelObject> {
        Caller::of(ctx).require_scope("admin")?;
        let product_id = ProductId::parse(&product_id).gql()?;
        let policy =
            ReorderPolicy::parse(i64::from(reorder_point), i64::from(reorder_quantity)).gql()?;
        let store = ctx.data::<InventoryStore>()?;
        Ok(InventoryLevelObject(
            store.set_reorder_policy(&product_id, policy).await.gql()?,
        ))
    }

    /// Puts the goods of an open request on hand: `quantity` units, or the
    /// requested quantity when omitted. Receiving twice changes nothing.
    #[graphql(requires_scopes = "admin")]
    async fn receive_replenishment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        quantity: Option<i32>,
    ) -> Result<ReplenishmentObject> {
        Caller::of(ctx).require_scope("admin")?;
        let id = ReplenishmentId::parse(&id).gql()?;
        let arrived = quantity
            .map(|q| Quantity::new(i64::from(q)))
            .transpose()
            .gql()?;
        let store = ctx.data::<InventoryStore>()?;
        Ok(ReplenishmentObject(
            store.receive_replenishment(&id, arrived).await.gql()?,
        ))
    }

    /// Holds stock for every item of an order, or fails with
    /// INSUFFICIENT_STOCK and holds nothing. Calling again for the same
    /// order returns the existing reservation.
    #[graphql(inaccessible)]
    async fn reserve_stock(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        items: Vec<ReservationItemInput>,
    ) -> Result<ReservationObject> {
        let request = ReservationRequest::parse(
            &order_id,
            items
                .iter()
                .map(|item| (item.product_id.as_str(), i64::from(item.quantity))),
        )
        .gql()?;
        let store = ctx.data::<InventoryStore>()?;
        Ok(ReservationObject(store.reserve(&request).await.gql()?))
    }

    /// Frees the stock held for a cancelled, unconfirmed order. Releasing an
    /// order that holds nothing records that, so a later `reserveStock` for
    /// it holds nothing either.
    #[graphql(inaccessible)]
    async fn release_reservation(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
    ) -> Result<ReservationObject> {
        let order_id = parse_order(&order_id).gql()?;
        let store = ctx.data::<InventoryStore>()?;
        Ok(ReservationObject(store.release(&order_id).await.gql()?))
    }

    /// Turns the stock held for a confirmed order into sales.
    #[graphql(inaccessible)]
    async fn commit_reservation(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
    ) -> Result<ReservationObject> {
        let order_id = parse_order(&order_id).gql()?;
        let store = ctx.data::<InventoryStore>()?;
        Ok(ReservationObject(store.commit(&order_id).await.gql()?))
    }

    /// Puts the units of a confirmed, later cancelled order back on hand.
    #[graphql(inaccessible)]
    async fn restock_reservation(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
    ) -> Result<ReservationObject> {
        let order_id = parse_order(&order_id).gql()?;
        let store = ctx.data::<InventoryStore>()?;
        Ok(ReservationObject(store.restock(&order_id).await.gql()?))
    }
}

/// A malformed order id names no reservation.
fn parse_order(order_id: &ID) -> Result<OrderId, InventoryError> {
    OrderId::parse(order_id).map_err(|_| InventoryError::ReservationNotFound(order_id.to_string()))
}
