use std::fmt;

use super::OrderError;

pub const MAX_EMAIL_LEN: usize = 254;

/// A customer's email address, checked by a deliberately simple rule rather
/// than RFC 5322: after trimming, at most 254 characters, no whitespace or
/// control characters, exactly one `@`, a non-empty part before it, and a
/// domain after it with a dot that neither starts nor ends it. Stored in
/// lower case, so `Ann@Example.com` and `ann@example.com` are one customer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CustomerEmail(String);

impl CustomerEmail {
    pub fn parse(raw: &str) -> Result<Self, OrderError> {
        let email = raw.trim().to_lowercase();
        let invalid = || OrderError::InvalidEmail(raw.to_owned());
        if email.chars().count() > MAX_EMAIL_LEN
            || email.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid());
        }
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local.is_empty() || domain.contains('@') || !domain_ok {
            return Err(invalid());
        }
        Ok(CustomerEmail(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CustomerEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_normalises_case() {
        assert_eq!(
            CustomerEmail::parse("  Ann.Lee+shop@Example.co.uk ")
                .unwrap()
                .as_str(),
            "ann.lee+shop@example.co.uk"
        );
    }

    #[test]
    fn rejects_malformed_addresses() {
        let too_long = format!("{}@example.com", "a".repeat(MAX_EMAIL_LEN));
        for bad in [
            "",
            "   ",
            "ann",
            "@example.com",
            "ann@",
            "ann@example",
            "ann@.example.com",
            "ann@example.com.",
            "ann@example..com",
            "ann@@example.com",
            "a@b@example.com",
            "ann lee@example.com",
            "ann@exa\tmple.com",
            &too_long,
        ] {
            assert!(
                matches!(CustomerEmail::parse(bad), Err(OrderError::InvalidEmail(_))),
                "{bad:?} should be rejected"
            );
        }
    }
}
