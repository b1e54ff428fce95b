//! Runs a query plan against the subgraphs and shapes the client response.
//!
//! - this module: walking the plan (steps in order, a step's fetches
//!   concurrently), building `_entities` representations from the data
//!   fetched so far (de-duplicated) and merging results back in place.
//! - `shape`: the final pass over the client's own selection set: aliases,
//!   field order, `__typename`, `@skip`/`@include`, fragments by runtime type
//!   and null propagation.

pub mod entities;
mod shape;

use std::collections::HashMap;

use apollo_compiler::ExecutableDocument;
use apollo_compiler::executable::Operation;
use apollo_compiler::validation::Valid;
use futures::future::join_all;
use serde_json::{Map, Value};

use crate::graphql::{Error, JsonMap, PathSegment, Response};
use crate::plan::selection::Sel;
use crate::plan::{FetchNode, PlanNode, QueryPlan};
use crate::supergraph::Supergraph;
use crate::transport::{SubgraphRequest, Transport};
use entities::{
    Step, collect_objects, deep_merge, pointer_mut, representation, steps, to_segments,
};

/// Executes `plan` for `operation` with already coerced `variables`.
pub async fn execute(
    supergraph: &Supergraph,
    plan: &QueryPlan,
    document: &Valid<ExecutableDocument>,
    operation: &Operation,
    variables: &JsonMap,
    transport: &dyn Transport,
) -> Response {
    let mut state = State {
        data: Value::Object(Map::new()),
        errors: Vec::new(),
    };
    if let Some(root) = &plan.root {
        run(root, &mut state, supergraph, variables, transport).await;
    }
    let State { data, mut errors } = state;
    let raw = shape::shape(
        supergraph,
        document,
        operation,
        variables,
        &data,
        &mut errors,
    );
    // The merged tree is dropped off the response path.
    drop(data);
    Response {
        data: None,
        raw_data: Some(raw),
        errors,
        extensions: JsonMap::new(),
    }
}

struct State {
    data: Value,
    errors: Vec<Error>,
}

async fn run(
    root: &PlanNode,
    state: &mut State,
    supergraph: &Supergraph,
    variables: &JsonMap,
    transport: &dyn Transport,
) {
    for step in steps(root) {
        // Build every request of the step from the data as it is now, send them
        // together, then merge the answers in plan order.
        let mut prepared: Vec<(&FetchNode, Option<Prepared>)> = step
            .into_iter()
            .map(|fetch| (fetch, prepare(supergraph, fetch, &state.data, variables)))
            .collect();
        let responses = send_step(&mut prepared, supergraph, transport).await;
        for ((fetch, prepared), response) in prepared.into_iter().zip(responses) {
            let (Some(prepared), Some(response)) = (prepared, response) else {
                continue;
            };
            match response {
                Ok(response) => merge(supergraph, fetch, prepared, response, state),
                Err(err) => {
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
                        if let Some(path) = prepared.targets.first().filter(|p| !p.is_empty()) {
                            error = error.with_path(to_segments(path));
                        }
                        state.errors.push(error);
                    }
                }
            }
        }
    }
}

