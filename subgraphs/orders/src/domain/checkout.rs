//! The checkout of an order as a sequence of steps, each persisted on the
//! order before it is attempted, so that whoever runs the order next (the
//! request that placed it, a retry with the same key, or recovery after a
//! restart) knows exactly what may already have happened.
//!
//! ```text
//! forward:   RESERVE ─> AUTHORIZE ─> CAPTURE ─> COMMIT ─> (CONFIRMED)
//!                          └─> AWAIT_PAYMENT (an invoice) ─> COMMIT | VOID
//! undo:      VOID ─> RELEASE ─> (PAYMENT_FAILED or CANCELLED)
//!            REFUND ─> RELEASE (still PENDING) | RESTOCK (CANCELLED after CONFIRMED)
//! ```
//!
//! Every step is idempotent on the other side (keyed by order id, or by the
//! payment the order holds), so running a step twice is harmless.

use super::OrderStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckoutStep {
    /// Hold stock for every item (inventory).
    Reserve,
    /// Authorize the total through the chosen gateway (payments).
    Authorize,
    /// Take the authorized funds.
    Capture,
    /// Turn the held stock into a sale, then confirm the order.
    Commit,
    /// An invoice was issued: wait for the payments service to report it
    /// paid or voided.
    AwaitPayment,
    /// Undo: release the authorization (or cancel the open invoice).
    Void,
    /// Undo: free the held stock, then end the order with its failure.
    Release,
    /// Give captured money back.
    Refund,
    /// Put units already sold back on hand.
    Restock,
}

impl CheckoutStep {
    pub const ALL: [CheckoutStep; 9] = [
        CheckoutStep::Reserve,
        CheckoutStep::Authorize,
        CheckoutStep::Capture,
        CheckoutStep::Commit,
        CheckoutStep::AwaitPayment,
        CheckoutStep::Void,
        CheckoutStep::Release,
        CheckoutStep::Refund,
        CheckoutStep::Restock,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckoutStep::Reserve => "RESERVE",
            CheckoutStep::Authorize => "AUTHORIZE",
            CheckoutStep::Capture => "CAPTURE",
            CheckoutStep::Commit => "COMMIT",
            CheckoutStep::AwaitPayment => "AWAIT_PAYMENT",
            CheckoutStep::Void => "VOID",
            CheckoutStep::Release => "RELEASE",
            CheckoutStep::Refund => "REFUND",
            CheckoutStep::Restock => "RESTOCK",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        CheckoutStep::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Steps that run on their own; AWAIT_PAYMENT waits for an event.
    pub fn is_runnable(self) -> bool {
        self != CheckoutStep::AwaitPayment
    }
}

/// Longest failure code kept.
pub const MAX_CODE_LEN: usize = 40;

/// Why a checkout did not complete, kept on the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutFailure {
    /// Machine-readable: INSUFFICIENT_STOCK, PAYMENT_DECLINED, PAYMENT_FAILED,
    /// INVALID_PAYMENT, CHECKOUT_INTERRUPTED, CANCELLED_BY_REQUEST, ...
    pub code: String,
    pub message: String,
}

impl CheckoutFailure {
    /// Codes longer than 40 characters (another service's) are cut to fit.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        let code: String = code.chars().take(MAX_CODE_LEN).collect();
        let mut message: String = message.into();
        if message.chars().count() > super::MAX_NOTE_LEN {
            message = message.chars().take(super::MAX_NOTE_LEN).collect();
        }
        CheckoutFailure { code, message }
    }

    /// The status an unfinished order ends in: payment problems are
    /// PAYMENT_FAILED, anything else CANCELLED.
    pub fn final_status(&self) -> OrderStatus {
        if self.code.starts_with("PAYMENT_") || self.code == "INVALID_PAYMENT" {
            OrderStatus::PaymentFailed
        } else {
            OrderStatus::Cancelled
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_round_trip_through_strings() {
        for step in CheckoutStep::ALL {
            assert_eq!(CheckoutStep::parse(step.as_str()), Some(step));
            assert!(step.as_str().len() <= 16, "fits the column");
        }
        assert_eq!(CheckoutStep::parse("reserve"), None);
    }

    #[test]
    fn payment_failures_end_in_payment_failed_and_the_rest_in_cancelled() {
        for code in ["PAYMENT_DECLINED", "PAYMENT_FAILED", "INVALID_PAYMENT"] {
            assert_eq!(
                CheckoutFailure::new(code, "x").final_status(),
                OrderStatus::PaymentFailed
            );
        }
        for code in [
            "INSUFFICIENT_STOCK",
            "CHECKOUT_INTERRUPTED",
            "CANCELLED_BY_REQUEST",
        ] {
            assert_eq!(
                CheckoutFailure::new(code, "x").final_status(),
                OrderStatus::Cancelled
            );
        }
    }

    #[test]
    fn long_messages_and_codes_are_cut_to_fit() {
        let failure = CheckoutFailure::new(&"C".repeat(60), "x".repeat(900));
        assert_eq!(failure.message.chars().count(), super::super::MAX_NOTE_LEN);
        assert_eq!(failure.code.len(), MAX_CODE_LEN);
    }
}
