//! Batched lookups: every order, item list or history asked for while one
//! request resolves becomes one SQL statement per kind.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Result};

use crate::domain::{Order, OrderError, OrderId, OrderItem, StatusChange};
use crate::store::OrderStore;

/// Order headers by id (`order`, `_entities`).
pub struct OrderLoader {
    pub store: OrderStore,
}

impl Loader<OrderId> for OrderLoader {
    type Value = Order;
    type Error = Arc<OrderError>;

    async fn load(&self, ids: &[OrderId]) -> Result<HashMap<OrderId, Order>, Self::Error> {
        let orders = self.store.get_many(ids).await.map_err(Arc::new)?;
        Ok(orders.into_iter().map(|o| (o.id.clone(), o)).collect())
    }
}

/// `Order.items`.
pub struct OrderItemsLoader {
    pub store: OrderStore,
}

impl Loader<OrderId> for OrderItemsLoader {
    type Value = Vec<OrderItem>;
    type Error = Arc<OrderError>;

    async fn load(&self, ids: &[OrderId]) -> Result<HashMap<OrderId, Vec<OrderItem>>, Self::Error> {
        self.store.items_of(ids).await.map_err(Arc::new)
    }
}

/// `Order.statusHistory`.
pub struct StatusHistoryLoader {
    pub store: OrderStore,
}

impl Loader<OrderId> for StatusHistoryLoader {
    type Value = Vec<StatusChange>;
    type Error = Arc<OrderError>;

    async fn load(
        &self,
        ids: &[OrderId],
    ) -> Result<HashMap<OrderId, Vec<StatusChange>>, Self::Error> {
        self.store.history_of(ids).await.map_err(Arc::new)
    }
}

/// Loads one key through the loader of type `L` in the context.
pub async fn load_one<L>(ctx: &Context<'_>, key: OrderId) -> Result<Option<L::Value>>
where
    L: Loader<OrderId, Error = Arc<OrderError>>,
{
    let loader = ctx.data::<DataLoader<L>>()?;
    loader
        .load_one(key)
        .await
        .map_err(|err| subgraph_kit::error::to_graphql(ArcError(err)))
}

/// An `Order` representation's order, loaded in one batch with every other
/// `Order` representation of the same `_entities` request.
pub async fn load_entity(ctx: &Context<'_>, key: OrderId) -> Result<Option<Order>> {
    let loader = ctx.data::<DataLoader<OrderLoader>>()?;
    let key_of = |rep: &subgraph_kit::entities::Representation| match rep.get("id") {
        Some(async_graphql::Value::String(id)) => OrderId::parse(id),
        _ => None,
    };
    subgraph_kit::entities::load(ctx, loader, "Order", key_of, key)
        .await
        .map_err(|err| subgraph_kit::error::to_graphql(ArcError(err)))
}

/// Lets a shared loader error keep its code.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
struct ArcError(Arc<OrderError>);

impl subgraph_kit::error::CodedError for ArcError {
    fn code(&self) -> &'static str {
        self.0.code()
    }
    fn is_internal(&self) -> bool {
        self.0.is_internal()
    }
}
