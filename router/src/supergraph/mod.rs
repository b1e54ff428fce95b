//! The supergraph's federation metadata, read once at start-up: which
//! subgraphs exist and where, which subgraphs know each type and can resolve
//! each field, with which keys, `@requires`, `@provides` and `@external`.
//!
//! The planner asks questions only through this module, so it never reads
//! `join__` directives itself.

use std::collections::HashMap;

use apollo_compiler::ast::Directive;
use apollo_compiler::ast::{Type, Value};
use apollo_compiler::executable::{FieldSet, SelectionSet};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Node, Schema};

use crate::transport::SubgraphEndpoint;

pub mod links;
mod overrides;
pub use overrides::{ActiveLabels, LabelCondition, MAX_LABELS, OverrideLabel};

#[derive(Debug, thiserror::Error)]
pub enum SupergraphError {
    #[error("the supergraph does not parse or validate:\n{0}")]
    Invalid(String),
    #[error("the supergraph is not a federation supergraph: {0}")]
    NotFederated(String),
    #[error("the supergraph is inconsistent: {0}")]
    Inconsistent(String),
}

/// Index of a subgraph in [`Supergraph::subgraphs`].
pub type GraphId = usize;

/// A `@key` of a type in one subgraph.
#[derive(Debug, Clone)]
pub struct Key {
    pub fields: SelectionSet,
    pub resolvable: bool,
}

/// What one subgraph knows of a type.
#[derive(Debug, Clone, Default)]
pub struct TypeInGraph {
    pub keys: Vec<Key>,
    /// The type is an `@interfaceObject` here: an interface elsewhere, an
    /// object type in this subgraph.
    pub interface_object: bool,
}

/// One subgraph's way of resolving a field.
#[derive(Debug, Clone, Default)]
pub struct FieldSource {
    pub graph: GraphId,
    pub requires: Option<SelectionSet>,
    pub provides: Option<SelectionSet>,
    /// The field's type in this subgraph, when it differs from the
    /// supergraph's (`@join__field(type:)`): `ID!` where the supergraph says `ID`.
    pub ty: Option<Type>,
    /// Under a progressive `@override`: the label state in which this
    /// source is the one that resolves the field.
    pub condition: Option<LabelCondition>,
    /// Arguments this subgraph's field takes from an ancestor's context
    /// (`@fromContext`): the router reads and passes them.
    pub contexts: Vec<ContextArgument>,
}

impl FieldSource {
    /// Whether this source resolves its field for a request with `active` labels.
    pub fn is_active(&self, active: ActiveLabels) -> bool {
        self.condition.is_none_or(|c| c.holds(active))
    }

    /// Only an `_entities` fetch can resolve the field here: it needs values
    /// the router must send with it (`@requires` fields in the
    /// representation, context arguments as variables).
    pub fn needs_entity_fetch(&self) -> bool {
        self.requires.is_some() || !self.contexts.is_empty()
    }
}

/// One argument a subgraph's field takes from a context (`@fromContext`,
/// in the supergraph `@join__field(contextArguments:)`). The supergraph's
/// field does not have the argument: clients never pass it.
#[derive(Debug, Clone)]
pub struct ContextArgument {
    /// The argument's name in the subgraph.
    pub name: Name,
    /// The argument's type in the subgraph.
    pub ty: Type,
    /// The context (`@context(name:)`), as the supergraph names it.
    pub context: String,
    /// What is read from the object that sets the context, per type that
    /// sets it: one field, followed down to its value.
    pub selections: Vec<(Name, SelectionSet)>,
}

/// A loaded supergraph.
pub struct Supergraph {
    schema: Valid<Schema>,
    subgraphs: Vec<SubgraphEndpoint>,
    /// Per type: the subgraphs that define it.
    types: HashMap<Name, HashMap<GraphId, TypeInGraph>>,
    /// Per (type, field): the subgraphs that resolve it (never `@external` ones).
    fields: HashMap<(Name, Name), Vec<FieldSource>>,
    /// Per (type, field): subgraphs where the field is `@external`.
    external: HashMap<(Name, Name), Vec<GraphId>>,
    /// Per object type: the abstract types it belongs to, per subgraph.
    implements: HashMap<Name, Vec<(GraphId, Name)>>,
    /// The progressive `@override` labels, each once.
    labels: Vec<OverrideLabel>,
    /// Per context name (`@context`): the types that set it.
    contexts: HashMap<String, Vec<Name>>,
}

