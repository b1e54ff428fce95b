//! Which status changes a payment allows: a pure function of its state and
//! the command, so the whole matrix is unit-tested without I/O.

use super::{GatewayDecision, GatewayKind, PaymentError, PaymentStatus};

/// What a client asks of an existing payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentCommand {
    Capture,
    Refund,
    Void,
    /// Back office: the money for an invoice arrived.
    MarkInvoicePaid,
}

impl PaymentCommand {
    pub const ALL: [PaymentCommand; 4] = [
        PaymentCommand::Capture,
        PaymentCommand::Refund,
        PaymentCommand::Void,
        PaymentCommand::MarkInvoicePaid,
    ];

    /// The status the command leads to.
    pub fn target(self) -> PaymentStatus {
        match self {
            PaymentCommand::Capture | PaymentCommand::MarkInvoicePaid => PaymentStatus::Captured,
            PaymentCommand::Refund => PaymentStatus::Refunded,
            PaymentCommand::Void => PaymentStatus::Voided,
        }
    }

    pub fn verb(self) -> &'static str {
        match self {
            PaymentCommand::Capture => "capture",
            PaymentCommand::Refund => "refund",
            PaymentCommand::Void => "void",
            PaymentCommand::MarkInvoicePaid => "settle",
        }
    }
}

/// What to do about a command that is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Already in the target state: return the payment as it is, so retries
    /// are harmless.
    Unchanged,
    /// Ask the gateway, then move `from` → `to` only if the payment is still
    /// in `from`.
    Move {
        from: PaymentStatus,
        to: PaymentStatus,
    },
}

/// Decides a command for a payment in `status` made through `gateway`;
/// `invoice_issued` is whether the gateway has answered (an open invoice is
/// PENDING with a reference; a PENDING payment without one is still waiting
/// for its gateway).
pub fn plan(
    status: PaymentStatus,
    gateway: GatewayKind,
    invoice_issued: bool,
    command: PaymentCommand,
) -> Result<Plan, PaymentError> {
    use PaymentCommand as C;
    use PaymentStatus as S;
    let to = command.target();
    let open_invoice = gateway == GatewayKind::Invoice && status == S::Pending && invoice_issued;
    if command == C::MarkInvoicePaid && gateway != GatewayKind::Invoice {
        return Err(PaymentError::NotAnInvoice);
    }
    if status == to {
        return Ok(Plan::Unchanged);
    }
    let movable = match command {
        C::Capture if open_invoice => return Err(PaymentError::InvoiceNotPaid),
        C::Capture => status == S::Authorized,
        C::Refund => status == S::Captured,
        C::Void => status == S::Authorized || open_invoice,
        C::MarkInvoicePaid => open_invoice,
    };
    if movable {
        Ok(Plan::Move { from: status, to })
    } else {
        Err(PaymentError::InvalidState { from: status, to })
    }
}

/// How an authorization's answer is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationOutcome {
    pub status: PaymentStatus,
    pub gateway_reference: Option<String>,
    pub failure_reason: Option<String>,
}

