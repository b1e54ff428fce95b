//! Splitting an operation into fetch groups, one subgraph each.
//!
//! Walks the client's selections from the root. A field the current group's
//! subgraph can resolve stays in that group; any other field moves to an
//! entity fetch (`_entities`) on a subgraph that can resolve it, keyed by a
//! `@key` of the parent type. The key fields (and `@requires` fields) are
//! themselves planned in the current group, so a key or required field that
//! lives elsewhere creates the fetch that supplies it first: missing keys via
//! an intermediate subgraph and `@requires` chains fall out of the recursion.
//! Groups for the same subgraph, path and dependencies are merged, so each
//! step sends one request per subgraph and path.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use apollo_compiler::Name;

use super::PlanError;
use super::context::{ContextInput, Frame};
use super::reach::ReachMemo;
use super::selection::{self, FieldSel, FragmentSel, Sel};
use super::way::Hop;
use crate::supergraph::{ActiveLabels, FieldSource, GraphId, Supergraph};

/// One step of a response path: a response key, or every item of a list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathElem {
    Key(Name),
    List,
}

#[derive(Debug, Clone, Default)]
pub struct Group {
    pub graph: GraphId,
    pub path: Vec<PathElem>,
    /// An `_entities` fetch (else a root fetch).
    pub entity: bool,
    /// Root: root fields. Entity: `... on Type { … }` per entity type.
    pub selections: Vec<Sel>,
    /// Entity: `... on Type { __typename key… required… }` per entity type.
    pub representations: Vec<Sel>,
    pub depends: BTreeSet<usize>,
    /// Entity: values read from ancestors, passed as variables (see `context`).
    pub contexts: Vec<ContextInput>,
}

pub struct Builder<'a> {
    pub(super) sg: &'a Supergraph,
    pub groups: Vec<Group>,
    pub(super) error: Option<PlanError>,
    /// The way from the current group's entry to the position planned.
    pub(super) way: Vec<Hop>,
    /// The ways of the groups that led to the current one, outermost first.
    pub(super) outer: Vec<Frame>,
    /// Context variables are named this followed by a number; no client
    /// variable's name starts with it.
    pub(super) context_prefix: String,
    /// Every context input given a variable so far.
    pub(super) context_inputs: Vec<ContextInput>,
    /// Planning a mutation: its root fields must not be fetched twice.
    pub(super) mutation: bool,
    /// Jump costs found so far (see `reach`), shared by the planner's plans.
    pub(super) reach: &'a ReachMemo,
    /// Per level of the operation being planned (innermost last): the
    /// client's aliases there, as (alias, field, arguments). A field the
    /// planner adds under a name the client gave another field is aliased.
    pub(super) levels: Vec<Vec<(Name, Name, String)>>,
    /// Nested `plan_field` calls now: bounded only to stop a key cycle in a
    /// supergraph that does not compose (one that does never comes close).
    nesting: usize,
    /// The progressive `@override` labels active for the request planned.
    pub(super) active: ActiveLabels,
    /// When planning must give up, and the limit that set it.
    deadline: (Instant, Duration),
    /// Fields planned so far: the clock is read every so many.
    planned: usize,
    /// Every entity group a field was routed to, in order: the groups that
    /// supply a representation's fields are the ones touched while planning it.
    pub(super) touched: Vec<usize>,
}

/// Stack left when planning a field grows the stack, and by how much.
const STACK_RED_ZONE: usize = 128 * 1024;
const STACK_GROWTH: usize = 2 * 1024 * 1024;

/// Far beyond any operation the parser accepts (its recursion limit is 500)
/// times the key jumps of a supergraph that composes.
const MAX_NESTING: usize = 8192;

impl<'a> Builder<'a> {
    pub fn new(
        sg: &'a Supergraph,
        reach: &'a ReachMemo,
        active: ActiveLabels,
        deadline: (Instant, Duration),
    ) -> Self {
        Builder {
            sg,
            active,
            deadline,
            planned: 0,
            groups: Vec::new(),
            error: None,
            way: Vec::new(),
            outer: Vec::new(),
            context_prefix: String::from("contextualArgument_"),
            context_inputs: Vec::new(),
            mutation: false,
            reach,
            levels: Vec::new(),
            nesting: 0,
            touched: Vec::new(),
        }
    }

    pub fn finish(self) -> Result<Vec<Group>, PlanError> {
        match self.error {
            Some(err) => Err(err),
            None => Ok(self.groups),
        }
    }

    /// Counts one unit of planning work; true (with the error set) once the
    /// time limit has passed. The clock is read every 64 units.
    pub(super) fn out_of_time(&mut self) -> bool {
        if self.error.is_some() {
            return true;
        }
        self.planned += 1;
        if self.planned % 64 == 1 && Instant::now() >= self.deadline.0 {
            self.error = Some(PlanError::Timeout(self.deadline.1));
            return true;
        }
        false
    }

    /// The subgraphs that resolve `ty.field` for this request.
    pub(super) fn sources(
        &self,
        ty: &str,
        field: &str,
    ) -> impl Iterator<Item = &'a FieldSource> + use<'a> {
        let active = self.active;
        self.sg
            .field_sources(ty, field)
            .iter()
            .filter(move |s| s.is_active(active))
    }

