//! Inventory rules, free of GraphQL and SQL.

mod error;
mod ids;
mod level;
mod movement;
mod quantity;
mod replenishment;
mod reservation;
mod valuation;

pub use error::InventoryError;
pub use ids::{OrderId, ProductId, ReplenishmentId};
pub use level::{ReorderPolicy, StockLevel};
pub use movement::{IdempotencyKey, MovementKind, Reason, StockAdjustment, StockMovement};
pub use quantity::{Delta, MAX_QUANTITY, Quantity};
pub use replenishment::{Replenishment, ReplenishmentStatus};
pub use reservation::{
    Reservation, ReservationLine, ReservationRequest, ReservationStatus, Transition,
};
pub use valuation::stock_value;
