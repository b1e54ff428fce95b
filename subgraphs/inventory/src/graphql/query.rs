use async_graphql::{Context, ID, Object, Result};
use subgraph_kit::caller::Caller;
use subgraph_kit::error::ResultExt;
use subgraph_kit::graphql::MoneyInput;

use super::level::InventoryLevelObject;
use super::loader::{load_entity_level, load_level};
use super::product::ProductStub;
use super::replenishment::{ReplenishmentObject, ReplenishmentStatusGql};
use super::reservation::ReservationObject;
use crate::domain::{OrderId, ProductId};
use crate::store::InventoryStore;

pub struct Query;

#[Object]
impl Query {
    /// The stock of a product; all zero when it was never stocked.
    async fn inventory(&self, ctx: &Context<'_>, product_id: ID) -> Result<InventoryLevelObject> {
        let product_id = ProductId::parse(&product_id).gql()?;
        Ok(InventoryLevelObject(load_level(ctx, &product_id).await?))
    }

    /// Replenishment requests, oldest first.
    #[graphql(requires_scopes = "admin")]
    async fn replenishments(
        &self,
        ctx: &Context<'_>,
        status: Option<ReplenishmentStatusGql>,
    ) -> Result<Vec<ReplenishmentObject>> {
        Caller::of(ctx).require_scope("admin")?;
        let store = ctx.data::<InventoryStore>()?;
        let requests = store.replenishments(status.map(Into::into)).await.gql()?;
        Ok(requests.into_iter().map(ReplenishmentObject).collect())
    }

    /// The reservation of an order, for the orders service; null when none.
    #[graphql(inaccessible)]
    async fn reservation(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
    ) -> Result<Option<ReservationObject>> {
        let Ok(order_id) = OrderId::parse(&order_id) else {
            return Ok(None);
        };
        let store = ctx.data::<InventoryStore>()?;
        Ok(store
            .reservation(&order_id)
            .await
            .gql()?
            .map(ReservationObject))
    }

    /// Any UUID names a product (with no stock until some arrives); other
    /// keys resolve to null without failing the batch. The price is the
    /// catalog's, sent by the router for `stockValue`.
    ///
    /// The router asks this subgraph only for stock fields, so the level is
    /// loaded here, in one batch with every other `Product` representation
    /// of the request.
    #[graphql(entity)]
    async fn find_product_by_id(
        &self,
        ctx: &Context<'_>,
        #[graphql(key)] id: ID,
        price: Option<MoneyInput>,
    ) -> Result<Option<ProductStub>> {
        let Ok(id) = ProductId::parse(&id) else {
            return Ok(None);
        };
        let level = load_entity_level(ctx, &id).await?;
        Ok(Some(ProductStub {
            id,
            price,
            level: Some(level),
        }))
    }
}
