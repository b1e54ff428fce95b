//! Runs a query plan against the subgraphs and shapes the client response.
//!
//! - this module: walking the plan tree (a Sequence's nodes in order, a
//!   Parallel's at once, a Condition's if its variable says so), building
//!   `_entities` representations from the data fetched so far
//!   (de-duplicated) and merging results back in place.
//! - `tree`: the data tree answers are parsed and merged into, borrowing
//!   from the subgraphs' response bodies, which this module keeps alive.
//! - `answer`: reading a subgraph's HTTP answer as a GraphQL response.
//! - `entities`: finding the objects a fetch applies to, writing their
//!   representations, merging entities back.
//! - `context`: the values of context arguments, read from ancestors.
//! - `hidden`: enum values and object types clients may never see.
//! - `shape`: the final pass over the client's own selection set: aliases,
//!   field order, `__typename`, `@skip`/`@include`, fragments by runtime type
//!   and null propagation.

pub mod answer;
mod context;
pub mod entities;
pub mod hidden;
pub mod reps;
mod shape;
pub mod tree;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock, PoisonError};

use apollo_compiler::ExecutableDocument;
use apollo_compiler::executable::Operation;
use apollo_compiler::validation::Valid;
use bytes::Bytes;
use futures::future::{BoxFuture, join, join_all};
use serde_json::Value;

use crate::graphql::{Error, JsonMap, PathSegment, RawData, Response};
use crate::plan::dealias::Rename;
use crate::plan::selection::Sel;
use crate::plan::{FetchNode, PathElem, PlanNode, QueryPlan};
use crate::request::RequestContext;
use crate::supergraph::Supergraph;
use crate::transport::{RawResponse, SubgraphRequest, Transport, TransportError};
use answer::Answer;
use entities::{
    Paths, collect_objects, deep_merge, pointer_mut, to_segments, write_representation,
};
use hidden::Hidden;
use reps::RepList;
use tree::{Node, Object};

/// The most a response buffer reserves before writing; larger responses grow it.
const MAX_RESERVED_RESPONSE: usize = 4 << 20;

/// Executes `plan` for `operation` with already coerced `variables`.
/// `unauthorized` are the operation's fields (by node identity) the client
/// may not see: the plan leaves them out, the response holds null with an
/// error for each.
#[allow(clippy::too_many_arguments)]
pub async fn execute(
    supergraph: &Supergraph,
    hidden: &Hidden,
    plan: &QueryPlan,
    document: &Valid<ExecutableDocument>,
    operation: &Operation,
    variables: &JsonMap,
    transport: &dyn Transport,
    context: &RequestContext,
    unauthorized: Option<&HashSet<usize>>,
) -> Response {
    // One slot per fetch for the response bodies the data tree borrows from:
    // they live until the response is written.
    let fetches = plan.root.as_ref().map_or(0, count_fetches);
    let bodies: Vec<OnceLock<Bytes>> = (0..fetches).map(|_| OnceLock::new()).collect();
    let state = Mutex::new(State {
        data: Node::Object(Object::new()),
        errors: Vec::new(),
    });
    if let Some(root) = &plan.root {
        let walk = Walk {
            bodies: &bodies,
            state: &state,
            supergraph,
            variables,
            transport,
            context,
        };
        walk.node(root).await;
    }
    let state = state.into_inner().unwrap_or_else(PoisonError::into_inner);
    let State { data, mut errors } = state;
    // The response is about as large as the answers, more where entities
    // repeat: sized up front, the buffer is written without regrowing.
    let answered: usize = bodies
        .iter()
        .filter_map(OnceLock::get)
        .map(Bytes::len)
        .sum();
    // Capped, so one huge answer does not reserve twice its size up front.
    let mut out = RawData::buffer((answered * 2 + 1024).min(MAX_RESERVED_RESPONSE));
    shape::shape(
        supergraph,
        hidden,
        document,
        operation,
        variables,
        &data,
        unauthorized,
        &mut errors,
        &mut out,
    );
    Response {
        data: None,
        raw_data: Some(RawData::new(out)),
        errors,
        extensions: JsonMap::new(),
    }
}

struct State<'b> {
    data: Node<'b>,
    errors: Vec<Error>,
}

