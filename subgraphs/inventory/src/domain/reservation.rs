//! Stock held for an order: reserved when the order is placed, then either
//! released (order cancelled) or committed (order confirmed; the units leave
//! on-hand), and a committed reservation may later be restocked.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{InventoryError, OrderId, ProductId, Quantity};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReservationStatus {
    Reserved,
    Released,
    Committed,
    Returned,
}

/// What a requested state change means for a reservation in its current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Perform the change.
    Apply,
    /// Already done (a retry): return the reservation unchanged.
    AlreadyDone,
}

impl ReservationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationStatus::Reserved => "RESERVED",
            ReservationStatus::Released => "RELEASED",
            ReservationStatus::Committed => "COMMITTED",
            ReservationStatus::Returned => "RETURNED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "RESERVED" => Some(ReservationStatus::Reserved),
            "RELEASED" => Some(ReservationStatus::Released),
            "COMMITTED" => Some(ReservationStatus::Committed),
            "RETURNED" => Some(ReservationStatus::Returned),
            _ => None,
        }
    }

    /// RESERVED → RELEASED: the units become available again.
    pub fn release(self, order: &OrderId) -> Result<Transition, InventoryError> {
        match self {
            ReservationStatus::Reserved => Ok(Transition::Apply),
            ReservationStatus::Released => Ok(Transition::AlreadyDone),
            ReservationStatus::Committed | ReservationStatus::Returned => {
                Err(InventoryError::ReservationCommitted(order.to_string()))
            }
        }
    }

    /// RESERVED → COMMITTED: the units are sold. A reservation restocked
    /// since was committed before, so a late retry returns it as it is.
    pub fn commit(self, order: &OrderId) -> Result<Transition, InventoryError> {
        match self {
            ReservationStatus::Reserved => Ok(Transition::Apply),
            ReservationStatus::Committed | ReservationStatus::Returned => {
                Ok(Transition::AlreadyDone)
            }
            ReservationStatus::Released => {
                Err(InventoryError::ReservationReleased(order.to_string()))
            }
        }
    }

    /// COMMITTED → RETURNED: the sold units are put back on hand.
    pub fn restock(self, order: &OrderId) -> Result<Transition, InventoryError> {
        match self {
            ReservationStatus::Committed => Ok(Transition::Apply),
            ReservationStatus::Returned => Ok(Transition::AlreadyDone),
            ReservationStatus::Released => {
                Err(InventoryError::ReservationReleased(order.to_string()))
            }
            ReservationStatus::Reserved => {
                Err(InventoryError::ReservationNotCommitted(order.to_string()))
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationLine {
    pub product_id: ProductId,
    pub quantity: Quantity,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub order_id: OrderId,
    pub status: ReservationStatus,
    /// Sorted by product id, one line per product.
    pub lines: Vec<ReservationLine>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A validated `reserveStock` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationRequest {
    pub order_id: OrderId,
    /// One line per product, sorted by product id: every transaction then
    /// locks stock rows in the same order, so two never deadlock.
    pub lines: Vec<ReservationLine>,
}

impl ReservationRequest {
    /// Validates ids and quantities and merges lines naming the same product.
    pub fn parse<'a>(
        order_id: &str,
        items: impl IntoIterator<Item = (&'a str, i64)>,
    ) -> Result<Self, InventoryError> {
        let order_id = OrderId::parse(order_id)?;
        let mut merged: BTreeMap<ProductId, i64> = BTreeMap::new();
        for (product_id, quantity) in items {
            let product_id = ProductId::parse(product_id)?;
            let quantity = Quantity::new(quantity)?.get();
            let total = merged.entry(product_id).or_insert(0);
            *total = Quantity::new(*total + quantity)?.get();
        }
        if merged.is_empty() {
            return Err(InventoryError::EmptyReservation);
        }
        let lines = merged
            .into_iter()
            .map(|(product_id, quantity)| {
                Ok(ReservationLine {
                    product_id,
                    quantity: Quantity::new(quantity)?,
                })
            })
            .collect::<Result<_, InventoryError>>()?;
        Ok(ReservationRequest { order_id, lines })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReservationStatus::*;

    const ORDER: &str = "0192f0c4-0000-7000-8000-0000000000aa";
    const A: &str = "0192f0c4-0000-7000-8000-000000000001";
    const B: &str = "0192f0c4-0000-7000-8000-000000000002";

    #[test]
    fn merges_duplicates_and_sorts_by_product() {
        let request = ReservationRequest::parse(ORDER, [(B, 1), (A, 2), (B, 3)]).unwrap();
        let lines: Vec<(&str, i64)> = request
            .lines
            .iter()
            .map(|l| (l.product_id.as_str(), l.quantity.get()))
            .collect();
        assert_eq!(lines, [(A, 2), (B, 4)]);
    }

    #[test]
    fn rejects_empty_requests_bad_ids_and_quantities() {
        assert!(matches!(
            ReservationRequest::parse(ORDER, []),
            Err(InventoryError::EmptyReservation)
        ));
        assert!(matches!(
            ReservationRequest::parse("order-1", [(A, 1)]),
            Err(InventoryError::InvalidOrderId(_))
        ));
        assert!(matches!(
            ReservationRequest::parse(ORDER, [("sku", 1)]),
            Err(InventoryError::InvalidProductId(_))
        ));
        for bad in [0, -1] {
            assert!(matches!(
                ReservationRequest::parse(ORDER, [(A, bad)]),
                Err(InventoryError::InvalidQuantity)
            ));
        }
        assert!(matches!(
            ReservationRequest::parse(ORDER, [(A, i64::from(i32::MAX)), (A, 1)]),
            Err(InventoryError::InvalidQuantity)
        ));
    }

    #[test]
    fn transitions() {
        let order = OrderId::parse(ORDER).unwrap();
        assert_eq!(Reserved.release(&order).unwrap(), Transition::Apply);
        assert_eq!(Released.release(&order).unwrap(), Transition::AlreadyDone);
        assert!(matches!(
            Committed.release(&order),
            Err(InventoryError::ReservationCommitted(_))
        ));

        assert_eq!(Reserved.commit(&order).unwrap(), Transition::Apply);
        assert_eq!(Committed.commit(&order).unwrap(), Transition::AlreadyDone);
        assert!(matches!(
            Released.commit(&order),
            Err(InventoryError::ReservationReleased(_))
        ));

        assert_eq!(Committed.restock(&order).unwrap(), Transition::Apply);
        assert_eq!(Returned.restock(&order).unwrap(), Transition::AlreadyDone);
        assert!(matches!(
            Reserved.restock(&order),
            Err(InventoryError::ReservationNotCommitted(_))
        ));
    }

    #[test]
    fn statuses_round_trip() {
        for s in [Reserved, Released, Committed, Returned] {
            assert_eq!(ReservationStatus::parse(s.as_str()), Some(s));
        }
    }
}
