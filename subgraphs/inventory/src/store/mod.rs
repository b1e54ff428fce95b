//! Inventory persistence: the only code that knows the tables.
//!
//! Every change that touches stock runs in one transaction that locks the
//! affected `inventory_items` rows first, in product-id order, and only then
//! writes movements and replenishments; with one lock order, concurrent
//! transactions wait for each other instead of deadlocking.

mod entity;
mod levels;
mod replenishments;
mod reservations;
mod rows;
mod stock;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{DatabaseConnection, DbErr, SqlErr};

#[derive(Clone)]
pub struct InventoryStore {
    db: DatabaseConnection,
}

impl InventoryStore {
    pub fn new(db: DatabaseConnection) -> Self {
        InventoryStore { db }
    }
}

/// The current time at the precision both databases store (microseconds),
/// so a value returned from memory equals the same value read back.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}