/// Sends a step's requests: one per fetch, except that entity fetches bound
/// for the same subgraph travel together as aliased `_entities` fields of a
/// single request. Requests are moved out of `prepared`, never copied.
async fn send_step(
    prepared: &mut [(&FetchNode, Option<Prepared>)],
    supergraph: &Supergraph,
    transport: &dyn Transport,
) -> Vec<Option<Result<Response, crate::transport::TransportError>>> {
    // Batches of indices into `prepared`, in first-seen order.
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
    let mut requests = Vec::with_capacity(batches.len());
    for batch in &batches {
        let graph = prepared[batch[0]].0.graph;
        let mut parts: Vec<(&FetchNode, SubgraphRequest)> = Vec::with_capacity(batch.len());
        for &i in batch {
            let (fetch, ready) = &mut prepared[i];
            if let Some(request) = ready.as_mut().and_then(|r| r.request.take()) {
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
    let answers = join_all(requests.into_iter().zip(&batches).map(
        |((graph, request), batch)| async move {
            let request = request?;
            let answer = transport.fetch(supergraph.subgraph(graph), request).await;
            Some(if batch.len() == 1 {
                vec![answer]
            } else {
                split_combined(answer, batch.len())
            })
        },
    ))
    .await;
    let mut out: Vec<Option<Result<Response, crate::transport::TransportError>>> =
        (0..prepared.len()).map(|_| None).collect();
    for (batch, answer) in batches.iter().zip(answers) {
        let Some(answer) = answer else { continue };
        for (&i, response) in batch.iter().zip(answer) {
            out[i] = Some(response);
        }
    }
    out
}

/// `query($r0: [_Any!]!, $r1: …, <client variables>) { _0: _entities(representations: $r0) {…} _1: … }`
fn combined_request(parts: Vec<(&FetchNode, SubgraphRequest)>) -> SubgraphRequest {
    let mut declarations: Vec<String> = Vec::new();
    let mut body = String::from("{");
    let mut variables = JsonMap::new();
    for (i, (fetch, request)) in parts.into_iter().enumerate() {
        declarations.push(format!("$r{i}: [_Any!]!"));
        for d in &fetch.declarations {
            if !declarations.contains(d) {
                declarations.push(d.clone());
            }
        }
        body.push_str(&format!(
            " _{i}: _entities(representations: $r{i}) {}",
            fetch.entity_selection
        ));
        for (name, value) in request.variables {
            if name == "representations" {
                variables.insert(format!("r{i}"), value);
            } else {
                variables.insert(name, value);
            }
        }
    }
    body.push_str(" }");
    SubgraphRequest {
        query: format!("query({}) {body}", declarations.join(", ")).into(),
        operation_name: None,
        variables,
        dedup: true,
    }
}

/// One combined answer back into one answer per part, as if each part had
/// been sent alone (`_i` becomes `_entities`, error paths too).
fn split_combined(
    answer: Result<Response, crate::transport::TransportError>,
    parts: usize,
) -> Vec<Result<Response, crate::transport::TransportError>> {
    let response = match answer {
        Ok(response) => response,
        Err(err) => return (0..parts).map(|_| Err(err.clone())).collect(),
    };
    let mut data = match response.data {
        Some(Value::Object(map)) => Some(map),
        _ => None,
    };
    let mut out: Vec<Response> = (0..parts)
        .map(|i| Response {
            data: data.as_mut().map(|map| {
                let mut part = Map::new();
                part.insert(
                    "_entities".into(),
                    map.remove(&format!("_{i}")).unwrap_or(Value::Null),
                );
                Value::Object(part)
            }),
            raw_data: None,
            errors: Vec::new(),
            extensions: JsonMap::new(),
        })
        .collect();
    for mut error in response.errors {
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
    out.into_iter().map(Ok).collect()
}

/// A ready request plus, for entity fetches, which objects each
/// representation came from.
struct Prepared {
    /// Taken when sent.
    request: Option<SubgraphRequest>,
    /// Response path of every object a representation was built from.
    targets: Vec<Vec<Step>>,
    /// For each target, the index of its (de-duplicated) representation.
    target_rep: Vec<usize>,
}

/// A hash of a JSON value's structure and content. Object keys are hashed in
/// their order, so equal values built the same way hash alike.
fn value_hash(value: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    fn feed(value: &Value, h: &mut std::collections::hash_map::DefaultHasher) {
        match value {
            Value::Null => 0u8.hash(h),
            Value::Bool(b) => (1u8, b).hash(h),
            Value::Number(n) => (2u8, n.to_string()).hash(h),
            Value::String(s) => (3u8, s).hash(h),
            Value::Array(items) => {
                (4u8, items.len()).hash(h);
                items.iter().for_each(|i| feed(i, h));
            }
            Value::Object(map) => {
                (5u8, map.len()).hash(h);
                for (k, v) in map {
                    k.hash(h);
                    feed(v, h);
                }
            }
        }
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    feed(value, &mut h);
    h.finish()
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

fn prepare(
    supergraph: &Supergraph,
    fetch: &FetchNode,
    data: &Value,
    variables: &JsonMap,
) -> Option<Prepared> {
    // `@skip`/`@include` that exclude everything a fetch selects make it moot.
    if !fetch.selections.is_empty() && fetch.selections.iter().all(|s| s.is_skipped(variables)) {
        return None;
    }
    let mut request_variables: JsonMap = fetch
        .variables
        .iter()
        .filter_map(|name| {
            variables
                .get(name.as_str())
                .map(|v| (name.to_string(), v.clone()))
        })
        .collect();
    let Some(rep_sels) = &fetch.representations else {
        return Some(Prepared {
            request: Some(SubgraphRequest {
                query: fetch.operation.clone(),
                operation_name: fetch.operation_name.clone(),
                variables: request_variables,
                dedup: !fetch.is_mutation,
            }),
            targets: vec![Vec::new()],
            target_rep: Vec::new(),
        });
    };
    let mut objects = Vec::new();
    collect_objects(data, &fetch.path, &mut Vec::new(), &mut objects);
    let mut representations: Vec<Value> = Vec::new();
    // De-duplication by a structural hash, confirmed by equality: no
    // representation is printed just to compare it.
    let mut seen: HashMap<u64, Vec<usize>> = HashMap::new();
    let mut targets = Vec::new();
    let mut target_rep = Vec::new();
    for (path, object) in objects {
        let Some(rep) = representation(supergraph, object, rep_sels) else {
            continue;
        };
        let candidates = seen.entry(value_hash(&rep)).or_default();
        let index = match candidates.iter().find(|&&i| representations[i] == rep) {
            Some(&i) => i,
            None => {
                representations.push(rep);
                candidates.push(representations.len() - 1);
                representations.len() - 1
            }
        };
        targets.push(path);
        target_rep.push(index);
    }
    if representations.is_empty() {
        return None;
    }
    request_variables.insert("representations".into(), Value::Array(representations));
    Some(Prepared {
        request: Some(SubgraphRequest {
            query: fetch.operation.clone(),
            operation_name: fetch.operation_name.clone(),
            variables: request_variables,
            dedup: true,
        }),
        targets,
        target_rep,
    })
}

fn merge(
    supergraph: &Supergraph,
    fetch: &FetchNode,
    prepared: Prepared,
    response: Response,
    state: &mut State,
) {
    let Response { data, errors, .. } = response;
    if fetch.representations.is_none() {
        for error in errors {
            state.errors.push(with_service(error, &fetch.service));
        }
        if let Some(data) = data {
            deep_merge(&mut state.data, data);
        }
        return;
    }
    let mut entities = match data {
        Some(Value::Object(mut map)) => match map.remove("_entities") {
            Some(Value::Array(entities)) => entities,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    for error in errors {
        state
            .errors
            .push(remap_entity_error(error, &prepared, &fetch.service));
    }
    // An entity shared by several objects is copied for all but its last
    // use; most are used once and simply moved into place.
    let mut uses = vec![0usize; entities.len()];
    for &i in &prepared.target_rep {
        if let Some(u) = uses.get_mut(i) {
            *u += 1;
        }
    }
    for (target, &rep_index) in prepared.targets.iter().zip(&prepared.target_rep) {
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
        if let Some(object) = pointer_mut(&mut state.data, target) {
            keep_concrete_typename(supergraph, object, &mut entity);
            deep_merge(object, entity);
        }
    }
}

/// An entity answered under an interface's name must not hide the concrete
/// type already known; a concrete type answered for an object known only by
/// its interface's name replaces it.
fn keep_concrete_typename(supergraph: &Supergraph, object: &Value, entity: &mut Value) {
    let (Some(known), Value::Object(fresh)) =
        (object.get("__typename").and_then(Value::as_str), entity)
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
fn remap_entity_error(error: Error, prepared: &Prepared, service: &str) -> Error {
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
                .position(|r| r == i)
                .map(|t| to_segments(&prepared.targets[t]))
            {
                let mut full = target;
                full.extend(rest);
                error.path = Some(full);
            } else {
                error.path = None;
            }
        }
    } else if let Some(target) = prepared.targets.first() {
        error.path = Some(to_segments(target));
    }
    error
}
