//! Requests for more stock, opened by the reorder rule.

use chrono::{DateTime, Utc};

use super::{ProductId, Quantity, ReplenishmentId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplenishmentStatus {
    /// Requested, goods not yet received. At most one per product.
    Open,
    Received,
}

impl ReplenishmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplenishmentStatus::Open => "OPEN",
            ReplenishmentStatus::Received => "RECEIVED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "OPEN" => Some(ReplenishmentStatus::Open),
            "RECEIVED" => Some(ReplenishmentStatus::Received),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replenishment {
    pub id: ReplenishmentId,
    pub product_id: ProductId,
    /// Units requested.
    pub quantity: Quantity,
    /// Units actually received, once received.
    pub received_quantity: Option<Quantity>,
    pub status: ReplenishmentStatus,
    pub requested_at: DateTime<Utc>,
    pub received_at: Option<DateTime<Utc>>,
}

impl Replenishment {
    /// What receiving adds to on-hand: what arrived, or what was requested.
    pub fn quantity_to_receive(&self, arrived: Option<Quantity>) -> Quantity {
        arrived.unwrap_or(self.quantity)
    }
}
