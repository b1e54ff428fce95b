use chrono::{DateTime, Utc};
use subgraph_kit::money::Money;

use super::{ProductError, Sku};

/// Product ids are UUIDv7 strings: unique without coordination and ordered
/// by creation time, which gives pagination a stable sort key for free.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProductId(String);

impl ProductId {
    pub fn generate() -> Self {
        ProductId(uuid::Uuid::now_v7().to_string())
    }

    /// `None` for anything that is not a UUID: such a product cannot exist.
    pub fn parse(raw: &str) -> Option<Self> {
        uuid::Uuid::parse_str(raw.trim())
            .ok()
            .map(|u| ProductId(u.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductStatus {
    Active,
    Archived,
}

impl ProductStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Active => "ACTIVE",
            ProductStatus::Archived => "ARCHIVED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ACTIVE" => Some(ProductStatus::Active),
            "ARCHIVED" => Some(ProductStatus::Archived),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: ProductId,
    pub sku: Sku,
    pub name: String,
    pub description: String,
    pub price: Money,
    pub category: String,
    pub status: ProductStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A validated request to create a product.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProduct {
    pub sku: Sku,
    pub name: String,
    pub description: String,
    pub price: Money,
    pub category: String,
}

impl NewProduct {
    pub fn parse(
        sku: &str,
        name: &str,
        description: Option<&str>,
        price_amount: i64,
        price_currency: &str,
        category: &str,
    ) -> Result<Self, ProductError> {
        Ok(NewProduct {
            sku: Sku::parse(sku)?,
            name: parse_name(name)?,
            description: parse_description(description.unwrap_or_default())?,
            price: Money::parse(price_amount, price_currency)
                .map_err(ProductError::InvalidPrice)?,
            category: parse_category(category)?,
        })
    }
}

/// Raw optional fields of an update, as a client sent them.
#[derive(Debug, Clone, Default)]
pub struct ProductUpdate<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub price: Option<(i64, &'a str)>,
    pub category: Option<&'a str>,
}

/// A validated partial update; `None` leaves a field as it is. The SKU is
/// immutable: other services keep it as a stable reference to the product.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub price: Option<Money>,
    pub category: Option<String>,
}

impl ProductPatch {
    pub fn parse(update: ProductUpdate<'_>) -> Result<Self, ProductError> {
        Ok(ProductPatch {
            name: update.name.map(parse_name).transpose()?,
            description: update.description.map(parse_description).transpose()?,
            price: update
                .price
                .map(|(amount, currency)| Money::parse(amount, currency))
                .transpose()
                .map_err(ProductError::InvalidPrice)?,
            category: update.category.map(parse_category).transpose()?,
        })
    }

    pub fn is_empty(&self) -> bool {
        *self == ProductPatch::default()
    }

    /// The product as it is after this patch.
    pub fn apply(&self, mut product: Product, now: DateTime<Utc>) -> Product {
        if let Some(name) = &self.name {
            product.name = name.clone();
        }
        if let Some(description) = &self.description {
            product.description = description.clone();
        }
        if let Some(price) = self.price {
            product.price = price;
        }
        if let Some(category) = &self.category {
            product.category = category.clone();
        }
        product.updated_at = now;
        product
    }
}

fn parse_name(raw: &str) -> Result<String, ProductError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ProductError::InvalidName);
    }
    Ok(name.to_owned())
}

fn parse_description(raw: &str) -> Result<String, ProductError> {
    let description = raw.trim();
    if description.chars().count() > 5000 {
        return Err(ProductError::InvalidDescription);
    }
    Ok(description.to_owned())
}

fn parse_category(raw: &str) -> Result<String, ProductError> {
    let category = raw.trim();
    if category.is_empty() || category.chars().count() > 100 {
        return Err(ProductError::InvalidCategory);
    }
    Ok(category.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(name: &str, amount: i64, currency: &str) -> Result<NewProduct, ProductError> {
        NewProduct::parse("SKU-1", name, None, amount, currency, "Books")
    }

    #[test]
    fn accepts_a_valid_product_and_trims() {
        let p = NewProduct::parse(
            " sku-1 ",
            "  Dune ",
            Some(" A novel "),
            1299,
            "usd",
            " Books ",
        )
        .unwrap();
        assert_eq!(p.sku.as_str(), "SKU-1");
        assert_eq!(p.name, "Dune");
        assert_eq!(p.description, "A novel");
        assert_eq!(p.price.amount(), 1299);
        assert_eq!(p.price.currency().code(), "USD");
        assert_eq!(p.category, "Books");
    }

    #[test]
    fn rejects_empty_names_negative_prices_and_unknown_currencies() {
        assert!(matches!(
            new("  ", 1, "USD"),
            Err(ProductError::InvalidName)
        ));
        assert!(matches!(
            new("x", -1, "USD"),
            Err(ProductError::InvalidPrice(_))
        ));
        assert!(matches!(
            new("x", 1, "ZZZ"),
            Err(ProductError::InvalidPrice(_))
        ));
        assert!(new("x", 0, "USD").is_ok(), "free products are allowed");
    }

    #[test]
    fn patch_validates_only_given_fields() {
        let patch = ProductPatch::parse(ProductUpdate {
            name: Some("New"),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(patch.name.as_deref(), Some("New"));
        assert!(patch.price.is_none());
        assert!(
            ProductPatch::parse(ProductUpdate {
                price: Some((-5, "USD")),
                ..Default::default()
            })
            .is_err()
        );
        assert!(
            ProductPatch::parse(ProductUpdate::default())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn product_ids_must_be_uuids() {
        assert!(ProductId::parse("nope").is_none());
        let id = ProductId::generate();
        assert_eq!(ProductId::parse(id.as_str()), Some(id));
    }
}
