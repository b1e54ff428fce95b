//! The inventory service over real HTTP on port 0, on SQLite and PostgreSQL.

mod entities;
mod events;
mod helpers;
mod http;
mod levels;
mod replenishments;
mod reservations;
