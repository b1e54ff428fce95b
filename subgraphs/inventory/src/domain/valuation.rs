//! What the stock on hand is worth at a unit price.

use subgraph_kit::money::Money;

use super::InventoryError;

/// `on_hand × unit price`; a result that does not fit a GraphQL `Int` is an
/// error, never a wrapped or clamped amount.
pub fn stock_value(on_hand: i64, unit_price: Money) -> Result<Money, InventoryError> {
    unit_price
        .checked_mul(on_hand)
        .map_err(|_| InventoryError::AmountOutOfRange)
}

#[cfg(test)]
mod tests {
    use super::*;
    use subgraph_kit::money::MAX_MINOR_UNITS;

    #[test]
    fn multiplies_and_keeps_the_currency() {
        let price = Money::parse(1999, "EUR").unwrap();
        let value = stock_value(3, price).unwrap();
        assert_eq!(value.amount(), 5997);
        assert_eq!(value.currency().code(), "EUR");
        assert_eq!(stock_value(0, price).unwrap().amount(), 0);
    }

    #[test]
    fn overflow_is_an_error() {
        let price = Money::parse(MAX_MINOR_UNITS, "USD").unwrap();
        assert!(matches!(
            stock_value(2, price),
            Err(InventoryError::AmountOutOfRange)
        ));
        assert!(matches!(
            stock_value(i64::MAX, price),
            Err(InventoryError::AmountOutOfRange)
        ));
    }
}
