use subgraph_kit::error::CodedError;
use subgraph_kit::money::MoneyError;

use super::MAX_QUANTITY;

/// Everything that can go wrong with stock, each with a stable code.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("product id {0:?} is not a UUID")]
    InvalidProductId(String),
    #[error("order id {0:?} is not a UUID")]
    InvalidOrderId(String),
    #[error("delta must not be zero and must fit a 32-bit integer")]
    InvalidDelta,
    #[error("reason must be 1-200 characters")]
    InvalidReason,
    #[error("quantity must be between 1 and {MAX_QUANTITY}")]
    InvalidQuantity,
    #[error(
        "reorder point and quantity must be at least 0, and the quantity above 0 when the point is"
    )]
    InvalidReorderPolicy,
    #[error("idempotency key must be 1-200 characters")]
    InvalidIdempotencyKey,
    #[error("idempotency key was already used for a different adjustment")]
    IdempotencyKeyReused,
    #[error("a reservation needs at least one item")]
    EmptyReservation,
    #[error("not enough stock of product {product_id} available")]
    InsufficientStock { product_id: String },
    #[error("on-hand stock of product {product_id} would exceed {MAX_QUANTITY}")]
    QuantityOutOfRange { product_id: String },
    #[error("first must be between 1 and 100, got {0}")]
    InvalidLimit(i32),
    #[error("no replenishment with id {0:?}")]
    ReplenishmentNotFound(String),
    #[error("no reservation for order {0:?}")]
    ReservationNotFound(String),
    #[error("the reservation for order {0} is already committed")]
    ReservationCommitted(String),
    #[error("the reservation for order {0} was released")]
    ReservationReleased(String),
    #[error("the reservation for order {0} is not committed, so there is nothing to restock")]
    ReservationNotCommitted(String),
    #[error("stockValue needs the product's price")]
    PriceRequired,
    #[error("invalid price: {0}")]
    InvalidPrice(#[source] MoneyError),
    #[error("stock value is too large to represent")]
    AmountOutOfRange,
    #[error("database error")]
    Database(#[from] sea_orm::DbErr),
}

impl CodedError for InventoryError {
    fn code(&self) -> &'static str {
        match self {
            InventoryError::InvalidProductId(_) => "INVALID_PRODUCT_ID",
            InventoryError::InvalidOrderId(_) => "INVALID_ORDER_ID",
            InventoryError::InvalidDelta => "INVALID_DELTA",
            InventoryError::InvalidReason => "INVALID_REASON",
            InventoryError::InvalidQuantity => "INVALID_QUANTITY",
            InventoryError::InvalidReorderPolicy => "INVALID_REORDER_POLICY",
            InventoryError::InvalidIdempotencyKey => "INVALID_IDEMPOTENCY_KEY",
            InventoryError::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            InventoryError::EmptyReservation => "EMPTY_RESERVATION",
            InventoryError::InsufficientStock { .. } => "INSUFFICIENT_STOCK",
            InventoryError::QuantityOutOfRange { .. } => "QUANTITY_OUT_OF_RANGE",
            InventoryError::InvalidLimit(_) => "INVALID_PAGINATION",
            InventoryError::ReplenishmentNotFound(_) => "REPLENISHMENT_NOT_FOUND",
            InventoryError::ReservationNotFound(_) => "RESERVATION_NOT_FOUND",
            InventoryError::ReservationCommitted(_) => "RESERVATION_COMMITTED",
            InventoryError::ReservationReleased(_) => "RESERVATION_RELEASED",
            InventoryError::ReservationNotCommitted(_) => "RESERVATION_NOT_COMMITTED",
            InventoryError::PriceRequired => "PRICE_REQUIRED",
            InventoryError::InvalidPrice(MoneyError::UnknownCurrency(_)) => "INVALID_CURRENCY",
            InventoryError::InvalidPrice(_) => "INVALID_PRICE",
            InventoryError::AmountOutOfRange => "AMOUNT_OUT_OF_RANGE",
            InventoryError::Database(_) => "DATABASE_ERROR",
        }
    }

    fn is_internal(&self) -> bool {
        matches!(self, InventoryError::Database(_))
    }
}
