//! The use cases: placing an order (catalog, store, then the checkout) and
//! moving an order through its lifecycle. Composes the store and the outside
//! services; GraphQL calls in here, and nothing in here knows GraphQL.

use std::sync::Arc;

use subgraph_kit::error::cause_chain;

use crate::billing::PaymentDetails;
use crate::catalog::Catalog;
use crate::checkout::{Checkout, detached};
use crate::domain::{
    IdempotencyKey, Order, OrderError, OrderId, OrderRequest, OrderStatus, Shipment, Transition,
    placement,
};
use crate::feed::StatusFeed;
use crate::store::{OrderStore, StatusUpdate};

/// The longest path through the status graph; a change can lose a race to a
/// concurrent change at most this many times before the order is final.
const MAX_STATUS_CHANGES: usize = 3;

#[derive(Clone)]
pub struct OrderService {
    store: OrderStore,
    catalog: Arc<dyn Catalog>,
    checkout: Checkout,
    feed: StatusFeed,
}

impl OrderService {
    pub fn new(
        store: OrderStore,
        catalog: Arc<dyn Catalog>,
        checkout: Checkout,
        feed: StatusFeed,
    ) -> Self {
        OrderService {
            store,
            catalog,
            checkout,
            feed,
        }
    }

    pub fn store(&self) -> &OrderStore {
        &self.store
    }

    /// Status changes committed by any replica, as they reach the broker.
    pub fn feed(&self) -> &StatusFeed {
        &self.feed
    }

    /// Prices the request at the catalog's current prices, stores a PENDING
    /// order and runs its checkout: the order comes back CONFIRMED, in its
    /// failed final status (with the reason), PENDING while an invoice is
    /// open, or PENDING while a service it needs is unreachable (recovery
    /// then finishes it). With an idempotency key, a retry of the same
    /// request (even one racing the first) returns the first one's order
    /// and never charges again.
    pub async fn place(
        &self,
        request: &OrderRequest,
        payment: &PaymentDetails,
        key: Option<&IdempotencyKey>,
    ) -> Result<Order, OrderError> {
        if let Some(key) = key
            && let Some(existing) = self.store.find_by_idempotency_key(key).await?
        {
            let existing = self.replay(request, existing).await?;
            return self.settle(existing, payment).await;
        }
        let products = self
            .catalog
            .products(&request.product_ids())
            .await
            .map_err(|err| {
                tracing::warn!(error = %cause_chain(&err), "product catalog unavailable");
                OrderError::CatalogUnavailable(Box::new(err))
            })?;
        let priced = placement::price(request, &products)?;
        let lease = self.checkout.new_lease();
        if let Some(order) = self.store.insert(&priced, key, &lease).await? {
            crate::metrics::checkout_started();
            let (checkout, payment) = (self.checkout.clone(), payment.clone());
            return detached(async move { checkout.run(order, lease, Some(&payment)).await }).await;
        }
        // Only a taken idempotency key makes the insert step aside.
        let existing = match key {
            Some(key) => self.store.find_by_idempotency_key(key).await?,
            None => None,
        };
        match existing {
            Some(existing) => {
                let existing = self.replay(request, existing).await?;
                self.settle(existing, payment).await
            }
            None => Err(OrderError::Database(sea_orm::DbErr::Custom(
                "order insert stepped aside for an idempotency key that is not there".to_owned(),
            ))),
        }
    }

    /// Brings an order placed before as far as it goes, in its own task.
    async fn settle(&self, order: Order, payment: &PaymentDetails) -> Result<Order, OrderError> {
        let (checkout, payment) = (self.checkout.clone(), payment.clone());
        detached(async move { checkout.settle(order, Some(&payment)).await }).await
    }

    /// The order an earlier request with the same key created, provided it
    /// was the same request.
    async fn replay(&self, request: &OrderRequest, existing: Order) -> Result<Order, OrderError> {
        let items = self
            .store
            .items_of(std::slice::from_ref(&existing.id))
            .await?
            .remove(&existing.id)
            .unwrap_or_default();
        if request.is_replayed_by(&existing.customer_email, &items) {
            Ok(existing)
        } else {
            Err(OrderError::IdempotencyKeyReused)
        }
    }

    /// Cancels an order, refunding and restocking a confirmed one.
    pub async fn cancel(&self, id: &OrderId, reason: Option<&str>) -> Result<Order, OrderError> {
        let (checkout, id) = (self.checkout.clone(), id.clone());
        let reason = reason.map(str::to_owned);
        detached(async move { checkout.cancel(&id, reason.as_deref()).await }).await
    }

    /// Moves an order to `to`. Already there: returned unchanged, nothing
    /// recorded. Not allowed from where it is: `InvalidTransition`, nothing
    /// changed. A concurrent change in between is re-examined from the new
    /// status, so the answer is always decided on the status actually changed.
    pub async fn change_status(
        &self,
        id: &OrderId,
        to: OrderStatus,
        note: Option<&str>,
        shipment: Option<&Shipment>,
    ) -> Result<Order, OrderError> {
        for _ in 0..=MAX_STATUS_CHANGES {
            let order = self
                .store
                .get(id)
                .await?
                .ok_or_else(|| OrderError::NotFound(id.as_str().to_owned()))?;
            let (from, to) = match order.status.transition_to(to)? {
                Transition::Unchanged => return Ok(order),
                Transition::Change { from, to } => (from, to),
            };
            let update = StatusUpdate {
                from,
                to,
                note,
                shipment,
            };
            if let Some(changed) = self.store.change_status(id, &update).await? {
                return Ok(changed);
            }
        }
        Err(OrderError::Database(sea_orm::DbErr::Custom(format!(
            "order {} changed status more often than its lifecycle allows",
            id.as_str()
        ))))
    }
}
