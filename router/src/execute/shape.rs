//! The last pass: the client's selection set walked over the merged data, so
//! the response has exactly the requested shape — response keys and their
//! order, `__typename`, `@skip`/`@include`, fragments applied by runtime type —
//! and a null in a non-null position nulls the nearest nullable parent, with
//! an error unless a subgraph already reported one at or below that path.
//!
//! This is the hot path of every response, so it writes JSON text directly
//! from the merged data (no second tree of values), computes the fields of
//! each (selection, runtime type) pair once per request, and builds error
//! paths only when there is an error.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use apollo_compiler::ast::{Type, Value as AstValue};
use apollo_compiler::executable::{Field, Operation, Selection, SelectionSet};
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Name, Node};
use serde_json::Value;

use super::hidden::Hidden;
use super::tree::{self, Object, write_str};

use crate::authorization::guards::id;
use crate::graphql::{Error, JsonMap, PathSegment};
use crate::supergraph::Supergraph;

/// A response key and every field selected under it.
type FieldGroup<'a> = (&'a Name, Vec<&'a Node<Field>>);

/// The collected fields of one selection, per runtime type.
type FieldsByType<'a> = Vec<(String, Rc<Vec<FieldGroup<'a>>>)>;

/// A path element borrowed from the operation; owned only for errors.
#[derive(Clone, Copy)]
enum PathRef<'a> {
    Key(&'a str),
    Index(usize),
}

struct Ctx<'a, 'e> {
    supergraph: &'a Supergraph,
    hidden: &'a Hidden,
    document: &'a Valid<ExecutableDocument>,
    variables: &'a JsonMap,
    /// Fields the client may not see (by node identity).
    unauthorized: Option<&'a HashSet<usize>>,
    errors: &'e mut Vec<Error>,
    /// Collected fields by (selection sets, runtime type).
    fields: HashMap<SetsKey, FieldsByType<'a>, foldhash::fast::RandomState>,
}

/// The identity of a list of selection sets: one or two without allocating.
#[derive(PartialEq, Eq, Hash)]
enum SetsKey {
    Short(usize, usize),
    Long(Vec<usize>),
}

impl SetsKey {
    fn of(sets: &[&SelectionSet]) -> Self {
        let ptr = |s: &&SelectionSet| *s as *const SelectionSet as usize;
        match sets {
            [] => SetsKey::Short(0, 0),
            [one] => SetsKey::Short(ptr(one), 0),
            [a, b] => SetsKey::Short(ptr(a), ptr(b)),
            many => SetsKey::Long(many.iter().map(ptr).collect()),
        }
    }
}

/// Writes the response `data` as JSON text at the end of `out`. Reads the
/// merged data in place: no second tree is built, and a null that
/// propagates truncates what was written back to the nearest nullable
/// position.
#[allow(clippy::too_many_arguments)]
pub fn shape(
    supergraph: &Supergraph,
    hidden: &Hidden,
    document: &Valid<ExecutableDocument>,
    operation: &Operation,
    variables: &JsonMap,
    data: &tree::Node<'_>,
    unauthorized: Option<&HashSet<usize>>,
    errors: &mut Vec<Error>,
    out: &mut Vec<u8>,
) {
    let mut ctx = Ctx {
        supergraph,
        hidden,
        document,
        variables,
        unauthorized,
        errors,
        fields: HashMap::default(),
    };
    let empty = Object::new();
    let object = data.as_object().unwrap_or(&empty);
    let root = operation.selection_set.ty.as_str();
    let sets = [&operation.selection_set];
    let start = out.len();
    if write_object(&mut ctx, &sets, root, object, &mut Vec::new(), out).is_err() {
        out.truncate(start);
        out.extend_from_slice(b"null");
    }
}

/// A non-null position was null: the nearest nullable parent becomes null.
struct Nulled;

