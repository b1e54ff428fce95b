//! Loads every entity of one `_entities` request in a single batch.
//!
//! A DataLoader batches the keys that arrive within its delay, and that is a
//! race: under load the representations of one request can straddle two
//! windows and cost two statements. Here the first entity fn of a type reads
//! *all* that type's keys from the `representations` argument and loads them
//! with one `load_many`; the others await that same result (a per-request
//! `OnceCell`), so one request costs one statement per type, always.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest,
};
use async_graphql::{Context, Request, Result, ServerResult, Value};
use tokio::sync::OnceCell;

use super::loader::{ArcError, OrderPaymentsLoader, PaymentLoader};
use crate::domain::{OrderId, Payment, PaymentError, PaymentId};

/// The entities of the current request, loaded on first use.
#[derive(Default)]
struct Prefetched {
    payments: OnceCell<Batch<PaymentId, Payment>>,
    order_payments: OnceCell<Batch<OrderId, Vec<Payment>>>,
}

/// What one batch asked for and what it found.
struct Batch<K, V> {
    keys: HashSet<K>,
    found: HashMap<K, V>,
}

/// Gives every request its own, empty [`Prefetched`].
pub struct PerRequestPrefetch;

impl ExtensionFactory for PerRequestPrefetch {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PerRequestPrefetch)
    }
}

#[async_trait::async_trait]
impl Extension for PerRequestPrefetch {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        next.run(ctx, request.data(Prefetched::default())).await
    }
}

/// The payment of a `Payment` representation of this `_entities` request.
pub async fn payment(ctx: &Context<'_>, id: PaymentId) -> Result<Option<Payment>> {
    let prefetched = ctx.data::<Prefetched>()?;
    let loader = ctx.data::<DataLoader<PaymentLoader>>()?;
    lookup(
        ctx,
        &prefetched.payments,
        loader,
        "Payment",
        PaymentId::parse,
        id,
    )
    .await
}

/// The payments of the order of an `Order` representation of this
/// `_entities` request.
pub async fn order_payments(ctx: &Context<'_>, id: OrderId) -> Result<Vec<Payment>> {
    let prefetched = ctx.data::<Prefetched>()?;
    let loader = ctx.data::<DataLoader<OrderPaymentsLoader>>()?;
    let payments = lookup(
        ctx,
        &prefetched.order_payments,
        loader,
        "Order",
        OrderId::parse,
        id,
    )
    .await?;
    Ok(payments.unwrap_or_default())
}

/// `key` from the request's batch of `typename` keys, loading the batch on
/// first use. A key the batch did not include (which the representations
/// should make impossible) is loaded on its own rather than reported missing.
async fn lookup<K, L>(
    ctx: &Context<'_>,
    cell: &OnceCell<Batch<K, L::Value>>,
    loader: &DataLoader<L>,
    typename: &str,
    parse: impl Fn(&str) -> Option<K>,
    key: K,
) -> Result<Option<L::Value>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    L: Loader<K, Error = Arc<PaymentError>>,
{
    let batch = cell
        .get_or_try_init(|| async {
            let mut keys: HashSet<K> = representation_ids(ctx, typename, parse)
                .into_iter()
                .collect();
            keys.insert(key.clone());
            let found = loader
                .load_many(keys.iter().cloned())
                .await
                .map_err(ArcError::graphql)?;
            Ok::<_, async_graphql::Error>(Batch { keys, found })
        })
        .await?;
    if batch.keys.contains(&key) {
        return Ok(batch.found.get(&key).cloned());
    }
    loader.load_one(key).await.map_err(ArcError::graphql)
}

/// The valid `id` keys of the representations of `typename`; `ctx` is the
/// `_entities` field's context.
fn representation_ids<K>(
    ctx: &Context<'_>,
    typename: &str,
    parse: impl Fn(&str) -> Option<K>,
) -> Vec<K> {
    let Ok(arguments) = ctx.field().arguments() else {
        return Vec::new();
    };
    let Some(Value::List(representations)) = arguments
        .into_iter()
        .find(|(name, _)| name.as_str() == "representations")
        .map(|(_, value)| value)
    else {
        return Vec::new();
    };
    representations
        .iter()
        .filter_map(|rep| match rep {
            Value::Object(fields) => Some(fields),
            _ => None,
        })
        .filter(
            |fields| matches!(fields.get("__typename"), Some(Value::String(t)) if t == typename),
        )
        .filter_map(|fields| match fields.get("id") {
            Some(Value::String(id)) => parse(id),
            _ => None,
        })
        .collect()
}
