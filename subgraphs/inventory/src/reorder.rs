//! Inventory's consumer of its own `stock.low` events: each one opens a
//! replenishment request for the product when it is still due. Kept apart
//! from the change that reported the low stock, so anything else that
//! cares about low stock (purchasing, alerts) subscribes the same way.

use std::future::Future;
use std::sync::Arc;

use events::Broker;

use crate::store::InventoryStore;

pub const CONSUMER: &str = "inventory-reorder";
pub const SUBJECT: &str = "shop.inventory.stock.low";

/// Consumes `stock.low` until `stopping` completes.
pub async fn run(
    store: InventoryStore,
    broker: Arc<dyn Broker>,
    stopping: impl Future<Output = ()>,
) {
    let store = &store;
    events::consumer::run(
        broker,
        CONSUMER,
        SUBJECT,
        |event| async move { store.open_replenishment_on(CONSUMER, &event).await },
        stopping,
    )
    .await;
}
