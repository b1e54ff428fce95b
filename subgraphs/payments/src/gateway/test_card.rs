//! A card gateway for development and tests whose answers follow the card
//! number, after the well-known test numbers of public card processors.

use std::time::Duration;

use async_trait::async_trait;
use subgraph_kit::money::Money;

use super::{AuthorizeRequest, Gateway, GatewayDecision};

/// The card numbers with a scripted outcome; every other valid number is
/// approved. All pass the Luhn check (unit-tested below).
pub mod cards {
    pub const APPROVED: &str = "4242424242424242";
    pub const DECLINED: &str = "4000000000000002";
    pub const INSUFFICIENT_FUNDS: &str = "4000000000009995";
    pub const PROCESSING_ERROR: &str = "4000000000000119";
    /// Approved after the gateway's configured delay.
    pub const SLOW: &str = "4000000000000077";
}

/// References this gateway issues start with this, and it only recognises those.
const REFERENCE_PREFIX: &str = "tc_";

pub struct TestCardGateway {
    slow_card_delay: Duration,
}

impl TestCardGateway {
    pub fn new(slow_card_delay: Duration) -> Self {
        TestCardGateway { slow_card_delay }
    }

    fn settle(reference: &str) -> GatewayDecision {
        if reference.starts_with(REFERENCE_PREFIX) {
            GatewayDecision::approved(reference)
        } else {
            GatewayDecision::failed("unknown_reference")
        }
    }
}

#[async_trait]
impl Gateway for TestCardGateway {
    async fn authorize(&self, request: AuthorizeRequest<'_>) -> GatewayDecision {
        let Some(card) = request.card else {
            return GatewayDecision::failed("card_missing");
        };
        match card.number() {
            cards::DECLINED => GatewayDecision::declined("card_declined"),
            cards::INSUFFICIENT_FUNDS => GatewayDecision::declined("insufficient_funds"),
            cards::PROCESSING_ERROR => GatewayDecision::failed("processing_error"),
            number => {
                if number == cards::SLOW {
                    tokio::time::sleep(self.slow_card_delay).await;
                }
                GatewayDecision::approved(format!(
                    "{REFERENCE_PREFIX}{}",
                    uuid::Uuid::now_v7().simple()
                ))
            }
        }
    }

    async fn capture(&self, reference: &str, _amount: Money) -> GatewayDecision {
        Self::settle(reference)
    }

    async fn refund(&self, reference: &str, _amount: Money) -> GatewayDecision {
        Self::settle(reference)
    }

    async fn void(&self, reference: &str) -> GatewayDecision {
        Self::settle(reference)
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::{Card, PaymentId};

    #[test]
    fn every_scripted_number_passes_luhn() {
        for number in [
            cards::APPROVED,
            cards::DECLINED,
            cards::INSUFFICIENT_FUNDS,
            cards::PROCESSING_ERROR,
            cards::SLOW,
        ] {
            assert!(crate::domain::luhn_valid(number), "{number}");
        }
    }

    async fn authorize(gateway: &TestCardGateway, number: &str) -> GatewayDecision {
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let card = Card::parse(number, 12, 2030, "123", today).unwrap();
        let id = PaymentId::generate();
        gateway
            .authorize(AuthorizeRequest {
                payment_id: &id,
                amount: Money::parse(100, "USD").unwrap(),
                card: Some(&card),
            })
            .await
    }

    #[tokio::test]
    async fn outcomes_follow_the_number() {
        let gateway = TestCardGateway::new(Duration::from_millis(1));
        assert!(matches!(
            authorize(&gateway, cards::APPROVED).await,
            GatewayDecision::Approved { reference } if reference.starts_with("tc_")
        ));
        assert_eq!(
            authorize(&gateway, cards::DECLINED).await,
            GatewayDecision::declined("card_declined")
        );
        assert_eq!(
            authorize(&gateway, cards::INSUFFICIENT_FUNDS).await,
            GatewayDecision::declined("insufficient_funds")
        );
        assert_eq!(
            authorize(&gateway, cards::PROCESSING_ERROR).await,
            GatewayDecision::failed("processing_error")
        );
        assert!(matches!(
            authorize(&gateway, cards::SLOW).await,
            GatewayDecision::Approved { .. }
        ));
        assert!(matches!(
            authorize(&gateway, "5555555555554444").await,
            GatewayDecision::Approved { .. }
        ));
    }

    #[tokio::test]
    async fn settles_only_its_own_references() {
        let gateway = TestCardGateway::new(Duration::ZERO);
        let usd = Money::parse(100, "USD").unwrap();
        assert_eq!(
            gateway.capture("tc_abc", usd).await,
            GatewayDecision::approved("tc_abc")
        );
        assert!(matches!(
            gateway.refund("INV-1", usd).await,
            GatewayDecision::Failed { .. }
        ));
        assert!(matches!(
            gateway.void("").await,
            GatewayDecision::Failed { .. }
        ));
    }
}
