//! The events inventory publishes, written to the outbox in the transaction
//! that makes the change:
//! - `shop.inventory.stock.low` when a change leaves a product at or below
//!   its reorder point with no replenishment request open ([`StockLow`]);
//!   inventory's own `reorder` consumer opens the request;
//! - `shop.inventory.stock.replenished` when a request is received
//!   ([`StockReplenished`]).

use events::Event;
use serde::{Deserialize, Serialize};

use crate::domain::{ReplenishmentId, StockLevel};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockLow {
    pub product_id: String,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
    pub reorder_point: i64,
    /// What the reorder policy asks for.
    pub reorder_quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockReplenished {
    pub product_id: String,
    pub replenishment_id: String,
    pub received_quantity: i64,
    pub on_hand: i64,
}

pub fn stock_low(level: &StockLevel, quantity: i64) -> Result<Event, serde_json::Error> {
    let payload = StockLow {
        product_id: level.product_id.as_str().to_owned(),
        on_hand: level.on_hand,
        reserved: level.reserved,
        available: level.available(),
        reorder_point: level.policy.reorder_point(),
        reorder_quantity: quantity,
    };
    Event::new(
        "shop.inventory.stock.low",
        level.product_id.as_str(),
        &payload,
    )
}

pub fn stock_replenished(
    level: &StockLevel,
    replenishment: &ReplenishmentId,
    quantity: i64,
) -> Result<Event, serde_json::Error> {
    let payload = StockReplenished {
        product_id: level.product_id.as_str().to_owned(),
        replenishment_id: replenishment.as_str().to_owned(),
        received_quantity: quantity,
        on_hand: level.on_hand,
    };
    Event::new(
        "shop.inventory.stock.replenished",
        level.product_id.as_str(),
        &payload,
    )
}
