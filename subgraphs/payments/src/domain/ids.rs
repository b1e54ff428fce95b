//! Payment and order ids: UUID strings in canonical lower-case form.

use std::fmt;

/// Payment ids are UUIDv7 strings: unique without coordination and ordered
/// by creation time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PaymentId(String);

impl PaymentId {
    pub fn generate() -> Self {
        PaymentId(uuid::Uuid::now_v7().to_string())
    }

    /// `None` for anything that is not a UUID: such a payment cannot exist.
    pub fn parse(raw: &str) -> Option<Self> {
        parse_uuid(raw).map(PaymentId)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PaymentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An order of the orders service. This service only ever sees its id and
/// cannot check that the order exists: the checkout, which does, calls us.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderId(String);

impl OrderId {
    pub fn parse(raw: &str) -> Option<Self> {
        parse_uuid(raw).map(OrderId)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn parse_uuid(raw: &str) -> Option<String> {
    uuid::Uuid::parse_str(raw.trim())
        .ok()
        .map(|u| u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_be_uuids_and_are_normalised() {
        assert!(PaymentId::parse("nope").is_none());
        assert!(OrderId::parse("").is_none());
        let id = PaymentId::generate();
        assert_eq!(PaymentId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(
            PaymentId::parse(&format!(" {} ", id.as_str().to_uppercase())),
            Some(id)
        );
    }
}
