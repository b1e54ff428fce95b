//! Fetching a value type's field from another subgraph by going back along
//! the way (see `way`): a value type has no key to jump by, so the field is
//! selected again, with the way to it, from a place the other subgraph can
//! enter. Two kinds of place qualify:
//!
//! - the root, when the way starts at a shared root field the other subgraph
//!   also resolves: a root fetch that runs beside the current one;
//! - an entity on the way that the other subgraph has a key for: an
//!   `_entities` fetch after the current group, which selects the key;
//! - the entity a fetch group enters by: an `_entities` fetch beside that
//!   group, whose key the group before it selects (as it did the group's).
//!
//! Among the places, the cheapest wins: fewest new fetches, then fewest
//! sequential steps, then the deepest place (the smallest selection).

use apollo_compiler::Name;

use super::build::Builder;
use super::selection::{FieldSel, Sel};
use super::way::{Hop, rebuild};
use crate::supergraph::GraphId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    /// Again from the root field, in this subgraph.
    Root(GraphId),
    /// Through the entity that is the parent of hop `hop`'s field.
    Entity { graph: GraphId, hop: usize },
    /// Through the entity the current entity group enters by, from the
    /// group before it: beside the current group, not after it.
    Entrance(GraphId),
}

impl Builder<'_> {
    /// Plans `parent.field`, which the group's subgraph cannot resolve and
    /// `parent` has no key for, through the cheapest entry in another
    /// subgraph; returns what the current position selects for it
    /// (nothing: what an entity entry needs goes beside its hop). `None`
    /// when no subgraph resolves the way to the field.
    pub(super) fn lift(
        &mut self,
        group: usize,
        parent: &Name,
        field: &FieldSel,
    ) -> Option<Vec<Sel>> {
        let entry = self.cheapest_entry(group, parent, field)?;
        let innermost = vec![Sel::Field(field.clone())];
        match entry {
            Entry::Root(graph) => {
                let hops = std::mem::take(&mut self.way);
                let root = hops.first()?.parent().clone();
                let sels = rebuild(&hops, innermost);
                self.plan_root(&root, &sels, &[], Some(graph));
                self.way = hops;
            }
            Entry::Entity { graph, hop } => {
                let tail = self.way.split_off(hop);
                let Some(Hop::Field {
                    parent: entity,
                    path,
                    levels,
                    ..
                }) = tail.first()
                else {
                    self.way.extend(tail);
                    return None;
                };
                let (entity, path, levels) = (entity.clone(), path.clone(), *levels);
                let sels = rebuild(&tail, innermost);
                // Planned at the entity's level: its aliases are the ones
                // the key must not clash with.
                let inner_levels = self.levels.split_off(levels.min(self.levels.len()));
                let needed =
                    self.route_subtree(group, &entity, &sels, &path, None, graph, None, None);
                self.levels.extend(inner_levels);
                self.way.extend(tail);
                if let Some(Hop::Field { extra, .. }) = self.way.get_mut(hop) {
                    super::selection::add_all(extra, needed);
                }
            }
            Entry::Entrance(graph) => {
                let (entity, path) = self.entrance()?;
                let sels = rebuild(&self.way, innermost);
                let frame = self.outer.len().checked_sub(1)?;
                self.in_frame(frame, |builder, frame| {
                    // Planned where the frame routed: its aliases are the
                    // ones the key must not clash with.
                    let inner_levels = builder
                        .levels
                        .split_off(frame.levels.min(builder.levels.len()));
                    let needed = builder.route_subtree(
                        frame.group,
                        &entity,
                        &sels,
                        &path,
                        None,
                        graph,
                        None,
                        None,
                    );
                    builder.levels.extend(inner_levels);
                    super::selection::add_all(&mut frame.here, needed);
                });
            }
        }
        Some(Vec::new())
    }

    /// The entity the current group enters by, with its path, when the
    /// group is an entity fetch whose way starts with a field on it.
    fn entrance(&self) -> Option<(Name, Vec<super::PathElem>)> {
        match self.way.first() {
            Some(Hop::Field { parent, path, .. }) if !self.outer.is_empty() => {
                Some((parent.clone(), path.clone()))
            }
            _ => None,
        }
    }

    fn cheapest_entry(&mut self, group: usize, parent: &Name, field: &FieldSel) -> Option<Entry> {
        let current = self.groups[group].graph;
        let root_group = !self.groups[group].entity;
        let graphs: Vec<GraphId> = self
            .sources(parent, &field.name)
            .filter(|s| s.graph != current && !s.needs_entity_fetch())
            .map(|s| s.graph)
            .collect();
        let mut best: Option<((usize, usize, usize), Entry)> = None;
        let entrance = self.entrance().filter(|_| !root_group);
        for graph in graphs {
            // Hops from `first` on are all resolvable in `graph`.
            let first = self.resolvable_from(graph);
            if first == 0
                && let Some((entity, path)) = &entrance
                && let Some(before) = self.outer.last().map(|f| f.group)
                && self
                    .key_cost(self.groups[before].graph, entity, graph, None, None)
                    .is_some()
            {
                let existing = self.groups.iter().any(|g| {
                    g.entity && g.graph == graph && &g.path == path && g.depends.contains(&before)
                });
                let cost = (usize::from(!existing), 0, self.way.len());
                if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                    best = Some((cost, Entry::Entrance(graph)));
                }
            }
            for hop in first..self.way.len() {
                let Hop::Field {
                    parent: entity,
                    path,
                    ..
                } = &self.way[hop]
                else {
                    continue;
                };
                if self.sg.resolvable_keys(entity, graph).next().is_none() {
                    continue;
                }
                let existing = self.groups.iter().any(|g| {
                    g.entity && g.graph == graph && &g.path == path && g.depends.contains(&group)
                });
                let cost = (usize::from(!existing), 1, self.way.len() - hop);
                if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                    best = Some((cost, Entry::Entity { graph, hop }));
                }
            }
            if first == 0 && root_group && !self.mutation && !self.way.is_empty() {
                let existing = self.groups.iter().any(|g| !g.entity && g.graph == graph);
                let cost = (usize::from(!existing), 0, self.way.len());
                if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                    best = Some((cost, Entry::Root(graph)));
                }
            }
        }
        best.map(|(_, entry)| entry)
    }

    /// The first hop from which `graph` resolves every field and type
    /// condition on the way here.
    fn resolvable_from(&self, graph: GraphId) -> usize {
        let mut first = self.way.len();
        for (i, hop) in self.way.iter().enumerate().rev() {
            let resolvable = match hop {
                Hop::Field { parent, field, .. } => self
                    .source(parent, &field.name, graph)
                    .is_some_and(|s| !s.needs_entity_fetch()),
                Hop::Fragment { fragment, .. } => self
                    .sg
                    .type_in_graph(&fragment.type_condition, graph)
                    .is_some(),
            };
            if !resolvable {
                break;
            }
            first = i;
        }
        first
    }
}
