//! Identifiers. All are UUID strings in canonical lower-case form, so the
//! same id written two ways is one key in the database.

use std::fmt;

use super::InventoryError;

fn canonical_uuid(raw: &str) -> Option<String> {
    uuid::Uuid::parse_str(raw.trim())
        .ok()
        .map(|u| u.to_string())
}

/// A product of the catalog. Inventory never asks the products service
/// whether it exists: any UUID names a product with (so far) no stock.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProductId(String);

impl ProductId {
    pub fn parse(raw: &str) -> Result<Self, InventoryError> {
        canonical_uuid(raw)
            .map(ProductId)
            .ok_or_else(|| InventoryError::InvalidProductId(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProductId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An order of the orders service; one reservation per order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderId(String);

impl OrderId {
    pub fn parse(raw: &str) -> Result<Self, InventoryError> {
        canonical_uuid(raw)
            .map(OrderId)
            .ok_or_else(|| InventoryError::InvalidOrderId(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A replenishment request; UUIDv7, so ids sort by creation time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReplenishmentId(String);

impl ReplenishmentId {
    pub fn generate() -> Self {
        ReplenishmentId(uuid::Uuid::now_v7().to_string())
    }

    /// A malformed id names no replenishment.
    pub fn parse(raw: &str) -> Result<Self, InventoryError> {
        canonical_uuid(raw)
            .map(ReplenishmentId)
            .ok_or_else(|| InventoryError::ReplenishmentNotFound(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_be_uuids_and_are_normalised() {
        let upper = " 0192F0C4-0000-7000-8000-00000000000A ";
        assert_eq!(
            ProductId::parse(upper).unwrap().as_str(),
            "0192f0c4-0000-7000-8000-00000000000a"
        );
        assert!(matches!(
            ProductId::parse("sku-1"),
            Err(InventoryError::InvalidProductId(_))
        ));
        assert!(matches!(
            OrderId::parse(""),
            Err(InventoryError::InvalidOrderId(_))
        ));
        assert!(matches!(
            ReplenishmentId::parse("nope"),
            Err(InventoryError::ReplenishmentNotFound(_))
        ));
    }
}
