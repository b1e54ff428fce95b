//! Runs a query plan against the subgraphs and shapes the client response.

use apollo_compiler::ExecutableDocument;
use apollo_compiler::executable::Operation;
use apollo_compiler::validation::Valid;

use crate::graphql::{Error, JsonMap, Response};
use crate::plan::QueryPlan;
use crate::supergraph::Supergraph;
use crate::transport::Transport;

/// Executes `plan` for `operation` with already coerced `variables`.
pub async fn execute(
    _supergraph: &Supergraph,
    _plan: &QueryPlan,
    _document: &Valid<ExecutableDocument>,
    _operation: &Operation,
    _variables: &JsonMap,
    _transport: &dyn Transport,
) -> Response {
    Response::request_error(Error::coded("execution is not written yet", "INTERNAL_SERVER_ERROR"))
}
