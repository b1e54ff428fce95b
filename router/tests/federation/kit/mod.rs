//! The fixture kit: JSON-backed subgraphs over HTTP, a composed supergraph
//! and a router in front of it.

#![allow(dead_code)]

pub mod router;
pub mod subgraph;
pub mod supergraph;
pub mod tokens;

#[allow(unused_imports)]
pub use subgraph::{Behaviour, EventLog, FieldCtx, Fixture, RecordedRequest, Replicas, Subgraph};
#[allow(unused_imports)]
pub use supergraph::{Outcome, Supergraph, compose_fixtures};

/// Representations sent to `fixture` across all its `_entities` requests.
pub fn all_representations(fixture: &Fixture) -> Vec<serde_json::Value> {
    fixture
        .entity_requests()
        .iter()
        .flat_map(RecordedRequest::representations)
        .collect()
}
