use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use subgraph_kit::money::{Money, MoneyError};

use super::{Card, OrderId, PaymentError, PaymentId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GatewayKind {
    TestCard,
    Invoice,
}

impl GatewayKind {
    pub const ALL: [GatewayKind; 2] = [GatewayKind::TestCard, GatewayKind::Invoice];

    pub fn as_str(self) -> &'static str {
        match self {
            GatewayKind::TestCard => "TEST_CARD",
            GatewayKind::Invoice => "INVOICE",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        GatewayKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether authorizing through this gateway needs a card.
    pub fn takes_card(self) -> bool {
        matches!(self, GatewayKind::TestCard)
    }
}

impl fmt::Display for GatewayKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentStatus {
    /// Recorded, gateway not answered yet; or an invoice awaiting payment.
    Pending,
    /// Funds reserved, not yet taken.
    Authorized,
    /// Funds taken.
    Captured,
    /// The gateway refused (see `failure_reason`).
    Declined,
    /// The gateway could not process it (see `failure_reason`).
    Failed,
    /// Captured funds returned.
    Refunded,
    /// An authorization (or an open invoice) released without capture.
    Voided,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 7] = [
        PaymentStatus::Pending,
        PaymentStatus::Authorized,
        PaymentStatus::Captured,
        PaymentStatus::Declined,
        PaymentStatus::Failed,
        PaymentStatus::Refunded,
        PaymentStatus::Voided,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "PENDING",
            PaymentStatus::Authorized => "AUTHORIZED",
            PaymentStatus::Captured => "CAPTURED",
            PaymentStatus::Declined => "DECLINED",
            PaymentStatus::Failed => "FAILED",
            PaymentStatus::Refunded => "REFUNDED",
            PaymentStatus::Voided => "VOIDED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        PaymentStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: PaymentId,
    pub order_id: OrderId,
    pub amount: Money,
    pub gateway: GatewayKind,
    pub status: PaymentStatus,
    /// The gateway's id for this payment, once it answered.
    pub gateway_reference: Option<String>,
    /// Why a payment was declined or failed.
    pub failure_reason: Option<String>,
    pub card_last4: Option<String>,
    pub card_brand: Option<String>,
    pub idempotency_key: IdempotencyKey,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Payment {
    /// A retried authorization gets the payment the first attempt created,
    /// but only when it asks for the same thing.
    pub fn replay(self, new: &NewPayment) -> Result<Payment, PaymentError> {
        let same = self.order_id == new.order_id
            && self.amount == new.amount
            && self.gateway == new.gateway
            && self.card_last4.as_deref() == new.card.as_ref().map(Card::last4);
        if same {
            Ok(self)
        } else {
            Err(PaymentError::IdempotencyKeyReused)
        }
    }
}

/// The client's key for one authorization attempt: 1–200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, PaymentError> {
        let key = raw.trim();
        if key.is_empty() || key.chars().count() > 200 {
            return Err(PaymentError::InvalidIdempotencyKey);
        }
        Ok(IdempotencyKey(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A validated request to authorize a payment.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub order_id: OrderId,
    pub amount: Money,
    pub gateway: GatewayKind,
    pub card: Option<Card>,
}

/// The card fields as a client sent them.
#[derive(Debug, Clone, Copy)]
pub struct CardDetails<'a> {
    pub number: &'a str,
    pub exp_month: i32,
    pub exp_year: i32,
    pub cvc: &'a str,
}

impl NewPayment {
    /// Checks everything that can be checked before anything is stored.
    pub fn parse(
        order_id: &str,
        amount: i64,
        currency: &str,
        gateway: GatewayKind,
        card: Option<CardDetails<'_>>,
        today: NaiveDate,
    ) -> Result<Self, PaymentError> {
        let order_id = OrderId::parse(order_id)
            .ok_or_else(|| PaymentError::InvalidOrderId(order_id.into()))?;
        let amount = match Money::parse(amount, currency) {
            Ok(money) if money.amount() > 0 => money,
            Err(MoneyError::UnknownCurrency(code)) => {
                return Err(PaymentError::InvalidCurrency(code));
            }
            Ok(_) | Err(_) => return Err(PaymentError::InvalidAmount),
        };
        let card = match (gateway.takes_card(), card) {
            (true, Some(c)) => Some(Card::parse(
                c.number,
                c.exp_month,
                c.exp_year,
                c.cvc,
                today,
            )?),
            (true, None) => return Err(PaymentError::CardRequired(gateway)),
            (false, Some(_)) => return Err(PaymentError::CardNotAccepted(gateway)),
            (false, None) => None,
        };
        Ok(NewPayment {
            order_id,
            amount,
            gateway,
            card,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDER: &str = "0192f0c4-0000-7000-8000-000000000001";

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, 15).unwrap()
    }

    fn visa() -> Option<CardDetails<'static>> {
        Some(CardDetails {
            number: "4242424242424242",
            exp_month: 12,
            exp_year: 2030,
            cvc: "123",
        })
    }

    fn code(r: Result<NewPayment, PaymentError>) -> &'static str {
        use subgraph_kit::error::CodedError;
        r.map(|_| "OK").unwrap_or_else(|e| e.code())
    }

    #[test]
    fn validates_amount_currency_order_and_card() {
        let tc = GatewayKind::TestCard;
        let p = NewPayment::parse(ORDER, 1999, "usd", tc, visa(), today()).unwrap();
        assert_eq!(p.amount.amount(), 1999);
        assert_eq!(p.card.as_ref().map(Card::last4), Some("4242"));
        let cases = [
            (
                NewPayment::parse(ORDER, 0, "USD", tc, visa(), today()),
                "INVALID_AMOUNT",
            ),
            (
                NewPayment::parse(ORDER, -5, "USD", tc, visa(), today()),
                "INVALID_AMOUNT",
            ),
            (
                NewPayment::parse(ORDER, 5, "DOGE", tc, visa(), today()),
                "INVALID_CURRENCY",
            ),
            (
                NewPayment::parse("x", 5, "USD", tc, visa(), today()),
                "INVALID_ORDER_ID",
            ),
            (
                NewPayment::parse(ORDER, 5, "USD", tc, None, today()),
                "CARD_REQUIRED",
            ),
            (
                NewPayment::parse(ORDER, 5, "USD", GatewayKind::Invoice, visa(), today()),
                "CARD_NOT_ACCEPTED",
            ),
        ];
        for (result, expected) in cases {
            assert_eq!(code(result), expected);
        }
        assert_eq!(
            code(NewPayment::parse(
                ORDER,
                5,
                "EUR",
                GatewayKind::Invoice,
                None,
                today()
            )),
            "OK"
        );
    }

    #[test]
    fn idempotency_keys_are_bounded() {
        assert!(IdempotencyKey::parse("  ").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(201)).is_err());
        assert_eq!(IdempotencyKey::parse(" k-1 ").unwrap().as_str(), "k-1");
    }

    #[test]
    fn statuses_and_kinds_round_trip() {
        for s in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(s.as_str()), Some(s));
        }
        for k in GatewayKind::ALL {
            assert_eq!(GatewayKind::parse(k.as_str()), Some(k));
        }
    }
}
