//! The query planner: turns a validated operation into a tree of subgraph
//! fetches. Pure: no I/O and deterministic, so plans can be cached and
//! checked as text snapshots.
//!
//! - `selection`: the planner's selection tree (fragments inlined, arguments printed).
//! - `build`: splitting selections into fetch groups, one subgraph each.
//! - `dealias`: aliases that keep a fetch valid where its subgraph types one
//!   response name two ways, and the renames that undo them.
//! - `reach`: what a field costs from where planning stands (key jumps),
//!   found as a least fixpoint per type and subgraph and kept by the planner.
//! - `way`, `lift`: a value type's field fetched again along the way to it.
//! - `context`: arguments read from an ancestor (`@context`/`@fromContext`).
//! - `order`: the groups as a tree of Sequence and Parallel nodes.
//! - this module: fetch nodes (the subgraph operations), Condition nodes,
//!   and printing.

mod build;
pub mod context;
pub mod dealias;
mod lift;
mod order;
mod reach;
pub mod selection;
mod way;

use std::fmt::{self, Write as _};
use std::sync::Arc;
use std::time::{Duration, Instant};

use apollo_compiler::executable::{Operation, OperationType};
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Name};

pub use build::PathElem;
use build::{Builder, Group, merge_groups};
use selection::{ConditionValue, Sel};

use crate::supergraph::{ActiveLabels, GraphId, Supergraph};

#[derive(Debug, Clone, thiserror::Error)]
pub enum PlanError {
    #[error("cannot plan this operation: {0}")]
    Unsatisfiable(String),
    #[error("subscriptions are not supported yet")]
    Subscription,
    #[error("planning took longer than the limit of {0:?}")]
    Timeout(Duration),
}

/// A query plan: fetches in sequential steps, each step's fetches in parallel.
#[derive(Debug, Clone)]
pub struct QueryPlan {
    pub root: Option<PlanNode>,
}

#[derive(Debug, Clone)]
pub enum PlanNode {
    /// One after the other.
    Sequence(Vec<PlanNode>),
    /// All at once.
    Parallel(Vec<PlanNode>),
    /// One request; an entity fetch merges at its path (printed as Flatten).
    Fetch(Arc<FetchNode>),
    /// Only when a variable says so (`@include`/`@skip` on all a fetch selects).
    Condition(Box<ConditionNode>),
}

#[derive(Debug, Clone)]
pub struct ConditionNode {
    pub variable: Name,
    /// `then` runs when the variable is `true` (`@include`), or `false` (`@skip`).
    pub when: bool,
    pub then: PlanNode,
}

impl ConditionNode {
    pub fn holds(&self, variables: &serde_json::Map<String, serde_json::Value>) -> bool {
        let value = variables
            .get(self.variable.as_str())
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false);
        value == self.when
    }
}

/// One request to one subgraph.
#[derive(Debug, Clone)]
pub struct FetchNode {
    /// Unique in its plan, from 0: the executor's slot for its answer.
    pub id: usize,
    pub graph: GraphId,
    pub service: String,
    /// Where entity results merge into the response; empty for root fetches.
    pub path: Vec<PathElem>,
    /// For `_entities` fetches: how to build each representation.
    pub representations: Option<Vec<Sel>>,
    /// What the fetch selects (printed in plans).
    pub selections: Vec<Sel>,
    /// Aliases to undo in the answer before it is merged (usually none).
    pub renames: Vec<dealias::Rename>,
    /// The operation sent to the subgraph.
    pub operation: Arc<str>,
    pub operation_name: Option<Arc<str>>,
    /// Client variables the operation uses.
    pub variables: Vec<Name>,
    pub is_mutation: bool,
    /// For `_entities` fetches: the selection set printed on its own and the
    /// client variables' declarations, so the executor can send several
    /// entity fetches for one subgraph as aliased fields of one request.
    pub entity_selection: Arc<str>,
    pub declarations: Vec<String>,
    /// For `_entities` fetches: values read from each object's ancestors
    /// and passed as variables (declared in `operation`, not in
    /// `declarations`); objects with different values are sent apart.
    pub contexts: Vec<context::ContextInput>,
}

pub struct Planner {
    supergraph: Arc<Supergraph>,
    time_limit: Duration,
    /// Jump costs, found as plans need them and kept (see `reach`).
    reach: reach::ReachMemo,
}

/// How long one operation may take to plan unless configured otherwise.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(2);

impl Planner {
    pub fn new(supergraph: Arc<Supergraph>) -> Self {
        Planner {
            supergraph,
            time_limit: DEFAULT_TIME_LIMIT,
            reach: reach::ReachMemo::default(),
        }
    }

