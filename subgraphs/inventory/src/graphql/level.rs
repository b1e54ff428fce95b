//! Stock levels and their movement history.

use async_graphql::{Context, Enum, ID, Object, Result};
use chrono::{DateTime, Utc};
use subgraph_kit::error::ResultExt;

use super::int;
use crate::domain::{InventoryError, MovementKind, StockLevel, StockMovement};
use crate::store::InventoryStore;

/// The stock of one product. A product never stocked has all counts zero.
pub struct InventoryLevelObject(pub StockLevel);

#[Object(name = "InventoryLevel")]
impl InventoryLevelObject {
    async fn product_id(&self) -> ID {
        ID(self.0.product_id.as_str().to_owned())
    }

    /// Units physically in stock.
    async fn on_hand(&self) -> i32 {
        int(self.0.on_hand)
    }

    /// Units held for orders that are not yet confirmed.
    async fn reserved(&self) -> i32 {
        int(self.0.reserved)
    }

    /// Units that can still be ordered: on hand minus reserved.
    async fn available(&self) -> i32 {
        int(self.0.available())
    }

    /// A replenishment is requested once available falls to this.
    async fn reorder_point(&self) -> i32 {
        int(self.0.policy.reorder_point())
    }

    /// Units each replenishment requests; 0 turns replenishment off.
    async fn reorder_quantity(&self) -> i32 {
        int(self.0.policy.reorder_quantity())
    }

    /// Last change; null when the product was never stocked.
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.updated_at
    }

    /// The latest changes to on-hand stock, newest first.
    #[graphql(directive = subgraph_kit::cost::list_size::apply(
        Some(20),
        vec!["first".into()],
        vec![],
        false
    ))]
    async fn movements(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, desc = "How many, 1-100.")] first: Option<i32>,
    ) -> Result<Vec<StockMovementObject>> {
        let first = first.unwrap_or(20);
        if !(1..=100).contains(&first) {
            return Err(InventoryError::InvalidLimit(first)).gql();
        }
        let store = ctx.data::<InventoryStore>()?;
        let movements = store
            .movements(&self.0.product_id, first.unsigned_abs().into())
            .await
            .gql()?;
        Ok(movements.into_iter().map(StockMovementObject).collect())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "StockMovementKind")]
pub enum StockMovementKindGql {
    /// A manual correction.
    Adjustment,
    /// Units sold on a confirmed order.
    Sale,
    /// Units received for a replenishment request.
    Replenishment,
    /// Units of a cancelled order put back.
    Return,
}

impl From<MovementKind> for StockMovementKindGql {
    fn from(kind: MovementKind) -> Self {
        match kind {
            MovementKind::Adjustment => StockMovementKindGql::Adjustment,
            MovementKind::Sale => StockMovementKindGql::Sale,
            MovementKind::Replenishment => StockMovementKindGql::Replenishment,
            MovementKind::Return => StockMovementKindGql::Return,
        }
    }
}

/// One change to a product's on-hand stock.
pub struct StockMovementObject(pub StockMovement);

#[Object(name = "StockMovement")]
impl StockMovementObject {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn kind(&self) -> StockMovementKindGql {
        self.0.kind.into()
    }

    /// Units added (positive) or removed (negative).
    async fn delta(&self) -> i32 {
        int(self.0.delta)
    }

    async fn reason(&self) -> &str {
        &self.0.reason
    }

    /// The order or replenishment that caused it, if any.
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
