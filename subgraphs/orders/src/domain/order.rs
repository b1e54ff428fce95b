use chrono::{DateTime, Utc};
use subgraph_kit::money::Money;

use super::{CheckoutFailure, CheckoutStep, CustomerEmail, OrderError, OrderStatus};

/// Longest note (a cancellation or payment-failure reason) kept in the history.
pub const MAX_NOTE_LEN: usize = 500;
/// Longest carrier name or tracking number.
pub const MAX_SHIPMENT_FIELD_LEN: usize = 100;

/// Order ids are UUIDv7 strings: ordered by creation time, so they double as
/// the pagination key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderId(String);

impl OrderId {
    pub fn generate() -> Self {
        OrderId(uuid::Uuid::now_v7().to_string())
    }

    /// `None` for anything that is not a UUID: such an order cannot exist.
    pub fn parse(raw: &str) -> Option<Self> {
        uuid::Uuid::parse_str(raw.trim())
            .ok()
            .map(|u| OrderId(u.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The products service's id for a product (a UUID).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProductId(String);

impl ProductId {
    pub fn parse(raw: &str) -> Option<Self> {
        uuid::Uuid::parse_str(raw.trim())
            .ok()
            .map(|u| ProductId(u.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An order without its items and history, which are loaded separately (and
/// batched) only when asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: OrderId,
    pub customer_email: CustomerEmail,
    pub status: OrderStatus,
    pub total: Money,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The checkout step still to run; `None` once nothing is left to do.
    pub checkout_step: Option<CheckoutStep>,
    /// The payment service's id of the order's payment, once authorized.
    pub payment_id: Option<String>,
    /// Why the checkout did not complete.
    pub failure: Option<CheckoutFailure>,
}

/// One line of an order, priced when the order was placed.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    pub product_id: ProductId,
    /// The SKU at order time; the products service never changes a SKU.
    pub sku: String,
    pub quantity: u32,
    pub unit_price: Money,
    pub line_total: Money,
}

/// One entry of an order's status history.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    pub status: OrderStatus,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
}

/// Carrier and tracking number of a shipped order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipment {
    pub carrier: String,
    pub tracking_number: String,
}

impl Shipment {
    /// Both trimmed, non-empty and at most 100 characters.
    pub fn parse(carrier: &str, tracking_number: &str) -> Result<Self, OrderError> {
        Ok(Shipment {
            carrier: shipment_field(carrier, "carrier must be 1-100 characters")?,
            tracking_number: shipment_field(
                tracking_number,
                "tracking number must be 1-100 characters",
            )?,
        })
    }
}

fn shipment_field(raw: &str, problem: &'static str) -> Result<String, OrderError> {
    let value = raw.trim();
    if value.is_empty() || value.chars().count() > MAX_SHIPMENT_FIELD_LEN {
        return Err(OrderError::InvalidShipment(problem));
    }
    Ok(value.to_owned())
}

/// A reason given for a status change: trimmed, 1-500 characters.
pub fn parse_reason(raw: &str) -> Result<String, OrderError> {
    let reason = raw.trim();
    if reason.is_empty() || reason.chars().count() > MAX_NOTE_LEN {
        return Err(OrderError::InvalidReason);
    }
    Ok(reason.to_owned())
}

/// An optional reason: blank means none.
pub fn parse_optional_reason(raw: Option<&str>) -> Result<Option<String>, OrderError> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(reason) => parse_reason(reason).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_be_uuids() {
        assert!(OrderId::parse("nope").is_none());
        let id = OrderId::generate();
        assert_eq!(OrderId::parse(id.as_str()), Some(id));
        assert!(ProductId::parse("").is_none());
    }

    #[test]
    fn shipments_are_trimmed_and_bounded() {
        let s = Shipment::parse(" DHL ", " 123 ").unwrap();
        assert_eq!(
            (s.carrier.as_str(), s.tracking_number.as_str()),
            ("DHL", "123")
        );
        for (carrier, tracking) in [
            ("", "1"),
            ("  ", "1"),
            ("DHL", ""),
            (&*"x".repeat(101), "1"),
            ("DHL", &*"1".repeat(101)),
        ] {
            assert!(matches!(
                Shipment::parse(carrier, tracking),
                Err(OrderError::InvalidShipment(_))
            ));
        }
        assert!(Shipment::parse(&"x".repeat(100), &"1".repeat(100)).is_ok());
    }

    #[test]
    fn reasons_are_trimmed_and_bounded() {
        assert_eq!(
            parse_reason(" changed my mind ").unwrap(),
            "changed my mind"
        );
        assert!(parse_reason(" ").is_err());
        assert!(parse_reason(&"x".repeat(MAX_NOTE_LEN + 1)).is_err());
        assert_eq!(parse_optional_reason(None).unwrap(), None);
        assert_eq!(parse_optional_reason(Some("  ")).unwrap(), None);
        assert!(parse_optional_reason(Some(&"x".repeat(MAX_NOTE_LEN + 1))).is_err());
    }
}
