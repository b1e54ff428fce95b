//! Context arguments (`@context` / `@fromContext`): a subgraph's field
//! takes an argument whose value is read from an ancestor of the object the
//! field is on, the nearest one on the response path whose type sets the
//! context. Clients never pass it; the supergraph's field does not have it.
//!
//! Such a field is always resolved by an `_entities` fetch, because its
//! argument depends on each object's ancestors and must be known before the
//! fetch: the planner selects what the context reads at the ancestor (in
//! whichever group is planning that position, so any subgraph can supply
//! it), and the fetch passes it as a variable. The executor reads the value
//! for each object and sends objects with different values as separate
//! aliased `_entities` fields (see `execute::context`).
//!
//! The positions searched, nearest first: the object itself, then every
//! field on the way to it in the current group (see `way`), then the ways
//! of the groups that led to this one (the frames).

use apollo_compiler::Name;
use apollo_compiler::ast::Type;

use super::PathElem;
use super::build::Builder;
use super::selection::{self, FieldSel, FragmentSel, Sel};
use super::way::Hop;
use crate::supergraph::{ContextArgument, GraphId};

/// A value an `_entities` fetch passes as a variable: read, for each
/// representation, from the object's ancestor at `depth`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextInput {
    pub variable: Name,
    /// The argument's type in the subgraph (the variable's declared type).
    pub ty: Type,
    /// How many elements of the fetch's path lead to the ancestor.
    pub depth: usize,
    /// What is read there: one field followed down to its value (several
    /// fields at the end make an input object). Type conditions are kept
    /// only where the ancestor's type is abstract (`__typename` is fetched).
    pub selection: Vec<Sel>,
}

/// The way of a group that led to the current one, kept while the
/// current one is planned: its positions are ancestors too.
#[derive(Debug)]
pub struct Frame {
    pub group: usize,
    pub way: Vec<Hop>,
    /// Levels of client aliases open where the frame routed.
    pub levels: usize,
    /// Selections for the object the frame routed from (the next group's
    /// entry), added to what that position selects.
    pub here: Vec<Sel>,
}

/// A position on the way: the parent of a field hop (in the current way,
/// or in frame `frame`'s), or the object frame `frame` routed from (the
/// entry of the group after it).
#[derive(Debug, Clone, Copy)]
enum Place {
    Hop { frame: Option<usize>, hop: usize },
    Entry { frame: usize },
}

