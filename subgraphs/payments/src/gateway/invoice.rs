//! Pay by invoice: authorizing issues an invoice and leaves the payment
//! PENDING; the back office records its payment (`markInvoicePaid`), which
//! is this gateway's capture.

use async_trait::async_trait;
use subgraph_kit::money::Money;

use super::{AuthorizeRequest, Gateway, GatewayDecision};

const REFERENCE_PREFIX: &str = "INV-";

pub struct InvoiceGateway;

impl InvoiceGateway {
    /// `INV-` and 12 hex digits from the random tail of a fresh UUIDv7 (its
    /// head is a timestamp, shared by invoices issued close together).
    fn invoice_number() -> String {
        let uuid = uuid::Uuid::now_v7()
            .simple()
            .to_string()
            .to_ascii_uppercase();
        format!("{REFERENCE_PREFIX}{}", &uuid[20..])
    }

    fn settle(reference: &str) -> GatewayDecision {
        if reference.starts_with(REFERENCE_PREFIX) {
            GatewayDecision::approved(reference)
        } else {
            GatewayDecision::failed("unknown_invoice")
        }
    }
}

#[async_trait]
impl Gateway for InvoiceGateway {
    async fn authorize(&self, _request: AuthorizeRequest<'_>) -> GatewayDecision {
        GatewayDecision::Pending {
            reference: Self::invoice_number(),
        }
    }

    /// Settles a paid invoice.
    async fn capture(&self, reference: &str, _amount: Money) -> GatewayDecision {
        Self::settle(reference)
    }

    /// Issues a credit note for a paid invoice.
    async fn refund(&self, reference: &str, _amount: Money) -> GatewayDecision {
        Self::settle(reference)
    }

    /// Cancels an open invoice.
    async fn void(&self, reference: &str) -> GatewayDecision {
        Self::settle(reference)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PaymentId;

    #[tokio::test]
    async fn issues_distinct_invoices_and_settles_them() {
        let id = PaymentId::generate();
        let request = AuthorizeRequest {
            payment_id: &id,
            amount: Money::parse(100, "EUR").unwrap(),
            card: None,
        };
        let GatewayDecision::Pending { reference: a } = InvoiceGateway.authorize(request).await
        else {
            panic!("an invoice is pending until paid");
        };
        let GatewayDecision::Pending { reference: b } = InvoiceGateway.authorize(request).await
        else {
            panic!("an invoice is pending until paid");
        };
        assert!(a.starts_with("INV-") && a.len() == 16, "{a}");
        assert_ne!(a, b);
        assert_eq!(InvoiceGateway.void(&a).await, GatewayDecision::approved(&a));
        assert!(matches!(
            InvoiceGateway.capture("tc_1", request.amount).await,
            GatewayDecision::Failed { .. }
        ));
    }
}