impl Supergraph {
    /// Parses, validates and indexes a supergraph SDL.
    pub fn parse(sdl: &str) -> Result<Self, SupergraphError> {
        let schema = Schema::parse_and_validate(sdl, "supergraph.graphql")
            .map_err(|invalid| SupergraphError::Invalid(invalid.errors.to_string()))?;
        let subgraphs = read_graphs(&schema)?;
        let graph_ids: HashMap<Name, GraphId> = subgraphs
            .iter()
            .enumerate()
            .map(|(i, (enum_value, _))| (enum_value.clone(), i))
            .collect();
        let mut supergraph = Supergraph {
            subgraphs: subgraphs.into_iter().map(|(_, e)| e).collect(),
            types: HashMap::new(),
            fields: HashMap::new(),
            external: HashMap::new(),
            implements: HashMap::new(),
            labels: Vec::new(),
            contexts: HashMap::new(),
            schema,
        };
        supergraph.index(&graph_ids)?;
        Ok(supergraph)
    }

    fn index(&mut self, graph_ids: &HashMap<Name, GraphId>) -> Result<(), SupergraphError> {
        let graph_of = |d: &Directive| -> Result<Option<GraphId>, SupergraphError> {
            match d.specified_argument_by_name("graph").map(|v| &**v) {
                Some(Value::Enum(name)) => {
                    graph_ids.get(name).copied().map(Some).ok_or_else(|| {
                        SupergraphError::Inconsistent(format!(
                            "@{} names unknown graph {name}",
                            d.name
                        ))
                    })
                }
                _ => Ok(None),
            }
        };
        let schema = &self.schema;
        let subgraph_names: Vec<&str> = self.subgraphs.iter().map(|s| s.name.as_str()).collect();
        let mut types: HashMap<Name, HashMap<GraphId, TypeInGraph>> = HashMap::new();
        let mut fields: HashMap<(Name, Name), Vec<FieldSource>> = HashMap::new();
        let mut external: HashMap<(Name, Name), Vec<GraphId>> = HashMap::new();
        let mut implements: HashMap<Name, Vec<(GraphId, Name)>> = HashMap::new();
        let mut labels: Vec<OverrideLabel> = Vec::new();
        let contexts = read_contexts(schema);
        for (type_name, ty) in &schema.types {
            if ty.is_built_in()
                || type_name.starts_with("join__")
                || type_name.starts_with("link__")
            {
                continue;
            }
            let in_graphs = types.entry(type_name.clone()).or_default();
            for join in ty.directives().get_all("join__type") {
                let Some(graph) = graph_of(join)? else {
                    continue;
                };
                let entry = in_graphs.entry(graph).or_default();
                if let Some(Value::String(key)) =
                    join.specified_argument_by_name("key").map(|v| &**v)
                {
                    let resolvable = !matches!(
                        join.specified_argument_by_name("resolvable").map(|v| &**v),
                        Some(Value::Boolean(false))
                    );
                    let fields = parse_field_set(schema, type_name, key)?;
                    entry.keys.push(Key { fields, resolvable });
                }
                if matches!(
                    join.specified_argument_by_name("isInterfaceObject")
                        .map(|v| &**v),
                    Some(Value::Boolean(true))
                ) {
                    entry.interface_object = true;
                }
            }
            // A type without @join__type (not expected from composition) is
            // taken to live in every subgraph.
            if in_graphs.is_empty() {
                for graph in 0..self.subgraphs.len() {
                    in_graphs.insert(graph, TypeInGraph::default());
                }
            }
            let defining: Vec<GraphId> = {
                let mut g: Vec<GraphId> = in_graphs.keys().copied().collect();
                g.sort_unstable();
                g
            };
            let field_defs = match ty {
                ExtendedType::Object(o) => {
                    for join in o.directives.get_all("join__implements") {
                        if let (Some(graph), Some(Value::String(iface))) = (
                            graph_of(join)?,
                            join.specified_argument_by_name("interface").map(|v| &**v),
                        ) {
                            implements
                                .entry(type_name.clone())
                                .or_default()
                                .push((graph, Name::new_unchecked(iface)));
                        }
                    }
                    Some(&o.fields)
                }
                ExtendedType::Interface(i) => Some(&i.fields),
                ExtendedType::Union(u) => {
                    for join in u.directives.get_all("join__unionMember") {
                        if let (Some(graph), Some(Value::String(member))) = (
                            graph_of(join)?,
                            join.specified_argument_by_name("member").map(|v| &**v),
                        ) {
                            implements
                                .entry(Name::new_unchecked(member))
                                .or_default()
                                .push((graph, type_name.clone()));
                        }
                    }
                    None
                }
                _ => None,
            };
            let Some(field_defs) = field_defs else {
                continue;
            };
            let mut overridden: Vec<(String, usize)> = Vec::new();
            for (field_name, def) in field_defs {
                let joins: Vec<&Node<Directive>> = def.directives.get_all("join__field").collect();
                let key = (type_name.clone(), field_name.clone());
                let mut sources = Vec::new();
                if joins
                    .iter()
                    .all(|j| j.specified_argument_by_name("graph").is_none())
                    && !joins.is_empty()
                {
                    // A bare `@join__field`: no subgraph resolves the field on
                    // this type itself; it comes from an interface object.
                } else if joins.is_empty() {
                    sources.extend(defining.iter().map(|&graph| FieldSource {
                        graph,
                        ..FieldSource::default()
                    }));
                } else {
                    for join in joins {
                        let Some(graph) = graph_of(join)? else {
                            continue;
                        };
                        let flag = |arg: &str| {
                            matches!(
                                join.specified_argument_by_name(arg).map(|v| &**v),
                                Some(Value::Boolean(true))
                            )
                        };
                        if flag("external") {
                            external.entry(key.clone()).or_default().push(graph);
                            continue;
                        }
                        let label = match join
                            .specified_argument_by_name("overrideLabel")
                            .map(|v| &**v)
                        {
                            Some(Value::String(label)) => Some(label.as_str()),
                            _ => None,
                        };
                        // Overridden for good, unless a label still routes
                        // some requests here.
                        if flag("usedOverridden") && label.is_none() {
                            continue;
                        }
                        let field_set = |arg: &str, on: &Name| -> Result<Option<SelectionSet>, SupergraphError> {
                            match join.specified_argument_by_name(arg).map(|v| &**v) {
                                Some(Value::String(text)) => parse_field_set(schema, on, text).map(Some),
                                _ => Ok(None),
                            }
                        };
                        let field_type = def.ty.inner_named_type().clone();
                        let ty = match join.specified_argument_by_name("type").map(|v| &**v) {
                            Some(Value::String(text)) => {
                                let ty = Type::parse(text.as_str(), "join__field.type").map_err(|e| {
                                    SupergraphError::Inconsistent(format!(
                                        "{type_name}.{field_name}: @join__field(type: {text:?}) is not a type: {e}"
                                    ))
                                })?;
                                (ty != def.ty).then_some(ty)
                            }
                            _ => None,
                        };
                        let text =
                            |arg: &str| match join.specified_argument_by_name(arg).map(|v| &**v) {
                                Some(Value::String(s)) => Some(s.as_str()),
                                _ => None,
                            };
                        let mut condition = None;
                        if let Some(label) = label {
                            let label = label_index(&mut labels, label)?;
                            match text("override") {
                                // The overriding side, while the label is on.
                                Some(from) => {
                                    condition = Some(LabelCondition {
                                        label,
                                        when_active: true,
                                    });
                                    overridden.push((from.to_owned(), label));
                                }
                                // The side it moves from, while the label is off.
                                None => {
                                    condition = Some(LabelCondition {
                                        label,
                                        when_active: false,
                                    })
                                }
                            }
                        }
                        let context_arguments = match join
                            .specified_argument_by_name("contextArguments")
                            .map(|v| &**v)
                        {
                            Some(value) => read_context_arguments(
                                schema, &contexts, type_name, field_name, value,
                            )?,
                            None => Vec::new(),
                        };
                        sources.push(FieldSource {
                            graph,
                            requires: field_set("requires", type_name)?,
                            provides: field_set("provides", &field_type)?,
                            ty,
                            condition,
                            contexts: context_arguments,
                        });
                    }
                }
                // The subgraph a progressive override moves the field from
                // keeps it while the label is off.
                for (from, label) in overridden.drain(..) {
                    let mut found = false;
                    for source in &mut sources {
                        if subgraph_names[source.graph].eq_ignore_ascii_case(&from) {
                            source.condition = Some(LabelCondition {
                                label,
                                when_active: false,
                            });
                            found = true;
                        }
                    }
                    if !found {
                        // Nothing left to move from: the new owner always answers.
                        for source in &mut sources {
                            if source.condition
                                == Some(LabelCondition {
                                    label,
                                    when_active: true,
                                })
                            {
                                source.condition = None;
                            }
                        }
                    }
                }
                fields.insert(key, sources);
            }
        }
        self.types = types;
        self.fields = fields;
        self.external = external;
        self.implements = implements;
        self.labels = labels;
        self.contexts = contexts;
        Ok(())
    }