    pub(super) fn source(&self, ty: &str, field: &str, graph: GraphId) -> Option<&'a FieldSource> {
        self.sg
            .field_source(ty, field, graph)
            .filter(|s| s.is_active(self.active))
    }

    pub(super) fn fail(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(PlanError::Unsatisfiable(message));
        }
    }

    /// Plans the root selections of a query: each root field goes to the
    /// subgraph that can resolve most of it, one group per subgraph.
    pub fn plan_query(&mut self, root: &Name, sels: &[Sel]) {
        self.plan_root(root, sels, &[], None);
    }

    /// Plans a mutation: root fields in order, a new group whenever the
    /// subgraph changes, each group after everything planned before it.
    pub fn plan_mutation(&mut self, root: &Name, sels: &[Sel]) {
        self.mutation = true;
        self.plan_root(root, sels, &[], None);
    }

    /// Plans root selections, each root field in the subgraph that suits it
    /// best, or all in `fixed`.
    pub(super) fn plan_root(
        &mut self,
        root: &Name,
        sels: &[Sel],
        wrappers: &[&FragmentSel],
        fixed: Option<GraphId>,
    ) {
        let mutation = self.mutation;
        let top = wrappers.is_empty();
        if top {
            self.levels.push(client_aliases(sels));
        }
        for sel in sels {
            match sel {
                Sel::Fragment(fragment) => {
                    let mut inner = wrappers.to_vec();
                    inner.push(fragment);
                    self.way.push(Hop::Fragment {
                        parent: root.clone(),
                        fragment: fragment.without_selections(),
                    });
                    self.plan_root(root, &fragment.selections, &inner, fixed);
                    self.way.pop();
                }
                Sel::Field(field) => {
                    if field.name == "__typename" {
                        // Answered by the executor from the root type.
                        continue;
                    }
                    let sources: Vec<GraphId> = match fixed {
                        Some(graph) => vec![graph],
                        None => self.sources(root, &field.name).map(|s| s.graph).collect(),
                    };
                    let Some(graph) = self.choose_root_graph(root, field, &sources, mutation)
                    else {
                        self.fail(format!("no subgraph resolves {root}.{}", field.name));
                        return;
                    };
                    let group = self.root_group(graph, mutation);
                    let planned = self.plan_field(group, root, field, &[], None, false);
                    let wrapped = wrap(planned, wrappers);
                    selection::add_all(&mut self.groups[group].selections, wrapped);
                }
            }
        }
        if top {
            self.levels.pop();
        }
    }

    /// The subgraph a root field starts in: first one from which every
    /// field below has a way (another may have none: a key it cannot
    /// supply, an implementation's field it holds as `@external`), then
    /// the fewest fields fetched elsewhere, then one already fetched from.
    fn choose_root_graph(
        &mut self,
        root: &Name,
        field: &FieldSel,
        sources: &[GraphId],
        mutation: bool,
    ) -> Option<GraphId> {
        let last_root = self
            .groups
            .iter()
            .rposition(|g| !g.entity)
            .map(|i| self.groups[i].graph);
        if let [only] = sources {
            // Nothing to compare: spare the walks over the subtree.
            return Some(*only);
        }
        let subtree = [Sel::Field(field.clone())];
        let mut best: Option<((usize, usize, bool, GraphId), GraphId)> = None;
        for &graph in sources {
            let existing = if mutation {
                last_root == Some(graph) && self.groups.last().is_some_and(|g| !g.entity)
            } else {
                self.groups.iter().any(|g| !g.entity && g.graph == graph)
            };
            let cost = (
                self.unreachable(graph, root, &subtree, None),
                self.misses(graph, root, &subtree),
                !existing,
                graph,
            );
            if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                best = Some((cost, graph));
            }
        }
        best.map(|(_, graph)| graph)
    }

    fn root_group(&mut self, graph: GraphId, mutation: bool) -> usize {
        if mutation {
            // Reuse only the latest group, and only when nothing was planned after it.
            if let Some(last) = self.groups.len().checked_sub(1) {
                let g = &self.groups[last];
                if !g.entity && g.graph == graph {
                    return last;
                }
            }
            let depends: BTreeSet<usize> = (0..self.groups.len()).collect();
            return self.push(Group {
                graph,
                path: Vec::new(),
                entity: false,
                selections: Vec::new(),
                representations: Vec::new(),
                depends,
                contexts: Vec::new(),
            });
        }
        if let Some(i) = self
            .groups
            .iter()
            .position(|g| !g.entity && g.graph == graph)
        {
            return i;
        }
        self.push(Group {
            graph,
            path: Vec::new(),
            entity: false,
            selections: Vec::new(),
            representations: Vec::new(),
            depends: BTreeSet::new(),
            contexts: Vec::new(),
        })
    }

    fn push(&mut self, group: Group) -> usize {
        self.groups.push(group);
        self.groups.len() - 1
    }

    pub(super) fn plan_sels(
        &mut self,
        group: usize,
        parent: &Name,
        sels: &[Sel],
        path: &[PathElem],
        provided: Option<&[Sel]>,
        entity_root: bool,
    ) -> Vec<Sel> {
        let mut out = Vec::new();
        for sel in sels {
            match sel {
                Sel::Field(field) => {
                    let planned =
                        self.plan_field(group, parent, field, path, provided, entity_root);
                    selection::add_all(&mut out, planned);
                }
                Sel::Fragment(fragment) => {
                    let graph = self.groups[group].graph;
                    let condition = &fragment.type_condition;
                    if condition != parent
                        && self.sg.type_in_graph(condition, graph).is_none()
                        && self.sg.is_interface_object(parent, graph)
                    {
                        // The concrete types behind an interface object are
                        // known only where the interface is real.
                        let routed = self.route_to_interface(
                            group,
                            parent,
                            std::slice::from_ref(sel),
                            path,
                            provided,
                        );
                        selection::add_all(&mut out, routed);
                        continue;
                    }
                    if condition != parent
                        && let Some(matched) = self.condition_in_graph(graph, parent, condition)
                    {
                        // `... on condition` is not what this subgraph needs:
                        // the objects it matches here, type by type (none:
                        // the fragment cannot match anything this subgraph returns).
                        for object in matched {
                            self.way.push(Hop::Fragment {
                                parent: parent.clone(),
                                fragment: FragmentSel {
                                    type_condition: object.clone(),
                                    ..fragment.without_selections()
                                },
                            });
                            let inner = self.plan_sels(
                                group,
                                &object,
                                &fragment.selections,
                                path,
                                provided,
                                entity_root,
                            );
                            self.way.pop();
                            add_fragment(&mut out, parent, fragment, object, inner);
                        }
                        continue;
                    }
                    // Inside `... on I` where the parent is an object, fields
                    // still belong to the object.
                    let inner_parent = self.inner_type(parent, condition).clone();
                    self.way.push(Hop::Fragment {
                        parent: parent.clone(),
                        fragment: fragment.without_selections(),
                    });
                    let inner = self.plan_sels(
                        group,
                        &inner_parent,
                        &fragment.selections,
                        path,
                        provided,
                        entity_root,
                    );
                    self.way.pop();
                    // On an object, `... on Abstract` (which it belongs to)
                    // is `... on Object`: the fields planned are the
                    // object's, and a union has none of its own.
                    add_fragment(&mut out, parent, fragment, inner_parent, inner);
                }
            }
        }
        out
    }

    /// Plans one field (and all below it): planning recurses once per level
    /// of the operation, and operations nest as deep as the parser allows,
    /// so the stack grows on demand instead of overflowing.
    fn plan_field(
        &mut self,
        group: usize,
        parent: &Name,
        field: &FieldSel,
        path: &[PathElem],
        provided: Option<&[Sel]>,
        entity_root: bool,
    ) -> Vec<Sel> {
        if self.nesting >= MAX_NESTING {
            self.fail(format!(
                "planning {parent}.{} went {MAX_NESTING} fields deep: the supergraph's keys lead round in a circle",
                field.name
            ));
            return Vec::new();
        }
        self.nesting += 1;
        let planned = stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || {
            self.plan_field_here(group, parent, field, path, provided, entity_root)
        });
        self.nesting -= 1;
        planned
    }

    fn plan_field_here(
        &mut self,
        group: usize,
        parent: &Name,
        field: &FieldSel,
        path: &[PathElem],
        provided: Option<&[Sel]>,
        entity_root: bool,
    ) -> Vec<Sel> {
        let graph = self.groups[group].graph;
        if field.name == "__typename" {
            if !field.internal
                && self.sg.is_interface_object(parent, graph)
                && self.interface_graph(parent, None).is_some()
            {
                // An interface object only knows the interface's name.
                let sel = Sel::Field(field.clone());
                return self.route_to_interface(
                    group,
                    parent,
                    std::slice::from_ref(&sel),
                    path,
                    provided,
                );
            }
            return vec![Sel::Field(field.clone())];
        }
        if self.error.is_some() {
            return Vec::new();
        }
        if self.out_of_time() {
            return Vec::new();
        }
        if !entity_root
            && self.sg.has_contexts()
            && let Some(planned) = self.resolve_under_entry(group, parent, field, path, provided)
        {
            return planned;
        }
        let resolvable = self.resolves(graph, parent, field, provided, entity_root);
        if resolvable && !self.differs_by_type(graph, parent, field, provided) {
            self.plan_local(group, parent, field, path, provided)
        } else if self.sg.is_abstract(parent)
            && !self.sg.is_interface_object(parent, graph)
            && (resolvable
                || (!self.reachable_on_interface(parent, field)
                    && !self.sg.possible_types(parent, Some(graph)).is_empty()))
        {
            // Resolve per runtime type this subgraph can return. A field
            // not its own with no such type is routed instead (and refused
            // when no subgraph has a way to it): no type is no answer.
            let mut out = vec![Sel::Field(FieldSel::typename())];
            for object in self.sg.possible_types(parent, Some(graph)) {
                self.way.push(Hop::Fragment {
                    parent: parent.clone(),
                    fragment: FragmentSel {
                        type_condition: object.clone(),
                        directives: String::new(),
                        variables: Vec::new(),
                        selections: Vec::new(),
                        conditions: Vec::new(),
                    },
                });
                let inner = self.plan_field(group, &object, field, path, provided, entity_root);
                self.way.pop();
                if !inner.is_empty() {
                    selection::add(
                        &mut out,
                        Sel::Fragment(FragmentSel {
                            type_condition: object,
                            directives: String::new(),
                            variables: Vec::new(),
                            selections: inner,
                            conditions: Vec::new(),
                        }),
                    );
                }
            }
            out
        } else {
            self.route(group, parent, field, path, provided)
        }
    }

    /// How a type condition reads in `graph` at a position of type `parent`:
    /// `None` when `... on condition` selects exactly the objects it selects
    /// in the supergraph, else the object types to select instead (empty when
    /// nothing `graph` returns here can match). Subgraphs differ from the
    /// supergraph in which members a union or interface has: `graph` may not
    /// define `condition`, list other members, or not declare that its
    /// objects implement an interface.
    pub(super) fn condition_in_graph(
        &self,
        graph: GraphId,
        parent: &Name,
        condition: &Name,
    ) -> Option<Vec<Name>> {
        let returned = self.sg.runtime_types_in(parent, graph);
        let wanted = self.sg.matching_types(condition);
        let matched: Vec<Name> = returned
            .iter()
            .filter(|t| wanted.contains(t))
            .cloned()
            .collect();
        let in_graph = self.sg.runtime_types_in(condition, graph);
        let as_written: Vec<&Name> = returned.iter().filter(|t| in_graph.contains(t)).collect();
        let same =
            as_written.len() == matched.len() && as_written.iter().all(|t| matched.contains(t));
        if same && !matched.is_empty() {
            None
        } else {
            Some(matched)
        }
    }

    /// An interface field this subgraph resolves, but not for every
    /// implementation it can return (an implementation's field was
    /// overridden elsewhere, say): it must be resolved type by type.
    pub(super) fn differs_by_type(
        &self,
        graph: GraphId,
        parent: &Name,
        field: &FieldSel,
        provided: Option<&[Sel]>,
    ) -> bool {
        if !self.sg.is_abstract(parent) || self.sg.is_interface_object(parent, graph) {
            return false;
        }
        self.sg
            .possible_types(parent, Some(graph))
            .iter()
            .any(|object| !self.resolves(graph, object, field, provided, false))
    }

    /// True when some subgraph resolves `parent.field` on the interface itself
    /// and has a key for it (an `@interfaceObject` or an entity interface).
    fn reachable_on_interface(&self, parent: &Name, field: &FieldSel) -> bool {
        self.sources(parent, &field.name)
            .any(|s| self.sg.resolvable_keys(parent, s.graph).next().is_some())
    }

    /// An interface of `object` through which some subgraph resolves
    /// `field` with a resolvable key (an `@interfaceObject`'s field).
    pub(super) fn interface_providing(&self, object: &Name, field: &str) -> Option<Name> {
        let Some(apollo_compiler::schema::ExtendedType::Object(definition)) =
            self.sg.schema().types.get(object)
        else {
            return None;
        };
        definition
            .implements_interfaces
            .iter()
            .map(|i| i.name.clone())
            .find(|interface| {
                self.sources(interface, field)
                    .any(|s| self.sg.resolvable_keys(interface, s.graph).next().is_some())
            })
    }

    /// A subgraph where `interface` is a real interface with a resolvable
    /// key (and that knows `object`, when given).
    fn interface_graph(&self, interface: &Name, object: Option<&Name>) -> Option<GraphId> {
        self.sg.type_graphs(interface).find(|&g| {
            !self.sg.is_interface_object(interface, g)
                && self.sg.resolvable_keys(interface, g).next().is_some()
                && object.is_none_or(|o| self.sg.type_in_graph(o, g).is_some())
        })
    }

    /// The field stays in this group; its sub-selections are planned from here.
    pub(super) fn plan_local(
        &mut self,
        group: usize,
        parent: &Name,
        field: &FieldSel,
        path: &[PathElem],
        provided: Option<&[Sel]>,
    ) -> Vec<Sel> {
        let mut planned = field.without_selections();
        if !field.selections.is_empty() {
            let graph = self.groups[group].graph;
            let mut child_path = path.to_vec();
            child_path.push(PathElem::Key(field.response_key().clone()));
            child_path.extend(std::iter::repeat_n(PathElem::List, field.list_depth));
            let child_provided = self.provided_below(graph, parent, field, provided);
            let child_type = self.local_type(graph, parent, field);
            self.way.push(Hop::Field {
                parent: parent.clone(),
                field: field.without_selections(),
                path: path.to_vec(),
                extra: Vec::new(),
                levels: self.levels.len(),
            });
            self.levels.push(client_aliases(&field.selections));
            let mut children = self.plan_sels(
                group,
                &child_type,
                &field.selections,
                &child_path,
                child_provided.as_deref(),
                false,
            );
            self.levels.pop();
            let extra = match self.way.pop() {
                Some(Hop::Field { extra, .. }) => extra,
                _ => Vec::new(),
            };
            if self.sg.is_abstract(&field.ty) || children.is_empty() {
                // Abstract: the answer must say which type it is. Empty (every
                // field fetched elsewhere): a selection set may not be.
                selection::add(&mut children, Sel::Field(FieldSel::typename()));
            }
            planned.selections = children;
            let mut out = vec![Sel::Field(planned)];
            selection::add_all(&mut out, extra);
            return out;
        }
        vec![Sel::Field(planned)]
    }

    /// The named type `graph` gives `parent.field`, which selections below
    /// it are read against there: a subgraph may type a field by one member
    /// of the supergraph's union (`@join__field(type:)`).
    pub(super) fn local_type(&self, graph: GraphId, parent: &Name, field: &FieldSel) -> Name {
        self.sg
            .field_type_in(parent, &field.name, graph)
            .map(|ty| ty.inner_named_type().clone())
            .unwrap_or_else(|| field.ty.clone())
    }

    /// What `graph` provides below `parent.field` at this position: the
    /// field's own `@provides` there, else what a `@provides` above says.
    pub(super) fn provided_below(
        &self,
        graph: GraphId,
        parent: &Name,
        field: &FieldSel,
        provided: Option<&[Sel]>,
    ) -> Option<Vec<Sel>> {
        let from_source: Option<Vec<Sel>> = self
            .source(parent, &field.name, graph)
            .and_then(|s| s.provides.as_ref())
            .map(selection::from_field_set);
        from_source.or_else(|| provided.and_then(|p| provided_children(p, &field.name)))
    }

    /// Can `graph`, at this position, resolve `parent.field`?
    pub(super) fn resolves(
        &self,
        graph: GraphId,
        parent: &Name,
        field: &FieldSel,
        provided: Option<&[Sel]>,
        entity_root: bool,
    ) -> bool {
        if let Some(source) = self.source(parent, &field.name, graph) {
            // A field with @requires needs its requirements in the
            // representation, one with context arguments their values:
            // only an entity fetch can resolve it.
            return !source.needs_entity_fetch() || entity_root;
        }
        provided.is_some_and(|p| provides(p, &field.name))
    }

    /// Moves `field` to an entity fetch on a subgraph that resolves it; returns
    /// what the current group must select so that fetch has its representation.
    fn route(
        &mut self,
        group: usize,
        parent: &Name,
        field: &FieldSel,
        path: &[PathElem],
        provided: Option<&[Sel]>,
    ) -> Vec<Sel> {
        let graph = self.groups[group].graph;
        if self.sources(parent, &field.name).next().is_none()
            && let Some(interface) = self.interface_providing(parent, &field.name)
        {
            // Added to every implementation by an interface object: fetched
            // as the interface, whose key the object has.
            return self.route(group, &interface, field, path, provided);
        }
        let keyed: Vec<(GraphId, Option<Vec<Sel>>)> = self
            .sources(parent, &field.name)
            .filter(|s| self.sg.resolvable_keys(parent, s.graph).next().is_some())
            .map(|s| (s.graph, s.requires.as_ref().map(selection::from_field_set)))
            .collect();
        let subtree = [Sel::Field(field.clone())];
        // Downhill only: the key and requirements must each cost less than
        // the field itself, so planning them never leads back here.
        let below = self.field_cost(graph, parent, &field.name);
        // (cost, target, its requirements), the cheapest so far.
        type Candidate = ((usize, usize, bool, GraphId), GraphId, Option<Vec<Sel>>);
        let mut best: Option<Candidate> = None;
        for (target, requires) in &keyed {
            let Some((_, key_cost)) = self.key_cost(graph, parent, *target, provided, below) else {
                continue;
            };
            let mut requires_cost = Some(0);
            for sel in requires.iter().flatten() {
                if let Sel::Field(required) = sel {
                    let cost = self
                        .field_cost(graph, parent, &required.name)
                        .filter(|&c| below.is_none_or(|b| c < b));
                    requires_cost = requires_cost.zip(cost).map(|(a, b)| a + b);
                }
            }
            let Some(requires_cost) = requires_cost else {
                continue;
            };
            let existing = self.groups.iter().any(|x| {
                x.entity && x.graph == *target && x.path == path && x.depends.contains(&group)
            });
            // Only a choice between subgraphs needs what each cannot reach.
            let unreachable = if keyed.len() > 1 {
                self.unreachable_below(*target, parent, field, None)
            } else {
                0
            };
            let cost = (
                unreachable,
                self.misses(*target, parent, &subtree)
                    + (key_cost + requires_cost) as usize
                    + usize::from(requires.is_some()),
                !existing,
                *target,
            );
            if best.as_ref().is_none_or(|(c, ..)| cost < *c) {
                best = Some((cost, *target, requires.clone()));
            }
        }
        let Some((_, target, requires)) = best else {
            if keyed.is_empty()
                && let Some(planned) = self.lift(group, parent, field)
            {
                return planned;
            }
            let name = &self.sg.subgraph(graph).name;
            let why = if keyed.is_empty() {
                format!(
                    "no subgraph that resolves it has a resolvable @key for {parent}, nor resolves the way to it from the root or an entity"
                )
            } else {
                format!(
                    "every subgraph that resolves it needs a key or requirement that cannot be had from here without {parent}.{} itself",
                    field.name
                )
            };
            self.fail(format!(
                "{parent}.{} cannot be resolved from subgraph {name}: {why}",
                field.name
            ));
            return Vec::new();
        };
        let requires = requires.map(|mut r| {
            self.add_abstract_typenames(&mut r);
            alias_fields_with_arguments(&mut r);
            r
        });
        self.route_subtree(
            group, parent, &subtree, path, provided, target, requires, below,
        )
    }

    /// Routes selections on an interface object to a subgraph where the
    /// interface is real, to learn concrete types and their fields.
    fn route_to_interface(
        &mut self,
        group: usize,
        parent: &Name,
        sels: &[Sel],
        path: &[PathElem],
        provided: Option<&[Sel]>,
    ) -> Vec<Sel> {
        let object = sels.iter().find_map(|s| match s {
            Sel::Fragment(f) => Some(f.type_condition.clone()),
            Sel::Field(_) => None,
        });
        let Some(target) = self.interface_graph(parent, object.as_ref()) else {
            self.fail(format!(
                "no subgraph resolves the concrete types of interface object {parent}"
            ));
            return Vec::new();
        };
        // The answer must name the concrete type: it replaces the
        // interface's name the interface object gave.
        let mut sels = sels.to_vec();
        selection::add(&mut sels, Sel::Field(FieldSel::typename()));
        self.route_subtree(group, parent, &sels, path, provided, target, None, None)
    }

    /// Puts `sels` into an entity fetch on `target` at `path`, and plans in
    /// the current group what its representations need.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn route_subtree(
        &mut self,
        group: usize,
        parent: &Name,
        sels: &[Sel],
        path: &[PathElem],
        provided: Option<&[Sel]>,
        target: GraphId,
        requires: Option<Vec<Sel>>,
        below: Option<u32>,
    ) -> Vec<Sel> {
        let graph = self.groups[group].graph;
        let key = match self.key_cost(graph, parent, target, provided, below) {
            Some((key, _)) => selection::from_field_set(&key.fields),
            None => self.best_key(parent, target, graph).0,
        };
        let mut representation = vec![Sel::Field(FieldSel::typename())];
        selection::add_all(&mut representation, key);
        if let Some(requires) = requires {
            selection::add_all(&mut representation, requires);
        }
        self.alias_clashes(&mut representation);
        let mark = self.touched.len();
        let mut needed = self.plan_sels(group, parent, &representation, path, provided, false);
        selection::add(&mut needed, Sel::Field(FieldSel::typename()));
        let mut sels = sels.to_vec();
        let mut contexts = Vec::new();
        self.attach_contexts(group, parent, &mut sels, target, &mut contexts);
        let mut depends: BTreeSet<usize> = self.touched[mark..].iter().copied().collect();
        depends.insert(group);
        let entity = self.entity_group(target, path, depends);
        for input in contexts {
            self.register_context(entity, input);
        }
        self.touched.push(entity);
        // The entity group's way starts at the entity; the way here is one
        // of its ancestors' (for context arguments below).
        let way = std::mem::take(&mut self.way);
        self.outer.push(Frame {
            group,
            way,
            levels: self.levels.len(),
            here: Vec::new(),
        });
        self.levels.push(client_aliases(&sels));
        let planned = self.plan_sels(entity, parent, &sels, path, None, true);
        self.levels.pop();
        if let Some(frame) = self.outer.pop() {
            self.way = frame.way;
            // Read here for context arguments further down.
            selection::add_all(&mut needed, frame.here);
        }
        let target_group = &mut self.groups[entity];
        selection::add(
            &mut target_group.selections,
            Sel::Fragment(FragmentSel {
                type_condition: parent.clone(),
                directives: String::new(),
                variables: Vec::new(),
                selections: planned,
                conditions: Vec::new(),
            }),
        );
        selection::add(
            &mut target_group.representations,
            Sel::Fragment(FragmentSel {
                type_condition: parent.clone(),
                directives: String::new(),
                variables: Vec::new(),
                selections: representation,
                conditions: Vec::new(),
            }),
        );
        needed
    }

    /// Gives a field the planner adds (a key or required field) an alias of
    /// its own where the client named another field like it at this level
    /// (`{ id: name }` beside the key `id`): in the subgraph operation and in
    /// the data the two must not share a response name. The representation is
    /// read from the alias and written under the field's name.
    pub(super) fn alias_clashes(&self, sels: &mut [Sel]) {
        if let Some(aliases) = self.levels.last() {
            alias_clashes_with(aliases, sels);
        }
    }

    /// A subgraph receiving a value of an abstract type in a representation
    /// needs its `__typename` to tell which member it got.
    fn add_abstract_typenames(&self, sels: &mut [Sel]) {
        for sel in sels.iter_mut() {
            match sel {
                Sel::Field(f) if !f.selections.is_empty() => {
                    self.add_abstract_typenames(&mut f.selections);
                    if self.sg.is_abstract(&f.ty) {
                        selection::add(&mut f.selections, Sel::Field(FieldSel::typename()));
                        // Keep `__typename` first, as subgraphs read it first.
                        if let Some(pos) = f
                            .selections
                            .iter()
                            .position(|s| matches!(s, Sel::Field(t) if t.name == "__typename"))
                        {
                            let t = f.selections.remove(pos);
                            f.selections.insert(0, t);
                        }
                    }
                }
                Sel::Fragment(fr) => self.add_abstract_typenames(&mut fr.selections),
                _ => {}
            }
        }
    }

    /// The key of `parent` in `target` whose fields `from` resolves best,
    /// with how many of its fields `from` lacks.
    fn best_key(&self, parent: &Name, target: GraphId, from: GraphId) -> (Vec<Sel>, usize) {
        self.sg
            .resolvable_keys(parent, target)
            .map(|k| {
                let sels = selection::from_field_set(&k.fields);
                let misses = self.misses(from, parent, &sels);
                (sels, misses)
            })
            .min_by_key(|(_, misses)| *misses)
            .unwrap_or_default()
    }

    fn entity_group(
        &mut self,
        graph: GraphId,
        path: &[PathElem],
        depends: BTreeSet<usize>,
    ) -> usize {
        if let Some(i) = self
            .groups
            .iter()
            .position(|g| g.entity && g.graph == graph && g.path == path && g.depends == depends)
        {
            return i;
        }
        self.push(Group {
            graph,
            path: path.to_vec(),
            entity: true,
            selections: Vec::new(),
            representations: Vec::new(),
            depends,
            contexts: Vec::new(),
        })
    }

    /// The type fields are read on inside `... on condition` at a position
    /// of type `parent`: on an object, fields still belong to the object
    /// even under a condition on one of its abstract types.
    pub(super) fn inner_type<'n>(&self, parent: &'n Name, condition: &'n Name) -> &'n Name {
        if self.sg.is_abstract(condition) && !self.sg.is_abstract(parent) {
            parent
        } else {
            condition
        }
    }

    /// How many fields of `sels` (recursively) `graph` cannot resolve itself:
    /// a cost estimate for choosing between subgraphs.
    pub(super) fn misses(&self, graph: GraphId, parent: &Name, sels: &[Sel]) -> usize {
        let mut count = 0;
        for sel in sels {
            match sel {
                Sel::Field(f) if f.name == "__typename" => {}
                Sel::Field(f) => {
                    let resolvable = self
                        .source(parent, &f.name, graph)
                        .is_some_and(|s| !s.needs_entity_fetch());
                    if resolvable {
                        count += self.misses(graph, &f.ty, &f.selections);
                    } else {
                        count += 1;
                    }
                }
                Sel::Fragment(fr) => {
                    let inner = self.inner_type(parent, &fr.type_condition);
                    count += self.misses(graph, inner, &fr.selections);
                }
            }
        }
        count
    }
}

