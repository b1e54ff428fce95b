//! The orders service: order placement, tracking and fulfilment, as a
//! Federation v2 subgraph.
//!
//! - `domain`: orders, their lifecycle (the status transition rules),
//!   placement validation and pricing, errors; no I/O.
//! - `catalog`: the products service as orders needs it (current prices and
//!   SKUs), a trait plus its HTTP client.
//! - `remote`, `stock`, `billing`: the inventory and payments services as the
//!   checkout needs them (reserve/commit/release/restock stock; authorize,
//!   capture, void, refund), over HTTP with timeouts, idempotent by order.
//! - `checkout`: the checkout saga (reserve, authorize, capture, commit,
//!   and the undo steps), recovery of unfinished checkouts, and the
//!   consumer of payment outcomes.
//! - `store`: the `orders`, `order_items` and `order_status_history` tables,
//!   and the event outbox every change writes to in the same transaction.
//! - `domain_events`: the events orders publishes (subjects and payloads).
//! - `service`: the use cases, composing store and catalog: placing an
//!   order (idempotently) and applying status changes atomically.
//! - `graphql`: the subgraph schema, the `Order` entity, the `Product` stub it
//!   provides SKUs for, and the batching loaders.
//! - `metrics`: the checkout funnel, saga steps and recovery sweeps.
//! - `app`: settings, database opening, binding the HTTP server and the
//!   outbox relay beside it.

pub mod app;
pub mod billing;
pub mod catalog;
pub mod checkout;
pub mod cli;
pub mod domain;
pub mod domain_events;
pub mod feed;
pub mod graphql;
pub mod metrics;
pub mod remote;
pub mod service;
pub mod stock;
pub mod store;
