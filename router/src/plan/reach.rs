//! How many subgraph jumps a field costs from where planning stands: a
//! search over the supergraph's graph of (type, subgraph) positions, whose
//! edges are fields a subgraph resolves itself (free) and key jumps to
//! another subgraph (one fetch, plus whatever the key's fields and the
//! field's `@requires` cost in turn).
//!
//! The search never goes round in a circle: a (type, field, subgraph) being
//! searched or routed already is not a way to itself. So a key that could
//! only be had through itself makes that jump unusable, and planning takes
//! another or reports that none exists, instead of recursing without end.
//! Costs found without meeting a circle are remembered for the request.

use std::collections::HashMap;

use apollo_compiler::Name;
use apollo_compiler::executable::Selection;

use super::build::Builder;
use super::selection::Sel;
use crate::supergraph::{GraphId, Key};

/// One (type, field, subgraph the field is wanted in).
pub type Want = (Name, Name, GraphId);

/// Remembered costs: `None` is "no way".
#[derive(Debug, Default)]
pub struct ReachMemo {
    costs: HashMap<Want, Option<u32>>,
}

/// A search in progress: the wants on its way (beyond the builder's own
/// routing stack), and whether it met one of them again.
struct Search {
    stack: Vec<Want>,
    met_circle: bool,
}

impl<'a> Builder<'a> {
    /// Jumps `from` needs to have `ty.field` at hand at a position of type
    /// `ty`; `None` when only a circle leads there.
    pub(super) fn field_cost(&mut self, from: GraphId, ty: &Name, field: &Name) -> Option<u32> {
        let mut search = Search {
            stack: Vec::new(),
            met_circle: false,
        };
        self.cost_of(from, ty, field, &mut search)
    }

    /// The cheapest resolvable key of `ty` in `target`, for a fetch from
    /// `from` (`provided` fields are at hand already), with its cost.
    pub(super) fn key_cost(
        &mut self,
        from: GraphId,
        ty: &Name,
        target: GraphId,
        provided: Option<&[Sel]>,
    ) -> Option<(&'a Key, u32)> {
        let mut search = Search {
            stack: Vec::new(),
            met_circle: false,
        };
        self.key_cost_in(from, ty, target, provided, &mut search)
    }

    fn key_cost_in(
        &mut self,
        from: GraphId,
        ty: &Name,
        target: GraphId,
        provided: Option<&[Sel]>,
        search: &mut Search,
    ) -> Option<(&'a Key, u32)> {
        let sg = self.sg;
        let mut best: Option<(&'a Key, u32)> = None;
        for key in sg.resolvable_keys(ty, target) {
            let mut total = 0u32;
            let mut reachable = true;
            for name in top_level_fields(&key.fields.selections) {
                if provided.is_some_and(|p| super::build::provides(p, name)) {
                    continue;
                }
                match self.cost_of(from, ty, name, search) {
                    Some(cost) => total += cost,
                    None => {
                        reachable = false;
                        break;
                    }
                }
            }
            if reachable && best.is_none_or(|(_, c)| total < c) {
                best = Some((key, total));
            }
        }
        best
    }

    fn cost_of(
        &mut self,
        from: GraphId,
        ty: &Name,
        field: &Name,
        search: &mut Search,
    ) -> Option<u32> {
        if field == "__typename" || self.resolves_locally(from, ty, field) {
            return Some(0);
        }
        let want: Want = (ty.clone(), field.clone(), from);
        if self.routing.contains(&want) || search.stack.contains(&want) {
            search.met_circle = true;
            return None;
        }
        if let Some(&known) = self.reach.costs.get(&want) {
            return known;
        }
        let outer_circle = std::mem::replace(&mut search.met_circle, false);
        search.stack.push(want.clone());
        let sources: Vec<(GraphId, Vec<Name>)> = self
            .sources(ty, field)
            .map(|s| {
                let required = s
                    .requires
                    .as_ref()
                    .map(|r| top_level_fields(&r.selections).cloned().collect())
                    .unwrap_or_default();
                (s.graph, required)
            })
            .collect();
        let mut best: Option<u32> = None;
        for (target, required) in sources {
            let Some((_, key)) = self.key_cost_in(from, ty, target, None, search) else {
                continue;
            };
            let mut cost = Some(1 + key);
            for name in &required {
                cost = cost.and_then(|c| Some(c + self.cost_of(from, ty, name, search)?));
            }
            if let Some(cost) = cost
                && best.is_none_or(|b| cost < b)
            {
                best = Some(cost);
            }
        }
        search.stack.pop();
        // Ways the search does not model (a field an interface object adds,
        // a value type's field fetched along the way back) count as one jump:
        // the builder finds them, or reports that none exists.
        let keyless = self
            .sources(ty, field)
            .all(|s| self.sg.resolvable_keys(ty, s.graph).next().is_none());
        let best = best.or_else(|| keyless.then_some(1));
        if !search.met_circle {
            self.reach.costs.insert(want, best);
        }
        search.met_circle |= outer_circle;
        best
    }

    /// `from` resolves `ty.field` where it stands: its own field, or on
    /// every object an abstract `ty` can be there.
    fn resolves_locally(&self, from: GraphId, ty: &Name, field: &Name) -> bool {
        let own = |t: &str| {
            self.source(t, field, from)
                .is_some_and(|s| s.requires.is_none())
        };
        if own(ty) {
            return true;
        }
        if self.sg.is_abstract(ty) && !self.sg.is_interface_object(ty, from) {
            let types = self.sg.possible_types(ty, Some(from));
            return !types.is_empty() && types.iter().all(|t| own(t));
        }
        false
    }
}

fn top_level_fields(selections: &[Selection]) -> impl Iterator<Item = &Name> {
    selections.iter().filter_map(|s| match s {
        Selection::Field(f) => Some(&f.name),
        _ => None,
    })
}