/// [`Builder::alias_clashes`] against the client's `aliases` at one level.
pub(super) fn alias_clashes_with(aliases: &[(Name, Name, String)], sels: &mut [Sel]) {
    for sel in sels {
        if let Sel::Field(field) = sel
            && field.alias.is_none()
            && aliases.iter().any(|(alias, name, arguments)| {
                alias == &field.name && (name != &field.name || arguments != &field.arguments)
            })
        {
            // A name followed by `__key` is a name.
            field.alias = Name::new(&format!("{}__key", field.name)).ok();
        }
    }
}

/// The client's aliases at one level of `sels` (through its fragments).
/// Nested key fields (`@key(fields: "owner { id }")`) are checked only at
/// their top level.
fn client_aliases(sels: &[Sel]) -> Vec<(Name, Name, String)> {
    let mut out = Vec::new();
    collect_aliases(sels, &mut out);
    out
}

/// Aliased fields, and fields with arguments (a planner-added field of that
/// name without them would clash too).
fn collect_aliases(sels: &[Sel], out: &mut Vec<(Name, Name, String)>) {
    for sel in sels {
        match sel {
            Sel::Field(f) => {
                if f.alias.is_some() || !f.arguments.is_empty() {
                    out.push((
                        f.response_key().clone(),
                        f.name.clone(),
                        f.arguments.clone(),
                    ));
                }
            }
            Sel::Fragment(fr) => collect_aliases(&fr.selections, out),
        }
    }
}

