//! The sea-orm entities, one per table.

pub mod inventory_item;
pub mod replenishment;
pub mod reservation;
pub mod reservation_item;
pub mod stock_movement;
