//! The operation without what the client may not see, for the planner:
//! denied fields and fragments removed, and a selection set left empty
//! given `__typename` so its parent (which the client may see) is still
//! fetched. The response is shaped from the client's own operation, where
//! the removed positions come back null.

use apollo_compiler::executable::{Operation, Selection, SelectionSet};
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Node, Schema, name};

use super::guards::{Denied, id};

/// `document` with `operation` and the fragments filtered. Removing
/// selections keeps a valid document valid, but for variables and
/// fragments left unused, which planning ignores.
pub fn without(
    schema: &Schema,
    document: &ExecutableDocument,
    operation: &Node<Operation>,
    denied: &Denied,
) -> Valid<ExecutableDocument> {
    let mut filtered = document.clone();
    for fragment in filtered.fragments.values_mut() {
        let set = filter(schema, &fragment.selection_set, denied);
        fragment.make_mut().selection_set = set;
    }
    let mut op = (**operation).clone();
    op.selection_set = filter(schema, &operation.selection_set, denied);
    let op = Node::new(op);
    match &operation.name {
        Some(name) => {
            filtered.operations.named.insert(name.clone(), op);
        }
        None => filtered.operations.anonymous = Some(op),
    }
    Valid::assume_valid(filtered)
}

fn filter(schema: &Schema, set: &SelectionSet, denied: &Denied) -> SelectionSet {
    let mut kept = SelectionSet::new(set.ty.clone());
    for selection in &set.selections {
        match selection {
            Selection::Field(field) => {
                if denied.fields.contains(&id(field)) {
                    continue;
                }
                if field.selection_set.selections.is_empty() {
                    kept.push(selection.clone());
                } else {
                    let mut copy = (**field).clone();
                    copy.selection_set = filter(schema, &field.selection_set, denied);
                    kept.push(Node::new(copy));
                }
            }
            Selection::InlineFragment(inline) => {
                if denied.inline.contains(&id(inline)) {
                    continue;
                }
                let mut copy = (**inline).clone();
                copy.selection_set = filter(schema, &inline.selection_set, denied);
                kept.push(Node::new(copy));
            }
            Selection::FragmentSpread(spread) => {
                if !denied.fragments.contains(&spread.fragment_name) {
                    kept.push(selection.clone());
                }
            }
        }
    }
    if kept.selections.is_empty()
        && let Ok(typename) = set.new_field(schema, name!("__typename"))
    {
        kept.push(typename);
    }
    kept
}
