//! The last pass: the client's selection set walked over the merged data, so
//! the response has exactly the requested shape — response keys and their
//! order, `__typename`, `@skip`/`@include`, fragments applied by runtime type —
//! and a null in a non-null position nulls the nearest nullable parent, with
//! an error unless a subgraph already reported one at or below that path.

use apollo_compiler::ast::{Type, Value as AstValue};
use apollo_compiler::executable::{Field, Operation, Selection, SelectionSet};
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Node};
use serde_json::{Map, Value};

use crate::graphql::{Error, JsonMap, PathSegment};
use crate::supergraph::Supergraph;

struct Ctx<'a> {
    supergraph: &'a Supergraph,
    document: &'a Valid<ExecutableDocument>,
    variables: &'a JsonMap,
    errors: &'a mut Vec<Error>,
}

pub fn shape(
    supergraph: &Supergraph,
    document: &Valid<ExecutableDocument>,
    operation: &Operation,
    variables: &JsonMap,
    data: Value,
    errors: &mut Vec<Error>,
) -> Value {
    let mut ctx = Ctx {
        supergraph,
        document,
        variables,
        errors,
    };
    let mut object = match data {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let root = operation.selection_set.ty.as_str();
    let sets = [&operation.selection_set];
    match shape_object(&mut ctx, &sets, root, &mut object, &mut Vec::new()) {
        Some(map) => Value::Object(map),
        None => Value::Null,
    }
}

/// `None` when a non-null field inside was null: the caller nulls this object.
/// Values are moved out of the merged data, which is not needed afterwards.
fn shape_object(
    ctx: &mut Ctx<'_>,
    sets: &[&SelectionSet],
    runtime_type: &str,
    object: &mut Map<String, Value>,
    path: &mut Vec<PathSegment>,
) -> Option<Map<String, Value>> {
    let mut grouped: Vec<(String, Vec<&Node<Field>>)> = Vec::new();
    for set in sets {
        collect_fields(ctx, set, runtime_type, &mut grouped);
    }
    let mut out = Map::with_capacity(grouped.len());
    for (key, fields) in grouped {
        let field = fields[0];
        if field.name == "__typename" {
            out.insert(key, Value::String(runtime_type.to_owned()));
            continue;
        }
        let value = object.remove(&key).unwrap_or(Value::Null);
        path.push(PathSegment::Key(key.clone()));
        let completed = complete(
            ctx,
            &field.definition.ty,
            &fields,
            value,
            path,
            runtime_type,
        );
        path.pop();
        match completed {
            Some(v) => {
                out.insert(key, v);
            }
            None => return None,
        }
    }
    Some(out)
}

fn complete(
    ctx: &mut Ctx<'_>,
    ty: &Type,
    fields: &[&Node<Field>],
    value: Value,
    path: &mut Vec<PathSegment>,
    parent_type: &str,
) -> Option<Value> {
    if value.is_null() {
        return if ty.is_non_null() {
            null_error(ctx, path, parent_type, &fields[0].name);
            None
        } else {
            Some(Value::Null)
        };
    }
    let nullable = !ty.is_non_null();
    let result = if ty.is_list() {
        match value {
            Value::Array(items) => {
                let item_type = ty.item_type();
                let mut out = Vec::with_capacity(items.len());
                let mut failed = false;
                for (i, item) in items.into_iter().enumerate() {
                    path.push(PathSegment::Index(i));
                    let completed = complete(ctx, item_type, fields, item, path, parent_type);
                    path.pop();
                    match completed {
                        Some(v) => out.push(v),
                        None => {
                            failed = true;
                            break;
                        }
                    }
                }
                (!failed).then_some(Value::Array(out))
            }
            _ => None,
        }
    } else {
        let named = ty.inner_named_type();
        let is_composite = fields
            .iter()
            .any(|f| !f.selection_set.selections.is_empty());
        if is_composite {
            match value {
                Value::Object(mut object) => {
                    let runtime = object
                        .get("__typename")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                        .unwrap_or_else(|| named.to_string());
                    let sets: Vec<&SelectionSet> =
                        fields.iter().map(|f| &f.selection_set).collect();
                    shape_object(ctx, &sets, &runtime, &mut object, path).map(Value::Object)
                }
                _ => None,
            }
        } else {
            Some(value)
        }
    };
    match result {
        Some(v) => Some(v),
        None if nullable => Some(Value::Null),
        None => {
            null_error(ctx, path, parent_type, &fields[0].name);
            None
        }
    }
}

/// Records why a non-null position is null, unless an error at or below this
/// path already explains it.
fn null_error(ctx: &mut Ctx<'_>, path: &[PathSegment], parent_type: &str, field: &str) {
    let explained = ctx
        .errors
        .iter()
        .any(|e| e.path.as_ref().is_some_and(|p| p.starts_with(path)));
    if !explained {
        ctx.errors.push(
            Error::coded(
                format!("Cannot return null for non-nullable field {parent_type}.{field}"),
                "NON_NULLABLE_FIELD_NULL",
            )
            .with_path(path.to_vec()),
        );
    }
}

fn collect_fields<'d>(
    ctx: &Ctx<'d>,
    set: &'d SelectionSet,
    runtime_type: &str,
    out: &mut Vec<(String, Vec<&'d Node<Field>>)>,
) {
    for selection in &set.selections {
        match selection {
            Selection::Field(field) => {
                if !included(ctx, &field.directives) {
                    continue;
                }
                let key = field.response_key().to_string();
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
                if let Some(fragment) = ctx.document.fragments.get(&spread.fragment_name) {
                    if applies(ctx, runtime_type, fragment.type_condition()) {
                        collect_fields(ctx, &fragment.selection_set, runtime_type, out);
                    }
                }
            }
        }
    }
}

fn applies(ctx: &Ctx<'_>, runtime_type: &str, condition: &str) -> bool {
    runtime_type == condition || ctx.supergraph.schema().is_subtype(condition, runtime_type)
}

fn included(ctx: &Ctx<'_>, directives: &apollo_compiler::ast::DirectiveList) -> bool {
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