    /// Whether any type sets a context: planning skips looking for context
    /// arguments in supergraphs without.
    pub fn has_contexts(&self) -> bool {
        !self.contexts.is_empty()
    }

    /// The types that set context `name` (`@context(name:)`).
    pub fn context_types(&self, name: &str) -> &[Name] {
        self.contexts
            .get(name)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The full supergraph schema, federation directives included.
    pub fn schema(&self) -> &Valid<Schema> {
        &self.schema
    }

    pub fn subgraphs(&self) -> &[SubgraphEndpoint] {
        &self.subgraphs
    }

    pub fn subgraph(&self, graph: GraphId) -> &SubgraphEndpoint {
        &self.subgraphs[graph]
    }

    /// The subgraphs that define `type_name`.
    pub fn type_graphs(&self, type_name: &str) -> impl Iterator<Item = GraphId> + '_ {
        let mut graphs: Vec<GraphId> = self
            .types
            .get(type_name)
            .map(|g| g.keys().copied().collect())
            .unwrap_or_default();
        graphs.sort_unstable();
        graphs.into_iter()
    }

    pub fn type_in_graph(&self, type_name: &str, graph: GraphId) -> Option<&TypeInGraph> {
        self.types.get(type_name).and_then(|g| g.get(&graph))
    }

