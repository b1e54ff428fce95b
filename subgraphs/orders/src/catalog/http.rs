//! The catalog over HTTP: one `_entities` query to the products subgraph.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;
use subgraph_kit::money::Money;

use super::{Catalog, CatalogError};
use crate::domain::{CatalogProduct, ProductId};
use crate::remote::Subgraph;

const QUERY: &str = "query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { id sku price { amount currency } status } } }";

/// Talks to the products subgraph. Cheap to clone.
#[derive(Clone)]
pub struct HttpCatalog {
    products: Subgraph,
}

impl HttpCatalog {
    pub fn new(products: Subgraph) -> Self {
        HttpCatalog { products }
    }
}

#[async_trait]
impl Catalog for HttpCatalog {
    async fn products(&self, ids: &[ProductId]) -> Result<Vec<CatalogProduct>, CatalogError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let representations: Vec<_> = ids
            .iter()
            .map(|id| json!({ "__typename": "Product", "id": id.as_str() }))
            .collect();
        let (status, body) = self
            .products
            .post(QUERY, json!({ "representations": representations }), true)
            .await
            .map_err(CatalogError::Unreachable)?;
        if !(200..300).contains(&status) {
            return Err(CatalogError::Status(status));
        }
        parse(ids, &body)
    }
}

#[derive(Deserialize)]
struct Body {
    data: Option<Data>,
    errors: Option<Vec<serde_json::Value>>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "_entities")]
    entities: Vec<Option<Entity>>,
}

#[derive(Deserialize)]
struct Entity {
    id: String,
    sku: String,
    price: Price,
    status: String,
}

#[derive(Deserialize)]
struct Price {
    amount: i64,
    currency: String,
}

/// Trusts nothing: the answer must match the question entity for entity.
fn parse(ids: &[ProductId], body: &[u8]) -> Result<Vec<CatalogProduct>, CatalogError> {
    let bad = |what: String| CatalogError::BadResponse(what);
    let body: Body =
        serde_json::from_slice(body).map_err(|e| bad(format!("not a GraphQL response ({e})")))?;
    if let Some(errors) = body.errors.filter(|e| !e.is_empty()) {
        return Err(bad(format!("GraphQL errors: {}", json!(errors))));
    }
    let entities = body.data.ok_or_else(|| bad("no data".to_owned()))?.entities;
    if entities.len() != ids.len() {
        return Err(bad(format!(
            "{} entities for {} representations",
            entities.len(),
            ids.len()
        )));
    }
    let mut found = Vec::with_capacity(ids.len());
    for (asked, entity) in ids.iter().zip(entities) {
        let Some(entity) = entity else { continue };
        if ProductId::parse(&entity.id).as_ref() != Some(asked) {
            return Err(bad(format!(
                "asked for product {}, got {}",
                asked.as_str(),
                entity.id
            )));
        }
        let price = Money::parse(entity.price.amount, &entity.price.currency)
            .map_err(|e| bad(format!("product {}: {e}", entity.id)))?;
        found.push(CatalogProduct {
            id: asked.clone(),
            sku: entity.sku,
            price,
            orderable: entity.status == "ACTIVE",
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0192f0c4-0000-7000-8000-00000000000a";
    const B: &str = "0192f0c4-0000-7000-8000-00000000000b";

    fn ids() -> Vec<ProductId> {
        vec![ProductId::parse(A).unwrap(), ProductId::parse(B).unwrap()]
    }

    #[test]
    fn reads_entities_and_skips_unknown_products() {
        let body = json!({ "data": { "_entities": [
            { "id": A, "sku": "A-1", "price": { "amount": 1999, "currency": "USD" }, "status": "ACTIVE" },
            null,
        ] } });
        let found = parse(&ids(), body.to_string().as_bytes()).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].sku, "A-1");
        assert_eq!(found[0].price.amount(), 1999);
        assert!(found[0].orderable);
    }

    #[test]
    fn archived_products_are_not_orderable() {
        let body = json!({ "data": { "_entities": [
            null,
            { "id": B, "sku": "B-1", "price": { "amount": 1, "currency": "EUR" }, "status": "ARCHIVED" },
        ] } });
        let found = parse(&ids(), body.to_string().as_bytes()).unwrap();
        assert!(!found[0].orderable);
    }

    #[test]
    fn garbage_is_a_bad_response() {
        let cases = [
            "hello".to_owned(),
            json!({ "data": null, "errors": [{ "message": "boom" }] }).to_string(),
            json!({ "data": { "_entities": [null] } }).to_string(),
            json!({ "data": { "_entities": [
                { "id": B, "sku": "B-1", "price": { "amount": 1, "currency": "USD" }, "status": "ACTIVE" },
                null,
            ] } })
            .to_string(),
            json!({ "data": { "_entities": [
                { "id": A, "sku": "A-1", "price": { "amount": -1, "currency": "USD" }, "status": "ACTIVE" },
                null,
            ] } })
            .to_string(),
        ];
        for body in cases {
            assert!(
                matches!(
                    parse(&ids(), body.as_bytes()),
                    Err(CatalogError::BadResponse(_))
                ),
                "{body}"
            );
        }
    }
}
