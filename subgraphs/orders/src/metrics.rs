//! The orders service's own metrics, declared here with units and help:
//! the checkout funnel, each saga step, and recovery. (GraphQL, database
//! and outbox metrics come from `subgraph_kit::metrics` and `events`.)

use std::sync::Once;
use std::time::Duration;

use metrics::{Unit, counter, describe_counter, describe_histogram, histogram};

use crate::domain::{CheckoutStep, OrderStatus};

pub const CHECKOUTS: &str = "orders_checkouts_total";
pub const STEPS: &str = "orders_checkout_steps_total";
pub const STEP_DURATION: &str = "orders_checkout_step_duration_seconds";
pub const RECOVERY_SWEEPS: &str = "orders_recovery_sweeps_total";
pub const RECOVERED: &str = "orders_recovery_runs_total";

/// Installs the process's recorder (see `telemetry`) and describes these.
pub fn register() {
    static DESCRIBED: Once = Once::new();
    subgraph_kit::telemetry::metrics::install(&DESCRIBED, describe);
}

fn describe() {
    describe_counter!(
        CHECKOUTS,
        Unit::Count,
        "The checkout funnel: orders placed (outcome started), then how each checkout ended (confirmed, payment_failed, cancelled)."
    );
    describe_counter!(
        STEPS,
        Unit::Count,
        "Checkout saga steps run, by step and outcome (ok; stalled: a service was unreachable; lost: another runner took the order)."
    );
    describe_histogram!(
        STEP_DURATION,
        Unit::Seconds,
        "Time of one checkout saga step, calls to other services included, by step."
    );
    describe_counter!(
        RECOVERY_SWEEPS,
        Unit::Count,
        "Recovery sweeps for unfinished checkouts, by outcome (ok, failed: the orders could not be read)."
    );
    describe_counter!(
        RECOVERED,
        Unit::Count,
        "Checkout runs recovery started for orders nobody was running."
    );
}

/// A new order's checkout begins.
pub fn checkout_started() {
    counter!(CHECKOUTS, "outcome" => "started").increment(1);
}

/// A checkout ended with its order in `status`.
pub fn checkout_ended(status: OrderStatus) {
    let outcome = match status {
        OrderStatus::Confirmed => "confirmed",
        OrderStatus::PaymentFailed => "payment_failed",
        OrderStatus::Cancelled => "cancelled",
        OrderStatus::Pending | OrderStatus::Shipped | OrderStatus::Delivered => return,
    };
    counter!(CHECKOUTS, "outcome" => outcome).increment(1);
}

/// How one step went.
#[derive(Debug, Clone, Copy)]
pub enum StepOutcome {
    Ok,
    Stalled,
    Lost,
}

pub fn step(step: CheckoutStep, outcome: StepOutcome, elapsed: Duration) {
    let outcome = match outcome {
        StepOutcome::Ok => "ok",
        StepOutcome::Stalled => "stalled",
        StepOutcome::Lost => "lost",
    };
    let step = step.as_str();
    counter!(STEPS, "step" => step, "outcome" => outcome).increment(1);
    histogram!(STEP_DURATION, "step" => step).record(elapsed.as_secs_f64());
}

pub fn recovery_sweep(ok: bool, runs: usize) {
    counter!(RECOVERY_SWEEPS, "outcome" => if ok { "ok" } else { "failed" }).increment(1);
    counter!(RECOVERED).increment(runs as u64);
}
