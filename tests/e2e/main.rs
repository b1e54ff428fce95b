//! End-to-end tests of the whole system: the checked-in schema, and all four
//! services started together as the README's run command starts them.

mod authorization;
mod checkout;
mod events;
mod helpers;
mod metrics;
mod replicas;
mod router;
mod schema;
mod system;
