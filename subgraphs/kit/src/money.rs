//! Money as integer minor units with an ISO 4217 currency; never floats.
//!
//! GraphQL's `Int` is 32-bit, so every amount a service stores or returns is
//! kept within `0..=MAX_MINOR_UNITS`; arithmetic that would leave that range is
//! an error, not a wrap-around.

use std::fmt;

/// The largest amount, in minor units, that fits a GraphQL `Int`.
pub const MAX_MINOR_UNITS: i64 = i32::MAX as i64;

/// Currencies we accept, with their number of minor-unit digits.
const CURRENCIES: &[(&str, u8)] = &[
    ("AUD", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CNY", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("INR", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("NOK", 2),
    ("NZD", 2),
    ("PLN", 2),
    ("SEK", 2),
    ("USD", 2),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown currency code {0:?}: use an ISO 4217 code such as USD or EUR")]
    UnknownCurrency(String),
    #[error("amount {0} is negative")]
    Negative(i64),
    #[error("amount {0} exceeds the largest supported amount ({MAX_MINOR_UNITS} minor units)")]
    TooLarge(i64),
    #[error("cannot combine amounts in {0} and {1}")]
    CurrencyMismatch(Currency, Currency),
}

/// An ISO 4217 currency code from the supported list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency(&'static str);

impl Currency {
    pub const USD: Currency = Currency("USD");
    pub const EUR: Currency = Currency("EUR");

    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let upper = code.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == upper)
            .map(|(c, _)| Currency(c))
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_owned()))
    }

    pub fn code(self) -> &'static str {
        self.0
    }

    /// Digits after the decimal point (2 for USD, 0 for JPY).
    pub fn minor_digits(self) -> u8 {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == self.0)
            .map(|(_, d)| *d)
            .unwrap_or(2)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// A non-negative amount of one currency, in minor units (cents for USD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount: i64,
    currency: Currency,
}

impl Money {
    pub fn new(amount: i64, currency: Currency) -> Result<Self, MoneyError> {
        if amount < 0 {
            return Err(MoneyError::Negative(amount));
        }
        if amount > MAX_MINOR_UNITS {
            return Err(MoneyError::TooLarge(amount));
        }
        Ok(Money { amount, currency })
    }

    /// Parses stored or client-supplied parts.
    pub fn parse(amount: i64, currency: &str) -> Result<Self, MoneyError> {
        Money::new(amount, Currency::parse(currency)?)
    }

    pub fn zero(currency: Currency) -> Self {
        Money {
            amount: 0,
            currency,
        }
    }

    pub fn amount(self) -> i64 {
        self.amount
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency, other.currency));
        }
        Money::new(self.amount + other.amount, self.currency)
    }

    pub fn checked_mul(self, factor: i64) -> Result<Money, MoneyError> {
        let amount = self
            .amount
            .checked_mul(factor)
            .ok_or(MoneyError::TooLarge(i64::MAX))?;
        Money::new(amount, self.currency)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.currency.minor_digits() as u32;
        if digits == 0 {
            return write!(f, "{} {}", self.amount, self.currency);
        }
        let scale = 10_i64.pow(digits);
        write!(
            f,
            "{}.{:0width$} {}",
            self.amount / scale,
            self.amount % scale,
            self.currency,
            width = digits as usize
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_codes_are_validated_and_normalised() {
        assert_eq!(Currency::parse("usd").unwrap(), Currency::USD);
        assert!(matches!(
            Currency::parse("XXX"),
            Err(MoneyError::UnknownCurrency(_))
        ));
        assert!(Currency::parse("").is_err());
    }

    #[test]
    fn amounts_must_be_non_negative_and_fit_graphql_int() {
        assert!(matches!(
            Money::parse(-1, "USD"),
            Err(MoneyError::Negative(-1))
        ));
        assert!(Money::parse(MAX_MINOR_UNITS, "USD").is_ok());
        assert!(matches!(
            Money::parse(MAX_MINOR_UNITS + 1, "USD"),
            Err(MoneyError::TooLarge(_))
        ));
    }

    #[test]
    fn arithmetic_keeps_currency_and_range() {
        let a = Money::parse(1999, "USD").unwrap();
        assert_eq!(a.checked_mul(3).unwrap().amount(), 5997);
        assert_eq!(a.checked_add(a).unwrap().amount(), 3998);
        let eur = Money::parse(1, "EUR").unwrap();
        assert!(matches!(
            a.checked_add(eur),
            Err(MoneyError::CurrencyMismatch(_, _))
        ));
        assert!(a.checked_mul(i64::MAX).is_err());
    }

    #[test]
    fn displays_with_minor_digits() {
        assert_eq!(Money::parse(1999, "USD").unwrap().to_string(), "19.99 USD");
        assert_eq!(Money::parse(500, "JPY").unwrap().to_string(), "500 JPY");
    }
}
