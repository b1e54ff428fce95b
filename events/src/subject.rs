//! Subject filters as NATS defines them, for the in-process bus: tokens are
//! separated by `.`, `*` matches exactly one token and `>` (last) one or more.

/// Whether `subject` matches `filter`.
pub fn matches(filter: &str, subject: &str) -> bool {
    let mut subject_tokens = subject.split('.');
    for token in filter.split('.') {
        match (token, subject_tokens.next()) {
            (">", Some(_)) => return true,
            ("*", Some(_)) => {}
            (expected, Some(actual)) if expected == actual => {}
            _ => return false,
        }
    }
    subject_tokens.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn follows_nats_wildcards() {
        assert!(matches(
            "shop.orders.order.placed",
            "shop.orders.order.placed"
        ));
        assert!(matches("shop.*.order.placed", "shop.orders.order.placed"));
        assert!(matches("shop.>", "shop.orders.order.placed"));
        assert!(matches("shop.inventory.>", "shop.inventory.stock.low"));
        assert!(!matches("shop.>", "shop"));
        assert!(!matches("shop.*", "shop.orders.order"));
        assert!(!matches("shop.orders", "shop.orders.order"));
        assert!(!matches("shop.orders.order.placed", "shop.orders.order"));
        assert!(!matches("shop.payments.>", "shop.orders.order.placed"));
    }
}
