//! The whole system in one process, for local work and end-to-end tests.
//!
//! - `system`: starts the four subgraph services, each on its own listener
//!   and database, wired to each other over HTTP.
//! - `dev_auth`: the development run's keys and its two ready-made tokens.
//! - `seed`: the demo catalog, written through the services' public APIs.
//! - `schema_files`: renders `schema/` (subgraph SDLs and the supergraph)
//!   from the services' code, writes it and detects drift.

pub mod dev_auth;
pub mod schema_files;
pub mod seed;
pub mod system;
