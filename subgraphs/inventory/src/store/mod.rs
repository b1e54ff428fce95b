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
use events::relay::Wake;
use sea_orm::{DatabaseConnection, DbErr, SqlErr};

#[derive(Clone)]
pub struct InventoryStore {
    db: DatabaseConnection,
    /// Tells the outbox relay when a commit may have added events.
    relay: Wake,
}

impl InventoryStore {
    /// A store whose events wait for the relay's next poll.
    pub fn new(db: DatabaseConnection) -> Self {
        Self::with_relay(db, Wake::default())
    }

    pub fn with_relay(db: DatabaseConnection, relay: Wake) -> Self {
        InventoryStore { db, relay }
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
