//! Which broker a service publishes to and consumes from.

use std::sync::Arc;

use crate::broker::memory::MemoryBroker;
use crate::broker::nats::NatsBroker;
use crate::broker::{Broker, BrokerError};

/// The JetStream stream every service's events go to.
pub const STREAM: &str = "SHOP";
/// The subjects it holds: every event subject starts with `shop.`.
pub const SUBJECTS: &str = "shop.>";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum BrokerSettings {
    /// A bus inside this process: enough when every service runs in one
    /// process (the all-in-one run), where they share one.
    #[default]
    InProcess,
    /// NATS JetStream at this URL.
    Nats { url: String },
}

impl BrokerSettings {
    /// NATS at `url` when given (and not blank), otherwise in-process: what
    /// a service's `--nats-url` / `NATS_URL` means.
    pub fn from_nats_url(url: Option<String>) -> Self {
        match url {
            Some(url) if !url.trim().is_empty() => BrokerSettings::Nats { url },
            _ => BrokerSettings::InProcess,
        }
    }

    pub async fn connect(&self) -> Result<Arc<dyn Broker>, BrokerError> {
        Ok(match self {
            BrokerSettings::InProcess => Arc::new(MemoryBroker::new()),
            BrokerSettings::Nats { url } => {
                Arc::new(NatsBroker::connect(url, STREAM, SUBJECTS).await?)
            }
        })
    }
}
