use subgraph_kit::error::CodedError;
use subgraph_kit::money::MoneyError;
use subgraph_kit::pagination::PageError;

use super::sku::MAX_SKU_LEN;

/// Everything that can go wrong in the catalog, each with a stable code.
#[derive(Debug, thiserror::Error)]
pub enum ProductError {
    #[error("invalid SKU {0:?}: use 1-{MAX_SKU_LEN} letters, digits, '-', '_' or '.'")]
    InvalidSku(String),
    #[error("product name must be 1-200 characters")]
    InvalidName,
    #[error("description must be at most 5000 characters")]
    InvalidDescription,
    #[error("category must be 1-100 characters")]
    InvalidCategory,
    #[error("invalid price: {0}")]
    InvalidPrice(#[source] MoneyError),
    #[error("a product with SKU {0:?} already exists")]
    DuplicateSku(String),
    #[error("no product with id {0:?}")]
    NotFound(String),
    #[error("product {0:?} is archived and cannot be changed")]
    Archived(String),
    #[error("idempotency key was already used for a different product")]
    IdempotencyKeyReused,
    #[error("{0}")]
    Pagination(#[from] PageError),
    #[error("database error")]
    Database(#[from] sea_orm::DbErr),
}

impl CodedError for ProductError {
    fn code(&self) -> &'static str {
        match self {
            ProductError::InvalidSku(_) => "INVALID_SKU",
            ProductError::InvalidName => "INVALID_NAME",
            ProductError::InvalidDescription => "INVALID_DESCRIPTION",
            ProductError::InvalidCategory => "INVALID_CATEGORY",
            ProductError::InvalidPrice(MoneyError::UnknownCurrency(_)) => "INVALID_CURRENCY",
            ProductError::InvalidPrice(_) => "INVALID_PRICE",
            ProductError::DuplicateSku(_) => "DUPLICATE_SKU",
            ProductError::NotFound(_) => "PRODUCT_NOT_FOUND",
            ProductError::Archived(_) => "PRODUCT_ARCHIVED",
            ProductError::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            ProductError::Pagination(_) => "INVALID_PAGINATION",
            ProductError::Database(_) => "DATABASE_ERROR",
        }
    }

    fn is_internal(&self) -> bool {
        matches!(self, ProductError::Database(_))
    }
}