fn write_object<'a>(
    ctx: &mut Ctx<'a, '_>,
    sets: &[&'a SelectionSet],
    runtime_type: &str,
    object: &Object<'_>,
    path: &mut Vec<PathRef<'a>>,
    out: &mut Vec<u8>,
) -> Result<(), Nulled> {
    let grouped = fields_of(ctx, sets, runtime_type);
    // Where the next field probably is: objects mostly hold fields in the
    // order the operation asks for them.
    let mut next = 0;
    out.push(b'{');
    for (i, (key, fields)) in grouped.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // Response keys are GraphQL names: nothing to escape.
        out.push(b'"');
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
        let field = fields[0];
        if field.name == "__typename" {
            write_str(out, runtime_type);
            continue;
        }
        if let Some(unauthorized) = ctx.unauthorized
            && fields.iter().all(|f| unauthorized.contains(&id(f)))
        {
            path.push(PathRef::Key(field.response_key().as_str()));
            let at = owned_path(path);
            path.pop();
            ctx.errors.push(crate::authorization::unauthorized(at));
            if field.definition.ty.is_non_null() {
                return Err(Nulled);
            }
            out.extend_from_slice(b"null");
            continue;
        }
        let value = match object.find_from(key.as_str(), next) {
            Some((at, value)) => {
                next = at + 1;
                value
            }
            None => &tree::Node::Null,
        };
        path.push(PathRef::Key(field.response_key().as_str()));
        let written = complete(
            ctx,
            &field.definition.ty,
            fields,
            value,
            path,
            runtime_type,
            out,
        );
        path.pop();
        written?;
    }
    out.push(b'}');
    Ok(())
}

fn fields_of<'a>(
    ctx: &mut Ctx<'a, '_>,
    sets: &[&'a SelectionSet],
    runtime_type: &str,
) -> Rc<Vec<FieldGroup<'a>>> {
    let key = SetsKey::of(sets);
    if let Some(found) = ctx
        .fields
        .get(&key)
        .and_then(|by_type| by_type.iter().find(|(t, _)| t == runtime_type))
    {
        return found.1.clone();
    }
    let mut grouped: Vec<FieldGroup<'a>> = Vec::new();
    for set in sets {
        collect_fields(ctx, set, runtime_type, &mut grouped);
    }
    let grouped = Rc::new(grouped);
    ctx.fields
        .entry(key)
        .or_default()
        .push((runtime_type.to_owned(), grouped.clone()));
    grouped
}

fn complete<'a>(
    ctx: &mut Ctx<'a, '_>,
    ty: &Type,
    fields: &[&'a Node<Field>],
    value: &tree::Node<'_>,
    path: &mut Vec<PathRef<'a>>,
    parent_type: &str,
    out: &mut Vec<u8>,
) -> Result<(), Nulled> {
    if value.is_null() {
        if ty.is_non_null() {
            null_error(ctx, path, parent_type, &fields[0].name);
            return Err(Nulled);
        }
        out.extend_from_slice(b"null");
        return Ok(());
    }
    let start = out.len();
    let written = if ty.is_list() {
        match value {
            tree::Node::List(items) => {
                let item_type = ty.item_type();
                out.push(b'[');
                let mut result = Ok(());
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    path.push(PathRef::Index(i));
                    result = complete(ctx, item_type, fields, item, path, parent_type, out);
                    path.pop();
                    if result.is_err() {
                        break;
                    }
                }
                out.push(b']');
                result
            }
            _ => Err(Nulled),
        }
    } else if fields
        .iter()
        .any(|f| !f.selection_set.selections.is_empty())
    {
        match value {
            tree::Node::Object(object) => {
                let runtime = object
                    .get("__typename")
                    .and_then(tree::Node::as_str)
                    .unwrap_or_else(|| ty.inner_named_type().as_str());
                if ctx.hidden.is_hidden_object(runtime) {
                    hidden_error(
                        ctx,
                        path,
                        format!(
                            "{parent_type}.{} resolved to an object of a type that is not in the API schema",
                            fields[0].name
                        ),
                        "INACCESSIBLE_TYPE",
                    );
                    Err(Nulled)
                } else if let [only] = fields {
                    write_object(ctx, &[&only.selection_set], runtime, object, path, out)
                } else {
                    let sets: Vec<&'a SelectionSet> =
                        fields.iter().map(|f| &f.selection_set).collect();
                    write_object(ctx, &sets, runtime, object, path, out)
                }
            }
            _ => Err(Nulled),
        }
    } else if let Some(text) = value.as_str()
        && ctx.hidden.is_hidden_value(ty.inner_named_type(), text)
    {
        hidden_error(
            ctx,
            path,
            format!(
                "{parent_type}.{} resolved to a value that is not in the API schema's enum {}",
                fields[0].name,
                ty.inner_named_type()
            ),
            "INACCESSIBLE_ENUM_VALUE",
        );
        Err(Nulled)
    } else {
        value.write(out);
        Ok(())
    };
    match written {
        Ok(()) => Ok(()),
        Err(Nulled) if !ty.is_non_null() => {
            out.truncate(start);
            out.extend_from_slice(b"null");
            Ok(())
        }
        Err(Nulled) => {
            null_error(ctx, path, parent_type, &fields[0].name);
            Err(Nulled)
        }
    }
}

