//! Plumbing every subgraph service shares, so that the four services expose the
//! same endpoints, errors and value types.
//!
//! - `authorization`: `@authenticated` and `@policy` for our resolvers.
//! - `caller`: who is calling, from the identity the router signs.
//! - `money`: integer minor units with an ISO 4217 currency.
//! - `cursor`: opaque pagination cursors.
//! - `error`: service errors to GraphQL errors with `extensions.code`.
//! - `graphql`: GraphQL value types shared by several subgraphs (`Money`, `PageInfo`).
//! - `entities`: one batch per entity type per `_entities` request.
//! - `database`: opening a service's own SQLite or PostgreSQL database.
//! - `metrics`: GraphQL request, database and pool metrics every service records.
//! - `server`: `/graphql`, `/health`, `/ready`, binding and graceful shutdown.
//! - `telemetry` (re-exported crate): logs, traces and the process's metrics recorder.
//! - `traces`: a service's spans: each request (continuing the caller's
//!   trace), each root resolver, DataLoader batches.
//! - `cli`: what a service binary does with its command (serve, migrate, sdl).
//! - `pagination`: validating `first`/`after` arguments.
//! - `testing` (feature `testing`): fresh test databases and a GraphQL client for tests.

pub mod authorization;
pub mod caller;
pub mod cli;
pub mod cost;
pub mod cursor;
pub mod database;
pub mod entities;
pub mod error;
pub mod graphql;
pub mod metrics;
pub mod money;
pub mod pagination;
pub mod server;
#[cfg(feature = "testing")]
pub mod testing;
pub mod traces;

pub use telemetry;
