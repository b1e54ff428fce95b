//! The inventory service as the checkout needs it: hold stock for an order
//! (all items or none), and later turn the hold into a sale, free it, or put
//! sold units back. Every call is keyed by the order id and idempotent on the
//! inventory side, so a retry after a timeout is safe.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use crate::domain::{OrderId, ProductId};
use crate::remote::{CallError, Subgraph};

/// What the inventory service says about an order's stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReservationStatus {
    Reserved,
    Released,
    Committed,
    Returned,
}

#[async_trait]
pub trait Stock: Send + Sync {
    /// Holds `items` for `order`, all or nothing. A refusal with code
    /// INSUFFICIENT_STOCK means nothing was held.
    async fn reserve(
        &self,
        order: &OrderId,
        items: &[(ProductId, i64)],
    ) -> Result<ReservationStatus, CallError>;
    async fn release(&self, order: &OrderId) -> Result<ReservationStatus, CallError>;
    async fn commit(&self, order: &OrderId) -> Result<ReservationStatus, CallError>;
    async fn restock(&self, order: &OrderId) -> Result<ReservationStatus, CallError>;
}

/// The inventory subgraph over HTTP.
#[derive(Clone)]
pub struct HttpStock {
    inventory: Subgraph,
}

#[derive(Deserialize)]
struct Reservation {
    status: ReservationStatus,
}

impl HttpStock {
    pub fn new(inventory: Subgraph) -> Self {
        HttpStock { inventory }
    }

    async fn change(
        &self,
        mutation: &str,
        order: &OrderId,
    ) -> Result<ReservationStatus, CallError> {
        let query = format!("mutation($order: ID!) {{ {mutation}(orderId: $order) {{ status }} }}");
        let reservation: Reservation = self
            .inventory
            .call(&query, json!({ "order": order.as_str() }), mutation)
            .await?;
        Ok(reservation.status)
    }
}

#[async_trait]
impl Stock for HttpStock {
    async fn reserve(
        &self,
        order: &OrderId,
        items: &[(ProductId, i64)],
    ) -> Result<ReservationStatus, CallError> {
        let items: Vec<_> = items
            .iter()
            .map(|(product, quantity)| json!({ "productId": product.as_str(), "quantity": quantity }))
            .collect();
        let reservation: Reservation = self
            .inventory
            .call(
                "mutation($order: ID!, $items: [ReservationItemInput!]!) { reserveStock(orderId: $order, items: $items) { status } }",
                json!({ "order": order.as_str(), "items": items }),
                "reserveStock",
            )
            .await?;
        Ok(reservation.status)
    }

    async fn release(&self, order: &OrderId) -> Result<ReservationStatus, CallError> {
        self.change("releaseReservation", order).await
    }

    async fn commit(&self, order: &OrderId) -> Result<ReservationStatus, CallError> {
        self.change("commitReservation", order).await
    }

    async fn restock(&self, order: &OrderId) -> Result<ReservationStatus, CallError> {
        self.change("restockReservation", order).await
    }
}
