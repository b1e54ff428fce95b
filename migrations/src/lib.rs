//! Database migrations, one independent migrator per service.
//!
//! Each service owns its database, so each has its own migrator and its own
//! bookkeeping table (`seaql_migrations_<service>`); nothing here lets one
//! service's schema refer to another's. Services apply their migrator at
//! start-up and through their `migrate` subcommand.
//!
//! - `products`: the catalog.
//! - `inventory`: stock levels, movements, reservations, replenishments.
//! - `orders`: orders, their items and status history.
//! - `payments`: payments and their gateway references.
//! - `event_tables`: the outbox and inbox of domain events, in every service's
//!   database (the same migration in each migrator).
//! - `event_relay`: the lease that lets one replica's relay publish an
//!   outbox at a time.
//! - `event_trace`: the trace context stored with each outbox event.

pub mod event_relay;
pub mod event_tables;
pub mod event_trace;
pub mod inventory;
pub mod orders;
pub mod payments;
pub mod products;

pub use sea_orm_migration::MigratorTrait;
