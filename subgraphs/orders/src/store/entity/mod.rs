//! The three tables, in sea-orm's classic entity format.

pub mod order;
pub mod order_item;
pub mod status_history;
