//! The payments service as the checkout needs it: authorize an order's
//! total through the chosen gateway, then capture, void or refund it. The
//! authorization is keyed by an idempotency key derived from the order, and
//! the other calls are idempotent by payment id, so retries never charge
//! twice.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;
use subgraph_kit::money::Money;

use crate::domain::OrderId;
use crate::remote::{CallError, Subgraph};

/// How the customer pays: the gateway and, for cards, the card. Passed
/// through to the payments service, never stored by orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentDetails {
    /// A `PaymentGatewayKind` of the payments service, e.g. TEST_CARD.
    pub gateway: String,
    pub card: Option<Card>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Card {
    pub number: String,
    pub exp_month: i32,
    pub exp_year: i32,
    pub cvc: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentStatus {
    Pending,
    Authorized,
    Captured,
    Declined,
    Failed,
    Refunded,
    Voided,
}

/// A payment as the payments service reports it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentState {
    pub id: String,
    pub status: PaymentStatus,
    pub failure_reason: Option<String>,
}

#[async_trait]
pub trait Billing: Send + Sync {
    /// Authorizes `amount` for `order`; the same `key` always means the same
    /// payment. A declined or failed authorization is a payment in that
    /// status, not an error.
    async fn authorize(
        &self,
        order: &OrderId,
        amount: Money,
        details: &PaymentDetails,
        key: &str,
    ) -> Result<PaymentState, CallError>;
    /// Every payment attempt for `order`, oldest first: how recovery learns
    /// what an interrupted authorization did.
    async fn payments_of(&self, order: &OrderId) -> Result<Vec<PaymentState>, CallError>;
    async fn capture(&self, payment: &str) -> Result<PaymentState, CallError>;
    async fn void(&self, payment: &str) -> Result<PaymentState, CallError>;
    async fn refund(&self, payment: &str) -> Result<PaymentState, CallError>;
}

const FIELDS: &str = "id status failureReason";

/// The payments subgraph over HTTP.
#[derive(Clone)]
pub struct HttpBilling {
    payments: Subgraph,
}

impl HttpBilling {
    pub fn new(payments: Subgraph) -> Self {
        HttpBilling { payments }
    }

    async fn command(&self, mutation: &str, payment: &str) -> Result<PaymentState, CallError> {
        let query = format!("mutation($id: ID!) {{ {mutation}(id: $id) {{ {FIELDS} }} }}");
        self.payments
            .call(&query, json!({ "id": payment }), mutation)
            .await
    }
}

#[async_trait]
impl Billing for HttpBilling {
    async fn authorize(
        &self,
        order: &OrderId,
        amount: Money,
        details: &PaymentDetails,
        key: &str,
    ) -> Result<PaymentState, CallError> {
        let input = json!({
            "orderId": order.as_str(),
            "amount": { "amount": amount.amount(), "currency": amount.currency().code() },
            "gateway": details.gateway,
            "card": details.card,
        });
        self.payments
            .call(
                &format!("mutation($input: AuthorizePaymentInput!, $key: String!) {{ authorizePayment(input: $input, idempotencyKey: $key) {{ {FIELDS} }} }}"),
                json!({ "input": input, "key": key }),
                "authorizePayment",
            )
            .await
    }

    async fn payments_of(&self, order: &OrderId) -> Result<Vec<PaymentState>, CallError> {
        #[derive(Deserialize)]
        struct OrderPayments {
            payments: Vec<PaymentState>,
        }
        let found: Vec<Option<OrderPayments>> = self
            .payments
            .call(
                &format!("query($r: [_Any!]!) {{ _entities(representations: $r) {{ ... on Order {{ payments {{ {FIELDS} }} }} }} }}"),
                json!({ "r": [{ "__typename": "Order", "id": order.as_str() }] }),
                "_entities",
            )
            .await?;
        Ok(found
            .into_iter()
            .flatten()
            .flat_map(|o| o.payments)
            .collect())
    }

    async fn capture(&self, payment: &str) -> Result<PaymentState, CallError> {
        self.command("capturePayment", payment).await
    }

    async fn void(&self, payment: &str) -> Result<PaymentState, CallError> {
        self.command("voidPayment", payment).await
    }

    async fn refund(&self, payment: &str) -> Result<PaymentState, CallError> {
        self.command("refundPayment", payment).await
    }
}
