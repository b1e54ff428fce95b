//! Context arguments at execution (see `plan::context`): for each object an
//! `_entities` fetch applies to, the values its ancestors give the fetch's
//! context variables. Objects are grouped by those values; each group is
//! sent as its own `_entities` field with its own variables.

use std::collections::HashMap;

use super::entities::{Paths, Step};
use super::tree::Node;
use crate::plan::PathElem;
use crate::plan::context::ContextInput;
use crate::plan::selection::{FieldSel, Sel};
use crate::supergraph::Supergraph;

/// Objects that share the values of every context variable.
pub struct ContextGroup<'p, 'd, 'a> {
    /// `(variable, value as JSON text)`, in the fetch's order.
    pub values: Vec<(String, String)>,
    pub objects: Vec<&'d Node<'a>>,
    pub paths: Paths<'p>,
}

/// Every object at `path` (as `entities::collect_objects` finds them),
/// grouped by the values `inputs` read from its ancestors; groups in the
/// order their first object comes.
pub fn group_objects<'p, 'd, 'a>(
    supergraph: &Supergraph,
    data: &'d Node<'a>,
    path: &'p [PathElem],
    inputs: &[ContextInput],
) -> Vec<ContextGroup<'p, 'd, 'a>> {
    let mut groups: Vec<ContextGroup<'p, 'd, 'a>> = Vec::new();
    // Group by the values' text alone: objects × groups stays linear.
    let mut index: HashMap<Vec<String>, usize> = HashMap::new();
    let mut found = |steps: &[Step<'p>], object: &'d Node<'a>, trail: &[(usize, &Node<'a>)]| {
        let texts: Vec<String> = inputs
            .iter()
            .map(|input| {
                let mut text = Vec::new();
                match trail.iter().rev().find(|(depth, _)| *depth == input.depth) {
                    Some((_, ancestor)) => read(supergraph, ancestor, &input.selection, &mut text),
                    None => text.extend_from_slice(b"null"),
                }
                // Only valid UTF-8 was written: names and serde_json's output.
                String::from_utf8(text).unwrap_or_else(|_| "null".to_owned())
            })
            .collect();
        let at = match index.get(&texts) {
            Some(&at) => at,
            None => {
                let values = inputs
                    .iter()
                    .zip(&texts)
                    .map(|(input, text)| (input.variable.to_string(), text.clone()))
                    .collect();
                index.insert(texts, groups.len());
                groups.push(ContextGroup {
                    values,
                    objects: Vec::new(),
                    paths: Paths::default(),
                });
                groups.len() - 1
            }
        };
        groups[at].objects.push(object);
        groups[at].paths.push(steps);
    };
    walk(data, path, 0, &mut Vec::new(), &mut Vec::new(), &mut found);
    groups
}

/// `entities::collect_objects`, keeping the objects passed on the way with
/// how many path elements led to each.
fn walk<'p, 'd, 'a>(
    value: &'d Node<'a>,
    path: &'p [PathElem],
    consumed: usize,
    steps: &mut Vec<Step<'p>>,
    trail: &mut Vec<(usize, &'d Node<'a>)>,
    found: &mut impl FnMut(&[Step<'p>], &'d Node<'a>, &[(usize, &'d Node<'a>)]),
) {
    match (path.first(), value) {
        (None, Node::Object(_)) => {
            trail.push((consumed, value));
            found(steps, value, trail);
            trail.pop();
        }
        (None, Node::List(items)) => {
            for (i, item) in items.iter().enumerate() {
                steps.push(Step::Index(i));
                walk(item, path, consumed, steps, trail, found);
                steps.pop();
            }
        }
        (Some(PathElem::Key(key)), Node::Object(map)) => {
            if let Some(child) = map.get(key.as_str()) {
                trail.push((consumed, value));
                steps.push(Step::Key(key.as_str()));
                walk(child, &path[1..], consumed + 1, steps, trail, found);
                steps.pop();
                trail.pop();
            }
        }
        (Some(PathElem::List), Node::List(items)) => {
            for (i, item) in items.iter().enumerate() {
                steps.push(Step::Index(i));
                walk(item, &path[1..], consumed + 1, steps, trail, found);
                steps.pop();
            }
        }
        (Some(PathElem::List), Node::Object(_)) => {
            walk(value, &path[1..], consumed + 1, steps, trail, found)
        }
        _ => {}
    }
}

/// Writes what `sels` reads from `value` as JSON: the one field selected,
/// followed down through its sub-selections to a leaf (lists item by
/// item); where a level selects several fields, an object of them.
fn read(supergraph: &Supergraph, value: &Node<'_>, sels: &[Sel], out: &mut Vec<u8>) {
    match value {
        Node::List(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                read(supergraph, item, sels, out);
            }
            out.push(b']');
        }
        Node::Object(object) => {
            let typename = object.get("__typename").and_then(Node::as_str);
            let mut fields = Vec::new();
            applicable(supergraph, sels, typename, &mut fields);
            match fields.as_slice() {
                [] => out.extend_from_slice(b"null"),
                [field] => read_field(supergraph, value, field, out),
                several => {
                    out.push(b'{');
                    for (i, field) in several.iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        super::tree::write_str(out, &field.name);
                        out.push(b':');
                        read_field(supergraph, value, field, out);
                    }
                    out.push(b'}');
                }
            }
        }
        // A leaf where the selection goes on: nothing to read.
        _ => out.extend_from_slice(b"null"),
    }
}

fn read_field(supergraph: &Supergraph, object: &Node<'_>, field: &FieldSel, out: &mut Vec<u8>) {
    match object.get(field.response_key()) {
        None | Some(Node::Null) => out.extend_from_slice(b"null"),
        Some(value) if field.selections.is_empty() => value.write(out),
        Some(value) => read(supergraph, value, &field.selections, out),
    }
}

/// The fields of `sels` that apply to an object of type `typename` (all
/// type conditions hold when it is not known), without `__typename`.
fn applicable<'s>(
    supergraph: &Supergraph,
    sels: &'s [Sel],
    typename: Option<&str>,
    out: &mut Vec<&'s FieldSel>,
) {
    for sel in sels {
        match sel {
            Sel::Field(field) if field.name == "__typename" => {}
            Sel::Field(field) => {
                if !out.iter().any(|f| f.response_key() == field.response_key()) {
                    out.push(field);
                }
            }
            Sel::Fragment(fragment) => {
                let condition = fragment.type_condition.as_str();
                let holds = typename
                    .is_none_or(|t| t == condition || supergraph.schema().is_subtype(condition, t));
                if holds {
                    applicable(supergraph, &fragment.selections, typename, out);
                }
            }
        }
    }
}

/// `text` with every use of `$from` made `$to` (a longer name that
/// starts like `from` is left alone).
pub fn rename_variable(text: &str, from: &str, to: &str) -> String {
    let pattern = format!("${from}");
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(at) = rest.find(&pattern) {
        let after = &rest[at + pattern.len()..];
        out.push_str(&rest[..at]);
        let continues = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        if continues {
            out.push_str(&pattern);
        } else {
            out.push('$');
            out.push_str(to);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::rename_variable;

    #[test]
    fn renames_whole_variable_names_only() {
        assert_eq!(
            rename_variable("{ a(x: $v1, y: $v10) b(z: $v1) }", "v1", "r0_0"),
            "{ a(x: $r0_0, y: $v10) b(z: $r0_0) }"
        );
    }
}
