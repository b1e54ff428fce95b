//! The payments subgraph's GraphQL types; conversions to and from the domain only.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use subgraph_kit::graphql::{MoneyInput, MoneyObject};

use super::loader;
use crate::domain::{CardDetails, GatewayKind, OrderId, Payment, PaymentStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "PaymentStatus")]
pub enum PaymentStatusGql {
    /// Recorded and waiting: for its gateway's answer, or for an invoice to be paid.
    Pending,
    /// Funds reserved, not yet taken.
    Authorized,
    /// Funds taken.
    Captured,
    /// The gateway refused; see `failureReason`.
    Declined,
    /// The gateway could not process it; see `failureReason`.
    Failed,
    /// Captured funds returned.
    Refunded,
    /// An authorization (or an open invoice) released without capture.
    Voided,
}

impl From<PaymentStatus> for PaymentStatusGql {
    fn from(s: PaymentStatus) -> Self {
        match s {
            PaymentStatus::Pending => PaymentStatusGql::Pending,
            PaymentStatus::Authorized => PaymentStatusGql::Authorized,
            PaymentStatus::Captured => PaymentStatusGql::Captured,
            PaymentStatus::Declined => PaymentStatusGql::Declined,
            PaymentStatus::Failed => PaymentStatusGql::Failed,
            PaymentStatus::Refunded => PaymentStatusGql::Refunded,
            PaymentStatus::Voided => PaymentStatusGql::Voided,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "PaymentGatewayKind")]
pub enum PaymentGatewayKindGql {
    /// Cards whose outcome follows the number (development and tests).
    TestCard,
    /// An invoice, paid later and recorded by the back office.
    Invoice,
}

impl From<GatewayKind> for PaymentGatewayKindGql {
    fn from(k: GatewayKind) -> Self {
        match k {
            GatewayKind::TestCard => PaymentGatewayKindGql::TestCard,
            GatewayKind::Invoice => PaymentGatewayKindGql::Invoice,
        }
    }
}

impl From<PaymentGatewayKindGql> for GatewayKind {
    fn from(k: PaymentGatewayKindGql) -> Self {
        match k {
            PaymentGatewayKindGql::TestCard => GatewayKind::TestCard,
            PaymentGatewayKindGql::Invoice => GatewayKind::Invoice,
        }
    }
}

/// A payment for an order through one gateway.
pub struct PaymentObject(pub Payment);

#[Object(name = "Payment")]
impl PaymentObject {
    async fn id(&self) -> ID {
        ID(self.0.id.as_str().to_owned())
    }

    async fn order(&self) -> OrderObject {
        OrderObject::new(self.0.order_id.clone())
    }

    async fn amount(&self) -> MoneyObject {
        self.0.amount.into()
    }

    /// ISO 4217 code of `amount`.
    async fn currency(&self) -> &str {
        self.0.amount.currency().code()
    }

    async fn gateway(&self) -> PaymentGatewayKindGql {
        self.0.gateway.into()
    }

    async fn status(&self) -> PaymentStatusGql {
        self.0.status.into()
    }

    /// The gateway's id for this payment (an invoice number for invoices).
    async fn gateway_reference(&self) -> Option<&str> {
        self.0.gateway_reference.as_deref()
    }

    /// Why the payment was declined or failed, e.g. `insufficient_funds`.
    async fn failure_reason(&self) -> Option<&str> {
        self.0.failure_reason.as_deref()
    }

    /// Last four digits of the card; the number itself is never stored.
    async fn card_last4(&self) -> Option<&str> {
        self.0.card_last4.as_deref()
    }

    /// Card network guessed from the number, e.g. `VISA`.
    async fn card_brand(&self) -> Option<&str> {
        self.0.card_brand.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// An order of the orders service, to which this service adds its payments.
pub struct OrderObject {
    id: OrderId,
    /// Set when the payments were loaded with the order's batch.
    payments: Option<Vec<Payment>>,
}

impl OrderObject {
    pub fn new(id: OrderId) -> Self {
        OrderObject { id, payments: None }
    }

    pub fn with_payments(id: OrderId, payments: Vec<Payment>) -> Self {
        OrderObject {
            id,
            payments: Some(payments),
        }
    }
}

#[Object(name = "Order")]
impl OrderObject {
    async fn id(&self) -> ID {
        ID(self.id.as_str().to_owned())
    }

    /// Every payment attempt for the order, oldest first.
    async fn payments(&self, ctx: &Context<'_>) -> Result<Vec<PaymentObject>> {
        let payments = match &self.payments {
            Some(payments) => payments.clone(),
            None => loader::order_payments(ctx, &self.id).await?,
        };
        Ok(payments.into_iter().map(PaymentObject).collect())
    }
}

// Only `authorizePayment` (itself @inaccessible) takes this. Marking the type
// @inaccessible too fails composition: its argument would then have to be
// @inaccessible, and a required argument cannot be.
/// What the checkout sends to authorize a payment.
#[derive(InputObject)]
pub struct AuthorizePaymentInput {
    pub order_id: ID,
    pub amount: MoneyInput,
    pub gateway: PaymentGatewayKindGql,
    /// Required for TEST_CARD, refused for INVOICE.
    pub card: Option<CardInput>,
}

/// A card as entered; only its last four digits and brand are kept.
#[derive(InputObject)]
pub struct CardInput {
    /// Digits; spaces and dashes are ignored.
    pub number: String,
    pub exp_month: i32,
    /// Four digits, e.g. 2030.
    pub exp_year: i32,
    pub cvc: String,
}

impl CardInput {
    pub fn details(&self) -> CardDetails<'_> {
        CardDetails {
            number: &self.number,
            exp_month: self.exp_month,
            exp_year: self.exp_year,
            cvc: &self.cvc,
        }
    }
}