    /// The subgraphs that resolve `type_name.field`.
    pub fn field_sources(&self, type_name: &str, field: &str) -> &[FieldSource] {
        self.fields
            .get(&(Name::new_unchecked(type_name), Name::new_unchecked(field)))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    pub fn field_source(
        &self,
        type_name: &str,
        field: &str,
        graph: GraphId,
    ) -> Option<&FieldSource> {
        self.field_sources(type_name, field)
            .iter()
            .find(|s| s.graph == graph)
    }

    /// True when `graph` declares `type_name.field` as `@external`.
    pub fn is_external(&self, type_name: &str, field: &str, graph: GraphId) -> bool {
        self.external
            .get(&(Name::new_unchecked(type_name), Name::new_unchecked(field)))
            .is_some_and(|g| g.contains(&graph))
    }

    /// Keys of `type_name` that `graph` can resolve entities by.
    pub fn resolvable_keys(&self, type_name: &str, graph: GraphId) -> impl Iterator<Item = &Key> {
        self.type_in_graph(type_name, graph)
            .into_iter()
            .flat_map(|t| t.keys.iter())
            .filter(|k| k.resolvable)
    }

    /// Object types that may be the runtime type of `abstract_type` as seen by
    /// `graph` (all when `graph` is `None`).
    pub fn possible_types(&self, abstract_type: &str, graph: Option<GraphId>) -> Vec<Name> {
        let mut out: Vec<Name> = self
            .implements
            .iter()
            .filter(|(_, memberships)| {
                memberships
                    .iter()
                    .any(|(g, t)| t == abstract_type && graph.is_none_or(|graph| *g == graph))
            })
            .map(|(object, _)| object.clone())
            .collect();
        if graph.is_none() || out.is_empty() {
            // Fall back to the schema's own view of possible types.
            if let Some(ty) = self.schema.types.get(abstract_type) {
                let all: Vec<Name> = match ty {
                    ExtendedType::Union(u) => u.members.iter().map(|m| m.name.clone()).collect(),
                    ExtendedType::Interface(_) => self
                        .schema
                        .implementers_map()
                        .get(abstract_type)
                        .map(|i| i.objects.iter().cloned().collect())
                        .unwrap_or_default(),
                    _ => Vec::new(),
                };
                for name in all {
                    if graph.is_none_or(|g| self.type_in_graph(&name, g).is_some())
                        && !out.contains(&name)
                    {
                        out.push(name);
                    }
                }
            }
        }
        out.sort();
        out
    }

    /// The progressive `@override` labels, indexed as `LabelCondition`s name them.
    pub fn override_labels(&self) -> &[OverrideLabel] {
        &self.labels
    }

    /// The type of `type_name.field` as `graph` declares it; `None` for a
    /// field the supergraph does not have.
    pub fn field_type_in(&self, type_name: &str, field: &str, graph: GraphId) -> Option<&Type> {
        if let Some(ty) = self
            .field_source(type_name, field, graph)
            .and_then(|s| s.ty.as_ref())
        {
            return Some(ty);
        }
        let definition = match self.schema.types.get(type_name)? {
            ExtendedType::Object(o) => o.fields.get(field)?,
            ExtendedType::Interface(i) => i.fields.get(field)?,
            _ => return None,
        };
        Some(&definition.ty)
    }

    /// The object types a value of type `ty` can have when `graph` returns
    /// it, as `graph` declares them: `ty` itself for an object it defines,
    /// the members or implementations `graph` lists for an abstract type.
    /// Sorted; empty when `graph` does not know `ty`.
    pub fn runtime_types_in(&self, ty: &str, graph: GraphId) -> Vec<Name> {
        if self.type_in_graph(ty, graph).is_none() {
            return Vec::new();
        }
        if !self.is_abstract(ty) {
            return vec![Name::new_unchecked(ty)];
        }
        let recorded = self
            .implements
            .values()
            .flatten()
            .any(|(_, abstract_type)| abstract_type == ty);
        if !recorded {
            // A supergraph without per-subgraph memberships: the schema's
            // members that this subgraph defines.
            return self.possible_types(ty, Some(graph));
        }
        let mut out: Vec<Name> = self
            .implements
            .iter()
            .filter(|(_, memberships)| memberships.iter().any(|(g, t)| *g == graph && t == ty))
            .map(|(object, _)| object.clone())
            .collect();
        out.sort();
        out
    }

    /// The object types that match a type condition on `ty` in the
    /// supergraph: `ty` itself for an object, its members otherwise.
    pub fn matching_types(&self, ty: &str) -> Vec<Name> {
        if self.is_abstract(ty) {
            self.possible_types(ty, None)
        } else {
            vec![Name::new_unchecked(ty)]
        }
    }

    pub fn is_abstract(&self, type_name: &str) -> bool {
        matches!(
            self.schema.types.get(type_name),
            Some(ExtendedType::Interface(_) | ExtendedType::Union(_))
        )
    }

    pub fn is_interface_object(&self, type_name: &str, graph: GraphId) -> bool {
        self.type_in_graph(type_name, graph)
            .is_some_and(|t| t.interface_object)
    }
}

/// The index of `label` in `labels`, added on first sight.
fn label_index(labels: &mut Vec<OverrideLabel>, label: &str) -> Result<usize, SupergraphError> {
    if let Some(i) = labels.iter().position(|l| l.label == label) {
        return Ok(i);
    }
    if labels.len() == MAX_LABELS {
        return Err(SupergraphError::Inconsistent(format!(
            "more than {MAX_LABELS} progressive @override labels"
        )));
    }
    labels.push(OverrideLabel::parse(label));
    Ok(labels.len() - 1)
}

/// The local name of the context spec's `@context` directive.
fn context_directive(schema: &Schema) -> Option<String> {
    links::directive_name(schema, "https://specs.apollo.dev/context/", "context")
}

/// Every context name with the types that set it.
fn read_contexts(schema: &Schema) -> HashMap<String, Vec<Name>> {
    let mut out: HashMap<String, Vec<Name>> = HashMap::new();
    let Some(directive) = context_directive(schema) else {
        return out;
    };
    for (type_name, ty) in &schema.types {
        for context in ty.directives().get_all(&directive) {
            if let Some(name) = context
                .specified_argument_by_name("name")
                .and_then(|v| v.as_str())
            {
                out.entry(name.to_owned())
                    .or_default()
                    .push(type_name.clone());
            }
        }
    }
    out
}

/// `[{context, name, type, selection}]` of one `@join__field`.
fn read_context_arguments(
    schema: &Valid<Schema>,
    contexts: &HashMap<String, Vec<Name>>,
    type_name: &Name,
    field_name: &Name,
    value: &Value,
) -> Result<Vec<ContextArgument>, SupergraphError> {
    let at = || format!("{type_name}.{field_name}: @join__field(contextArguments:)");
    let Value::List(items) = value else {
        return Err(SupergraphError::Inconsistent(format!(
            "{} is not a list",
            at()
        )));
    };
    let mut out = Vec::new();
    for item in items {
        let Value::Object(fields) = &**item else {
            return Err(SupergraphError::Inconsistent(format!(
                "{} holds something other than objects",
                at()
            )));
        };
        let text = |n: &str| {
            fields
                .iter()
                .find(|(k, _)| k == n)
                .and_then(|(_, v)| v.as_str())
                .ok_or_else(|| SupergraphError::Inconsistent(format!("{} lacks {n:?}", at())))
        };
        let (context, name, ty, selection) = (
            text("context")?,
            text("name")?,
            text("type")?,
            text("selection")?,
        );
        let name = Name::new(name).map_err(|_| {
            SupergraphError::Inconsistent(format!("{}: {name:?} is not a name", at()))
        })?;
        let ty = Type::parse(ty, "join__ContextArgument.type").map_err(|e| {
            SupergraphError::Inconsistent(format!("{}: {ty:?} is not a type: {e}", at()))
        })?;
        let setters = contexts.get(context).ok_or_else(|| {
            SupergraphError::Inconsistent(format!("{}: no type sets context {context:?}", at()))
        })?;
        let field_set = strip_braces(selection);
        let selections = setters
            .iter()
            .map(|setter| Ok((setter.clone(), parse_field_set(schema, setter, field_set)?)))
            .collect::<Result<Vec<_>, SupergraphError>>()?;
        out.push(ContextArgument {
            name,
            ty,
            context: context.to_owned(),
            selections,
        });
    }
    Ok(out)
}

/// `{ prop }` as the field set `prop`; a selection of type conditions
/// (`... on A { prop } ... on B { prop }`) as it is.
fn strip_braces(text: &str) -> &str {
    let trimmed = text.trim();
    match trimmed.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
        // Only when the outer braces belong together: `{ a } { b }` stays.
        Some(inner) if balanced(inner) => inner,
        _ => trimmed,
    }
}

