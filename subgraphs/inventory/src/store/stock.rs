//! Building blocks of the store's transactions: locking stock rows,
//! recording movements, reporting low stock and applying the replenishment
//! rule.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use events::outbox;
use sea_orm::TryInsertResult;

use super::entity::{inventory_item, replenishment, stock_movement};
use super::rows;
use crate::domain::{
    InventoryError, MovementKind, ProductId, Quantity, ReplenishmentId, ReplenishmentStatus,
    StockLevel,
};
use crate::domain_events;

/// The stock row of a product, created empty if missing, locked for the rest
/// of the transaction (`FOR UPDATE` on PostgreSQL; SQLite has one connection,
/// so a transaction there is alone anyway).
pub async fn lock_level<C: ConnectionTrait>(
    txn: &C,
    product_id: &ProductId,
    now: DateTime<Utc>,
) -> Result<StockLevel, InventoryError> {
    let blank = inventory_item::ActiveModel {
        product_id: Set(product_id.as_str().to_owned()),
        on_hand: Set(0),
        reserved: Set(0),
        reorder_point: Set(0),
        reorder_quantity: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    };
    inventory_item::Entity::insert(blank)
        .on_conflict_do_nothing()
        .exec_without_returning(txn)
        .await?;
    let row = inventory_item::Entity::find_by_id(product_id.as_str())
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| {
            DbErr::RecordNotFound(format!("inventory_items {product_id} after insert"))
        })?;
    rows::level(row)
}

/// Stock rows of the given products in one statement, by product id.
/// Products never stocked have no row and are left out.
pub async fn levels<C: ConnectionTrait>(
    conn: &C,
    product_ids: &[ProductId],
) -> Result<Vec<StockLevel>, InventoryError> {
    if product_ids.is_empty() {
        return Ok(Vec::new());
    }
    inventory_item::Entity::find()
        .filter(inventory_item::Column::ProductId.is_in(product_ids.iter().map(ProductId::as_str)))
        .order_by_asc(inventory_item::Column::ProductId)
        .all(conn)
        .await?
        .into_iter()
        .map(rows::level)
        .collect()
}

/// Reports low stock, inside the transaction that changed the levels: for
/// each level at or below its reorder point (with replenishment on) and no
/// request open yet, appends a `stock.low` event. The `reorder` consumer
/// opens the request when it sees the event; until then a further change
/// may report the same product again, which the consumer opens once.
pub async fn report_low_stock<C: ConnectionTrait>(
    txn: &C,
    levels: &[StockLevel],
) -> Result<(), InventoryError> {
    for level in levels {
        let Some(quantity) = level.replenishment_due() else {
            continue;
        };
        let open = replenishment::Entity::find()
            .filter(replenishment::Column::OpenProductId.eq(level.product_id.as_str()))
            .count(txn)
            .await?;
        if open == 0 {
            let event = domain_events::stock_low(level, quantity.get())
                .map_err(|e| DbErr::Custom(e.to_string()))?;
            outbox::append(txn, &event).await?;
        }
    }
    Ok(())
}

/// The replenishment rule, applied when `stock.low` arrives: if the product
/// is still due, open a request for `quantity` (what the report asked for)
/// unless one is open. "Unless one is open" is the unique `open_product_id`,
/// so racing transactions open one between them. True when this call
/// opened one.
pub async fn open_replenishment_if_due<C: ConnectionTrait>(
    txn: &C,
    product_id: &ProductId,
    quantity: Quantity,
    now: DateTime<Utc>,
) -> Result<bool, InventoryError> {
    let Some(level) = levels(txn, std::slice::from_ref(product_id))
        .await?
        .into_iter()
        .next()
    else {
        return Ok(false);
    };
    if level.replenishment_due().is_none() {
        return Ok(false);
    }
    let request = replenishment::ActiveModel {
        id: Set(ReplenishmentId::generate().as_str().to_owned()),
        product_id: Set(product_id.as_str().to_owned()),
        quantity: Set(quantity.get()),
        received_quantity: Set(None),
        status: Set(ReplenishmentStatus::Open.as_str().to_owned()),
        open_product_id: Set(Some(product_id.as_str().to_owned())),
        requested_at: Set(now),
        received_at: Set(None),
    };
    let opened = replenishment::Entity::insert(request)
        .on_conflict_do_nothing_on([replenishment::Column::OpenProductId])
        .exec_without_returning(txn)
        .await?;
    Ok(matches!(opened, TryInsertResult::Inserted(1)))
}

/// A movement about to be recorded.
pub struct NewMovement<'a> {
    pub product_id: &'a ProductId,
    pub kind: MovementKind,
    pub delta: i64,
    pub reason: String,
    pub reference: Option<String>,
    pub idempotency_key: Option<String>,
}

/// Appends movements in one statement. The raw `DbErr` is returned so that a
/// caller can recognise a reused idempotency key.
pub async fn record_movements<C: ConnectionTrait>(
    txn: &C,
    movements: Vec<NewMovement<'_>>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if movements.is_empty() {
        return Ok(());
    }
    let rows = movements.into_iter().map(|m| stock_movement::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        product_id: Set(m.product_id.as_str().to_owned()),
        kind: Set(m.kind.as_str().to_owned()),
        delta: Set(m.delta),
        reason: Set(m.reason),
        reference: Set(m.reference),
        idempotency_key: Set(m.idempotency_key),
        created_at: Set(now),
    });
    stock_movement::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}
