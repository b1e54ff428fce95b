//! Batches payment lookups: every key asked for while a request resolves
//! becomes one SQL statement per loader.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Result};
use subgraph_kit::error::CodedError;

use crate::domain::{OrderId, Payment, PaymentError, PaymentId};
use crate::store::PaymentStore;

/// Payments by id (`payment`, `_entities` for `Payment`).
pub struct PaymentLoader {
    pub store: PaymentStore,
}

impl Loader<PaymentId> for PaymentLoader {
    type Value = Payment;
    type Error = Arc<PaymentError>;

    async fn load(&self, ids: &[PaymentId]) -> Result<HashMap<PaymentId, Payment>, Self::Error> {
        let payments = self.store.find_many(ids).await.map_err(Arc::new)?;
        Ok(payments.into_iter().map(|p| (p.id.clone(), p)).collect())
    }
}

/// The payments of each order (`Order.payments`); an order without any is
/// simply absent from the map.
pub struct OrderPaymentsLoader {
    pub store: PaymentStore,
}

impl Loader<OrderId> for OrderPaymentsLoader {
    type Value = Vec<Payment>;
    type Error = Arc<PaymentError>;

    async fn load(
        &self,
        orders: &[OrderId],
    ) -> Result<HashMap<OrderId, Vec<Payment>>, Self::Error> {
        let payments = self.store.for_orders(orders).await.map_err(Arc::new)?;
        let mut by_order: HashMap<OrderId, Vec<Payment>> = HashMap::new();
        for payment in payments {
            by_order
                .entry(payment.order_id.clone())
                .or_default()
                .push(payment);
        }
        Ok(by_order)
    }
}

pub async fn payment(ctx: &Context<'_>, id: Option<PaymentId>) -> Result<Option<Payment>> {
    let Some(id) = id else { return Ok(None) };
    let loader = ctx.data::<DataLoader<PaymentLoader>>()?;
    loader.load_one(id).await.map_err(ArcError::graphql)
}

pub async fn order_payments(ctx: &Context<'_>, order: &OrderId) -> Result<Vec<Payment>> {
    let loader = ctx.data::<DataLoader<OrderPaymentsLoader>>()?;
    let payments = loader
        .load_one(order.clone())
        .await
        .map_err(ArcError::graphql)?;
    Ok(payments.unwrap_or_default())
}

/// Lets a shared loader error keep its code.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ArcError(Arc<PaymentError>);

impl ArcError {
    pub fn graphql(err: Arc<PaymentError>) -> async_graphql::Error {
        subgraph_kit::error::to_graphql(ArcError(err))
    }
}

impl CodedError for ArcError {
    fn code(&self) -> &'static str {
        self.0.code()
    }
    fn is_internal(&self) -> bool {
        self.0.is_internal()
    }
}
