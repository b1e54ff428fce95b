//! Domain events between services: written to an outbox in the same database
//! transaction as the state change they report, relayed to a broker, and
//! consumed at most once per consumer.
//!
//! - `event`: the envelope every event travels in.
//! - `subject`: NATS-style subject filters (`*` one token, `>` the rest).
//! - `outbox`: appending events inside a transaction; `relay` publishes them
//!   in order and marks them published only once the broker has them, so
//!   nothing is lost while the broker is down; of several replicas over one
//!   outbox, only the holder of the relay lease (`relay::lease`) publishes.
//! - `broker`: the [`Broker`] trait with NATS JetStream (`broker::nats`) and an
//!   in-process bus (`broker::memory`) for the all-in-one run and tests.
//! - `inbox`: idempotent handling: an event id is recorded per consumer in the
//!   same transaction as the handler's effects, so a redelivered event
//!   changes nothing twice.
//! - `consumer`: the loop that feeds a subscription through the inbox and
//!   acknowledges.
//! - `metrics`: outbox backlog and age, consumer throughput, lag and redeliveries.
//! - `settings`: NATS (`NATS_URL`) or in-process, and the stream they share.
//!
//! The tables (`event_outbox`, `event_inbox`, `event_relay`) are created by
//! each service's migrator (`migrations::event_tables`, `event_relay`).
//!
//! Consumers of one name share the work however many replicas subscribe
//! (a JetStream durable consumer is a queue group), and the inbox makes each
//! event's effects happen once. `Broker::watch` is the other kind of
//! reader: a live, unacknowledged view for pushing changes to clients
//! connected to any replica.

pub mod broker;
pub mod consumer;
pub mod event;
pub mod inbox;
pub mod metrics;
pub mod outbox;
pub mod relay;
pub mod settings;
pub mod subject;

pub use broker::{Broker, BrokerError, Delivery, DeliveryMeta, Subscription, Watch};
pub use event::Event;
