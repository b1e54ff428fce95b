//! Orders' rules, free of GraphQL, HTTP and SQL.

mod checkout;
mod email;
mod error;
mod order;
pub mod placement;
mod status;

pub use checkout::{CheckoutFailure, CheckoutStep};
pub use email::CustomerEmail;
pub use error::{DependencyError, OrderError};
pub use order::{
    MAX_NOTE_LEN, Order, OrderId, OrderItem, ProductId, Shipment, StatusChange,
    parse_optional_reason, parse_reason,
};
pub use placement::{CatalogProduct, IdempotencyKey, OrderRequest, PricedOrder};
pub use status::{OrderStatus, Transition};
