//! Replenishment requests: listing them and receiving the goods.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};

use super::entity::{inventory_item, replenishment};
use super::stock::{self, NewMovement};
use super::{InventoryStore, now, rows};
use crate::domain::ProductId;
use crate::domain::{
    InventoryError, MovementKind, Quantity, Replenishment, ReplenishmentId, ReplenishmentStatus,
};
use crate::domain_events::{self, StockLow};
use events::{Event, inbox};

impl InventoryStore {
    /// Handles one `stock.low` event for `consumer`: opens a replenishment
    /// request for the product if it is still due and none is open. Once per
    /// event (the inbox) and once per open request (the unique index), so
    /// redeliveries and repeated reports open one request.
    pub async fn open_replenishment_on(
        &self,
        consumer: &str,
        event: &Event,
    ) -> Result<(), InventoryError> {
        let low: StockLow = match event.payload() {
            Ok(low) => low,
            Err(err) => {
                // Redelivering it would not make it readable: skip it.
                tracing::error!(id = %event.id, error = %err, "unreadable stock.low skipped");
                return Ok(());
            }
        };
        let (Ok(product), Ok(quantity)) = (
            ProductId::parse(&low.product_id),
            Quantity::new(low.reorder_quantity),
        ) else {
            return Ok(());
        };
        inbox::handle_once(&self.db, consumer, event, move |txn| {
            Box::pin(async move {
                stock::open_replenishment_if_due(txn, &product, quantity, now()).await?;
                crate::metrics::stock_low();
                Ok::<(), InventoryError>(())
            })
        })
        .await?;
        Ok(())
    }

    /// How many requests are open.
    pub async fn open_replenishments(&self) -> Result<u64, DbErr> {
        use sea_orm::PaginatorTrait;
        replenishment::Entity::find()
            .filter(replenishment::Column::Status.eq(ReplenishmentStatus::Open.as_str()))
            .count(&self.db)
            .await
    }

    /// Requests, oldest first, optionally only those in one status.
    pub async fn replenishments(
        &self,
        status: Option<ReplenishmentStatus>,
    ) -> Result<Vec<Replenishment>, InventoryError> {
        let mut query = replenishment::Entity::find().order_by_asc(replenishment::Column::Id);
        if let Some(status) = status {
            query = query.filter(replenishment::Column::Status.eq(status.as_str()));
        }
        query
            .all(&self.db)
            .await?
            .into_iter()
            .map(rows::replenishment)
            .collect()
    }

    pub async fn replenishment(
        &self,
        id: &ReplenishmentId,
    ) -> Result<Option<Replenishment>, InventoryError> {
        replenishment::Entity::find_by_id(id.as_str())
            .one(&self.db)
            .await?
            .map(rows::replenishment)
            .transpose()
    }

    /// Marks an open request received and puts the goods on hand: `arrived`
    /// units, or the requested quantity when not given. Receiving a received
    /// request again returns it unchanged.
    pub async fn receive_replenishment(
        &self,
        id: &ReplenishmentId,
        arrived: Option<Quantity>,
    ) -> Result<Replenishment, InventoryError> {
        let not_found = || InventoryError::ReplenishmentNotFound(id.as_str().to_owned());
        let request = self.replenishment(id).await?.ok_or_else(not_found)?;
        if request.status == ReplenishmentStatus::Received {
            return Ok(request);
        }
        let quantity = request.quantity_to_receive(arrived);
        let now = now();
        let txn = self.db.begin().await?;
        // Stock row first, then the request: the store's one lock order.
        let mut level = stock::lock_level(&txn, &request.product_id, now).await?;
        let closed = replenishment::Entity::update_many()
            .col_expr(
                replenishment::Column::Status,
                Expr::value(ReplenishmentStatus::Received.as_str()),
            )
            .col_expr(
                replenishment::Column::OpenProductId,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                replenishment::Column::ReceivedQuantity,
                Expr::value(quantity.get()),
            )
            .col_expr(replenishment::Column::ReceivedAt, Expr::value(now))
            .filter(replenishment::Column::Id.eq(id.as_str()))
            .filter(replenishment::Column::Status.eq(ReplenishmentStatus::Open.as_str()))
            .exec_with_returning(&txn)
            .await?;
        let Some(row) = closed.into_iter().next() else {
            // Received by a concurrent call since we looked.
            txn.rollback().await?;
            return self.replenishment(id).await?.ok_or_else(not_found);
        };
        level.on_hand = level.received_on_hand(quantity)?;
        inventory_item::Entity::update_many()
            .col_expr(inventory_item::Column::OnHand, Expr::value(level.on_hand))
            .col_expr(inventory_item::Column::UpdatedAt, Expr::value(now))
            .filter(inventory_item::Column::ProductId.eq(request.product_id.as_str()))
            .exec(&txn)
            .await?;
        let movement = NewMovement {
            product_id: &request.product_id,
            kind: MovementKind::Replenishment,
            delta: quantity.get(),
            reason: "replenishment received".to_owned(),
            reference: Some(id.as_str().to_owned()),
            idempotency_key: None,
        };
        stock::record_movements(&txn, vec![movement], now).await?;
        let event = domain_events::stock_replenished(&level, id, quantity.get())
            .map_err(|e| DbErr::Custom(e.to_string()))?;
        events::outbox::append(&txn, &event).await?;
        txn.commit().await?;
        self.relay.wake();
        rows::replenishment(row)
    }
}
