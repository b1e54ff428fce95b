//! The inventory service's own metrics, declared here with units and help.
//! (GraphQL, database and outbox metrics come from `subgraph_kit::metrics`
//! and `events`.)

use std::sync::Once;

use metrics::{Unit, counter, describe_counter, describe_gauge, gauge};

pub const STOCK_LOW: &str = "inventory_stock_low_total";
pub const OPEN_REPLENISHMENTS: &str = "inventory_open_replenishments";

/// Installs the process's recorder (see `telemetry`) and describes these.
pub fn register() {
    static DESCRIBED: Once = Once::new();
    subgraph_kit::telemetry::metrics::install(&DESCRIBED, describe);
}

fn describe() {
    describe_counter!(
        STOCK_LOW,
        Unit::Count,
        "Stock-low events handled: a product fell to its reorder point with no replenishment open."
    );
    describe_gauge!(
        OPEN_REPLENISHMENTS,
        Unit::Count,
        "Replenishment requests open (goods not yet received), read at each scrape."
    );
}

/// One `stock.low` event handled (once per event, whatever redeliveries).
pub fn stock_low() {
    counter!(STOCK_LOW).increment(1);
}

pub fn open_replenishments(count: u64) {
    gauge!(OPEN_REPLENISHMENTS).set(count as f64);
}
