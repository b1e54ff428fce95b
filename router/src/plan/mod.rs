//! The query planner: turns a validated operation into a tree of subgraph
//! fetches. Pure: no I/O, deterministic, so plans can be cached and snapshot.

use std::fmt;
use std::sync::Arc;

use apollo_compiler::ExecutableDocument;
use apollo_compiler::executable::Operation;
use apollo_compiler::validation::Valid;

use crate::supergraph::Supergraph;

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("cannot plan this operation: {0}")]
    Unsupported(String),
}

/// A query plan: a tree of fetches.
#[derive(Debug, Clone)]
pub struct QueryPlan {
    pub root: Option<PlanNode>,
}

#[derive(Debug, Clone)]
pub enum PlanNode {
    Sequence(Vec<PlanNode>),
    Parallel(Vec<PlanNode>),
}

impl fmt::Display for QueryPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "QueryPlan {{}}")
    }
}

pub struct Planner {
    supergraph: Arc<Supergraph>,
}

impl Planner {
    pub fn new(supergraph: Arc<Supergraph>) -> Self {
        Planner { supergraph }
    }

    pub fn plan(
        &self,
        _document: &Valid<ExecutableDocument>,
        _operation: &Operation,
    ) -> Result<QueryPlan, PlanError> {
        let _ = &self.supergraph;
        Err(PlanError::Unsupported("the planner is not written yet".into()))
    }
}
