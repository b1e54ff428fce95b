//! The event plumbing against real databases (SQLite and PostgreSQL) and a
//! real NATS JetStream.

mod consumer;
mod helpers;
mod inbox;
mod nats;
mod relay;
