use subgraph_kit::error::CodedError;
use subgraph_kit::pagination::PageError;

use super::status::OrderStatus;

/// A failure of something this service depends on, kept for the logs.
pub type DependencyError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong with an order, each with a stable code.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error(
        "invalid customer email {0:?}: expected one '@' with a non-empty name before it and a dotted domain after it, at most 254 characters, no spaces"
    )]
    InvalidEmail(String),
    #[error("an order needs at least one item")]
    EmptyOrder,
    #[error("quantity of product {product_id:?} must be between 1 and {max}, got {quantity}", max = super::placement::MAX_QUANTITY)]
    InvalidQuantity { product_id: String, quantity: i64 },
    #[error("an order has at most {max} lines, got {0}", max = super::placement::MAX_LINES)]
    TooManyItems(usize),
    #[error("no product with id {0:?} in the catalog")]
    ProductNotFound(String),
    #[error("product {0:?} is no longer sold")]
    ProductUnavailable(String),
    #[error(
        "the product catalog could not be reached, so no order was placed; this is a failure on our side, not a problem with the request: retry later"
    )]
    CatalogUnavailable(#[source] DependencyError),
    #[error(
        "the items are priced in different currencies ({0} and {1}); place one order per currency"
    )]
    CurrencyMismatch(String, String),
    #[error("the order total exceeds the largest supported amount")]
    AmountOutOfRange,
    #[error("idempotency key must be 1-200 characters")]
    InvalidIdempotencyKey,
    #[error("idempotency key was already used for a different order")]
    IdempotencyKeyReused,
    #[error("no order with id {0:?}")]
    NotFound(String),
    #[error("the order is already {0}: its status will not change again")]
    AlreadyFinal(String),
    #[error("order cannot go from {from} to {to}")]
    InvalidTransition { from: OrderStatus, to: OrderStatus },
    #[error("invalid shipment: {0}")]
    InvalidShipment(&'static str),
    #[error("reason must be 1-{max} characters", max = super::order::MAX_NOTE_LEN)]
    InvalidReason,
    #[error("the order's checkout is running; retry in a moment")]
    CheckoutInProgress,
    #[error(
        "the checkout stopped before it finished (an injected fault); recovery will finish or undo it"
    )]
    CheckoutInterrupted,
    #[error("{0}")]
    Pagination(#[from] PageError),
    #[error("database error")]
    Database(#[from] sea_orm::DbErr),
}

impl CodedError for OrderError {
    fn code(&self) -> &'static str {
        match self {
            OrderError::InvalidEmail(_) => "INVALID_EMAIL",
            OrderError::EmptyOrder => "EMPTY_ORDER",
            OrderError::InvalidQuantity { .. } => "INVALID_QUANTITY",
            OrderError::TooManyItems(_) => "TOO_MANY_ITEMS",
            OrderError::ProductNotFound(_) => "PRODUCT_NOT_FOUND",
            OrderError::ProductUnavailable(_) => "PRODUCT_UNAVAILABLE",
            OrderError::CatalogUnavailable(_) => "CATALOG_UNAVAILABLE",
            OrderError::CurrencyMismatch(..) => "CURRENCY_MISMATCH",
            OrderError::AmountOutOfRange => "AMOUNT_OUT_OF_RANGE",
            OrderError::InvalidIdempotencyKey => "INVALID_IDEMPOTENCY_KEY",
            OrderError::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            OrderError::NotFound(_) => "ORDER_NOT_FOUND",
            OrderError::AlreadyFinal(_) => "ORDER_ALREADY_FINAL",
            OrderError::InvalidTransition { .. } => "INVALID_TRANSITION",
            OrderError::InvalidShipment(_) => "INVALID_SHIPMENT",
            OrderError::InvalidReason => "INVALID_REASON",
            OrderError::CheckoutInProgress => "CHECKOUT_IN_PROGRESS",
            OrderError::CheckoutInterrupted => "CHECKOUT_INTERRUPTED",
            OrderError::Pagination(_) => "INVALID_PAGINATION",
            OrderError::Database(_) => "DATABASE_ERROR",
        }
    }

    /// A catalog outage is not the client's fault either, but it keeps its
    /// own code and message so clients know to retry; it is logged where it
    /// happens.
    fn is_internal(&self) -> bool {
        matches!(self, OrderError::Database(_))
    }
}
