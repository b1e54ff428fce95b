//! Placing an order: validating the request, then pricing it from what the
//! catalog says about each product. Pure; the catalog call happens elsewhere.

use std::collections::HashMap;

use subgraph_kit::money::{Money, MoneyError};

use super::{CustomerEmail, OrderError, OrderItem, ProductId};

pub const MAX_QUANTITY: i64 = 1000;
pub const MAX_LINES: usize = 100;
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 200;

/// One product and how many of it, after duplicates were merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedLine {
    pub product_id: ProductId,
    pub quantity: u32,
}

/// A validated `placeOrder` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    pub customer_email: CustomerEmail,
    /// In the order the client first named each product.
    pub lines: Vec<RequestedLine>,
}

impl OrderRequest {
    /// Checks the email, that there are 1-100 lines, that each names a
    /// product id (a UUID; anything else cannot be in the catalog) and a
    /// quantity of 1-1000, then merges lines naming the same product, whose
    /// combined quantity must also stay within 1-1000.
    pub fn parse(email: &str, lines: &[(&str, i64)]) -> Result<Self, OrderError> {
        let customer_email = CustomerEmail::parse(email)?;
        if lines.is_empty() {
            return Err(OrderError::EmptyOrder);
        }
        if lines.len() > MAX_LINES {
            return Err(OrderError::TooManyItems(lines.len()));
        }
        let mut merged: Vec<(ProductId, i64)> = Vec::with_capacity(lines.len());
        for &(raw_id, quantity) in lines {
            let product_id = ProductId::parse(raw_id)
                .ok_or_else(|| OrderError::ProductNotFound(raw_id.to_owned()))?;
            check_quantity(&product_id, quantity)?;
            match merged.iter_mut().find(|(id, _)| *id == product_id) {
                Some((_, total)) => *total += quantity,
                None => merged.push((product_id, quantity)),
            }
        }
        let lines = merged
            .into_iter()
            .map(|(product_id, quantity)| {
                let quantity = check_quantity(&product_id, quantity)?;
                Ok(RequestedLine {
                    product_id,
                    quantity,
                })
            })
            .collect::<Result<_, OrderError>>()?;
        Ok(OrderRequest {
            customer_email,
            lines,
        })
    }

    pub fn product_ids(&self) -> Vec<ProductId> {
        self.lines.iter().map(|l| l.product_id.clone()).collect()
    }

    /// True when an existing order is what this request would have created,
    /// so a retry may return it.
    pub fn is_replayed_by(&self, email: &CustomerEmail, items: &[OrderItem]) -> bool {
        let mut asked: Vec<(&ProductId, u32)> = self
            .lines
            .iter()
            .map(|l| (&l.product_id, l.quantity))
            .collect();
        let mut stored: Vec<(&ProductId, u32)> =
            items.iter().map(|i| (&i.product_id, i.quantity)).collect();
        asked.sort();
        stored.sort();
        *email == self.customer_email && asked == stored
    }
}

fn check_quantity(product_id: &ProductId, quantity: i64) -> Result<u32, OrderError> {
    if (1..=MAX_QUANTITY).contains(&quantity) {
        u32::try_from(quantity).map_err(|_| invalid_quantity(product_id, quantity))
    } else {
        Err(invalid_quantity(product_id, quantity))
    }
}

fn invalid_quantity(product_id: &ProductId, quantity: i64) -> OrderError {
    OrderError::InvalidQuantity {
        product_id: product_id.as_str().to_owned(),
        quantity,
    }
}

