//! The payments' rules, free of GraphQL, SQL and gateways.

mod card;
mod decision;
mod error;
mod ids;
mod lifecycle;
mod payment;

pub use card::{Card, CardBrand, luhn_valid};
pub use decision::GatewayDecision;
pub use error::PaymentError;
pub use ids::{OrderId, PaymentId};
pub use lifecycle::{AuthorizationOutcome, PaymentCommand, Plan, plan};
pub use payment::{CardDetails, GatewayKind, IdempotencyKey, NewPayment, Payment, PaymentStatus};