    /// Planning one operation fails with [`PlanError::Timeout`] past `limit`.
    pub fn with_time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = limit;
        self
    }

    pub fn supergraph(&self) -> &Arc<Supergraph> {
        &self.supergraph
    }

    /// Plans with every progressive `@override` label off.
    pub fn plan(
        &self,
        document: &Valid<ExecutableDocument>,
        operation: &Operation,
    ) -> Result<QueryPlan, PlanError> {
        self.plan_with(document, operation, ActiveLabels::NONE)
    }

    /// Plans for a request whose active progressive `@override` labels are
    /// `active`: each overridden field comes from the subgraph its label says.
    pub fn plan_with(
        &self,
        document: &Valid<ExecutableDocument>,
        operation: &Operation,
        active: ActiveLabels,
    ) -> Result<QueryPlan, PlanError> {
        let sels = selection::from_executable(document, &operation.selection_set);
        let root = operation.selection_set.ty.clone();
        let deadline = (Instant::now() + self.time_limit, self.time_limit);
        let mut builder = Builder::new(&self.supergraph, &self.reach, active, deadline);
        // Context variables are named apart from every client variable.
        while operation
            .variables
            .iter()
            .any(|v| v.name.starts_with(builder.context_prefix.as_str()))
        {
            builder.context_prefix.push('_');
        }
        let mutation = match operation.operation_type {
            OperationType::Query => {
                builder.plan_query(&root, &sels);
                false
            }
            OperationType::Mutation => {
                builder.plan_mutation(&root, &sels);
                true
            }
            OperationType::Subscription => return Err(PlanError::Subscription),
        };
        let mut groups = builder.finish()?;
        merge_groups(&mut groups);
        Ok(self.order(groups, operation, mutation))
    }

    /// Turns groups into the plan tree (see `order`), each fetch under the
    /// condition everything it selects shares, if any.
    fn order(&self, groups: Vec<Group>, operation: &Operation, mutation: bool) -> QueryPlan {
        let mut next_id = 0;
        let root = order::tree(&groups, |i| {
            let fetch = self.fetch(&groups[i], next_id, i, operation, mutation);
            next_id += 1;
            let node = PlanNode::Fetch(Arc::new(fetch));
            match shared_condition(&groups[i].selections) {
                Some((variable, when)) => PlanNode::Condition(Box::new(ConditionNode {
                    variable,
                    when,
                    then: node,
                })),
                None => node,
            }
        });
        QueryPlan { root }
    }

    fn fetch(
        &self,
        group: &Group,
        id: usize,
        index: usize,
        operation: &Operation,
        mutation: bool,
    ) -> FetchNode {
        let subgraph = self.supergraph.subgraph(group.graph);
        let mut selections = group.selections.clone();
        let parent = if group.entity {
            // Entity selections are all fragments on the entity types.
            Name::new_unchecked("_Entity")
        } else {
            operation.selection_set.ty.clone()
        };
        let renames = dealias::resolve(&self.supergraph, group.graph, &parent, &mut selections);
        let mut body = String::new();
        let mut variables = Vec::new();
        if group.entity {
            body.push_str("{ _entities(representations: $representations) ");
            selection::print(&selections, &mut body, &mut variables);
            body.push_str(" }");
        } else {
            selection::print(&selections, &mut body, &mut variables);
        }
        let operation_name = operation.name.as_ref().map(|name| {
            let service: String = subgraph
                .name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            Arc::<str>::from(format!("{name}__{service}__{index}"))
        });
        let mut client_declarations: Vec<String> = Vec::new();
        for name in &variables {
            if let Some(def) = operation.variables.iter().find(|v| &v.name == name) {
                // The default travels too: a nullable variable with a default
                // may stand where the subgraph expects a non-null value.
                let mut declaration = format!("${}: {}", def.name, def.ty);
                if let Some(default) = &def.default_value {
                    let _ = write!(declaration, " = {default}");
                }
                client_declarations.push(declaration);
            }
        }
        let mut declarations: Vec<String> = Vec::new();
        if group.entity {
            declarations.push("$representations: [_Any!]!".into());
            for input in &group.contexts {
                declarations.push(format!("${}: {}", input.variable, input.ty));
            }
        }
        declarations.extend(client_declarations.iter().cloned());
        let mut entity_selection = String::new();
        if group.entity {
            selection::print(&selections, &mut entity_selection, &mut Vec::new());
        }
        let kind = if mutation && !group.entity {
            "mutation"
        } else {
            "query"
        };
        let mut text = String::from(kind);
        if let Some(name) = &operation_name {
            let _ = write!(text, " {name}");
        }
        if !declarations.is_empty() {
            let _ = write!(text, "({})", declarations.join(", "));
        }
        let _ = write!(text, " {body}");
        FetchNode {
            id,
            graph: group.graph,
            service: subgraph.name.clone(),
            path: group.path.clone(),
            representations: group.entity.then(|| group.representations.clone()),
            selections,
            renames,
            operation: text.into(),
            operation_name,
            variables,
            is_mutation: mutation && !group.entity,
            entity_selection: entity_selection.into(),
            declarations: client_declarations,
            contexts: if group.entity {
                group.contexts.clone()
            } else {
                Vec::new()
            },
        }
    }
}

