//! Payment cards as a client sends them. The full number lives only in memory
//! for the length of one authorization: it is never stored, logged or echoed.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use super::PaymentError;

/// The card network, guessed from the number's prefix; informational only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardBrand {
    Visa,
    Mastercard,
    Amex,
    Discover,
    Unknown,
}

impl CardBrand {
    fn of(digits: &str) -> Self {
        let prefix = |n: usize| digits.get(..n).and_then(|p| p.parse::<u32>().ok());
        match (prefix(1), prefix(2), prefix(4)) {
            (Some(4), _, _) => CardBrand::Visa,
            (_, Some(51..=55), _) | (_, _, Some(2221..=2720)) => CardBrand::Mastercard,
            (_, Some(34 | 37), _) => CardBrand::Amex,
            (_, Some(65), _) | (_, _, Some(6011)) => CardBrand::Discover,
            _ => CardBrand::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CardBrand::Visa => "VISA",
            CardBrand::Mastercard => "MASTERCARD",
            CardBrand::Amex => "AMEX",
            CardBrand::Discover => "DISCOVER",
            CardBrand::Unknown => "UNKNOWN",
        }
    }
}

/// A card that passed every check we can make without a gateway.
#[derive(Clone, PartialEq, Eq)]
pub struct Card {
    digits: String,
    exp_month: u32,
    exp_year: i32,
}

impl Card {
    /// Spaces and dashes in the number are ignored; what remains must be
    /// 12–19 digits passing the Luhn check. The card must not have expired
    /// by `today` (it is valid through the last day of its expiry month), and
    /// the CVC must be 3 or 4 digits.
    pub fn parse(
        number: &str,
        exp_month: i32,
        exp_year: i32,
        cvc: &str,
        today: NaiveDate,
    ) -> Result<Card, PaymentError> {
        let digits: String = number.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(PaymentError::InvalidCard(
                "the number may contain only digits, spaces and dashes",
            ));
        }
        if !(12..=19).contains(&digits.len()) {
            return Err(PaymentError::InvalidCard(
                "the number must have 12-19 digits",
            ));
        }
        if !luhn_valid(&digits) {
            return Err(PaymentError::InvalidCard("the number fails the Luhn check"));
        }
        let exp_month = u32::try_from(exp_month)
            .ok()
            .filter(|m| (1..=12).contains(m))
            .ok_or(PaymentError::InvalidCard("the expiry month must be 1-12"))?;
        if (exp_year, exp_month) < (today.year(), today.month()) {
            return Err(PaymentError::InvalidCard("the card has expired"));
        }
        let cvc = cvc.trim();
        if !(3..=4).contains(&cvc.len()) || !cvc.chars().all(|c| c.is_ascii_digit()) {
            return Err(PaymentError::InvalidCard("the CVC must be 3 or 4 digits"));
        }
        Ok(Card {
            digits,
            exp_month,
            exp_year,
        })
    }

    /// The full number, digits only, for the gateway's eyes only.
    pub fn number(&self) -> &str {
        &self.digits
    }

    pub fn last4(&self) -> &str {
        &self.digits[self.digits.len() - 4..]
    }

    pub fn brand(&self) -> CardBrand {
        CardBrand::of(&self.digits)
    }

    pub fn exp_month(&self) -> u32 {
        self.exp_month
    }

    pub fn exp_year(&self) -> i32 {
        self.exp_year
    }
}

/// Shows the last four digits only, so a card in a log or panic message
/// does not leak its number.
impl fmt::Debug for Card {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Card")
            .field("brand", &self.brand())
            .field("last4", &self.last4())
            .field("exp_month", &self.exp_month)
            .field("exp_year", &self.exp_year)
            .finish()
    }
}

/// The Luhn mod-10 checksum over ASCII digits.
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.bytes().rev().enumerate() {
        if !c.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum % 10 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, 15).unwrap()
    }

    fn card(number: &str) -> Result<Card, PaymentError> {
        Card::parse(number, 12, 2030, "123", today())
    }

    #[test]
    fn luhn_matches_known_numbers() {
        assert!(luhn_valid("79927398713"));
        assert!(!luhn_valid("79927398710"));
        assert!(!luhn_valid(""));
        assert!(!luhn_valid("12a4"));
    }

    #[test]
    fn strips_spaces_and_dashes_and_keeps_only_what_may_be_stored() {
        let c = card("4242 4242-4242 4242").unwrap();
        assert_eq!(c.number(), "4242424242424242");
        assert_eq!(c.last4(), "4242");
        assert_eq!(c.brand(), CardBrand::Visa);
        let debug = format!("{c:?}");
        assert!(!debug.contains("424242424242"), "{debug}");
    }

    #[test]
    fn rejects_bad_numbers() {
        for bad in [
            "",
            "4242x42424242424",
            "42424242424",          // 11 digits
            "42424242424242424242", // 20 digits
            "4242424242424241",     // Luhn
        ] {
            assert!(
                matches!(card(bad), Err(PaymentError::InvalidCard(_))),
                "{bad:?} should be rejected"
            );
        }
        assert!(card("000000000000").is_ok(), "12 digits passing Luhn");
    }

    #[test]
    fn expiry_must_be_a_month_not_in_the_past() {
        let n = "4242424242424242";
        for (month, year) in [(0, 2030), (13, 2030), (-1, 2030), (4, 2026), (12, 2025)] {
            assert!(
                Card::parse(n, month, year, "123", today()).is_err(),
                "{month}/{year}"
            );
        }
        assert!(
            Card::parse(n, 5, 2026, "123", today()).is_ok(),
            "this month"
        );
    }

    #[test]
    fn cvc_is_three_or_four_digits() {
        let n = "4242424242424242";
        for bad in ["", "12", "12345", "12a"] {
            assert!(Card::parse(n, 12, 2030, bad, today()).is_err(), "{bad:?}");
        }
        assert!(Card::parse(n, 12, 2030, "1234", today()).is_ok());
    }

    #[test]
    fn brands_follow_prefixes() {
        assert_eq!(CardBrand::of("5555555555554444"), CardBrand::Mastercard);
        assert_eq!(CardBrand::of("2223003122003222"), CardBrand::Mastercard);
        assert_eq!(CardBrand::of("378282246310005"), CardBrand::Amex);
        assert_eq!(CardBrand::of("6011111111111117"), CardBrand::Discover);
        assert_eq!(CardBrand::of("000000000000"), CardBrand::Unknown);
    }
}
