//! The products subgraph's GraphQL types; conversions from the domain only.

use async_graphql::{Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use subgraph_kit::graphql::{MoneyInput, MoneyObject, PageInfo};

use crate::domain::{Product, ProductStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "ProductStatus")]
pub enum ProductStatusGql {
    /// Listed and orderable.
    Active,
    /// Withdrawn from the catalog; kept for orders that reference it.
    Archived,
}

impl From<ProductStatus> for ProductStatusGql {
    fn from(s: ProductStatus) -> Self {
        match s {
            ProductStatus::Active => ProductStatusGql::Active,
            ProductStatus::Archived => ProductStatusGql::Archived,
        }
    }
}

/// A catalog entry. Other subgraphs refer to it by `id` or by `sku`.
pub struct ProductObject(pub Product);

#[Object(name = "Product")]
impl ProductObject {
    async fn id(&self) -> ID {
        ID(self.0.id.as_str().to_owned())
    }

    /// Stock-keeping unit, unique and immutable.
    async fn sku(&self) -> &str {
        self.0.sku.as_str()
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Current list price.
    async fn price(&self) -> MoneyObject {
        self.0.price.into()
    }

    async fn category(&self) -> &str {
        &self.0.category
    }

    async fn status(&self) -> ProductStatusGql {
        self.0.status.into()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(SimpleObject)]
pub struct ProductEdge {
    pub cursor: String,
    pub node: ProductObject,
}

#[derive(SimpleObject)]
pub struct ProductConnection {
    pub edges: Vec<ProductEdge>,
    pub page_info: PageInfo,
}

#[derive(InputObject)]
pub struct CreateProductInput {
    pub sku: String,
    pub name: String,
    pub description: Option<String>,
    pub price: MoneyInput,
    pub category: String,
}

/// Fields to change; omitted fields stay as they are. The SKU cannot change.
#[derive(InputObject)]
pub struct UpdateProductInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub price: Option<MoneyInput>,
    pub category: Option<String>,
}