/// The variable condition every one of `sels` is under, if any: `(variable,
/// value it must have)`.
fn shared_condition(sels: &[Sel]) -> Option<(Name, bool)> {
    let mut shared: Option<Vec<(Name, bool)>> = None;
    for sel in sels {
        let mine = conditions_of(sel);
        shared = Some(match shared {
            None => mine,
            Some(so_far) => so_far.into_iter().filter(|c| mine.contains(c)).collect(),
        });
    }
    shared?.into_iter().next()
}

/// The variable conditions under which `sel` selects anything: its own,
/// and for a fragment those all of its selections share.
fn conditions_of(sel: &Sel) -> Vec<(Name, bool)> {
    let (own, inner) = match sel {
        Sel::Field(f) => (&f.conditions, None),
        Sel::Fragment(fr) => (&fr.conditions, Some(&fr.selections)),
    };
    let mut out: Vec<(Name, bool)> = own
        .iter()
        .filter_map(|c| match &c.value {
            ConditionValue::Variable(name) => Some((name.clone(), !c.skip)),
            ConditionValue::Constant(_) => None,
        })
        .collect();
    if let Some(inner) = inner
        && let Some(shared) = shared_condition(inner)
        && !out.contains(&shared)
    {
        out.push(shared);
    }
    out
}

impl fmt::Display for QueryPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "QueryPlan {{")?;
        if let Some(root) = &self.root {
            root.write(f, 1)?;
        }
        writeln!(f, "}}")
    }
}

impl PlanNode {
    fn write(&self, f: &mut fmt::Formatter<'_>, depth: usize) -> fmt::Result {
        let pad = "  ".repeat(depth);
        match self {
            PlanNode::Sequence(nodes) | PlanNode::Parallel(nodes) => {
                let name = if matches!(self, PlanNode::Sequence(_)) {
                    "Sequence"
                } else {
                    "Parallel"
                };
                writeln!(f, "{pad}{name} {{")?;
                for node in nodes {
                    node.write(f, depth + 1)?;
                }
                writeln!(f, "{pad}}},")
            }
            PlanNode::Condition(condition) => {
                let name = if condition.when { "Include" } else { "Skip" };
                writeln!(f, "{pad}{name}(if: ${}) {{", condition.variable)?;
                condition.then.write(f, depth + 1)?;
                writeln!(f, "{pad}}},")
            }
            PlanNode::Fetch(fetch) => {
                let mut inner = depth;
                if !fetch.path.is_empty() {
                    writeln!(f, "{pad}Flatten(path: \"{}\") {{", print_path(&fetch.path))?;
                    inner += 1;
                }
                let ipad = "  ".repeat(inner);
                writeln!(f, "{ipad}Fetch(service: \"{}\") {{", fetch.service)?;
                let mut ignored = Vec::new();
                if let Some(reps) = &fetch.representations {
                    let mut text = String::new();
                    selection::print(reps, &mut text, &mut ignored);
                    writeln!(f, "{ipad}  {text} =>")?;
                }
                for input in &fetch.contexts {
                    // `$v: T from "a.b" { read }`: read on the ancestor at a.b.
                    let mut text = String::new();
                    selection::print(&input.selection, &mut text, &mut ignored);
                    let at = print_path(&fetch.path[..input.depth.min(fetch.path.len())]);
                    writeln!(
                        f,
                        "{ipad}  ${}: {} from \"{at}\" {text}",
                        input.variable, input.ty
                    )?;
                }
                let mut text = String::new();
                selection::print(&fetch.selections, &mut text, &mut ignored);
                writeln!(f, "{ipad}  {text}")?;
                writeln!(f, "{ipad}}},")?;
                if !fetch.path.is_empty() {
                    writeln!(f, "{pad}}},")?;
                }
                Ok(())
            }
        }
    }
}

pub fn print_path(path: &[PathElem]) -> String {
    path.iter()
        .map(|p| match p {
            PathElem::Key(k) => k.as_str(),
            PathElem::List => "@",
        })
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
impl FetchNode {
    /// A fetch with nothing in it but its id, for tests of the plan's shape.
    pub fn stub(id: usize) -> FetchNode {
        FetchNode {
            id,
            graph: GraphId::default(),
            service: String::new(),
            path: Vec::new(),
            representations: None,
            selections: Vec::new(),
            renames: Vec::new(),
            operation: "".into(),
            operation_name: None,
            variables: Vec::new(),
            is_mutation: false,
            entity_selection: "".into(),
            declarations: Vec::new(),
            contexts: Vec::new(),
        }
    }
}
