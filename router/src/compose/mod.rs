//! Composing subgraph SDLs into a standard Apollo Federation v2 supergraph.
//!
//! Composition itself (validation of keys, `@requires`, sharing rules, type
//! merging) is done by `graphql-composition`. Its rendering deviates from the
//! supergraph format Apollo tools read, so [`standardize`] rewrites the
//! document: repeatable directive definitions of join v0.3, the `link`,
//! `inaccessible` and `tag` definitions, and a `@join__type` on each root type
//! for every subgraph that contributes root fields. Before that, [`joins`]
//! restores the join metadata the composer loses and Apollo's composition
//! writes (`external` on key fields, an entity interface's `@join__type`s),
//! read from the subgraphs' own SDL. The result must pass apollo-compiler's
//! schema validation before it is returned.

mod imports;
mod joins;
mod standardize;

use apollo_compiler::Schema;
use graphql_composition::{Subgraphs, compose as compose_graphs, render_federated_sdl};

pub use standardize::{SPEC_DEFINITIONS, standardize};

/// One subgraph to compose: its name, the URL the router will call, its SDL.
#[derive(Debug, Clone)]
pub struct SubgraphSource {
    pub name: String,
    pub url: String,
    pub sdl: String,
}

/// A composed supergraph: standard SDL plus any composition warnings.
#[derive(Debug, Clone)]
pub struct Composed {
    pub supergraph_sdl: String,
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("no subgraphs to compose")]
    Empty,
    #[error("subgraph {name:?} has invalid SDL: {message}")]
    Parse { name: String, message: String },
    #[error("composition failed:\n  {}", .0.join("\n  "))]
    Composition(Vec<String>),
    #[error("cannot render the supergraph: {0}")]
    Render(String),
    #[error("the composed supergraph is not valid: {0}")]
    Invalid(String),
}

/// Composes the subgraphs, in the given order, into a validated supergraph.
pub fn compose(subgraphs: &[SubgraphSource]) -> Result<Composed, ComposeError> {
    if subgraphs.is_empty() {
        return Err(ComposeError::Empty);
    }
    let mut ingested = Subgraphs::default();
    for subgraph in subgraphs {
        ingested
            .ingest_str(
                &imports::for_composition(&subgraph.sdl),
                &subgraph.name,
                Some(&subgraph.url),
            )
            .map_err(|err| ComposeError::Parse {
                name: subgraph.name.clone(),
                message: format!("{err}"),
            })?;
    }
    let result = compose_graphs(&mut ingested);
    let warnings = result
        .diagnostics()
        .iter_warnings()
        .map(str::to_owned)
        .collect();
    let graph = result.into_result().map_err(|diagnostics| {
        ComposeError::Composition(diagnostics.iter().map(|d| d.message().to_owned()).collect())
    })?;
    let rendered =
        render_federated_sdl(&graph).map_err(|err| ComposeError::Render(err.to_string()))?;
    let restored = joins::restore(&rendered, subgraphs);
    let supergraph_sdl = standardize(&restored).map_err(ComposeError::Invalid)?;
    Schema::parse_and_validate(&supergraph_sdl, "supergraph.graphql")
        .map_err(|invalid| ComposeError::Invalid(invalid.errors.to_string()))?;
    Ok(Composed {
        supergraph_sdl,
        warnings,
    })
}

#[cfg(test)]
mod tests;
