//! The way from a fetch group's entry (a root type, or the entity type of an
//! `_entities` fetch) down to the position being planned: the fields and
//! type conditions passed on the way.
//!
//! A field of a value type (no `@key`) that the group's subgraph lacks
//! cannot be fetched where it sits: the planner goes back along the way to
//! a place another subgraph can enter, the root for a shared root field or
//! the nearest entity above, and selects the way again from there in that
//! subgraph. What the entry needs (the entity's key) belongs beside the
//! field where the way was left, which each hop collects as its `extra`.

use super::PathElem;
use super::selection::{FieldSel, FragmentSel, Sel};
use apollo_compiler::Name;

#[derive(Debug, Clone)]
pub enum Hop {
    /// A field selected on `parent`, at response path `path`.
    Field {
        parent: Name,
        /// The field without its sub-selections.
        field: FieldSel,
        path: Vec<PathElem>,
        /// Selections to add beside the field, on `parent`: what a fetch
        /// entering at `parent` needs from this group.
        extra: Vec<Sel>,
        /// How many levels of client aliases were open here (the last one
        /// is `parent`'s own level).
        levels: usize,
    },
    /// A type condition (without its selections) on an object of type `parent`.
    Fragment { parent: Name, fragment: FragmentSel },
}

impl Hop {
    pub fn parent(&self) -> &Name {
        match self {
            Hop::Field { parent, .. } | Hop::Fragment { parent, .. } => parent,
        }
    }
}

/// `innermost` selected again along `hops`, outermost hop first.
pub fn rebuild(hops: &[Hop], innermost: Vec<Sel>) -> Vec<Sel> {
    hops.iter().rev().fold(innermost, |inner, hop| match hop {
        Hop::Field { field, .. } => vec![Sel::Field(FieldSel {
            selections: inner,
            ..field.clone()
        })],
        Hop::Fragment { fragment, .. } => vec![Sel::Fragment(FragmentSel {
            selections: inner,
            ..fragment.clone()
        })],
    })
}
