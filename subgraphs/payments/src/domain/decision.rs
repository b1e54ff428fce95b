/// What a gateway answered. Declines and failures are answers, not errors:
/// the payment records them and the client sees them as its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayDecision {
    /// Done; `reference` is the gateway's id for the authorization.
    Approved { reference: String },
    /// Accepted but not settled yet (an issued invoice awaiting payment).
    Pending { reference: String },
    /// Refused for a business reason, e.g. `card_declined`.
    Declined { reason: String },
    /// Could not be processed, e.g. `processing_error`.
    Failed { reason: String },
}

impl GatewayDecision {
    pub fn approved(reference: impl Into<String>) -> Self {
        GatewayDecision::Approved {
            reference: reference.into(),
        }
    }

    pub fn declined(reason: impl Into<String>) -> Self {
        GatewayDecision::Declined {
            reason: reason.into(),
        }
    }

    pub fn failed(reason: impl Into<String>) -> Self {
        GatewayDecision::Failed {
            reason: reason.into(),
        }
    }
}
