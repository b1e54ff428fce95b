//! What a field costs from where planning stands, in subgraph jumps: the
//! supergraph read as a query graph whose positions are (type, subgraph).
//! A field the subgraph resolves there is free; a key jump to another
//! subgraph costs one fetch plus what the key's fields (and the field's
//! `@requires`) cost from here in turn.
//!
//! The costs of all fields of a type, seen from one subgraph, are found
//! together as a least fixpoint: free fields first, then every jump whose
//! key fields already have a cost, until nothing gets cheaper. A key that
//! can only be had through itself never gets a cost, so circles cost
//! nothing to detect and the work is polynomial whatever the keys.
//!
//! The planner keeps its choices strictly downhill: a field costing `c` is
//! only fetched by a key whose fields each cost less than `c` (see
//! [`Builder::key_cost`]). Planning a key field then never leads back to the
//! field it serves, and the cheapest way always qualifies.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use apollo_compiler::Name;
use apollo_compiler::executable::Selection;
use apollo_compiler::schema::ExtendedType;

use super::build::Builder;
use super::selection::{FieldSel, Sel};
use crate::supergraph::{ActiveLabels, GraphId, Key};

/// A type's field costs from one subgraph; a field absent has no way there.
type Table = Arc<HashMap<Name, u32>>;

/// The costs found so far, by (type, subgraph planning stands in, active
/// progressive-override labels). They depend on the supergraph alone, so
/// the planner keeps them for every plan it makes.
#[derive(Debug, Default)]
pub struct ReachMemo {
    tables: Mutex<HashMap<(Name, GraphId, ActiveLabels), Table>>,
}

impl<'a> Builder<'a> {
    /// Jumps `from` needs to have `ty.field` at hand at a position of type
    /// `ty`; `None` when no way leads there (or none the search models: a
    /// field an interface object adds, a value type's field fetched along
    /// the way back; the builder finds those itself).
    pub(super) fn field_cost(&mut self, from: GraphId, ty: &Name, field: &Name) -> Option<u32> {
        if field == "__typename" {
            return Some(0);
        }
        if let Some(&cost) = self.table(from, ty).get(field) {
            return Some(cost);
        }
        // Reached by ways the search does not model (no source with a key
        // for `ty`): counted as one jump, the builder finds or refuses them.
        let keyless = self
            .sources(ty, field)
            .all(|s| self.sg.resolvable_keys(ty, s.graph).next().is_none());
        keyless.then_some(1)
    }

