//! The inventory service: stock levels, reservations for orders and
//! replenishment, as a Federation v2 subgraph.
//!
//! - `domain`: stock levels, movements, reservations, replenishments, the
//!   reorder rule, validation and errors; no I/O.
//! - `store`: the tables through sea-orm; every stock change is one
//!   transaction with one lock order, with its events in the outbox.
//! - `domain_events`: the events inventory publishes (stock low, replenished).
//! - `graphql`: the subgraph schema, its share of the `Product` entity
//!   (`inventory`, `inStock`, `stockValue`) and the batching loader.
//! - `reorder`: the consumer of `stock.low` that opens replenishment
//!   requests.
//! - `metrics`: stock-low events and open replenishments.
//! - `app`: settings, database opening, binding the HTTP server, and the
//!   outbox relay and the `reorder` consumer beside it.

pub mod app;
pub mod cli;
pub mod domain;
pub mod domain_events;
pub mod graphql;
pub mod metrics;
pub mod reorder;
pub mod store;