fn balanced(text: &str) -> bool {
    let mut depth = 0i32;
    for c in text.chars() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

fn read_graphs(schema: &Schema) -> Result<Vec<(Name, SubgraphEndpoint)>, SupergraphError> {
    let Some(ExtendedType::Enum(graphs)) = schema.types.get("join__Graph") else {
        return Err(SupergraphError::NotFederated(
            "there is no join__Graph enum".into(),
        ));
    };
    let mut out = Vec::new();
    for (value, def) in &graphs.values {
        let join = def.directives.get("join__graph").ok_or_else(|| {
            SupergraphError::Inconsistent(format!("join__Graph.{value} has no @join__graph"))
        })?;
        let text = |arg: &str| match join.specified_argument_by_name(arg).map(|v| &**v) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        let name = text("name").unwrap_or_else(|| value.to_string().to_lowercase());
        let url = text("url").ok_or_else(|| {
            SupergraphError::Inconsistent(format!("subgraph {name} has no url in @join__graph"))
        })?;
        out.push((value.clone(), SubgraphEndpoint { name, url }));
    }
    if out.is_empty() {
        return Err(SupergraphError::NotFederated(
            "join__Graph has no subgraphs".into(),
        ));
    }
    Ok(out)
}

fn parse_field_set(
    schema: &Valid<Schema>,
    type_name: &Name,
    text: &str,
) -> Result<SelectionSet, SupergraphError> {
    FieldSet::parse(schema, type_name.clone(), text, "field-set.graphql")
        .map(|fs| fs.selection_set)
        .map_err(|err| {
            SupergraphError::Inconsistent(format!(
                "field set {text:?} on {type_name}: {}",
                err.errors
            ))
        })
}

/// Convenience for code that wants to keep a `Node` of a parsed field set.
pub type FieldSetNode = Node<SelectionSet>;

#[cfg(test)]
mod tests;
