//! Entities in the response tree: finding the objects a fetch applies to,
//! building their representations and merging fetched entities back. Public
//! so the load benchmark's direct-to-subgraph baseline does the same work.

use super::tree::{Node, Object, write_str};

use crate::graphql::PathSegment;
use crate::plan::selection::Sel;
use crate::plan::{FetchNode, PathElem, PlanNode};
use crate::supergraph::Supergraph;

/// The plan's nodes, flattened into steps: each inner Vec runs concurrently
/// (the load benchmark's baseline runs plans this way; conditions count as met).
pub fn steps(node: &PlanNode) -> Vec<Vec<&FetchNode>> {
    match node {
        PlanNode::Fetch(fetch) => vec![vec![fetch]],
        PlanNode::Condition(condition) => steps(&condition.then),
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

/// A step of an object's response path, borrowing the plan's names: paths
/// are built without allocating strings and become [`PathSegment`]s only
/// for errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'p> {
    Key(&'p str),
    Index(usize),
}

/// Steps as a response path.
pub fn to_segments(steps: &[Step]) -> Vec<PathSegment> {
    steps
        .iter()
        .map(|s| match s {
            Step::Key(k) => PathSegment::Key((*k).to_owned()),
            Step::Index(i) => PathSegment::Index(*i),
        })
        .collect()
}

/// Response paths of the objects a fetch applies to, stored end to end in
/// one buffer rather than one vector per object.
#[derive(Debug, Default)]
pub struct Paths<'p> {
    steps: Vec<Step<'p>>,
    ends: Vec<usize>,
}

impl<'p> Paths<'p> {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The path of the `i`th object; empty if there is none.
    pub fn get(&self, i: usize) -> &[Step<'p>] {
        let Some(&end) = self.ends.get(i) else {
            return &[];
        };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.steps[start..end]
    }

    /// Appends every path of `other`.
    pub fn extend(&mut self, other: &Paths<'p>) {
        let offset = self.steps.len();
        self.steps.extend_from_slice(&other.steps);
        self.ends.extend(other.ends.iter().map(|end| end + offset));
    }

    pub fn push(&mut self, path: &[Step<'p>]) {
        self.steps.extend_from_slice(path);
        self.ends.push(self.steps.len());
    }
}

/// Every object at `path` (`@` descends into lists), in document order;
/// `paths` gets the response path of each.
pub fn collect_objects<'p, 'd, 'a>(
    value: &'d Node<'a>,
    path: &'p [PathElem],
    current: &mut Vec<Step<'p>>,
    paths: &mut Paths<'p>,
    out: &mut Vec<&'d Node<'a>>,
) {
    match (path.first(), value) {
        (None, Node::Object(_)) => {
            paths.push(current);
            out.push(value);
        }
        (None, Node::List(items)) => {
            for (i, item) in items.iter().enumerate() {
                current.push(Step::Index(i));
                collect_objects(item, path, current, paths, out);
                current.pop();
            }
        }
        (Some(PathElem::Key(key)), Node::Object(map)) => {
            if let Some(child) = map.get(key.as_str()) {
                current.push(Step::Key(key.as_str()));
                collect_objects(child, &path[1..], current, paths, out);
                current.pop();
            }
        }
        (Some(PathElem::List), Node::List(items)) => {
            for (i, item) in items.iter().enumerate() {
                current.push(Step::Index(i));
                collect_objects(item, &path[1..], current, paths, out);
                current.pop();
            }
        }
        (Some(PathElem::List), Node::Object(_)) => {
            collect_objects(value, &path[1..], current, paths, out)
        }
        _ => {}
    }
}

/// Writes the representation of `object` (JSON text) for the fragment
/// matching its `__typename`. Returns false, with `out` possibly holding a
/// partial write the caller truncates, when no fragment applies or a key is
/// missing or null. Fragments on an interface match its implementations, and
/// their representations carry the interface's name: the receiving subgraph
/// knows the entity as the interface (an `@interfaceObject` or entity
/// interface).
pub fn write_representation(
    supergraph: &Supergraph,
    object: &Node<'_>,
    rep_sels: &[Sel],
    out: &mut Vec<u8>,
) -> bool {
    let Some(map) = object.as_object() else {
        return false;
    };
    let Some(typename) = map.get("__typename").and_then(Node::as_str) else {
        return false;
    };
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
        });
    let Some(fragment) = fragment else {
        return false;
    };
    let rename = (fragment.type_condition != typename).then_some(fragment.type_condition.as_str());
    write_fields(supergraph, map, &fragment.selections, rename, out)
}

