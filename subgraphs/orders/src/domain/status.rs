use std::fmt;

use super::OrderError;

/// Where an order is in its life. Allowed moves:
///
/// ```text
/// PENDING ──> CONFIRMED ──> SHIPPED ──> DELIVERED
///    │            │
///    ├──> CANCELLED <┘
///    └──> PAYMENT_FAILED
/// ```
///
/// The graph has no cycles, so every order ends in DELIVERED, CANCELLED or
/// PAYMENT_FAILED after at most three changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    Pending,
    Confirmed,
    Shipped,
    Delivered,
    Cancelled,
    PaymentFailed,
}

/// What a request to move an order to some status amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The order is already there: return it as it is (retries are safe).
    Unchanged,
    /// Move from `from` to `to`, provided nobody moved it first.
    Change { from: OrderStatus, to: OrderStatus },
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::Pending,
        OrderStatus::Confirmed,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
        OrderStatus::PaymentFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "PENDING",
            OrderStatus::Confirmed => "CONFIRMED",
            OrderStatus::Shipped => "SHIPPED",
            OrderStatus::Delivered => "DELIVERED",
            OrderStatus::Cancelled => "CANCELLED",
            OrderStatus::PaymentFailed => "PAYMENT_FAILED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        OrderStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// True when an order may move from `self` to `to` (a real change).
    /// No status can follow this one.
    pub fn is_final(self) -> bool {
        OrderStatus::ALL.into_iter().all(|to| !self.can_become(to))
    }

    pub fn can_become(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (Pending, Confirmed)
                | (Pending, Cancelled)
                | (Pending, PaymentFailed)
                | (Confirmed, Shipped)
                | (Confirmed, Cancelled)
                | (Shipped, Delivered)
        )
    }

    /// Decides a request to move to `to`.
    pub fn transition_to(self, to: OrderStatus) -> Result<Transition, OrderError> {
        if self == to {
            Ok(Transition::Unchanged)
        } else if self.can_become(to) {
            Ok(Transition::Change { from: self, to })
        } else {
            Err(OrderError::InvalidTransition { from: self, to })
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;

    #[test]
    fn the_whole_transition_matrix() {
        let allowed = [
            (Pending, Confirmed),
            (Pending, Cancelled),
            (Pending, PaymentFailed),
            (Confirmed, Shipped),
            (Confirmed, Cancelled),
            (Shipped, Delivered),
        ];
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                let decision = from.transition_to(to);
                if from == to {
                    assert_eq!(decision.ok(), Some(Transition::Unchanged), "{from} -> {to}");
                } else if allowed.contains(&(from, to)) {
                    assert_eq!(
                        decision.ok(),
                        Some(Transition::Change { from, to }),
                        "{from} -> {to}"
                    );
                } else {
                    match decision {
                        Err(OrderError::InvalidTransition { from: f, to: t }) => {
                            assert_eq!((f, t), (from, to));
                        }
                        other => panic!("{from} -> {to} should be invalid, got {other:?}"),
                    }
                }
            }
        }
    }

    #[test]
    fn terminal_states_go_nowhere() {
        assert!(OrderStatus::Delivered.is_final());
        assert!(OrderStatus::Cancelled.is_final());
        assert!(OrderStatus::PaymentFailed.is_final());
        assert!(!OrderStatus::Pending.is_final());
        for end in [Delivered, Cancelled, PaymentFailed] {
            assert!(OrderStatus::ALL.iter().all(|&to| !end.can_become(to)));
        }
    }

    #[test]
    fn invalid_transition_names_both_states() {
        let err = Delivered.transition_to(Pending).unwrap_err();
        assert_eq!(err.to_string(), "order cannot go from DELIVERED to PENDING");
    }

    #[test]
    fn statuses_round_trip_through_strings() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(OrderStatus::parse("pending"), None);
    }
}
