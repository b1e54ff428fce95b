//! The payments service: payments through pluggable gateways, as a Federation
//! v2 subgraph.
//!
//! - `domain`: payments, cards, ids, the lifecycle (which transitions are
//!   allowed) and errors; no I/O.
//! - `gateway`: the `Gateway` trait, one file per gateway (test cards,
//!   invoices) and the registry that picks one per `PaymentGatewayKind`.
//! - `store`: the `payments` table through sea-orm, and the event outbox.
//! - `domain_events`: the events payments publishes (subjects and payloads).
//! - `processor`: the flows that combine store and gateways (authorize with an
//!   idempotency key, capture, refund, void, mark an invoice paid).
//! - `graphql`: the subgraph schema, the `Payment` entity, the `Order`
//!   contribution (`Order.payments`), their DataLoaders and the per-request
//!   prefetch that makes `_entities` cost one statement per type.
//! - `app`: settings, database opening, binding the HTTP server and the
//!   outbox relay beside it.

pub mod app;
pub mod cli;
pub mod domain;
pub mod domain_events;
pub mod gateway;
pub mod graphql;
pub mod processor;
pub mod store;
