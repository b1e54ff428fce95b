use subgraph_kit::error::CodedError;
use subgraph_kit::money::MAX_MINOR_UNITS;

use super::{GatewayKind, PaymentStatus};

/// Everything that can go wrong with a payment, each with a stable code.
/// A declined card is not here: it is a payment outcome, not an error.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("amount must be between 1 and {MAX_MINOR_UNITS} minor units")]
    InvalidAmount,
    #[error("unknown currency code {0:?}: use an ISO 4217 code such as USD or EUR")]
    InvalidCurrency(String),
    /// The reason never contains the card number.
    #[error("invalid card: {0}")]
    InvalidCard(&'static str),
    #[error("{0} payments need a card")]
    CardRequired(GatewayKind),
    #[error("{0} payments do not take a card")]
    CardNotAccepted(GatewayKind),
    #[error("order id {0:?} is not a UUID")]
    InvalidOrderId(String),
    #[error("idempotency key must be 1-200 characters")]
    InvalidIdempotencyKey,
    #[error("idempotency key was already used for a different payment")]
    IdempotencyKeyReused,
    #[error("no payment with id {0:?}")]
    NotFound(String),
    #[error("a payment cannot move from {from} to {to}")]
    InvalidState {
        from: PaymentStatus,
        to: PaymentStatus,
    },
    #[error("the invoice has not been paid yet; markInvoicePaid captures it")]
    InvoiceNotPaid,
    #[error("the payment was not made by invoice")]
    NotAnInvoice,
    #[error("the gateway refused to {action} the payment: {reason}")]
    GatewayRefused {
        action: &'static str,
        reason: String,
    },
    #[error("payment processing was interrupted")]
    Interrupted,
    #[error("database error")]
    Database(#[from] sea_orm::DbErr),
}

impl CodedError for PaymentError {
    fn code(&self) -> &'static str {
        match self {
            PaymentError::InvalidAmount => "INVALID_AMOUNT",
            PaymentError::InvalidCurrency(_) => "INVALID_CURRENCY",
            PaymentError::InvalidCard(_) => "INVALID_CARD",
            PaymentError::CardRequired(_) => "CARD_REQUIRED",
            PaymentError::CardNotAccepted(_) => "CARD_NOT_ACCEPTED",
            PaymentError::InvalidOrderId(_) => "INVALID_ORDER_ID",
            PaymentError::InvalidIdempotencyKey => "INVALID_IDEMPOTENCY_KEY",
            PaymentError::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            PaymentError::NotFound(_) => "PAYMENT_NOT_FOUND",
            PaymentError::InvalidState { .. } => "INVALID_PAYMENT_STATE",
            PaymentError::InvoiceNotPaid => "INVOICE_NOT_PAID",
            PaymentError::NotAnInvoice => "NOT_AN_INVOICE",
            PaymentError::GatewayRefused { .. } => "GATEWAY_REFUSED",
            PaymentError::Interrupted => "INTERRUPTED",
            PaymentError::Database(_) => "DATABASE_ERROR",
        }
    }

    fn is_internal(&self) -> bool {
        matches!(self, PaymentError::Database(_) | PaymentError::Interrupted)
    }
}