    /// The cheapest resolvable key of `ty` in `target` for a fetch from
    /// `from`, with its cost (`provided` fields are at hand already). With
    /// `below`, only keys whose every field costs less qualify.
    pub(super) fn key_cost(
        &mut self,
        from: GraphId,
        ty: &Name,
        target: GraphId,
        provided: Option<&[Sel]>,
        below: Option<u32>,
    ) -> Option<(&'a Key, u32)> {
        let sg = self.sg;
        let mut best: Option<(&'a Key, u32)> = None;
        for key in sg.resolvable_keys(ty, target) {
            let mut total = Some(0u32);
            for name in top_level_fields(&key.fields.selections) {
                if provided.is_some_and(|p| super::build::provides(p, name)) {
                    continue;
                }
                let cost = self
                    .field_cost(from, ty, name)
                    .filter(|&c| below.is_none_or(|b| c < b));
                total = total.zip(cost).map(|(t, c)| t + c);
                if total.is_none() {
                    break;
                }
            }
            if let Some(total) = total
                && best.is_none_or(|(_, c)| total < c)
            {
                best = Some((key, total));
            }
        }
        best
    }

    /// The costs of `ty`'s fields from `from`, found once per planner.
    fn table(&mut self, from: GraphId, ty: &Name) -> Table {
        let id = (ty.clone(), from, self.active);
        let known = self
            .reach
            .tables
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .cloned();
        if let Some(table) = known {
            return table;
        }
        let table = Arc::new(self.fixpoint(from, ty));
        if self.error.is_none() {
            // A table cut short by the time limit is not kept.
            self.reach
                .tables
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(id, table.clone());
        }
        table
    }

    fn fixpoint(&mut self, from: GraphId, ty: &Name) -> HashMap<Name, u32> {
        let fields: Vec<Name> = match self.sg.schema().types.get(ty) {
            Some(ExtendedType::Object(object)) => object.fields.keys().cloned().collect(),
            Some(ExtendedType::Interface(interface)) => interface.fields.keys().cloned().collect(),
            _ => Vec::new(),
        };
        let mut costs: HashMap<Name, u32> = HashMap::new();
        // Each way in: a source's key (its top-level fields) and requirements.
        let mut jumps: Vec<(Name, Vec<Name>)> = Vec::new();
        for field in &fields {
            if self.resolves_locally(from, ty, field) {
                costs.insert(field.clone(), 0);
                continue;
            }
            for source in self.sources(ty, field) {
                let required: Vec<Name> = source
                    .requires
                    .as_ref()
                    .map(|r| top_level_fields(&r.selections).cloned().collect())
                    .unwrap_or_default();
                for key in self.sg.resolvable_keys(ty, source.graph) {
                    let mut needs: Vec<Name> =
                        top_level_fields(&key.fields.selections).cloned().collect();
                    needs.extend(required.iter().cloned());
                    jumps.push((field.clone(), needs));
                }
            }
        }
        loop {
            let mut changed = false;
            for (field, needs) in &jumps {
                let cost = needs.iter().try_fold(1u32, |sum, need| {
                    let c = if need == "__typename" {
                        Some(0)
                    } else {
                        costs.get(need).copied()
                    };
                    c.map(|c| sum + c)
                });
                if let Some(cost) = cost
                    && costs.get(field).is_none_or(|&known| cost < known)
                {
                    costs.insert(field.clone(), cost);
                    changed = true;
                }
            }
            if !changed || self.out_of_time() {
                break;
            }
        }
        costs
    }

    /// How many fields of `sels`, at a position of type `parent` planned in
    /// `graph`, have no way to them at all (see [`Self::has_way`]): a
    /// subgraph that leaves some without cannot finish the plan, so the
    /// planner chooses between subgraphs by this first.
    pub(super) fn unreachable(
        &mut self,
        graph: GraphId,
        parent: &Name,
        sels: &[Sel],
        provided: Option<&[Sel]>,
    ) -> usize {
        let mut count = 0;
        for sel in sels {
            match sel {
                Sel::Field(field) if field.name == "__typename" => {}
                Sel::Field(field) => {
                    count += self.unreachable_field(graph, parent, field, provided)
                }
                Sel::Fragment(fragment) => {
                    let condition = &fragment.type_condition;
                    if self.sg.type_in_graph(condition, graph).is_none()
                        && self.sg.is_interface_object(parent, graph)
                    {
                        // Asked of the interface's own subgraph (see `build`).
                        continue;
                    }
                    let objects = match self.condition_in_graph(graph, parent, condition) {
                        Some(objects) if condition != parent => objects,
                        _ => vec![self.inner_type(parent, condition).clone()],
                    };
                    for object in objects {
                        count += self.unreachable(graph, &object, &fragment.selections, provided);
                    }
                }
            }
        }
        count
    }

    /// [`Self::unreachable`] for one field, decided as `build` plans it:
    /// here, type by type, or by a way to another subgraph.
    fn unreachable_field(
        &mut self,
        graph: GraphId,
        parent: &Name,
        field: &FieldSel,
        provided: Option<&[Sel]>,
    ) -> usize {
        if self.resolves(graph, parent, field, provided, false)
            && !self.differs_by_type(graph, parent, field, provided)
        {
            return self.unreachable_below(graph, parent, field, provided);
        }
        if self.sg.is_abstract(parent) && !self.sg.is_interface_object(parent, graph) {
            let objects = self.sg.possible_types(parent, Some(graph));
            if !objects.is_empty() {
                return objects
                    .iter()
                    .map(|object| self.unreachable_field(graph, object, field, provided))
                    .sum();
            }
        }
        usize::from(!self.has_way(graph, parent, field, provided))
    }

    /// [`Self::unreachable`] for what is selected below `parent.field`,
    /// which `graph` resolves.
    pub(super) fn unreachable_below(
        &mut self,
        graph: GraphId,
        parent: &Name,
        field: &FieldSel,
        provided: Option<&[Sel]>,
    ) -> usize {
        if field.selections.is_empty() {
            return 0;
        }
        let below = self.provided_below(graph, parent, field, provided);
        let ty = self.local_type(graph, parent, field);
        self.unreachable(graph, &ty, &field.selections, below.as_deref())
    }

    /// Whether some way leads from `graph` to `parent.field`, which it does
    /// not resolve here: a key jump whose key and requirements can be had,
    /// or one the search does not model (a field an interface object adds,
    /// a value type's field selected again from an entity or the root).
    fn has_way(
        &mut self,
        graph: GraphId,
        parent: &Name,
        field: &FieldSel,
        provided: Option<&[Sel]>,
    ) -> bool {
        let sources: Vec<(GraphId, Vec<Name>)> = self
            .sources(parent, &field.name)
            .map(|s| {
                let required = s
                    .requires
                    .as_ref()
                    .map(|r| top_level_fields(&r.selections).cloned().collect())
                    .unwrap_or_default();
                (s.graph, required)
            })
            .collect();
        if sources.is_empty() {
            return self.interface_providing(parent, &field.name).is_some();
        }
        for (target, required) in sources {
            if self.sg.resolvable_keys(parent, target).next().is_none() {
                return true;
            }
            if self
                .key_cost(graph, parent, target, provided, None)
                .is_some()
                && required
                    .iter()
                    .all(|name| self.field_cost(graph, parent, name).is_some())
            {
                return true;
            }
        }
        false
    }

    /// `from` resolves `ty.field` where it stands: its own field, or on
    /// every object an abstract `ty` can be there.
    fn resolves_locally(&self, from: GraphId, ty: &Name, field: &Name) -> bool {
        let own = |t: &str| {
            self.source(t, field, from)
                .is_some_and(|s| !s.needs_entity_fetch())
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