/// A client-chosen key that makes `placeOrder` safe to retry: 1-200
/// characters, compared exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: Option<&str>) -> Result<Option<Self>, OrderError> {
        match raw {
            None => Ok(None),
            Some(key) if key.is_empty() || key.chars().count() > MAX_IDEMPOTENCY_KEY_LEN => {
                Err(OrderError::InvalidIdempotencyKey)
            }
            Some(key) => Ok(Some(IdempotencyKey(key.to_owned()))),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the catalog says about a product right now.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogProduct {
    pub id: ProductId,
    pub sku: String,
    pub price: Money,
    /// False for archived products (and any status we do not know).
    pub orderable: bool,
}

/// An order ready to be stored: items priced at today's catalog prices.
#[derive(Debug, Clone, PartialEq)]
pub struct PricedOrder {
    pub customer_email: CustomerEmail,
    pub items: Vec<OrderItem>,
    pub total: Money,
}

/// Prices a request. Lines are checked in request order, so the first
/// unknown or unavailable product is the one reported.
pub fn price(
    request: &OrderRequest,
    catalog: &[CatalogProduct],
) -> Result<PricedOrder, OrderError> {
    let by_id: HashMap<&ProductId, &CatalogProduct> = catalog.iter().map(|p| (&p.id, p)).collect();
    let mut found = Vec::with_capacity(request.lines.len());
    for line in &request.lines {
        let product = by_id
            .get(&line.product_id)
            .ok_or_else(|| OrderError::ProductNotFound(line.product_id.as_str().to_owned()))?;
        if !product.orderable {
            return Err(OrderError::ProductUnavailable(
                line.product_id.as_str().to_owned(),
            ));
        }
        found.push((line, *product));
    }
    let currency = found
        .first()
        .map(|(_, p)| p.price.currency())
        .ok_or(OrderError::EmptyOrder)?;
    if let Some((_, other)) = found.iter().find(|(_, p)| p.price.currency() != currency) {
        return Err(OrderError::CurrencyMismatch(
            currency.code().to_owned(),
            other.price.currency().code().to_owned(),
        ));
    }
    let mut total = Money::zero(currency);
    let mut items = Vec::with_capacity(found.len());
    for (line, product) in found {
        let line_total = product
            .price
            .checked_mul(i64::from(line.quantity))
            .map_err(money_error)?;
        total = total.checked_add(line_total).map_err(money_error)?;
        items.push(OrderItem {
            product_id: line.product_id.clone(),
            sku: product.sku.clone(),
            quantity: line.quantity,
            unit_price: product.price,
            line_total,
        });
    }
    Ok(PricedOrder {
        customer_email: request.customer_email.clone(),
        items,
        total,
    })
}

fn money_error(err: MoneyError) -> OrderError {
    match err {
        MoneyError::CurrencyMismatch(a, b) => {
            OrderError::CurrencyMismatch(a.code().to_owned(), b.code().to_owned())
        }
        _ => OrderError::AmountOutOfRange,
    }
}

#[cfg(test)]
mod tests {
    use subgraph_kit::money::MAX_MINOR_UNITS;

    use super::*;

    const A: &str = "0192f0c4-0000-7000-8000-00000000000a";
    const B: &str = "0192f0c4-0000-7000-8000-00000000000b";

    fn request(lines: &[(&str, i64)]) -> Result<OrderRequest, OrderError> {
        OrderRequest::parse("ann@example.com", lines)
    }

    fn product(id: &str, amount: i64, currency: &str, orderable: bool) -> CatalogProduct {
        CatalogProduct {
            id: ProductId::parse(id).unwrap(),
            sku: format!("SKU-{}", &id[id.len() - 1..]),
            price: Money::parse(amount, currency).unwrap(),
            orderable,
        }
    }

    #[test]
    fn merges_duplicate_products_keeping_first_seen_order() {
        let r = request(&[(B, 1), (A, 2), (B, 3)]).unwrap();
        let lines: Vec<(&str, u32)> = r
            .lines
            .iter()
            .map(|l| (l.product_id.as_str(), l.quantity))
            .collect();
        assert_eq!(lines, [(B, 4), (A, 2)]);
    }

    #[test]
    fn rejects_bad_requests_with_the_right_error() {
        assert!(matches!(
            OrderRequest::parse("nope", &[(A, 1)]),
            Err(OrderError::InvalidEmail(_))
        ));
        assert!(matches!(request(&[]), Err(OrderError::EmptyOrder)));
        for q in [0, -1, 1001, i64::MAX] {
            assert!(
                matches!(request(&[(A, q)]), Err(OrderError::InvalidQuantity { .. })),
                "{q}"
            );
        }
        assert!(
            matches!(
                request(&[(A, 600), (A, 401)]),
                Err(OrderError::InvalidQuantity { quantity: 1001, .. })
            ),
            "merged quantities are bounded too"
        );
        assert!(request(&[(A, 1000)]).is_ok());
        assert!(matches!(
            request(&[("not-a-uuid", 1)]),
            Err(OrderError::ProductNotFound(id)) if id == "not-a-uuid"
        ));
        let many = vec![(A, 1); MAX_LINES + 1];
        assert!(matches!(request(&many), Err(OrderError::TooManyItems(101))));
        assert!(request(&vec![(A, 1); MAX_LINES]).is_ok());
    }

    #[test]
    fn prices_lines_and_total() {
        let r = request(&[(A, 3), (B, 1)]).unwrap();
        let priced = price(
            &r,
            &[product(B, 250, "USD", true), product(A, 1999, "USD", true)],
        )
        .unwrap();
        assert_eq!(priced.items.len(), 2);
        assert_eq!(priced.items[0].sku, "SKU-a");
        assert_eq!(priced.items[0].unit_price.amount(), 1999);
        assert_eq!(priced.items[0].line_total.amount(), 5997);
        assert_eq!(priced.items[1].line_total.amount(), 250);
        assert_eq!(priced.total.amount(), 6247);
        assert_eq!(priced.total.currency().code(), "USD");
    }

    #[test]
    fn unknown_and_archived_products_are_refused() {
        let r = request(&[(A, 1), (B, 1)]).unwrap();
        assert!(matches!(
            price(&r, &[product(B, 1, "USD", true)]),
            Err(OrderError::ProductNotFound(id)) if id == A
        ));
        assert!(matches!(
            price(&r, &[product(A, 1, "USD", true), product(B, 1, "USD", false)]),
            Err(OrderError::ProductUnavailable(id)) if id == B
        ));
    }

    #[test]
    fn currencies_must_agree_and_totals_must_fit() {
        let r = request(&[(A, 1), (B, 1)]).unwrap();
        assert!(matches!(
            price(&r, &[product(A, 1, "USD", true), product(B, 1, "EUR", true)]),
            Err(OrderError::CurrencyMismatch(a, b)) if a == "USD" && b == "EUR"
        ));
        let big = MAX_MINOR_UNITS / 2 + 1;
        assert!(matches!(
            price(
                &r,
                &[product(A, big, "USD", true), product(B, big, "USD", true)]
            ),
            Err(OrderError::AmountOutOfRange)
        ));
        let r = request(&[(A, 2)]).unwrap();
        assert!(matches!(
            price(&r, &[product(A, big, "USD", true)]),
            Err(OrderError::AmountOutOfRange)
        ));
    }

    #[test]
    fn a_replay_must_be_the_same_request() {
        let r = request(&[(A, 1), (B, 2)]).unwrap();
        let priced = price(
            &r,
            &[product(A, 1, "USD", true), product(B, 1, "USD", true)],
        )
        .unwrap();
        let same = request(&[(B, 2), (A, 1)]).unwrap();
        assert!(same.is_replayed_by(&priced.customer_email, &priced.items));
        let other = request(&[(A, 1), (B, 3)]).unwrap();
        assert!(!other.is_replayed_by(&priced.customer_email, &priced.items));
        let bob = CustomerEmail::parse("bob@example.com").unwrap();
        assert!(!r.is_replayed_by(&bob, &priced.items));
    }

    #[test]
    fn idempotency_keys_are_bounded() {
        assert_eq!(IdempotencyKey::parse(None).unwrap(), None);
        assert!(IdempotencyKey::parse(Some("")).is_err());
        assert!(IdempotencyKey::parse(Some(&"k".repeat(201))).is_err());
        assert_eq!(
            IdempotencyKey::parse(Some("k-1"))
                .unwrap()
                .unwrap()
                .as_str(),
            "k-1"
        );
    }
}
