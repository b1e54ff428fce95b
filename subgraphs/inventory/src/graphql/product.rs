//! This subgraph's share of the catalog's `Product` entity.

use async_graphql::{Context, ID, Object, Result};
use subgraph_kit::error::ResultExt;
use subgraph_kit::graphql::{MoneyInput, MoneyObject};
use subgraph_kit::money::Money;

use super::level::InventoryLevelObject;
use super::loader::load_level;
use crate::domain::{InventoryError, ProductId, StockLevel, stock_value};

/// A product as inventory knows it: an id, its stock level once loaded, and
/// the price when the router supplies it for `stockValue`.
pub struct ProductStub {
    pub id: ProductId,
    pub price: Option<MoneyInput>,
    pub level: Option<StockLevel>,
}

impl ProductStub {
    /// A reference to a product whose level is loaded only if asked for.
    pub fn new(id: ProductId) -> Self {
        ProductStub {
            id,
            price: None,
            level: None,
        }
    }

    /// The level, through the request's batch unless already loaded.
    async fn level(&self, ctx: &Context<'_>) -> Result<StockLevel> {
        match &self.level {
            Some(level) => Ok(level.clone()),
            None => load_level(ctx, &self.id).await,
        }
    }

    fn unit_price(&self) -> Result<Money, InventoryError> {
        self.price
            .as_ref()
            .ok_or(InventoryError::PriceRequired)?
            .to_money()
            .map_err(InventoryError::InvalidPrice)
    }
}

#[Object(name = "Product")]
impl ProductStub {
    async fn id(&self) -> ID {
        ID(self.id.as_str().to_owned())
    }

    /// The list price, owned by the products subgraph.
    #[graphql(external)]
    async fn price(&self) -> Result<MoneyObject> {
        Ok(self.unit_price().gql()?.into())
    }

    /// Stock on hand, reserved and available, and the reorder policy.
    async fn inventory(&self, ctx: &Context<'_>) -> Result<InventoryLevelObject> {
        Ok(InventoryLevelObject(self.level(ctx).await?))
    }

    /// True when at least one unit can be ordered.
    async fn in_stock(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(self.level(ctx).await?.in_stock())
    }

    /// What the units on hand are worth at the current price.
    #[graphql(requires = "price { amount currency }")]
    async fn stock_value(&self, ctx: &Context<'_>) -> Result<MoneyObject> {
        let price = self.unit_price().gql()?;
        let level = self.level(ctx).await?;
        Ok(stock_value(level.on_hand, price).gql()?.into())
    }
}
