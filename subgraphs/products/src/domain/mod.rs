//! The catalog's rules, free of GraphQL and SQL.

mod error;
mod product;
mod sku;

pub use error::ProductError;
pub use product::{NewProduct, Product, ProductId, ProductPatch, ProductStatus, ProductUpdate};
pub use sku::Sku;