impl From<GatewayDecision> for AuthorizationOutcome {
    fn from(decision: GatewayDecision) -> Self {
        let (status, gateway_reference, failure_reason) = match decision {
            GatewayDecision::Approved { reference } => {
                (PaymentStatus::Authorized, Some(reference), None)
            }
            GatewayDecision::Pending { reference } => {
                (PaymentStatus::Pending, Some(reference), None)
            }
            GatewayDecision::Declined { reason } => (PaymentStatus::Declined, None, Some(reason)),
            GatewayDecision::Failed { reason } => (PaymentStatus::Failed, None, Some(reason)),
        };
        AuthorizationOutcome {
            status,
            gateway_reference,
            failure_reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use subgraph_kit::error::CodedError;

    use super::*;
    use PaymentCommand as C;
    use PaymentStatus as S;

    /// The outcome as a short string: `->STATUS`, `=` (unchanged) or a code.
    fn outcome(status: S, gateway: GatewayKind, issued: bool, command: C) -> String {
        match plan(status, gateway, issued, command) {
            Ok(Plan::Unchanged) => "=".into(),
            Ok(Plan::Move { from, to }) => {
                assert_eq!(from, status);
                format!("->{to}")
            }
            Err(PaymentError::InvalidState { from, to }) => {
                assert_eq!((from, to), (status, command.target()));
                "INVALID".into()
            }
            Err(err) => err.code().into(),
        }
    }

    /// Rows: statuses; columns: capture, refund, void, markInvoicePaid.
    #[test]
    fn card_payment_transition_matrix() {
        let expected = [
            (
                S::Pending,
                ["INVALID", "INVALID", "INVALID", "NOT_AN_INVOICE"],
            ),
            (
                S::Authorized,
                ["->CAPTURED", "INVALID", "->VOIDED", "NOT_AN_INVOICE"],
            ),
            (
                S::Captured,
                ["=", "->REFUNDED", "INVALID", "NOT_AN_INVOICE"],
            ),
            (
                S::Declined,
                ["INVALID", "INVALID", "INVALID", "NOT_AN_INVOICE"],
            ),
            (
                S::Failed,
                ["INVALID", "INVALID", "INVALID", "NOT_AN_INVOICE"],
            ),
            (S::Refunded, ["INVALID", "=", "INVALID", "NOT_AN_INVOICE"]),
            (S::Voided, ["INVALID", "INVALID", "=", "NOT_AN_INVOICE"]),
        ];
        check(GatewayKind::TestCard, true, &expected);
    }

    #[test]
    fn issued_invoice_transition_matrix() {
        let expected = [
            (
                S::Pending,
                ["INVOICE_NOT_PAID", "INVALID", "->VOIDED", "->CAPTURED"],
            ),
            (
                S::Authorized,
                ["->CAPTURED", "INVALID", "->VOIDED", "INVALID"],
            ),
            (S::Captured, ["=", "->REFUNDED", "INVALID", "="]),
            (S::Declined, ["INVALID", "INVALID", "INVALID", "INVALID"]),
            (S::Failed, ["INVALID", "INVALID", "INVALID", "INVALID"]),
            (S::Refunded, ["INVALID", "=", "INVALID", "INVALID"]),
            (S::Voided, ["INVALID", "INVALID", "=", "INVALID"]),
        ];
        check(GatewayKind::Invoice, true, &expected);
    }

    #[test]
    fn a_pending_payment_whose_gateway_has_not_answered_cannot_move() {
        for gateway in GatewayKind::ALL {
            for command in C::ALL {
                let got = outcome(S::Pending, gateway, false, command);
                assert!(
                    got == "INVALID" || got == "NOT_AN_INVOICE",
                    "{gateway} {command:?}: {got}"
                );
            }
        }
    }

    fn check(gateway: GatewayKind, issued: bool, expected: &[(S, [&str; 4])]) {
        assert_eq!(expected.len(), S::ALL.len(), "every status is listed");
        for (status, row) in expected {
            for (command, want) in C::ALL.into_iter().zip(row) {
                assert_eq!(
                    outcome(*status, gateway, issued, command),
                    *want,
                    "{gateway} {status} {command:?}"
                );
            }
        }
    }

    #[test]
    fn authorization_answers_become_statuses() {
        let o = AuthorizationOutcome::from(GatewayDecision::approved("tc_1"));
        assert_eq!(o.status, S::Authorized);
        assert_eq!(o.gateway_reference.as_deref(), Some("tc_1"));
        let o = AuthorizationOutcome::from(GatewayDecision::Pending {
            reference: "INV-1".into(),
        });
        assert_eq!(
            (o.status, o.gateway_reference.as_deref()),
            (S::Pending, Some("INV-1"))
        );
        let o = AuthorizationOutcome::from(GatewayDecision::declined("card_declined"));
        assert_eq!(
            (o.status, o.failure_reason.as_deref()),
            (S::Declined, Some("card_declined"))
        );
        let o = AuthorizationOutcome::from(GatewayDecision::failed("processing_error"));
        assert_eq!(o.status, S::Failed);
    }
}
