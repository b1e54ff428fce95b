//! The orders service over real HTTP on port 0, on SQLite and PostgreSQL,
//! next to a real products service.

mod catalog_outage;
mod checkout;
mod entities;
mod events;
mod helpers;
mod http;
mod idempotency;
mod lifecycle;
mod listing;
mod never_wrong;
mod placing;
mod recovery;
mod remote_services;
mod subscriptions;
