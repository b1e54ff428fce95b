//! The supergraph's federation metadata, read once at start-up: which
//! subgraphs exist and where, which subgraphs can resolve each type and field,
//! with which keys, `@requires`, `@provides` and `@external`.

use apollo_compiler::Schema;
use apollo_compiler::validation::Valid;

use crate::transport::SubgraphEndpoint;

#[derive(Debug, thiserror::Error)]
pub enum SupergraphError {
    #[error("the supergraph does not parse or validate:\n{0}")]
    Invalid(String),
    #[error("the supergraph is not a federation supergraph: {0}")]
    NotFederated(String),
    #[error("the supergraph is inconsistent: {0}")]
    Inconsistent(String),
}

/// A loaded supergraph.
pub struct Supergraph {
    schema: Valid<Schema>,
    subgraphs: Vec<SubgraphEndpoint>,
}

impl Supergraph {
    /// Parses, validates and indexes a supergraph SDL.
    pub fn parse(sdl: &str) -> Result<Self, SupergraphError> {
        let schema = Schema::parse_and_validate(sdl, "supergraph.graphql")
            .map_err(|invalid| SupergraphError::Invalid(invalid.errors.to_string()))?;
        Ok(Supergraph {
            schema,
            subgraphs: Vec::new(),
        })
    }

    /// The full supergraph schema, federation directives included.
    pub fn schema(&self) -> &Valid<Schema> {
        &self.schema
    }

    pub fn subgraphs(&self) -> &[SubgraphEndpoint] {
        &self.subgraphs
    }
}
