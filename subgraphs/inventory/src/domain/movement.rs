//! The history of on-hand stock: every change is a movement.

use chrono::{DateTime, Utc};

use super::{Delta, InventoryError, ProductId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MovementKind {
    /// A manual correction (stock count, damage, initial stock).
    Adjustment,
    /// Units shipped for an order.
    Sale,
    /// Units received for a replenishment request.
    Replenishment,
    /// Units of a cancelled, already committed order put back.
    Return,
}

impl MovementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Adjustment => "ADJUSTMENT",
            MovementKind::Sale => "SALE",
            MovementKind::Replenishment => "REPLENISHMENT",
            MovementKind::Return => "RETURN",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ADJUSTMENT" => Some(MovementKind::Adjustment),
            "SALE" => Some(MovementKind::Sale),
            "REPLENISHMENT" => Some(MovementKind::Replenishment),
            "RETURN" => Some(MovementKind::Return),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockMovement {
    pub id: String,
    pub product_id: ProductId,
    pub kind: MovementKind,
    pub delta: i64,
    pub reason: String,
    /// What caused it: an order id or a replenishment id.
    pub reference: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Why stock changed: 1–200 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    pub fn parse(raw: &str) -> Result<Self, InventoryError> {
        let reason = raw.trim();
        if reason.is_empty() || reason.chars().count() > 200 {
            return Err(InventoryError::InvalidReason);
        }
        Ok(Reason(reason.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A client-chosen key that makes a retried adjustment apply once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, InventoryError> {
        if raw.is_empty() || raw.chars().count() > 200 {
            return Err(InventoryError::InvalidIdempotencyKey);
        }
        Ok(IdempotencyKey(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A validated manual adjustment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockAdjustment {
    pub product_id: ProductId,
    pub delta: Delta,
    pub reason: Reason,
    pub idempotency_key: Option<IdempotencyKey>,
}

impl StockAdjustment {
    pub fn parse(
        product_id: &str,
        delta: i64,
        reason: &str,
        idempotency_key: Option<&str>,
    ) -> Result<Self, InventoryError> {
        Ok(StockAdjustment {
            product_id: ProductId::parse(product_id)?,
            delta: Delta::new(delta)?,
            reason: Reason::parse(reason)?,
            idempotency_key: idempotency_key.map(IdempotencyKey::parse).transpose()?,
        })
    }

    /// Whether `earlier`, recorded under this adjustment's key, was this same
    /// request; a key reused for something else is refused.
    pub fn check_replay(&self, earlier: &StockMovement) -> Result<(), InventoryError> {
        if earlier.kind == MovementKind::Adjustment
            && earlier.product_id == self.product_id
            && earlier.delta == self.delta.get()
        {
            Ok(())
        } else {
            Err(InventoryError::IdempotencyKeyReused)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "0192f0c4-0000-7000-8000-000000000001";

    #[test]
    fn reasons_are_trimmed_and_bounded() {
        assert_eq!(Reason::parse("  count ").unwrap().as_str(), "count");
        assert!(matches!(
            Reason::parse("   "),
            Err(InventoryError::InvalidReason)
        ));
        assert!(Reason::parse(&"x".repeat(200)).is_ok());
        assert!(Reason::parse(&"x".repeat(201)).is_err());
    }

    #[test]
    fn adjustment_validates_each_part() {
        assert!(StockAdjustment::parse(P, 5, "count", Some("k")).is_ok());
        assert!(matches!(
            StockAdjustment::parse("x", 5, "count", None),
            Err(InventoryError::InvalidProductId(_))
        ));
        assert!(matches!(
            StockAdjustment::parse(P, 0, "count", None),
            Err(InventoryError::InvalidDelta)
        ));
        assert!(matches!(
            StockAdjustment::parse(P, 1, "", None),
            Err(InventoryError::InvalidReason)
        ));
        assert!(matches!(
            StockAdjustment::parse(P, 1, "count", Some("")),
            Err(InventoryError::InvalidIdempotencyKey)
        ));
    }

    #[test]
    fn a_key_replays_only_the_same_adjustment() {
        let adjustment = StockAdjustment::parse(P, 5, "count", Some("k")).unwrap();
        let mut earlier = StockMovement {
            id: "m".into(),
            product_id: adjustment.product_id.clone(),
            kind: MovementKind::Adjustment,
            delta: 5,
            reason: "count".into(),
            reference: None,
            created_at: Utc::now(),
        };
        assert!(adjustment.check_replay(&earlier).is_ok());
        earlier.delta = 6;
        assert!(matches!(
            adjustment.check_replay(&earlier),
            Err(InventoryError::IdempotencyKeyReused)
        ));
    }
}
