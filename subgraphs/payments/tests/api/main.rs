//! The payments service over real HTTP on port 0, on SQLite and PostgreSQL.

mod authorize;
mod entities;
mod events;
mod helpers;
mod http;
mod invoice;
mod lifecycle;
