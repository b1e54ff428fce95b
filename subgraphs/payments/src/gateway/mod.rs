//! Payment gateways behind one trait, and the registry that picks one per
//! `GatewayKind`. The rest of the service only ever sees `dyn Gateway`, so a
//! real provider (or a test double) slots in without touching the flows.

mod invoice;
mod registry;
mod test_card;

use async_trait::async_trait;
use subgraph_kit::money::Money;

pub use crate::domain::GatewayDecision;
use crate::domain::{Card, PaymentId};
pub use invoice::InvoiceGateway;
pub use registry::{GatewayRegistry, GatewaySettings};
pub use test_card::{TestCardGateway, cards};

/// What a gateway needs to authorize a payment.
#[derive(Debug, Clone, Copy)]
pub struct AuthorizeRequest<'a> {
    pub payment_id: &'a PaymentId,
    pub amount: Money,
    /// Present for card gateways.
    pub card: Option<&'a Card>,
}

/// One payment provider. Every call answers with a decision: declines and
/// provider failures are answers, never panics or errors. `reference` is the
/// one the provider gave when it authorized the payment.
#[async_trait]
pub trait Gateway: Send + Sync {
    async fn authorize(&self, request: AuthorizeRequest<'_>) -> GatewayDecision;
    async fn capture(&self, reference: &str, amount: Money) -> GatewayDecision;
    async fn refund(&self, reference: &str, amount: Money) -> GatewayDecision;
    async fn void(&self, reference: &str) -> GatewayDecision;
}