/// Records that the value at `path` was withheld from the client. The
/// message names the field and type, never the hidden value itself.
fn hidden_error(ctx: &mut Ctx<'_, '_>, path: &[PathRef<'_>], message: String, code: &str) {
    ctx.errors
        .push(Error::coded(message, code).with_path(owned_path(path)));
}

fn owned_path(path: &[PathRef<'_>]) -> Vec<PathSegment> {
    path.iter()
        .map(|p| match p {
            PathRef::Key(k) => PathSegment::Key((*k).to_owned()),
            PathRef::Index(i) => PathSegment::Index(*i),
        })
        .collect()
}

/// Records why a non-null position is null, unless an error at or below this
/// path already explains it.
fn null_error(ctx: &mut Ctx<'_, '_>, path: &[PathRef<'_>], parent_type: &str, field: &str) {
    let path = owned_path(path);
    let explained = ctx
        .errors
        .iter()
        .any(|e| e.path.as_ref().is_some_and(|p| p.starts_with(&path)));
    if !explained {
        ctx.errors.push(
            Error::coded(
                format!("Cannot return null for non-nullable field {parent_type}.{field}"),
                "NON_NULLABLE_FIELD_NULL",
            )
            .with_path(path),
        );
    }
}

fn collect_fields<'a>(
    ctx: &Ctx<'a, '_>,
    set: &'a SelectionSet,
    runtime_type: &str,
    out: &mut Vec<FieldGroup<'a>>,
) {
    for selection in &set.selections {
        match selection {
            Selection::Field(field) => {
                if !included(ctx, &field.directives) {
                    continue;
                }
                let key = field.response_key();
                match out.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, fields)) => fields.push(field),
                    None => out.push((key, vec![field])),
                }
            }
            Selection::InlineFragment(fragment) => {
                if !included(ctx, &fragment.directives) {
                    continue;
                }
                if fragment
                    .type_condition
                    .as_ref()
                    .is_none_or(|tc| applies(ctx, runtime_type, tc))
                {
                    collect_fields(ctx, &fragment.selection_set, runtime_type, out);
                }
            }
            Selection::FragmentSpread(spread) => {
                if !included(ctx, &spread.directives) {
                    continue;
                }
                if let Some(fragment) = ctx.document.fragments.get(&spread.fragment_name)
                    && applies(ctx, runtime_type, fragment.type_condition())
                {
                    collect_fields(ctx, &fragment.selection_set, runtime_type, out);
                }
            }
        }
    }
}

fn applies(ctx: &Ctx<'_, '_>, runtime_type: &str, condition: &str) -> bool {
    runtime_type == condition || ctx.supergraph.schema().is_subtype(condition, runtime_type)
}

fn included(ctx: &Ctx<'_, '_>, directives: &apollo_compiler::ast::DirectiveList) -> bool {
    let flag = |name: &str| {
        directives
            .get(name)
            .map(|d| match d.specified_argument_by_name("if").map(|v| &**v) {
                Some(AstValue::Boolean(b)) => *b,
                Some(AstValue::Variable(var)) => ctx
                    .variables
                    .get(var.as_str())
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                _ => false,
            })
    };
    !flag("skip").unwrap_or(false) && flag("include").unwrap_or(true)
}
