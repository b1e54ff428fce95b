//! Rows to domain values. Rows are only ever written by this store, so one
//! that does not parse is corruption, reported as a database error.

use sea_orm::DbErr;

use super::entity::{inventory_item, replenishment, reservation, reservation_item, stock_movement};
use crate::domain::{
    InventoryError, MovementKind, OrderId, ProductId, Quantity, ReorderPolicy, Replenishment,
    ReplenishmentId, ReplenishmentStatus, Reservation, ReservationLine, ReservationStatus,
    StockLevel, StockMovement,
};

fn corrupt(table: &str, key: &str, what: &str) -> InventoryError {
    InventoryError::Database(DbErr::Custom(format!("{table} {key}: bad {what}")))
}

pub fn level(m: inventory_item::Model) -> Result<StockLevel, InventoryError> {
    Ok(StockLevel {
        product_id: ProductId::parse(&m.product_id)
            .map_err(|_| corrupt("inventory_items", &m.product_id, "product_id"))?,
        on_hand: m.on_hand,
        reserved: m.reserved,
        policy: ReorderPolicy::from_stored(m.reorder_point, m.reorder_quantity),
        updated_at: Some(m.updated_at),
    })
}

pub fn movement(m: stock_movement::Model) -> Result<StockMovement, InventoryError> {
    let bad = |what| corrupt("stock_movements", &m.id, what);
    Ok(StockMovement {
        product_id: ProductId::parse(&m.product_id).map_err(|_| bad("product_id"))?,
        kind: MovementKind::parse(&m.kind).ok_or_else(|| bad("kind"))?,
        delta: m.delta,
        reason: m.reason,
        reference: m.reference,
        created_at: m.created_at,
        id: m.id,
    })
}

pub fn replenishment(m: replenishment::Model) -> Result<Replenishment, InventoryError> {
    let bad = |what| corrupt("replenishments", &m.id, what);
    Ok(Replenishment {
        id: ReplenishmentId::parse(&m.id).map_err(|_| bad("id"))?,
        product_id: ProductId::parse(&m.product_id).map_err(|_| bad("product_id"))?,
        quantity: Quantity::new(m.quantity).map_err(|_| bad("quantity"))?,
        received_quantity: m
            .received_quantity
            .map(Quantity::new)
            .transpose()
            .map_err(|_| bad("received_quantity"))?,
        status: ReplenishmentStatus::parse(&m.status).ok_or_else(|| bad("status"))?,
        requested_at: m.requested_at,
        received_at: m.received_at,
    })
}

pub fn reservation(
    m: reservation::Model,
    items: Vec<reservation_item::Model>,
) -> Result<Reservation, InventoryError> {
    let bad = |what| corrupt("reservations", &m.order_id, what);
    let mut lines = items
        .into_iter()
        .map(|item| {
            Ok(ReservationLine {
                product_id: ProductId::parse(&item.product_id).map_err(|_| bad("product_id"))?,
                quantity: Quantity::new(item.quantity).map_err(|_| bad("quantity"))?,
            })
        })
        .collect::<Result<Vec<_>, InventoryError>>()?;
    lines.sort_by(|a, b| a.product_id.cmp(&b.product_id));
    Ok(Reservation {
        order_id: OrderId::parse(&m.order_id).map_err(|_| bad("order_id"))?,
        status: ReservationStatus::parse(&m.status).ok_or_else(|| bad("status"))?,
        lines,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}