fn count_fetches(node: &PlanNode) -> usize {
    match node {
        PlanNode::Fetch(_) => 1,
        PlanNode::Sequence(nodes) | PlanNode::Parallel(nodes) => {
            nodes.iter().map(count_fetches).sum()
        }
        PlanNode::Condition(condition) => count_fetches(&condition.then),
    }
}

/// Walking one plan for one request. The data is shared by the branches
/// that run at once; each holds the lock only to read representations out
/// of it or merge an answer in, never across a wait.
struct Walk<'r, 'b> {
    bodies: &'b [OnceLock<Bytes>],
    state: &'r Mutex<State<'b>>,
    supergraph: &'r Supergraph,
    variables: &'r JsonMap,
    transport: &'r dyn Transport,
    context: &'r RequestContext,
}

impl<'r, 'b> Walk<'r, 'b> {
    fn node<'n>(&'n self, node: &'n PlanNode) -> BoxFuture<'n, ()> {
        Box::pin(async move {
            match node {
                PlanNode::Fetch(fetch) => self.fetches(&[fetch]).await,
                PlanNode::Sequence(nodes) => {
                    for node in nodes {
                        self.node(node).await;
                    }
                }
                PlanNode::Parallel(nodes) => {
                    // The fetches right here go out together (one request per
                    // subgraph); nested branches run beside them.
                    let fetches: Vec<&FetchNode> = nodes
                        .iter()
                        .filter_map(|n| match n {
                            PlanNode::Fetch(fetch) => Some(&**fetch),
                            _ => None,
                        })
                        .collect();
                    let branches = nodes
                        .iter()
                        .filter(|n| !matches!(n, PlanNode::Fetch(_)))
                        .map(|n| self.node(n));
                    join(self.fetches(&fetches), join_all(branches)).await;
                }
                PlanNode::Condition(condition) => {
                    if condition.holds(self.variables) {
                        self.node(&condition.then).await;
                    }
                }
            }
        })
    }

    /// Runs fetches that are ready together: requests built from the data as
    /// it is now, sent at once, answers merged in plan order.
    async fn fetches(&self, fetches: &[&FetchNode]) {
        if fetches.is_empty() {
            return;
        }
        let Walk {
            bodies,
            state,
            supergraph,
            variables,
            transport,
            context,
        } = self;
        let mut prepared: Vec<(&FetchNode, Option<Prepared<'_>>)> = {
            let state = state.lock().unwrap_or_else(PoisonError::into_inner);
            let mut prepared = Vec::with_capacity(fetches.len());
            for fetch in fetches {
                prepare(supergraph, fetch, &state.data, variables, &mut prepared);
            }
            prepared
        };
        coalesce(&mut prepared);
        let batches = batches(&prepared);
        let raw = send_step(&mut prepared, &batches, supergraph, *transport, context).await;
        let mut answers: Vec<Option<Result<Answer<'b>, TransportError>>> =
            (0..prepared.len()).map(|_| None).collect();
        for (batch, raw) in batches.iter().zip(raw) {
            let Some(raw) = raw else { continue };
            let fetch = prepared[batch[0]].0;
            let read = raw.and_then(|RawResponse { status, body, .. }| {
                let body = bodies[fetch.id].get_or_init(|| body);
                answer::read(&fetch.service, status, body)
            });
            match (read, batch.len()) {
                (Ok(answer), 1) => answers[batch[0]] = Some(Ok(answer)),
                (Ok(answer), parts) => {
                    for (&i, part) in batch.iter().zip(split_combined(answer, parts)) {
                        answers[i] = Some(Ok(part));
                    }
                }
                (Err(err), _) => {
                    for &i in batch {
                        answers[i] = Some(Err(err.clone()));
                    }
                }
            }
        }
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        for ((fetch, prepared), answer) in prepared.into_iter().zip(answers) {
            let (Some(prepared), Some(answer)) = (prepared, answer) else {
                continue;
            };
            match answer {
                Ok(answer) => merge(supergraph, fetch, prepared, answer, &mut state),
                Err(err) => fetch_failed(fetch, &prepared, &err, &mut state),
            }
        }
    }
}

