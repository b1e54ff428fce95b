//! End-to-end tests of the whole system: the checked-in schema, and all four
//! services started together as the README's run command starts them (the
//! playground in a headless browser too).

mod authorization;
mod browser;
mod checkout;
mod events;
mod helpers;
mod metrics;
mod playground;
mod replicas;
mod router;
mod schema;
mod system;
