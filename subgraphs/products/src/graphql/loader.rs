//! Batches product lookups: every key asked for while a request resolves
//! (by `_entities`, `product`, `productBySku`) becomes one SQL statement.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;

use crate::domain::{Product, ProductError, ProductId, Sku};
use crate::store::ProductStore;

/// A product is found by either of its keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProductKey {
    Id(ProductId),
    Sku(Sku),
}

pub struct ProductLoader {
    pub store: ProductStore,
}

impl Loader<ProductKey> for ProductLoader {
    type Value = Product;
    type Error = Arc<ProductError>;

    async fn load(&self, keys: &[ProductKey]) -> Result<HashMap<ProductKey, Product>, Self::Error> {
        let mut ids = Vec::new();
        let mut skus = Vec::new();
        for key in keys {
            match key {
                ProductKey::Id(id) => ids.push(id.clone()),
                ProductKey::Sku(sku) => skus.push(sku.clone()),
            }
        }
        let products = self.store.find_many(&ids, &skus).await.map_err(Arc::new)?;
        let mut found = HashMap::with_capacity(keys.len());
        for product in products {
            found.insert(ProductKey::Id(product.id.clone()), product.clone());
            found.insert(ProductKey::Sku(product.sku.clone()), product);
        }
        Ok(found)
    }
}
