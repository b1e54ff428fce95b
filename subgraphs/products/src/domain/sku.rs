use std::fmt;

use super::ProductError;

pub const MAX_SKU_LEN: usize = 64;

/// A stock-keeping unit: 1–64 characters of `A-Z`, `0-9`, `-`, `_`, `.`,
/// stored upper-case so `ab-1` and `AB-1` are the same SKU.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sku(String);

impl Sku {
    pub fn parse(raw: &str) -> Result<Sku, ProductError> {
        let sku = raw.trim().to_ascii_uppercase();
        let valid = !sku.is_empty()
            && sku.len() <= MAX_SKU_LEN
            && sku
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if valid {
            Ok(Sku(sku))
        } else {
            Err(ProductError::InvalidSku(raw.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_whitespace() {
        assert_eq!(Sku::parse(" ab-1.x_2 ").unwrap().as_str(), "AB-1.X_2");
    }

    #[test]
    fn rejects_empty_long_and_odd_characters() {
        for bad in ["", "   ", "a b", "a/b", "é", &"x".repeat(MAX_SKU_LEN + 1)] {
            assert!(Sku::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(Sku::parse(&"x".repeat(MAX_SKU_LEN)).is_ok());
    }
}
