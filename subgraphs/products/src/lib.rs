//! The products service: the catalog, as a Federation v2 subgraph.
//!
//! - `domain`: products, SKUs, validation and errors; no I/O.
//! - `store`: the `products` table through sea-orm.
//! - `graphql`: the subgraph schema, the `Product` entity (keys `id` and `sku`)
//!   and its batching loader.
//! - `app`: settings, database opening, binding the HTTP server.

pub mod app;
pub mod cli;
pub mod domain;
pub mod graphql;
pub mod store;
