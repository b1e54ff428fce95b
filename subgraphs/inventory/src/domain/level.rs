//! How much of a product there is, and when to ask for more.

use chrono::{DateTime, Utc};

use super::{Delta, InventoryError, MAX_QUANTITY, ProductId, Quantity};

/// When to request more stock: once `available <= reorder_point`, ask for
/// `reorder_quantity` units. A zero quantity turns replenishment off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReorderPolicy {
    reorder_point: i64,
    reorder_quantity: i64,
}

impl ReorderPolicy {
    pub fn parse(reorder_point: i64, reorder_quantity: i64) -> Result<Self, InventoryError> {
        let in_range = |n: i64| (0..=MAX_QUANTITY).contains(&n);
        if !in_range(reorder_point)
            || !in_range(reorder_quantity)
            || (reorder_point > 0 && reorder_quantity == 0)
        {
            return Err(InventoryError::InvalidReorderPolicy);
        }
        Ok(ReorderPolicy {
            reorder_point,
            reorder_quantity,
        })
    }

    /// A stored policy, trusted as written by [`ReorderPolicy::parse`].
    pub fn from_stored(reorder_point: i64, reorder_quantity: i64) -> Self {
        ReorderPolicy {
            reorder_point,
            reorder_quantity,
        }
    }

    pub fn reorder_point(self) -> i64 {
        self.reorder_point
    }

    pub fn reorder_quantity(self) -> i64 {
        self.reorder_quantity
    }
}

/// The stock of one product. A product never stocked has an all-zero level
/// and no `updated_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLevel {
    pub product_id: ProductId,
    pub on_hand: i64,
    /// Units promised to orders that are not yet shipped.
    pub reserved: i64,
    pub policy: ReorderPolicy,
    pub updated_at: Option<DateTime<Utc>>,
}

impl StockLevel {
    pub fn never_stocked(product_id: ProductId) -> Self {
        StockLevel {
            product_id,
            on_hand: 0,
            reserved: 0,
            policy: ReorderPolicy::default(),
            updated_at: None,
        }
    }

    /// Units that can still be promised.
    pub fn available(&self) -> i64 {
        self.on_hand - self.reserved
    }

    pub fn in_stock(&self) -> bool {
        self.available() > 0
    }

    /// On-hand after a manual adjustment. Stock already promised to orders
    /// cannot be adjusted away.
    pub fn adjusted_on_hand(&self, delta: Delta) -> Result<i64, InventoryError> {
        let on_hand = self.on_hand + delta.get();
        if on_hand < self.reserved {
            return Err(InventoryError::InsufficientStock {
                product_id: self.product_id.to_string(),
            });
        }
        self.within_range(on_hand)
    }

    /// On-hand after receiving goods.
    pub fn received_on_hand(&self, quantity: Quantity) -> Result<i64, InventoryError> {
        self.within_range(self.on_hand + quantity.get())
    }

    fn within_range(&self, on_hand: i64) -> Result<i64, InventoryError> {
        if on_hand > MAX_QUANTITY {
            return Err(InventoryError::QuantityOutOfRange {
                product_id: self.product_id.to_string(),
            });
        }
        Ok(on_hand)
    }

    /// The replenishment rule: how much to request, if anything, given this
    /// level. The caller must still make sure no request is already open.
    pub fn replenishment_due(&self) -> Option<Quantity> {
        let quantity = self.policy.reorder_quantity();
        if quantity > 0 && self.available() <= self.policy.reorder_point() {
            Quantity::new(quantity).ok()
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(on_hand: i64, reserved: i64, point: i64, quantity: i64) -> StockLevel {
        StockLevel {
            on_hand,
            reserved,
            policy: ReorderPolicy::parse(point, quantity).unwrap(),
            ..StockLevel::never_stocked(
                ProductId::parse("0192f0c4-0000-7000-8000-000000000001").unwrap(),
            )
        }
    }

    #[test]
    fn policy_needs_a_quantity_when_it_has_a_point() {
        assert!(ReorderPolicy::parse(0, 0).is_ok(), "off");
        assert!(ReorderPolicy::parse(0, 10).is_ok(), "reorder when sold out");
        assert!(ReorderPolicy::parse(5, 10).is_ok());
        for (point, quantity) in [(5, 0), (-1, 10), (5, -1), (MAX_QUANTITY + 1, 1)] {
            assert!(
                matches!(
                    ReorderPolicy::parse(point, quantity),
                    Err(InventoryError::InvalidReorderPolicy)
                ),
                "({point}, {quantity})"
            );
        }
    }

    #[test]
    fn replenishment_is_due_at_or_below_the_reorder_point() {
        assert_eq!(level(10, 0, 5, 20).replenishment_due(), None);
        assert_eq!(
            level(5, 0, 5, 20).replenishment_due().map(Quantity::get),
            Some(20)
        );
        assert_eq!(
            level(10, 6, 5, 20).replenishment_due().map(Quantity::get),
            Some(20),
            "reserved units are not available"
        );
        assert_eq!(
            level(0, 0, 0, 20).replenishment_due().map(Quantity::get),
            Some(20)
        );
    }

    #[test]
    fn no_replenishment_without_a_policy() {
        assert_eq!(level(0, 0, 0, 0).replenishment_due(), None);
    }

    #[test]
    fn adjustments_cannot_take_reserved_stock_or_overflow() {
        let l = level(10, 4, 0, 0);
        assert_eq!(l.adjusted_on_hand(Delta::new(-6).unwrap()).unwrap(), 4);
        assert!(matches!(
            l.adjusted_on_hand(Delta::new(-7).unwrap()),
            Err(InventoryError::InsufficientStock { .. })
        ));
        assert!(matches!(
            level(MAX_QUANTITY, 0, 0, 0).adjusted_on_hand(Delta::new(1).unwrap()),
            Err(InventoryError::QuantityOutOfRange { .. })
        ));
        assert!(matches!(
            level(MAX_QUANTITY, 0, 0, 0).received_on_hand(Quantity::new(1).unwrap()),
            Err(InventoryError::QuantityOutOfRange { .. })
        ));
    }

    #[test]
    fn availability() {
        assert_eq!(level(10, 4, 0, 0).available(), 6);
        assert!(level(10, 4, 0, 0).in_stock());
        assert!(!level(4, 4, 0, 0).in_stock());
    }
}
