use std::sync::Arc;
use std::time::Duration;

use super::{Gateway, InvoiceGateway, TestCardGateway};
use crate::domain::GatewayKind;

/// Knobs of the built-in gateways.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewaySettings {
    /// How long the test-card gateway takes for its slow card.
    pub slow_card_delay: Duration,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        GatewaySettings {
            slow_card_delay: Duration::from_secs(3),
        }
    }
}

/// One gateway per kind. A struct rather than a map, so that every kind is
/// guaranteed a gateway.
#[derive(Clone)]
pub struct GatewayRegistry {
    test_card: Arc<dyn Gateway>,
    invoice: Arc<dyn Gateway>,
}

impl GatewayRegistry {
    /// The built-in gateways.
    pub fn new(settings: &GatewaySettings) -> Self {
        GatewayRegistry {
            test_card: Arc::new(TestCardGateway::new(settings.slow_card_delay)),
            invoice: Arc::new(InvoiceGateway),
        }
    }

    pub fn get(&self, kind: GatewayKind) -> Arc<dyn Gateway> {
        match kind {
            GatewayKind::TestCard => self.test_card.clone(),
            GatewayKind::Invoice => self.invoice.clone(),
        }
    }

    /// Replaces the gateway for `kind` (another provider, or a test double).
    pub fn with(mut self, kind: GatewayKind, gateway: Arc<dyn Gateway>) -> Self {
        match kind {
            GatewayKind::TestCard => self.test_card = gateway,
            GatewayKind::Invoice => self.invoice = gateway,
        }
        self
    }
}

impl Default for GatewayRegistry {
    fn default() -> Self {
        GatewayRegistry::new(&GatewaySettings::default())
    }
}
