//! Stock held for orders: reserve, release, commit, restock.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};

use super::entity::{inventory_item, reservation, reservation_item};
use super::stock::{self, NewMovement};
use super::{InventoryStore, is_unique_violation, now, rows};
use crate::domain::{
    InventoryError, MAX_QUANTITY, MovementKind, OrderId, ProductId, Reservation,
    ReservationRequest, ReservationStatus, Transition,
};

/// A change to an existing reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Release,
    Commit,
    Restock,
}

impl Change {
    fn decide(
        self,
        status: ReservationStatus,
        order: &OrderId,
    ) -> Result<Transition, InventoryError> {
        match self {
            Change::Release => status.release(order),
            Change::Commit => status.commit(order),
            Change::Restock => status.restock(order),
        }
    }

    fn target(self) -> ReservationStatus {
        match self {
            Change::Release => ReservationStatus::Released,
            Change::Commit => ReservationStatus::Committed,
            Change::Restock => ReservationStatus::Returned,
        }
    }
}

impl InventoryStore {
    pub async fn reservation(
        &self,
        order_id: &OrderId,
    ) -> Result<Option<Reservation>, InventoryError> {
        load_reservation(&self.db, order_id, false).await
    }

    /// Holds stock for every line of an order, or for none: in one
    /// transaction, the reservation row is inserted and then each line's
    /// stock is held with a conditional update that only matches while
    /// enough is available. The first line that misses rolls everything back.
    ///
    /// A second request for the same order, even a concurrent one, returns
    /// the existing reservation unchanged: the order id is the primary key.
    pub async fn reserve(
        &self,
        request: &ReservationRequest,
    ) -> Result<Reservation, InventoryError> {
        if let Some(existing) = self.reservation(&request.order_id).await? {
            return Ok(existing);
        }
        let order_id = request.order_id.as_str();
        let now = now();
        let txn = self.db.begin().await?;
        let header = reservation::ActiveModel {
            order_id: Set(order_id.to_owned()),
            status: Set(ReservationStatus::Reserved.as_str().to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
        };
        if let Err(err) = reservation::Entity::insert(header)
            .exec_without_returning(&txn)
            .await
        {
            if is_unique_violation(&err) {
                // A concurrent request for this order committed first.
                txn.rollback().await?;
                return self
                    .reservation(&request.order_id)
                    .await?
                    .ok_or(InventoryError::Database(err));
            }
            return Err(err.into());
        }
        let items = request
            .lines
            .iter()
            .map(|line| reservation_item::ActiveModel {
                order_id: Set(order_id.to_owned()),
                product_id: Set(line.product_id.as_str().to_owned()),
                quantity: Set(line.quantity.get()),
            });
        reservation_item::Entity::insert_many(items)
            .exec_without_returning(&txn)
            .await?;
        // Lines are sorted by product id: rows are locked in one global order.
        for line in &request.lines {
            let quantity = line.quantity.get();
            let held = inventory_item::Entity::update_many()
                .col_expr(
                    inventory_item::Column::Reserved,
                    Expr::col(inventory_item::Column::Reserved).add(quantity),
                )
                .col_expr(inventory_item::Column::UpdatedAt, Expr::value(now))
                .filter(inventory_item::Column::ProductId.eq(line.product_id.as_str()))
                .filter(
                    Expr::col(inventory_item::Column::OnHand)
                        .sub(Expr::col(inventory_item::Column::Reserved))
                        .gte(quantity),
                )
                .exec(&txn)
                .await?
                .rows_affected;
            if held == 0 {
                txn.rollback().await?;
                return Err(InventoryError::InsufficientStock {
                    product_id: line.product_id.to_string(),
                });
            }
        }
        let product_ids: Vec<ProductId> =
            request.lines.iter().map(|l| l.product_id.clone()).collect();
        let levels = stock::levels(&txn, &product_ids).await?;
        stock::report_low_stock(&txn, &levels).await?;
        txn.commit().await?;
        self.relay.wake();
        Ok(Reservation {
            order_id: request.order_id.clone(),
            status: ReservationStatus::Reserved,
            lines: request.lines.clone(),
            created_at: now,
            updated_at: now,
        })
    }

    /// RESERVED → RELEASED: the held units become available again. For an
    /// order with no reservation, records an empty RELEASED one: a
    /// `reserveStock` for it that arrives late (a caller's retry after its
    /// checkout was undone) then finds it and holds nothing.
    pub async fn release(&self, order_id: &OrderId) -> Result<Reservation, InventoryError> {
        match self.change(order_id, Change::Release).await {
            Err(InventoryError::ReservationNotFound(_)) => {
                let now = now();
                let tombstone = reservation::ActiveModel {
                    order_id: Set(order_id.as_str().to_owned()),
                    status: Set(ReservationStatus::Released.as_str().to_owned()),
                    created_at: Set(now),
                    updated_at: Set(now),
                };
                // A reservation that won the race is released normally.
                reservation::Entity::insert(tombstone)
                    .on_conflict_do_nothing()
                    .exec_without_returning(&self.db)
                    .await?;
                self.change(order_id, Change::Release).await
            }
            other => other,
        }
    }

    /// RESERVED → COMMITTED: the held units leave on-hand as sales.
    pub async fn commit(&self, order_id: &OrderId) -> Result<Reservation, InventoryError> {
        self.change(order_id, Change::Commit).await
    }

    /// COMMITTED → RETURNED: the sold units come back on hand.
    pub async fn restock(&self, order_id: &OrderId) -> Result<Reservation, InventoryError> {
        self.change(order_id, Change::Restock).await
    }

    async fn change(
        &self,
        order_id: &OrderId,
        change: Change,
    ) -> Result<Reservation, InventoryError> {
        let now = now();
        let txn = self.db.begin().await?;
        // Locking the reservation row serialises changes to one order.
        let Some(mut reservation) = load_reservation(&txn, order_id, true).await? else {
            return Err(InventoryError::ReservationNotFound(order_id.to_string()));
        };
        if change.decide(reservation.status, order_id)? == Transition::AlreadyDone {
            txn.rollback().await?;
            return Ok(reservation);
        }
        reservation::Entity::update_many()
            .col_expr(
                reservation::Column::Status,
                Expr::value(change.target().as_str()),
            )
            .col_expr(reservation::Column::UpdatedAt, Expr::value(now))
            .filter(reservation::Column::OrderId.eq(order_id.as_str()))
            .exec(&txn)
            .await?;
        let mut movements = Vec::new();
        for line in &reservation.lines {
            let quantity = line.quantity.get();
            let on_hand = || Expr::col(inventory_item::Column::OnHand);
            let reserved = || Expr::col(inventory_item::Column::Reserved);
            let mut update = inventory_item::Entity::update_many()
                .col_expr(inventory_item::Column::UpdatedAt, Expr::value(now))
                .filter(inventory_item::Column::ProductId.eq(line.product_id.as_str()));
            update = match change {
                Change::Release => {
                    update.col_expr(inventory_item::Column::Reserved, reserved().sub(quantity))
                }
                Change::Commit => update
                    .col_expr(inventory_item::Column::OnHand, on_hand().sub(quantity))
                    .col_expr(inventory_item::Column::Reserved, reserved().sub(quantity)),
                Change::Restock => update
                    .col_expr(inventory_item::Column::OnHand, on_hand().add(quantity))
                    .filter(on_hand().add(quantity).lte(MAX_QUANTITY)),
            };
            if update.exec(&txn).await?.rows_affected == 0 {
                txn.rollback().await?;
                return Err(match change {
                    Change::Restock => InventoryError::QuantityOutOfRange {
                        product_id: line.product_id.to_string(),
                    },
                    _ => InventoryError::Database(DbErr::Custom(format!(
                        "reservation {order_id}: no stock row for {}",
                        line.product_id
                    ))),
                });
            }
            match change {
                Change::Release => {}
                Change::Commit => movements.push(NewMovement {
                    product_id: &line.product_id,
                    kind: MovementKind::Sale,
                    delta: -quantity,
                    reason: format!("sold on order {order_id}"),
                    reference: Some(order_id.to_string()),
                    idempotency_key: None,
                }),
                Change::Restock => movements.push(NewMovement {
                    product_id: &line.product_id,
                    kind: MovementKind::Return,
                    delta: quantity,
                    reason: format!("returned from order {order_id}"),
                    reference: Some(order_id.to_string()),
                    idempotency_key: None,
                }),
            }
        }
        stock::record_movements(&txn, movements, now).await?;
        if change == Change::Commit {
            let product_ids: Vec<ProductId> = reservation
                .lines
                .iter()
                .map(|l| l.product_id.clone())
                .collect();
            let levels = stock::levels(&txn, &product_ids).await?;
            stock::report_low_stock(&txn, &levels).await?;
        }
        txn.commit().await?;
        self.relay.wake();
        reservation.status = change.target();
        reservation.updated_at = now;
        Ok(reservation)
    }
}

/// A reservation with its lines; `lock` holds its row for the transaction.
async fn load_reservation<C: ConnectionTrait>(
    conn: &C,
    order_id: &OrderId,
    lock: bool,
) -> Result<Option<Reservation>, InventoryError> {
    let mut query = reservation::Entity::find_by_id(order_id.as_str());
    if lock {
        query = query.lock_exclusive();
    }
    let Some(header) = query.one(conn).await? else {
        return Ok(None);
    };
    let items = reservation_item::Entity::find()
        .filter(reservation_item::Column::OrderId.eq(order_id.as_str()))
        .order_by_asc(reservation_item::Column::ProductId)
        .all(conn)
        .await?;
    rows::reservation(header, items).map(Some)
}
