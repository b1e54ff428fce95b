//! The authorization stage: what of an operation the client may see,
//! decided by the supergraph's `@authenticated`, `@requiresScopes` and
//! `@policy` (`requirements`) against the verified claims and the
//! configured policy rules (`policy`).
//!
//! The positions an operation guards are found once per prepared document
//! (`guards::find`); each request decides them (`guards::decide`), and
//! when some are denied the planner gets the operation without them
//! (`filter`) while the response is shaped from the client's operation:
//! each denied position is null with an `UNAUTHORIZED_FIELD_OR_TYPE` error
//! at its path (null propagating as for any null), and the rest runs.
//! Nothing is refused as a whole: a client that may see nothing of an
//! operation gets `data` of nulls and one error per position.

pub mod filter;
pub mod guards;
pub mod policy;
pub mod requirements;

#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use guards::{Denied, Guard};
pub use policy::{AuthorizationConfig, Client};
pub use requirements::{Requirement, Requirements};

use crate::graphql::{self, JsonMap, PathSegment};

pub const UNAUTHORIZED_FIELD_OR_TYPE: &str = "UNAUTHORIZED_FIELD_OR_TYPE";

/// The error at a denied position.
pub fn unauthorized(path: Vec<PathSegment>) -> graphql::Error {
    let mut error = graphql::Error::coded(
        "Unauthorized field or type".to_owned(),
        UNAUTHORIZED_FIELD_OR_TYPE,
    );
    error.path = Some(path);
    error
}

/// One supergraph's guards with the config deciding them.
pub struct Authorization {
    requirements: Arc<Requirements>,
    config: AuthorizationConfig,
}

impl Authorization {
    pub fn new(requirements: Arc<Requirements>, config: &AuthorizationConfig) -> Self {
        let undefined: std::collections::BTreeSet<&str> = requirements
            .policy_names()
            .filter(|name| !config.policies.contains_key(*name))
            .collect();
        if !undefined.is_empty() {
            tracing::warn!(
                policies = ?undefined,
                "the supergraph uses @policy names that [authorization.policies] does not \
                 define: they are never granted"
            );
        }
        Authorization {
            requirements,
            config: config.clone(),
        }
    }

    pub fn requirements(&self) -> &Arc<Requirements> {
        &self.requirements
    }

    /// What of the operation (its guards found beforehand) the request
    /// may not see; `None` when it may see all of it.
    pub fn decide(
        &self,
        guards: &[Guard],
        document: &apollo_compiler::ExecutableDocument,
        claims: Option<&crate::auth::Claims>,
        variables: &JsonMap,
    ) -> Option<Denied> {
        if guards.is_empty() {
            return None;
        }
        let client = Client::new(claims, &self.config.scope_claim);
        guards::decide(&self.config, guards, document, &client, variables)
    }
}