/// A required field with arguments is read under an alias of its own, so it
/// never shares a response name with the client's selection of the same
/// field with other arguments, nor with another subgraph's requirement of it
/// (the subgraph would reject the operation, or one value would overwrite the
/// other). The representation is written from the alias under the field's name.
pub(super) fn alias_fields_with_arguments(sels: &mut [Sel]) {
    for sel in sels {
        match sel {
            Sel::Field(f) => {
                if !f.arguments.is_empty() && f.alias.is_none() {
                    let alias = format!("{}__req_{:08x}", f.name, fnv1a(&f.arguments));
                    // A name followed by `__req_` and hex digits is a name.
                    f.alias = Name::new(&alias).ok();
                }
                alias_fields_with_arguments(&mut f.selections);
            }
            Sel::Fragment(fr) => alias_fields_with_arguments(&mut fr.selections),
        }
    }
}

/// A stable 32-bit hash (the same for every run, so plans stay snapshots).
fn fnv1a(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

/// Adds the planned selections of `fragment` as `... on condition`, or
/// straight into `out` when the condition is the position's own type and no
/// directive rides on it: the smallest equivalent selection.
fn add_fragment(
    out: &mut Vec<Sel>,
    parent: &Name,
    fragment: &FragmentSel,
    condition: Name,
    inner: Vec<Sel>,
) {
    if inner.is_empty() {
        return;
    }
    if &condition == parent && fragment.directives.is_empty() {
        selection::add_all(out, inner);
        return;
    }
    selection::add(
        out,
        Sel::Fragment(FragmentSel {
            type_condition: condition,
            selections: inner,
            ..fragment.clone()
        }),
    );
}

pub(super) fn provides(provided: &[Sel], field: &str) -> bool {
    provided.iter().any(|s| match s {
        Sel::Field(f) => f.name == field,
        Sel::Fragment(fr) => provides(&fr.selections, field),
    })
}

fn provided_children(provided: &[Sel], field: &str) -> Option<Vec<Sel>> {
    provided.iter().find_map(|s| match s {
        Sel::Field(f) if f.name == field => Some(f.selections.clone()),
        Sel::Fragment(fr) => provided_children(&fr.selections, field),
        _ => None,
    })
}

fn wrap(sels: Vec<Sel>, wrappers: &[&FragmentSel]) -> Vec<Sel> {
    wrappers.iter().rev().fold(sels, |inner, wrapper| {
        vec![Sel::Fragment(FragmentSel {
            selections: inner,
            ..(*wrapper).clone()
        })]
    })
}

/// Each group's step: one after the latest step among its dependencies.
pub fn levels(groups: &[Group]) -> Vec<usize> {
    fn level(
        groups: &[Group],
        i: usize,
        memo: &mut [Option<usize>],
        visiting: &mut [bool],
    ) -> usize {
        if let Some(l) = memo[i] {
            return l;
        }
        if visiting[i] {
            return 0; // a cycle cannot be built; guard anyway
        }
        visiting[i] = true;
        let l = groups[i]
            .depends
            .iter()
            .map(|&d| level(groups, d, memo, visiting) + 1)
            .max()
            .unwrap_or(0);
        visiting[i] = false;
        memo[i] = Some(l);
        l
    }
    let mut memo = vec![None; groups.len()];
    let mut visiting = vec![false; groups.len()];
    (0..groups.len())
        .map(|i| level(groups, i, &mut memo, &mut visiting))
        .collect()
}

fn depth(groups: &[Group]) -> usize {
    levels(groups).into_iter().max().unwrap_or(0)
}

/// True when `from` depends, directly or not, on `on`.
fn reaches(groups: &[Group], from: usize, on: usize) -> bool {
    let mut stack = vec![from];
    let mut seen = vec![false; groups.len()];
    while let Some(i) = stack.pop() {
        for &d in &groups[i].depends {
            if d == on {
                return true;
            }
            if !seen[d] {
                seen[d] = true;
                stack.push(d);
            }
        }
    }
    false
}

/// Fewer fetches at no cost in latency: an entity group merges into another
/// group for the same subgraph and path when the plan keeps its number of
/// sequential steps (e.g. `inStock` joins the later fetch that `@requires`
/// forced on the same subgraph).
pub fn merge_groups(groups: &mut Vec<Group>) {
    loop {
        let current = depth(groups);
        let mut merged = false;
        'search: for a in 0..groups.len() {
            if !groups[a].entity || groups[a].selections.is_empty() {
                continue;
            }
            for b in 0..groups.len() {
                let candidate = b != a
                    && groups[b].entity
                    && !groups[b].selections.is_empty()
                    && groups[b].graph == groups[a].graph
                    && groups[b].path == groups[a].path;
                if !candidate || reaches(groups, a, b) {
                    continue;
                }
                // Whatever waits for `a` will wait for `b`: refuse cycles.
                let dependents: Vec<usize> = (0..groups.len())
                    .filter(|&g| groups[g].depends.contains(&a))
                    .collect();
                if dependents.iter().any(|&g| g == b || reaches(groups, b, g)) {
                    continue;
                }
                let mut trial = groups.clone();
                let moved = std::mem::take(&mut trial[a]);
                for sel in moved.selections {
                    selection::add(&mut trial[b].selections, sel);
                }
                for sel in moved.representations {
                    selection::add(&mut trial[b].representations, sel);
                }
                for input in moved.contexts {
                    if !trial[b].contexts.contains(&input) {
                        trial[b].contexts.push(input);
                    }
                }
                trial[b]
                    .depends
                    .extend(moved.depends.iter().copied().filter(|&d| d != b));
                trial[a].graph = moved.graph;
                for &g in &dependents {
                    trial[g].depends.remove(&a);
                    trial[g].depends.insert(b);
                }
                if depth(&trial) <= current {
                    *groups = trial;
                    merged = true;
                    break 'search;
                }
            }
        }
        if !merged {
            return;
        }
    }
}
