//! Counts of units. GraphQL's `Int` is 32-bit, so every count stays within
//! `0..=MAX_QUANTITY`; the database stores them as 64-bit so arithmetic in
//! SQL cannot overflow before a check refuses it.

use super::InventoryError;

/// The largest count a client can see or send.
pub const MAX_QUANTITY: i64 = i32::MAX as i64;

/// A positive number of units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(i64);

impl Quantity {
    pub fn new(n: i64) -> Result<Self, InventoryError> {
        if (1..=MAX_QUANTITY).contains(&n) {
            Ok(Quantity(n))
        } else {
            Err(InventoryError::InvalidQuantity)
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// A non-zero change to on-hand stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delta(i64);

impl Delta {
    pub fn new(n: i64) -> Result<Self, InventoryError> {
        if n == 0 || n.abs() > MAX_QUANTITY {
            return Err(InventoryError::InvalidDelta);
        }
        Ok(Delta(n))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_positive_and_fit_graphql_int() {
        assert!(Quantity::new(0).is_err());
        assert!(Quantity::new(-1).is_err());
        assert!(Quantity::new(MAX_QUANTITY + 1).is_err());
        assert_eq!(Quantity::new(MAX_QUANTITY).unwrap().get(), MAX_QUANTITY);
    }

    #[test]
    fn deltas_are_non_zero() {
        assert!(matches!(Delta::new(0), Err(InventoryError::InvalidDelta)));
        assert_eq!(Delta::new(-5).unwrap().get(), -5);
        assert_eq!(Delta::new(5).unwrap().get(), 5);
    }
}
