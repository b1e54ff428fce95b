//! Entities of one `_entities` request, each type loaded in a single batch
//! (see `subgraph_kit::entities` for why a DataLoader window alone is not enough).

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Result, Value};
use subgraph_kit::entities::{self, Representation};

use super::loader::{ArcError, OrderPaymentsLoader, PaymentLoader};
use crate::domain::{OrderId, Payment, PaymentId};

/// The payment of a `Payment` representation of this `_entities` request.
pub async fn payment(ctx: &Context<'_>, id: PaymentId) -> Result<Option<Payment>> {
    let loader = ctx.data::<DataLoader<PaymentLoader>>()?;
    entities::load(
        ctx,
        loader,
        "Payment",
        |rep| id_of(rep, PaymentId::parse),
        id,
    )
    .await
    .map_err(ArcError::graphql)
}

/// The payments of the order of an `Order` representation of this
/// `_entities` request.
pub async fn order_payments(ctx: &Context<'_>, id: OrderId) -> Result<Vec<Payment>> {
    let loader = ctx.data::<DataLoader<OrderPaymentsLoader>>()?;
    let payments = entities::load(ctx, loader, "Order", |rep| id_of(rep, OrderId::parse), id)
        .await
        .map_err(ArcError::graphql)?;
    Ok(payments.unwrap_or_default())
}

fn id_of<K>(representation: &Representation, parse: impl Fn(&str) -> Option<K>) -> Option<K> {
    match representation.get("id") {
        Some(Value::String(id)) => parse(id),
        _ => None,
    }
}
