//! Reading stock levels and changing them by hand.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait};

use super::entity::{inventory_item, stock_movement};
use super::stock::{self, NewMovement};
use super::{InventoryStore, is_unique_violation, now, rows};
use crate::domain::{
    IdempotencyKey, InventoryError, MovementKind, ProductId, ReorderPolicy, StockAdjustment,
    StockLevel, StockMovement,
};

impl InventoryStore {
    /// Levels of the given products in one statement; products never
    /// stocked are absent.
    pub async fn find_levels(
        &self,
        product_ids: &[ProductId],
    ) -> Result<Vec<StockLevel>, InventoryError> {
        stock::levels(&self.db, product_ids).await
    }

    /// The level of one product; all zero if it was never stocked.
    pub async fn level(&self, product_id: &ProductId) -> Result<StockLevel, InventoryError> {
        match inventory_item::Entity::find_by_id(product_id.as_str())
            .one(&self.db)
            .await?
        {
            Some(row) => rows::level(row),
            None => Ok(StockLevel::never_stocked(product_id.clone())),
        }
    }

    /// The latest `limit` movements of a product, newest first.
    pub async fn movements(
        &self,
        product_id: &ProductId,
        limit: u64,
    ) -> Result<Vec<StockMovement>, InventoryError> {
        stock_movement::Entity::find()
            .filter(stock_movement::Column::ProductId.eq(product_id.as_str()))
            .order_by_desc(stock_movement::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(rows::movement)
            .collect()
    }

    /// Changes on-hand stock and records why. With an idempotency key a retry
    /// returns the current level instead of applying the change again.
    pub async fn adjust(&self, adjustment: &StockAdjustment) -> Result<StockLevel, InventoryError> {
        if let Some(key) = &adjustment.idempotency_key
            && let Some(level) = self.replay_adjustment(adjustment, key).await?
        {
            return Ok(level);
        }
        let now = now();
        let txn = self.db.begin().await?;
        let mut level = stock::lock_level(&txn, &adjustment.product_id, now).await?;
        level.on_hand = level.adjusted_on_hand(adjustment.delta)?;
        level.updated_at = Some(now);
        inventory_item::Entity::update_many()
            .col_expr(inventory_item::Column::OnHand, Expr::value(level.on_hand))
            .col_expr(inventory_item::Column::UpdatedAt, Expr::value(now))
            .filter(inventory_item::Column::ProductId.eq(adjustment.product_id.as_str()))
            .exec(&txn)
            .await?;
        let movement = NewMovement {
            product_id: &adjustment.product_id,
            kind: MovementKind::Adjustment,
            delta: adjustment.delta.get(),
            reason: adjustment.reason.as_str().to_owned(),
            reference: None,
            idempotency_key: adjustment
                .idempotency_key
                .as_ref()
                .map(|k| k.as_str().to_owned()),
        };
        if let Err(err) = stock::record_movements(&txn, vec![movement], now).await {
            if let (true, Some(key)) = (is_unique_violation(&err), &adjustment.idempotency_key) {
                // A concurrent request with the same key committed first.
                txn.rollback().await?;
                return self
                    .replay_adjustment(adjustment, key)
                    .await?
                    .ok_or(InventoryError::Database(err));
            }
            return Err(err.into());
        }
        stock::report_low_stock(&txn, std::slice::from_ref(&level)).await?;
        txn.commit().await?;
        self.relay.wake();
        Ok(level)
    }

    /// The current level if `key` was already used by this adjustment.
    async fn replay_adjustment(
        &self,
        adjustment: &StockAdjustment,
        key: &IdempotencyKey,
    ) -> Result<Option<StockLevel>, InventoryError> {
        let Some(row) = stock_movement::Entity::find()
            .filter(stock_movement::Column::IdempotencyKey.eq(key.as_str()))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        adjustment.check_replay(&rows::movement(row)?)?;
        Ok(Some(self.level(&adjustment.product_id).await?))
    }

    /// Sets when and how much to reorder; setting the same policy twice
    /// changes nothing. A policy that is due at once opens a request.
    pub async fn set_reorder_policy(
        &self,
        product_id: &ProductId,
        policy: ReorderPolicy,
    ) -> Result<StockLevel, InventoryError> {
        let now = now();
        let txn = self.db.begin().await?;
        let mut level = stock::lock_level(&txn, product_id, now).await?;
        if level.policy != policy {
            level.policy = policy;
            level.updated_at = Some(now);
            inventory_item::Entity::update_many()
                .col_expr(
                    inventory_item::Column::ReorderPoint,
                    Expr::value(policy.reorder_point()),
                )
                .col_expr(
                    inventory_item::Column::ReorderQuantity,
                    Expr::value(policy.reorder_quantity()),
                )
                .col_expr(inventory_item::Column::UpdatedAt, Expr::value(now))
                .filter(inventory_item::Column::ProductId.eq(product_id.as_str()))
                .exec(&txn)
                .await?;
        }
        stock::report_low_stock(&txn, std::slice::from_ref(&level)).await?;
        txn.commit().await?;
        self.relay.wake();
        Ok(level)
    }
}
