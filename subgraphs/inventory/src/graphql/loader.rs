//! Batches stock-level lookups: every product whose `inventory`, `inStock`
//! or `stockValue` a request resolves becomes one SQL statement.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Value};
use subgraph_kit::entities::{self, Representation};
use subgraph_kit::error::CodedError;

use crate::domain::{InventoryError, ProductId, StockLevel};
use crate::store::InventoryStore;

pub struct StockLevelLoader {
    pub store: InventoryStore,
}

impl Loader<ProductId> for StockLevelLoader {
    type Value = StockLevel;
    type Error = Arc<InventoryError>;

    async fn load(
        &self,
        keys: &[ProductId],
    ) -> Result<HashMap<ProductId, StockLevel>, Self::Error> {
        let levels = self.store.find_levels(keys).await.map_err(Arc::new)?;
        Ok(levels
            .into_iter()
            .map(|level| (level.product_id.clone(), level))
            .collect())
    }
}

/// The level of a product through the request's batch; all zero when the
/// product was never stocked.
pub async fn load_level(
    ctx: &Context<'_>,
    product_id: &ProductId,
) -> async_graphql::Result<StockLevel> {
    let loader = ctx.data::<DataLoader<StockLevelLoader>>()?;
    let level = loader
        .load_one(product_id.clone())
        .await
        .map_err(|err| subgraph_kit::error::to_graphql(ArcError(err)))?;
    Ok(level.unwrap_or_else(|| StockLevel::never_stocked(product_id.clone())))
}

/// Like [`load_level`], but loaded together with every `Product`
/// representation of the current `_entities` request: one statement per
/// request whatever the timing.
pub async fn load_entity_level(
    ctx: &Context<'_>,
    product_id: &ProductId,
) -> async_graphql::Result<StockLevel> {
    let loader = ctx.data::<DataLoader<StockLevelLoader>>()?;
    let level = entities::load(ctx, loader, "Product", key_of, product_id.clone())
        .await
        .map_err(|err| subgraph_kit::error::to_graphql(ArcError(err)))?;
    Ok(level.unwrap_or_else(|| StockLevel::never_stocked(product_id.clone())))
}

/// The product a representation names, if its id is a UUID.
fn key_of(representation: &Representation) -> Option<ProductId> {
    match representation.get("id") {
        Some(Value::String(id)) => ProductId::parse(id).ok(),
        _ => None,
    }
}

/// Lets a shared loader error keep its code.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
struct ArcError(Arc<InventoryError>);

impl CodedError for ArcError {
    fn code(&self) -> &'static str {
        self.0.code()
    }
    fn is_internal(&self) -> bool {
        self.0.is_internal()
    }
}
