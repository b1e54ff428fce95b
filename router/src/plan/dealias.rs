//! Keeping one subgraph operation valid where the client's selection is
//! valid only in the supergraph: two fields with one response name under
//! sibling type conditions must have the same type, and a subgraph may
//! declare them differently (`Car.id: ID!` beside `Boat.id: ID`, while the
//! supergraph says `ID` for both). Such a field is sent under an alias and
//! its answer renamed back before it is merged, so the rest of the router
//! never sees the alias.

use apollo_compiler::Name;
use apollo_compiler::ast::Type;

use super::PathElem;
use super::selection::{FieldSel, Sel};
use crate::supergraph::{GraphId, Supergraph};

/// After a fetch: in each object at `path` (relative to the fetched object:
/// the root `data`, or each entity), `alias` becomes `name` again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    pub path: Vec<PathElem>,
    pub alias: Name,
    pub name: Name,
}

/// Aliases the fields of `sels` (at a position of type `parent` in `graph`)
/// whose response name another field at the same level already uses with a
/// different type in that subgraph. Returns the renames that undo it, outer
/// ones first (apply them in reverse, so inner paths still match).
pub fn resolve(sg: &Supergraph, graph: GraphId, parent: &Name, sels: &mut [Sel]) -> Vec<Rename> {
    let mut renames = Vec::new();
    let mut taken = 0usize;
    level(
        sg,
        graph,
        vec![(parent.clone(), sels)],
        &[],
        &mut renames,
        &mut taken,
    );
    renames
}

/// A response name at one level, the type its fields have in the subgraph
/// (looked up once a second field uses the name), and those fields with the
/// type each belongs to.
type ResponseName<'s> = (
    Name,
    Option<Option<&'s Type>>,
    Vec<(Name, &'s mut FieldSel)>,
);

/// One level of the response: every selection list that writes into the
/// same objects (a field's own selections, and those of other fields with
/// its response name), each with the type its fields belong to.
fn level(
    sg: &Supergraph,
    graph: GraphId,
    lists: Vec<(Name, &mut [Sel])>,
    path: &[PathElem],
    renames: &mut Vec<Rename>,
    taken: &mut usize,
) {
    let mut fields: Vec<(Name, &mut FieldSel)> = Vec::new();
    for (parent, sels) in lists {
        collect(parent, sels, &mut fields);
    }
    // Per response name: the fields that keep it, with their type here.
    let mut keys: Vec<ResponseName<'_>> = Vec::new();
    for (parent, field) in fields {
        if field.name == "__typename" {
            continue;
        }
        let key = field.response_key().clone();
        let Some((_, first_ty, same)) = keys.iter_mut().find(|(k, _, _)| *k == key) else {
            keys.push((key, None, vec![(parent, field)]));
            continue;
        };
        // Types are looked up only for names used twice: most are not.
        let first_ty = *first_ty.get_or_insert_with(|| {
            let (first_parent, first) = &same[0];
            sg.field_type_in(first_parent, &first.name, graph)
        });
        let ty = sg.field_type_in(&parent, &field.name, graph);
        if first_ty == ty {
            same.push((parent, field));
            continue;
        }
        // Another type under a name already taken: a name of its own.
        let alias = loop {
            *taken += 1;
            let candidate = format!("{key}__{taken}");
            if let Ok(name) = Name::new(&candidate) {
                break name;
            }
        };
        renames.push(Rename {
            path: path.to_vec(),
            alias: alias.clone(),
            name: key,
        });
        field.alias = Some(alias.clone());
        keys.push((alias, Some(ty), vec![(parent, field)]));
    }
    for (key, _, same) in keys {
        let Some(depth) = same.first().map(|(_, f)| f.list_depth) else {
            continue;
        };
        let children: Vec<(Name, &mut [Sel])> = same
            .into_iter()
            .filter(|(_, f)| !f.selections.is_empty())
            .map(|(_, f)| (f.ty.clone(), f.selections.as_mut_slice()))
            .collect();
        if children.is_empty() {
            continue;
        }
        let mut child_path = path.to_vec();
        child_path.push(PathElem::Key(key));
        child_path.extend(std::iter::repeat_n(PathElem::List, depth));
        level(sg, graph, children, &child_path, renames, taken);
    }
}

/// The fields of one level, through any fragments, with the type each
/// belongs to.
fn collect<'s>(parent: Name, sels: &'s mut [Sel], out: &mut Vec<(Name, &'s mut FieldSel)>) {
    for sel in sels {
        match sel {
            Sel::Field(field) => out.push((parent.clone(), field)),
            Sel::Fragment(fragment) => collect(
                fragment.type_condition.clone(),
                &mut fragment.selections,
                out,
            ),
        }
    }
}