impl Builder<'_> {
    /// For every field of `sels` at the entity level that `target` resolves
    /// with context arguments: the values planned where they are read (by
    /// `group` or the groups before it) and the arguments added to the
    /// field. `inputs` gets what the entity fetch must pass.
    pub(super) fn attach_contexts(
        &mut self,
        group: usize,
        parent: &Name,
        sels: &mut [Sel],
        target: GraphId,
        inputs: &mut Vec<ContextInput>,
    ) {
        for sel in sels.iter_mut() {
            match sel {
                Sel::Field(field) => {
                    let Some(source) = self.source(parent, &field.name, target) else {
                        continue;
                    };
                    let mut arguments = Vec::new();
                    for argument in &source.contexts {
                        match self.plan_context(group, argument) {
                            Some(input) => {
                                arguments.push(format!("{}: ${}", argument.name, input.variable));
                                inputs.push(input);
                            }
                            // Nothing on the way sets the context: a nullable
                            // argument is left out (null), a non-null one
                            // cannot be had.
                            None if !argument.ty.is_non_null() => {}
                            None => {
                                self.fail(format!(
                                    "{parent}.{} needs context {:?}, which no object on the way to it sets",
                                    field.name, argument.context
                                ));
                                return;
                            }
                        }
                    }
                    add_arguments(field, &arguments);
                }
                Sel::Fragment(fragment) => {
                    let inner = self.inner_type(parent, &fragment.type_condition).clone();
                    self.attach_contexts(group, &inner, &mut fragment.selections, target, inputs);
                }
            }
        }
    }

    /// A field with context arguments deep in an entity fetch whose entry
    /// object sets every context it reads: resolved in that fetch, its
    /// values read from the entry (one per representation), and planned by
    /// the group before, which has the entry's data anyway. Saves the
    /// `_entities` fetch the field would otherwise need. `None` when that
    /// does not apply.
    pub(super) fn resolve_under_entry(
        &mut self,
        group: usize,
        parent: &Name,
        field: &FieldSel,
        path: &[PathElem],
        provided: Option<&[Sel]>,
    ) -> Option<Vec<Sel>> {
        let graph = self.groups[group].graph;
        let before = self.outer.len().checked_sub(1)?;
        if !self.groups[group].entity {
            return None;
        }
        let source = self.source(parent, &field.name, graph)?;
        if source.requires.is_some() || source.contexts.is_empty() {
            return None;
        }
        let entry = self.groups[group].path.clone();
        let mut setters = Vec::new();
        for argument in &source.contexts {
            let (place, ty, at) = self.find_setter(group, argument)?;
            let at_entry = match place {
                Place::Hop { frame: None, .. } => at == entry,
                Place::Entry { frame } => frame == before,
                Place::Hop { .. } => false,
            };
            // Only a setter the group before reads entirely by itself: a
            // reading it routed on could land in this very fetch.
            let readable =
                at_entry && self.reading_misses(self.outer[before].group, &ty, argument) == 0;
            if !readable {
                return None;
            }
            setters.push((argument, ty, at));
        }
        let mut arguments = Vec::new();
        for (argument, ty, at) in setters {
            let input = self.plan_reading(group, Place::Entry { frame: before }, ty, at, argument);
            arguments.push(format!("{}: ${}", argument.name, input.variable));
            self.register_context(group, input);
        }
        let mut field = field.clone();
        add_arguments(&mut field, &arguments);
        Some(self.plan_local(group, parent, &field, path, provided))
    }

    /// Adds `input` to what entity group `entity`'s fetch passes (once).
    pub(super) fn register_context(&mut self, entity: usize, input: ContextInput) {
        let contexts = &mut self.groups[entity].contexts;
        if !contexts.iter().any(|c| c.variable == input.variable) {
            contexts.push(input);
        }
    }

    /// The variable for reading `selection` (of type `ty`) at `depth`: the
    /// same reading twice is one variable.
    fn context_variable(&mut self, ty: &Type, depth: usize, selection: &[Sel]) -> Name {
        if let Some(known) = self
            .context_inputs
            .iter()
            .find(|i| i.depth == depth && &i.ty == ty && i.selection == selection)
        {
            return known.variable.clone();
        }
        // The prefix is letters and underscores, then digits follow: a name.
        let name = Name::new_unchecked(&format!(
            "{}{}",
            self.context_prefix,
            self.context_inputs.len()
        ));
        self.context_inputs.push(ContextInput {
            variable: name.clone(),
            ty: ty.clone(),
            depth,
            selection: selection.to_vec(),
        });
        name
    }

    /// Finds the nearest position on the way to `group`'s current position
    /// whose type sets `argument`'s context and plans what it reads there.
    fn plan_context(&mut self, group: usize, argument: &ContextArgument) -> Option<ContextInput> {
        let (place, ty, at) = self.find_setter(group, argument)?;
        Some(self.plan_reading(group, place, ty, at, argument))
    }

    /// Plans `argument`'s reading at `place` (of type `ty`, at path `at`).
    fn plan_reading(
        &mut self,
        group: usize,
        place: Place,
        ty: Name,
        at: Vec<PathElem>,
        argument: &ContextArgument,
    ) -> ContextInput {
        let mut read = self.canonical_reading(argument);
        super::build::alias_fields_with_arguments(&mut read);
        alias_nested(&mut read, false);
        // Named apart from the client's fields at that position.
        let level = match place {
            Place::Hop { frame, hop } => {
                let way = match frame {
                    None => &self.way,
                    Some(j) => &self.outer[j].way,
                };
                match way.get(hop) {
                    Some(Hop::Field { levels, .. }) => *levels,
                    _ => self.levels.len(),
                }
            }
            Place::Entry { frame } => self.outer[frame].levels,
        };
        if let Some(aliases) = level.checked_sub(1).and_then(|l| self.levels.get(l)) {
            super::build::alias_clashes_with(aliases, &mut read);
        }
        let mut planned = read.clone();
        if read.iter().any(|s| matches!(s, Sel::Fragment(_))) {
            // The reading tells the setters apart by their type.
            selection::add(&mut planned, Sel::Field(FieldSel::typename()));
        }
        let input = ContextInput {
            variable: self.context_variable(&argument.ty, at.len(), &read),
            ty: argument.ty.clone(),
            depth: at.len(),
            selection: read,
        };
        match place {
            Place::Hop { frame: None, hop } => self.plan_beside(group, hop, &ty, &at, &planned),
            Place::Hop {
                frame: Some(j),
                hop,
            } => self.in_frame(j, |builder, frame| {
                builder.plan_beside(frame.group, hop, &ty, &at, &planned)
            }),
            Place::Entry { frame: j } => {
                self.in_frame(j, |builder, frame| {
                    let inner_levels = builder
                        .levels
                        .split_off(frame.levels.min(builder.levels.len()));
                    let sels = builder.plan_sels(frame.group, &ty, &planned, &at, None, false);
                    builder.levels.extend(inner_levels);
                    selection::add_all(&mut frame.here, sels);
                });
            }
        }
        input
    }

    /// What is read for `argument`, the same wherever its context is set
    /// (so one field's argument is one variable however it is reached): the
    /// selection itself when one object type sets the context, else one
    /// type condition per type that sets it.
    fn canonical_reading(&self, argument: &ContextArgument) -> Vec<Sel> {
        if let [(setter, set)] = argument.selections.as_slice()
            && !self.sg.is_abstract(setter)
        {
            return selection::from_field_set(set);
        }
        argument
            .selections
            .iter()
            .map(|(setter, set)| {
                Sel::Fragment(FragmentSel {
                    type_condition: setter.clone(),
                    directives: String::new(),
                    variables: Vec::new(),
                    selections: selection::from_field_set(set),
                    conditions: Vec::new(),
                })
            })
            .collect()
    }

    /// The nearest place above the field's object whose type sets
    /// `argument`'s context (the object itself does not count: a context
    /// is set for what lies below), with its type and response path. A group's entry is also the object
    /// the group before it routed from; it is planned there when that
    /// group's subgraph has more of the reading at hand.
    fn find_setter(
        &self,
        group: usize,
        argument: &ContextArgument,
    ) -> Option<(Place, Name, Vec<PathElem>)> {
        let found =
            |place: Place, ty: &Name, at: &[PathElem], group: usize, frame: Option<usize>| {
                let entry_of = match frame {
                    None => self.outer.len().checked_sub(1),
                    Some(j) => j.checked_sub(1),
                };
                let place = match entry_of {
                    Some(before)
                        if self.groups[group].entity
                            && self.groups[group].path == at
                            && self.reading_misses(self.outer[before].group, ty, argument)
                                < self.reading_misses(group, ty, argument) =>
                    {
                        Place::Entry { frame: before }
                    }
                    _ => place,
                };
                Some((place, ty.clone(), at.to_vec()))
            };
        let frames = std::iter::once((None, group, &self.way)).chain(
            self.outer
                .iter()
                .enumerate()
                .rev()
                .map(|(j, f)| (Some(j), f.group, &f.way)),
        );
        for (frame, owner, way) in frames {
            for (hop, step) in way.iter().enumerate().rev() {
                let Hop::Field { parent, path, .. } = step else {
                    continue;
                };
                if self.sets(parent, argument) {
                    return found(Place::Hop { frame, hop }, parent, path, owner, frame);
                }
            }
        }
        None
    }

    /// How much of `argument`'s reading on `ty` `group`'s subgraph cannot
    /// resolve itself.
    fn reading_misses(&self, group: usize, ty: &Name, argument: &ContextArgument) -> usize {
        let reading = self.canonical_reading(argument);
        self.misses(self.groups[group].graph, ty, &reading)
    }

    /// Whether an object at a position of type `ty` sets `argument`'s
    /// context: `ty` is a type that sets it or one of such a type's members.
    /// (A position of an abstract type some of whose members set it does
    /// not: which object it holds is known only at run time.)
    fn sets(&self, ty: &Name, argument: &ContextArgument) -> bool {
        let schema = self.sg.schema();
        argument
            .selections
            .iter()
            .any(|(setter, _)| setter == ty || schema.is_subtype(setter, ty))
    }

    /// Runs `plan` as if frame `j`'s group were current (its way the
    /// current way, the groups after it not on the way), with the frame.
    pub(super) fn in_frame(&mut self, j: usize, plan: impl FnOnce(&mut Self, &mut Frame)) {
        let inner = self.outer.split_off(j + 1);
        let current = std::mem::take(&mut self.way);
        if let Some(mut frame) = self.outer.pop() {
            self.way = std::mem::take(&mut frame.way);
            plan(self, &mut frame);
            frame.way = std::mem::take(&mut self.way);
            self.outer.push(frame);
        }
        self.outer.extend(inner);
        self.way = current;
    }

    /// Plans `sels` in `group` at the parent of the current way's hop
    /// `hop`, and keeps what that position must select beside the hop.
    fn plan_beside(
        &mut self,
        group: usize,
        hop: usize,
        ty: &Name,
        path: &[PathElem],
        sels: &[Sel],
    ) {
        let tail = self.way.split_off(hop);
        let levels = match tail.first() {
            Some(Hop::Field { levels, .. }) => *levels,
            _ => self.levels.len(),
        };
        let inner_levels = self.levels.split_off(levels.min(self.levels.len()));
        let planned = self.plan_sels(group, ty, sels, path, None, false);
        self.levels.extend(inner_levels);
        self.way.extend(tail);
        if let Some(Hop::Field { extra, .. }) = self.way.get_mut(hop) {
            selection::add_all(extra, planned);
        }
    }
}

/// Gives every field below the top level of `sels` an alias of its own
/// (`currency__ctx: currency`), so that it never shares a response name with
/// a client's field inside the same object (`me { currency: id }`); the top
/// level is aliased only where it clashes (see `Builder::alias_clashes`).
fn alias_nested(sels: &mut [Sel], nested: bool) {
    for sel in sels {
        match sel {
            Sel::Field(field) => {
                if nested && field.alias.is_none() && field.name != "__typename" {
                    // A name followed by `__ctx` is a name.
                    field.alias = Name::new(&format!("{}__ctx", field.name)).ok();
                }
                alias_nested(&mut field.selections, true);
            }
            Sel::Fragment(fragment) => alias_nested(&mut fragment.selections, nested),
        }
    }
}

/// `field(a: 1)` with `b: $v` added: `field(a: 1, b: $v)`.
fn add_arguments(field: &mut FieldSel, arguments: &[String]) {
    if arguments.is_empty() {
        return;
    }
    let added = arguments.join(", ");
    field.arguments = match field.arguments.strip_suffix(')') {
        Some(open) => format!("{open}, {added})"),
        None => format!("({added})"),
    };
}
