//! Entities in the response tree: finding the objects a fetch applies to,
//! building their representations and merging fetched entities back. Public
//! so the load benchmark's direct-to-subgraph baseline does the same work.

use serde_json::{Map, Value};

use apollo_compiler::Name;

use crate::graphql::PathSegment;
use crate::plan::selection::Sel;
use crate::plan::{FetchNode, PathElem, PlanNode};
use crate::supergraph::Supergraph;

/// The plan's nodes, flattened into steps: each inner Vec runs concurrently.
pub fn steps(node: &PlanNode) -> Vec<Vec<&FetchNode>> {
    match node {
        PlanNode::Fetch(fetch) => vec![vec![fetch]],
        PlanNode::Sequence(nodes) => nodes.iter().flat_map(steps).collect(),
        PlanNode::Parallel(nodes) => {
            // Parallel branches built by the planner are single fetches; a
            // nested sequence is run step by step alongside the others.
            let branches: Vec<Vec<Vec<&FetchNode>>> = nodes.iter().map(steps).collect();
            let len = branches.iter().map(Vec::len).max().unwrap_or(0);
            (0..len)
                .map(|i| {
                    branches
                        .iter()
                        .filter_map(|b| b.get(i))
                        .flatten()
                        .copied()
                        .collect()
                })
                .collect()
        }
    }
}

/// Every object at `path` (`@` descends into lists), with its response path.
/// A step of an object's response path. Keys are the plan's names, cheap to
/// clone, so paths are built without allocating strings; they become
/// [`PathSegment`]s only for errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(Name),
    Index(usize),
}

/// Steps as a response path.
pub fn to_segments(steps: &[Step]) -> Vec<PathSegment> {
    steps
        .iter()
        .map(|s| match s {
            Step::Key(k) => PathSegment::Key(k.to_string()),
            Step::Index(i) => PathSegment::Index(*i),
        })
        .collect()
}

pub fn collect_objects<'d>(
    value: &'d Value,
    path: &[PathElem],
    current: &mut Vec<Step>,
    out: &mut Vec<(Vec<Step>, &'d Value)>,
) {
    match (path.first(), value) {
        (None, Value::Object(_)) => out.push((current.clone(), value)),
        (None, Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                current.push(Step::Index(i));
                collect_objects(item, path, current, out);
                current.pop();
            }
        }
        (Some(PathElem::Key(key)), Value::Object(map)) => {
            if let Some(child) = map.get(key.as_str()) {
                current.push(Step::Key(key.clone()));
                collect_objects(child, &path[1..], current, out);
                current.pop();
            }
        }
        (Some(PathElem::List), Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                current.push(Step::Index(i));
                collect_objects(item, &path[1..], current, out);
                current.pop();
            }
        }
        (Some(PathElem::List), Value::Object(_)) => {
            collect_objects(value, &path[1..], current, out)
        }
        _ => {}
    }
}

/// The representation of `object` for the fragment matching its
/// `__typename`, or `None` when no fragment applies or a key is missing.
/// Fragments on an interface match its implementations, and their
/// representations carry the interface's name: the receiving subgraph knows
/// the entity as the interface (an `@interfaceObject` or entity interface).
pub fn representation(supergraph: &Supergraph, object: &Value, rep_sels: &[Sel]) -> Option<Value> {
    let typename = object.get("__typename").and_then(Value::as_str)?;
    let fragment = rep_sels
        .iter()
        .filter_map(|sel| match sel {
            Sel::Fragment(f) => Some(f),
            Sel::Field(_) => None,
        })
        .find(|f| f.type_condition == typename)
        .or_else(|| {
            rep_sels.iter().find_map(|sel| match sel {
                Sel::Fragment(f) if supergraph.schema().is_subtype(&f.type_condition, typename) => {
                    Some(f)
                }
                _ => None,
            })
        })?;
    let mut rep = extract(object, &fragment.selections)?;
    if fragment.type_condition != typename
        && let Value::Object(map) = &mut rep
    {
        map.insert(
            "__typename".into(),
            Value::String(fragment.type_condition.to_string()),
        );
    }
    Some(rep)
}

fn extract(object: &Value, sels: &[Sel]) -> Option<Value> {
    let map = object.as_object()?;
    let mut out = Map::new();
    for sel in sels {
        match sel {
            Sel::Field(field) => {
                let key = field.response_key().as_str();
                let value = map.get(key)?;
                let value = if field.selections.is_empty() || value.is_null() {
                    value.clone()
                } else {
                    extract_nested(value, &field.selections)?
                };
                if field.name != "__typename" && value.is_null() && field.selections.is_empty() {
                    // Null key fields cannot identify an entity.
                    return None;
                }
                out.insert(field.name.to_string(), value);
            }
            Sel::Fragment(fragment) => {
                let typename = map.get("__typename").and_then(Value::as_str);
                if typename == Some(fragment.type_condition.as_str())
                    && let Some(Value::Object(inner)) = extract(object, &fragment.selections)
                {
                    out.extend(inner);
                }
            }
        }
    }
    Some(Value::Object(out))
}

fn extract_nested(value: &Value, sels: &[Sel]) -> Option<Value> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|item| {
                if item.is_null() {
                    Some(Value::Null)
                } else {
                    extract_nested(item, sels)
                }
            })
            .collect::<Option<Vec<_>>>()
            .map(Value::Array),
        other => extract(other, sels),
    }
}

pub fn pointer_mut<'v>(value: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
    let mut current = value;
    for step in path {
        current = match (step, current) {
            (Step::Key(k), Value::Object(map)) => map.get_mut(k.as_str())?,
            (Step::Index(i), Value::Array(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(current)
}

/// Merges `from` into `into`: objects field by field, lists item by item.
pub fn deep_merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in b {
                match a.get_mut(&key) {
                    Some(existing) => deep_merge(existing, value),
                    None => {
                        a.insert(key, value);
                    }
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (x, y) in a.iter_mut().zip(b) {
                deep_merge(x, y);
            }
        }
        (into, from) => {
            if !from.is_null() || into.is_null() {
                *into = from;
            }
        }
    }
}