/// A fetch that got no GraphQL answer: its fields are null, with an error
/// at each.
fn fetch_failed(
    fetch: &FetchNode,
    prepared: &Prepared<'_>,
    err: &TransportError,
    state: &mut State,
) {
    let mut error = Error::coded(
        format!(
            "subgraph {} failed: {}",
            fetch.service,
            err.code().to_lowercase().replace('_', " ")
        ),
        err.code(),
    );
    error
        .extensions
        .insert("service".into(), Value::String(fetch.service.clone()));
    tracing::warn!(service = %fetch.service, error = %err, "subgraph fetch failed");
    if fetch.representations.is_none() {
        // The fields this root fetch would have answered are null.
        for key in top_level_keys(&fetch.selections) {
            state
                .errors
                .push(error.clone().with_path(vec![PathSegment::Key(key)]));
        }
    } else {
        if let Some(&(object, _)) = prepared.target_rep.first() {
            let path = prepared.paths.get(object);
            if !path.is_empty() {
                error = error.with_path(to_segments(path));
            }
        }
        state.errors.push(error);
    }
}

/// Groups a step's ready fetches into requests: one per fetch, except that
/// entity fetches bound for the same subgraph travel together as aliased
/// `_entities` fields of a single request. Indices into `prepared`, in
/// first-seen order.
fn batches(prepared: &[(&FetchNode, Option<Prepared<'_>>)]) -> Vec<Vec<usize>> {
    let mut batches: Vec<Vec<usize>> = Vec::new();
    for (i, (fetch, ready)) in prepared.iter().enumerate() {
        if ready.is_none() {
            continue;
        }
        let joinable = fetch.representations.is_some();
        match batches.iter_mut().find(|b| {
            joinable && {
                let (first, _) = &prepared[b[0]];
                first.graph == fetch.graph && first.representations.is_some()
            }
        }) {
            Some(batch) => batch.push(i),
            None => batches.push(vec![i]),
        }
    }
    batches
}

/// Sends one request per batch, all at once. Requests are moved out of
/// `prepared`, never copied.
async fn send_step(
    prepared: &mut [(&FetchNode, Option<Prepared<'_>>)],
    batches: &[Vec<usize>],
    supergraph: &Supergraph,
    transport: &dyn Transport,
    context: &RequestContext,
) -> Vec<Option<Result<RawResponse, TransportError>>> {
    let mut requests = Vec::with_capacity(batches.len());
    for batch in batches {
        let graph = prepared[batch[0]].0.graph;
        let mut parts: Vec<(&FetchNode, SubgraphRequest)> = Vec::with_capacity(batch.len());
        for &i in batch {
            let (fetch, ready) = &mut prepared[i];
            if let Some(request) = ready.as_mut().and_then(Prepared::take_request) {
                parts.push((*fetch, request));
            }
        }
        let request = if parts.len() == 1 {
            parts.pop().map(|(_, r)| r)
        } else {
            Some(combined_request(parts))
        };
        requests.push((graph, request));
    }
    join_all(requests.into_iter().map(|(graph, request)| async move {
        let request = request?;
        Some(
            transport
                .fetch(supergraph.subgraph(graph), request, context)
                .await,
        )
    }))
    .await
}

/// `query($r0: [_Any!]!, $r1: …, <client variables>) { _0: _entities(representations: $r0) {…} _1: … }`,
/// with each part's context variables named `$r<part>_<n>`. The `r`
/// grows underscores until no client variable's name starts with it.
fn combined_request(parts: Vec<(&FetchNode, SubgraphRequest)>) -> SubgraphRequest {
    let mut prefix = String::from("r");
    while parts.iter().any(|(fetch, _)| {
        fetch.declarations.iter().any(|d| {
            d.strip_prefix('$')
                .is_some_and(|n| n.starts_with(prefix.as_str()))
        })
    }) {
        prefix.push('_');
    }
    let mut declarations: Vec<String> = Vec::new();
    let mut body = String::from("{");
    let mut variables: Vec<(String, String)> = Vec::new();
    for (i, (fetch, request)) in parts.into_iter().enumerate() {
        declarations.push(format!("${prefix}{i}: [_Any!]!"));
        for d in &fetch.declarations {
            if !declarations.contains(d) {
                declarations.push(d.clone());
            }
        }
        let mut selection = std::borrow::Cow::Borrowed(&*fetch.entity_selection);
        for (n, input) in fetch.contexts.iter().enumerate() {
            let renamed = format!("{prefix}{i}_{n}");
            selection = context::rename_variable(&selection, &input.variable, &renamed).into();
            declarations.push(format!("${renamed}: {}", input.ty));
            if let Some((_, value)) = request
                .variables
                .iter()
                .find(|(n, _)| *n == *input.variable)
            {
                variables.push((renamed, value.clone()));
            }
        }
        let _ = write!(
            body,
            " _{i}: _entities(representations: ${prefix}{i}) {selection}"
        );
        for (name, value) in request.variables {
            if name == "representations" {
                variables.push((format!("{prefix}{i}"), value));
            } else if fetch.contexts.iter().any(|c| *c.variable == *name) {
                // Sent under the part's own name above.
            } else if !variables.iter().any(|(n, _)| *n == name) {
                variables.push((name, value));
            }
        }
    }
    body.push_str(" }");
    SubgraphRequest {
        query: format!("query({}) {body}", declarations.join(", ")).into(),
        operation_name: None,
        variables,
        idempotent: true,
    }
}

/// One combined answer back into one answer per part, as if each part had
/// been sent alone (`_i` becomes `_entities`, error paths too).
fn split_combined(answer: Answer<'_>, parts: usize) -> Vec<Answer<'_>> {
    let mut data = match answer.data {
        Some(Node::Object(map)) => Some(map),
        _ => None,
    };
    let mut out: Vec<Answer> = (0..parts)
        .map(|i| Answer {
            data: data.as_mut().map(|map| {
                let mut part = Object::new();
                part.push(
                    "_entities".into(),
                    map.remove(&format!("_{i}")).unwrap_or_default(),
                );
                Node::Object(part)
            }),
            errors: Vec::new(),
        })
        .collect();
    for mut error in answer.errors {
        let part = match error.path.as_mut().and_then(|p| p.first_mut()) {
            Some(PathSegment::Key(alias)) => alias
                .strip_prefix('_')
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|&n| n < parts)
                .inspect(|_| *alias = "_entities".into()),
            _ => None,
        };
        out[part.unwrap_or(0)].errors.push(error);
    }
    out
}

/// A ready request plus, for entity fetches, which objects each
/// representation came from.
struct Prepared<'p> {
    /// Taken when sent.
    request: Option<SubgraphRequest>,
    /// Entity fetches: the representations, added to the request when sent.
    reps: Option<RepList>,
    /// Response paths of the objects at the fetch's path.
    paths: Paths<'p>,
    /// (object, representation) for every object that has a representation;
    /// objects with equal representations share one.
    target_rep: Vec<(usize, usize)>,
    /// Context variables and their values (JSON text), the same for every
    /// object here.
    context: Vec<(String, String)>,
}

impl<'p> Prepared<'p> {
    fn take_request(&mut self) -> Option<SubgraphRequest> {
        let mut request = self.request.take()?;
        if let Some(reps) = self.reps.take() {
            request
                .variables
                .push(("representations".into(), reps.into_json()));
        }
        request.variables.append(&mut self.context);
        Some(request)
    }

    /// Takes over another fetch's objects: their representations join this
    /// list (each distinct one once) and the answers go to their paths too.
    fn absorb(&mut self, other: Prepared<'p>) {
        let (Some(reps), Some(theirs)) = (self.reps.as_mut(), other.reps.as_ref()) else {
            return;
        };
        let remap: Vec<usize> = (0..theirs.len())
            .map(|i| reps.push(theirs.item(i)))
            .collect();
        let offset = self.paths.len();
        self.paths.extend(&other.paths);
        self.target_rep.extend(
            other
                .target_rep
                .iter()
                .map(|&(object, rep)| (object + offset, remap[rep])),
        );
    }
}

/// Entity fetches of one step for one subgraph that select the same thing
/// (the same types and fields, at different paths) become one: one
/// `_entities` field, one de-duplicated representation list, whose answers
/// go back to every path. An entity met at several paths is then sent and
/// resolved once.
fn coalesce(prepared: &mut [(&FetchNode, Option<Prepared<'_>>)]) {
    for j in 1..prepared.len() {
        let fetch = prepared[j].0;
        if fetch.representations.is_none() || prepared[j].1.is_none() {
            continue;
        }
        let context = prepared[j].1.as_ref().map(|p| &p.context);
        let Some(i) = (0..j).find(|&i| {
            let (other, ready) = &prepared[i];
            ready.as_ref().map(|p| &p.context) == context && same_entity_selection(other, fetch)
        }) else {
            continue;
        };
        if let Some(donor) = prepared[j].1.take()
            && let Some(target) = prepared[i].1.as_mut()
        {
            target.absorb(donor);
        }
    }
}

fn same_entity_selection(a: &FetchNode, b: &FetchNode) -> bool {
    a.graph == b.graph
        && a.representations.is_some()
        && b.representations.is_some()
        && a.entity_selection == b.entity_selection
        && a.renames == b.renames
        && a.variables == b.variables
}

/// Response keys a fetch's top-level selections fill.
fn top_level_keys(sels: &[Sel]) -> Vec<String> {
    let mut keys = Vec::new();
    for sel in sels {
        match sel {
            Sel::Field(f) => {
                let key = f.response_key().to_string();
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
            Sel::Fragment(fr) => {
                for key in top_level_keys(&fr.selections) {
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
            }
        }
    }
    keys
}

/// Adds to `out` the requests for `fetch` with the data as it is: one
/// `None` when nothing applies, one request, or for a fetch with context
/// arguments one per distinct set of context values.
fn prepare<'p>(
    supergraph: &Supergraph,
    fetch: &'p FetchNode,
    data: &Node<'_>,
    variables: &JsonMap,
    out: &mut Vec<(&'p FetchNode, Option<Prepared<'p>>)>,
) {
    // `@skip`/`@include` that exclude everything a fetch selects make it moot.
    if !fetch.selections.is_empty() && fetch.selections.iter().all(|s| s.is_skipped(variables)) {
        out.push((fetch, None));
        return;
    }
    let request_variables: Vec<(String, String)> = fetch
        .variables
        .iter()
        .filter_map(|name| {
            let value = variables.get(name.as_str())?;
            Some((name.to_string(), serde_json::to_string(value).ok()?))
        })
        .collect();
    let request = |variables, idempotent| SubgraphRequest {
        query: fetch.operation.clone(),
        operation_name: fetch.operation_name.clone(),
        variables,
        idempotent,
    };
    let Some(rep_sels) = &fetch.representations else {
        let prepared = Prepared {
            reps: None,
            request: Some(request(request_variables, !fetch.is_mutation)),
            paths: Paths::default(),
            target_rep: Vec::new(),
            context: Vec::new(),
        };
        out.push((fetch, Some(prepared)));
        return;
    };
    if !fetch.contexts.is_empty() {
        let before = out.len();
        for group in context::group_objects(supergraph, data, &fetch.path, &fetch.contexts) {
            let (reps, target_rep) = representations(supergraph, &group.objects, rep_sels);
            if target_rep.is_empty() {
                continue;
            }
            let prepared = Prepared {
                reps: Some(reps),
                request: Some(request(request_variables.clone(), true)),
                paths: group.paths,
                target_rep,
                context: group.values,
            };
            out.push((fetch, Some(prepared)));
        }
        if out.len() == before {
            out.push((fetch, None));
        }
        return;
    }
    let mut objects = Vec::new();
    let mut paths = Paths::default();
    collect_objects(data, &fetch.path, &mut Vec::new(), &mut paths, &mut objects);
    let (reps, target_rep) = representations(supergraph, &objects, rep_sels);
    if target_rep.is_empty() {
        out.push((fetch, None));
        return;
    }
    let prepared = Prepared {
        reps: Some(reps),
        request: Some(request(request_variables, true)),
        paths,
        target_rep,
        context: Vec::new(),
    };
    out.push((fetch, Some(prepared)));
}

/// The representations of `objects`, each distinct one once, plus
/// (object, representation) for every object that has one.
fn representations(
    supergraph: &Supergraph,
    objects: &[&Node<'_>],
    rep_sels: &[Sel],
) -> (RepList, Vec<(usize, usize)>) {
    let mut reps = RepList::with_capacity(objects.len());
    let mut target_rep = Vec::with_capacity(objects.len());
    for (object_index, object) in objects.iter().enumerate() {
        let mark = reps.begin();
        if write_representation(supergraph, object, rep_sels, reps.buffer()) {
            target_rep.push((object_index, reps.end(mark)));
        } else {
            reps.abandon(mark);
        }
    }
    (reps, target_rep)
}

fn merge<'b>(
    supergraph: &Supergraph,
    fetch: &FetchNode,
    prepared: Prepared,
    answer: Answer<'b>,
    state: &mut State<'b>,
) {
    let Answer { data, errors } = answer;
    if fetch.representations.is_none() {
        for error in errors {
            state.errors.push(with_service(error, &fetch.service));
        }
        if let Some(mut data) = data {
            undo_aliases(&fetch.renames, &mut data);
            deep_merge(&mut state.data, data);
        }
        return;
    }
    let mut entities = match data {
        Some(Node::Object(mut map)) => match map.remove("_entities") {
            Some(Node::List(entities)) => entities,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    if !fetch.renames.is_empty() {
        for entity in &mut entities {
            undo_aliases(&fetch.renames, entity);
        }
    }
    for error in errors {
        state
            .errors
            .push(remap_entity_error(error, &prepared, &fetch.service));
    }
    // An entity shared by several objects is copied for all but its last
    // use; most are used once and simply moved into place.
    let mut uses = vec![0usize; entities.len()];
    for &(_, i) in &prepared.target_rep {
        if let Some(u) = uses.get_mut(i) {
            *u += 1;
        }
    }
    for &(object, rep_index) in &prepared.target_rep {
        let Some(slot) = entities.get_mut(rep_index) else {
            continue;
        };
        if slot.is_null() {
            continue;
        }
        uses[rep_index] -= 1;
        let mut entity = if uses[rep_index] == 0 {
            std::mem::take(slot)
        } else {
            slot.clone()
        };
        if let Some(object) = pointer_mut(&mut state.data, prepared.paths.get(object)) {
            keep_concrete_typename(supergraph, object, &mut entity);
            deep_merge(object, entity);
        }
    }
}

/// Gives the fields the planner aliased (see `plan::dealias`) their own
/// names back, innermost first, so nothing after the fetch sees an alias.
fn undo_aliases(renames: &[Rename], answer: &mut Node<'_>) {
    for rename in renames.iter().rev() {
        rename_at(answer, &rename.path, &rename.alias, &rename.name);
    }
}

fn rename_at(node: &mut Node<'_>, path: &[PathElem], from: &str, to: &str) {
    match (node, path.split_first()) {
        (Node::Object(object), None) => {
            if let Some(aliased) = object.rename(from, to)
                && let Some(existing) = object.get_mut(to)
            {
                deep_merge(existing, aliased);
            }
        }
        (Node::Object(object), Some((PathElem::Key(key), rest))) => {
            if let Some(child) = object.get_mut(key) {
                rename_at(child, rest, from, to);
            }
        }
        (Node::List(items), Some((PathElem::List, rest))) => {
            for item in items {
                rename_at(item, rest, from, to);
            }
        }
        _ => {}
    }
}

/// An entity answered under an interface's name must not hide the concrete
/// type already known; a concrete type answered for an object known only by
/// its interface's name replaces it.
fn keep_concrete_typename(supergraph: &Supergraph, object: &Node<'_>, entity: &mut Node<'_>) {
    let (Some(known), Node::Object(fresh)) =
        (object.get("__typename").and_then(Node::as_str), entity)
    else {
        return;
    };
    if !supergraph.is_abstract(known) {
        fresh.remove("__typename");
    }
}

fn with_service(mut error: Error, service: &str) -> Error {
    error
        .extensions
        .entry("service")
        .or_insert_with(|| Value::String(service.to_owned()));
    error
}

/// `["_entities", i, rest…]` becomes the path of the object(s) built into
/// representation `i`, followed by `rest`.
fn remap_entity_error(error: Error, prepared: &Prepared<'_>, service: &str) -> Error {
    let mut error = with_service(error, service);
    if let Some(path) = &error.path {
        if let (Some(PathSegment::Key(first)), Some(PathSegment::Index(i))) =
            (path.first(), path.get(1))
            && first == "_entities"
        {
            let rest = path[2..].to_vec();
            if let Some(target) = prepared
                .target_rep
                .iter()
                .find(|(_, r)| r == i)
                .map(|&(object, _)| to_segments(prepared.paths.get(object)))
            {
                let mut full = target;
                full.extend(rest);
                error.path = Some(full);
            } else {
                error.path = None;
            }
        }
    } else if let Some(&(object, _)) = prepared.target_rep.first() {
        error.path = Some(to_segments(prepared.paths.get(object)));
    }
    error
}
