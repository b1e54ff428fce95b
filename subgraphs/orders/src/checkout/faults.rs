//! Fault injection for recovery tests: a point in the checkout where the
//! service "dies". When an armed point is reached, that checkout stops on
//! the spot (its lease stays taken, as a crashed process would leave it) and
//! this instance does no more checkout work at all, so the test can stop it
//! and start a fresh one on the same database. Disarmed (the default) it
//! costs one uncontended lock per step.

use std::sync::{Arc, Mutex, PoisonError};

use crate::domain::{CheckoutStep, OrderError};

/// Where to die: before a step is attempted, or after its call to the other
/// service returned but before the outcome was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultPoint {
    Before(CheckoutStep),
    After(CheckoutStep),
}

#[derive(Debug, Default)]
struct State {
    armed: Option<FaultPoint>,
    dead: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Faults(Arc<Mutex<State>>);

impl Faults {
    /// Makes the next checkout that reaches `point` stop there.
    pub fn arm(&self, point: FaultPoint) {
        self.lock(|state| state.armed = Some(point));
    }

    /// True once an armed point was hit: this instance is "dead".
    pub fn is_dead(&self) -> bool {
        self.lock(|state| state.dead)
    }

    /// Passes unless `point` is armed (or the instance already died).
    pub fn check(&self, point: FaultPoint) -> Result<(), OrderError> {
        self.lock(|state| {
            if state.armed == Some(point) {
                state.armed = None;
                state.dead = true;
            }
            if state.dead {
                Err(OrderError::CheckoutInterrupted)
            } else {
                Ok(())
            }
        })
    }

    fn lock<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}