/// `{…}` with the selected fields of `map`; `rename` replaces `__typename`.
fn write_fields(
    supergraph: &Supergraph,
    map: &Object<'_>,
    sels: &[Sel],
    rename: Option<&str>,
    out: &mut Vec<u8>,
) -> bool {
    out.push(b'{');
    let mut written: Vec<&str> = Vec::new();
    if !write_selections(supergraph, map, sels, rename, &mut written, out) {
        return false;
    }
    if let Some(name) = rename
        && !written.contains(&"__typename")
    {
        if !written.is_empty() {
            out.push(b',');
        }
        out.extend_from_slice(b"\"__typename\":");
        write_str(out, name);
    }
    out.push(b'}');
    true
}

fn write_selections<'s>(
    supergraph: &Supergraph,
    map: &Object<'_>,
    sels: &'s [Sel],
    rename: Option<&str>,
    written: &mut Vec<&'s str>,
    out: &mut Vec<u8>,
) -> bool {
    for sel in sels {
        match sel {
            Sel::Field(field) => {
                let name = field.name.as_str();
                if written.contains(&name) {
                    continue;
                }
                let Some(value) = map.get(field.response_key().as_str()) else {
                    return false;
                };
                if name != "__typename" && value.is_null() && field.selections.is_empty() {
                    // Null key fields cannot identify an entity.
                    return false;
                }
                if !written.is_empty() {
                    out.push(b',');
                }
                written.push(name);
                write_str(out, name);
                out.push(b':');
                match rename {
                    Some(renamed) if name == "__typename" => write_str(out, renamed),
                    _ if field.selections.is_empty() || value.is_null() => value.write(out),
                    _ => {
                        if !write_nested(supergraph, value, &field.selections, out) {
                            return false;
                        }
                    }
                }
            }
            Sel::Fragment(fragment) => {
                let typename = map.get("__typename").and_then(Node::as_str);
                if typename.is_some_and(|t| applies(supergraph, &fragment.type_condition, t)) {
                    // A fragment that cannot be filled adds nothing.
                    let (mark, count) = (out.len(), written.len());
                    if !write_selections(
                        supergraph,
                        map,
                        &fragment.selections,
                        rename,
                        written,
                        out,
                    ) {
                        out.truncate(mark);
                        written.truncate(count);
                    }
                }
            }
        }
    }
    true
}

/// Whether a fragment on `condition` applies to an object of type
/// `typename`: the type itself, or an interface or union it belongs to
/// (a requirement may read `... on Shape { foo }` of a concrete `Oval`).
fn applies(supergraph: &Supergraph, condition: &str, typename: &str) -> bool {
    condition == typename || supergraph.schema().is_subtype(condition, typename)
}

fn write_nested(
    supergraph: &Supergraph,
    value: &Node<'_>,
    sels: &[Sel],
    out: &mut Vec<u8>,
) -> bool {
    match value {
        Node::List(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if item.is_null() {
                    out.extend_from_slice(b"null");
                } else if !write_nested(supergraph, item, sels, out) {
                    return false;
                }
            }
            out.push(b']');
            true
        }
        Node::Object(map) => write_fields(supergraph, map, sels, None, out),
        _ => false,
    }
}

pub fn pointer_mut<'v, 'a>(value: &'v mut Node<'a>, path: &[Step]) -> Option<&'v mut Node<'a>> {
    let mut current = value;
    for step in path {
        current = match (step, current) {
            (Step::Key(k), Node::Object(map)) => map.get_mut(k)?,
            (Step::Index(i), Node::List(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(current)
}

/// Merges `from` into `into`: objects field by field, lists item by item.
pub fn deep_merge<'a>(into: &mut Node<'a>, from: Node<'a>) {
    match (into, from) {
        (Node::Object(a), Node::Object(b)) => {
            if a.is_empty() {
                *a = b;
                return;
            }
            for (key, value) in b {
                match a.get_mut(&key) {
                    Some(existing) => deep_merge(existing, value),
                    None => a.push(key, value),
                }
            }
        }
        (Node::List(a), Node::List(b)) if a.len() == b.len() => {
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
