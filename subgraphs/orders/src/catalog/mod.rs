//! What orders needs from other services, each behind a small trait so the
//! use cases can be given another implementation. Today: the products
//! catalog, for current prices and SKUs.

mod http;

use std::time::Duration;

use async_trait::async_trait;

use crate::domain::{CatalogProduct, ProductId};
use crate::remote::{CallError, Endpoint};
pub use http::HttpCatalog;

pub const DEFAULT_PRODUCTS_URL: &str = "http://127.0.0.1:4001/graphql";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The products subgraph at its default address.
pub fn default_endpoint() -> Endpoint {
    Endpoint::new(DEFAULT_PRODUCTS_URL, DEFAULT_TIMEOUT)
}

/// Why the catalog gave no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("products service unreachable or too slow")]
    Unreachable(#[source] CallError),
    #[error("products service answered HTTP {0}")]
    Status(u16),
    #[error("products service sent an unusable answer: {0}")]
    BadResponse(String),
}

/// The product catalog as orders sees it.
#[async_trait]
pub trait Catalog: Send + Sync {
    /// What the catalog says now about each of `ids`, in one round trip.
    /// Products it does not know are simply absent from the result.
    async fn products(&self, ids: &[ProductId]) -> Result<Vec<CatalogProduct>, CatalogError>;
}
