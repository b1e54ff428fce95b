//! What changed between two versions of a schema, judged by what it does to
//! clients written against the old one: breaking (a valid operation stops
//! validating or gets a value it was promised it would not), dangerous
//! (operations still validate, but may see values they do not expect: a new
//! enum value or union member, a changed default) or safe.
//!
//! Works on API schemas; a supergraph is reduced to its API schema first, so
//! only what clients can see counts.

use std::fmt;

use apollo_compiler::ast::{InputValueDefinition, Type};
use apollo_compiler::collections::{IndexMap, IndexSet};
use apollo_compiler::schema::{Component, ComponentName, ExtendedType, FieldDefinition};
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Node, Schema};

#[derive(Debug, thiserror::Error)]
pub enum SchemaDiffError {
    #[error("{which} schema is not valid GraphQL:\n{errors}")]
    Invalid { which: &'static str, errors: String },
    #[error("{which} schema is a supergraph without an API schema: {reason}")]
    NoApiSchema { which: &'static str, reason: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Breaking,
    Dangerous,
    Safe,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so `{:<9}` lines the messages up.
        f.pad(match self {
            Severity::Breaking => "BREAKING",
            Severity::Dangerous => "DANGEROUS",
            Severity::Safe => "SAFE",
        })
    }
}

/// One change: where (`Type`, `Type.field`, `Type.field(arg:)`), and what.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    pub severity: Severity,
    pub path: String,
    pub message: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<9} {}: {}", self.severity, self.path, self.message)
    }
}

/// Reads `sdl` as an API schema: a supergraph (it has `join__Graph`) becomes
/// its API schema, anything else is taken as it is.
pub fn load(sdl: &str, which: &'static str) -> Result<Valid<Schema>, SchemaDiffError> {
    let schema =
        Schema::parse_and_validate(sdl, which).map_err(|invalid| SchemaDiffError::Invalid {
            which,
            errors: invalid.errors.to_string(),
        })?;
    if schema.types.contains_key("join__Graph") {
        return crate::api_schema::derive(&schema).map_err(|e| SchemaDiffError::NoApiSchema {
            which,
            reason: e.to_string(),
        });
    }
    Ok(schema)
}

/// Every change from `old` to `new`, the most severe first, then by path.
pub fn diff(old: &Schema, new: &Schema) -> Vec<Change> {
    let mut changes = Changes(Vec::new());
    roots(&mut changes, old, new);
    for (name, old_ty) in &old.types {
        if old_ty.is_built_in() {
            continue;
        }
        match new.types.get(name) {
            None => changes.breaking(name, format!("{} removed", kind(old_ty))),
            Some(new_ty) if kind(new_ty) != kind(old_ty) => changes.breaking(
                name,
                format!("changed from {} to {}", kind(old_ty), kind(new_ty)),
            ),
            Some(new_ty) => types(&mut changes, name, old_ty, new_ty),
        }
    }
    for (name, new_ty) in &new.types {
        if !new_ty.is_built_in() && !old.types.contains_key(name) {
            changes.safe(name, format!("{} added", kind(new_ty)));
        }
    }
    for (name, old_directive) in &old.directive_definitions {
        if old_directive.is_built_in() {
            continue;
        }
        let path = format!("@{name}");
        match new.directive_definitions.get(name) {
            None => changes.breaking(&path, "directive removed".into()),
            Some(new_directive) => {
                arguments(
                    &mut changes,
                    &path,
                    &old_directive.arguments,
                    &new_directive.arguments,
                );
                for location in &old_directive.locations {
                    if !new_directive.locations.contains(location) {
                        changes.breaking(&path, format!("location {location} removed"));
                    }
                }
            }
        }
    }
    for (name, new_directive) in &new.directive_definitions {
        if !new_directive.is_built_in() && !old.directive_definitions.contains_key(name) {
            changes.safe(&format!("@{name}"), "directive added".into());
        }
    }
    let mut changes = changes.0;
    changes.sort_by(|a, b| (a.severity, &a.path).cmp(&(b.severity, &b.path)));
    changes
}

/// True when any change breaks clients.
pub fn has_breaking(changes: &[Change]) -> bool {
    changes.iter().any(|c| c.severity == Severity::Breaking)
}

struct Changes(Vec<Change>);

impl Changes {
    fn push(&mut self, severity: Severity, path: &str, message: String) {
        self.0.push(Change {
            severity,
            path: path.to_owned(),
            message,
        });
    }
    fn breaking(&mut self, path: &str, message: String) {
        self.push(Severity::Breaking, path, message);
    }
    fn dangerous(&mut self, path: &str, message: String) {
        self.push(Severity::Dangerous, path, message);
    }
    fn safe(&mut self, path: &str, message: String) {
        self.push(Severity::Safe, path, message);
    }
}

fn kind(ty: &ExtendedType) -> &'static str {
    match ty {
        ExtendedType::Scalar(_) => "scalar",
        ExtendedType::Object(_) => "object type",
        ExtendedType::Interface(_) => "interface",
        ExtendedType::Union(_) => "union",
        ExtendedType::Enum(_) => "enum",
        ExtendedType::InputObject(_) => "input object",
    }
}

fn roots(changes: &mut Changes, old: &Schema, new: &Schema) {
    let (o, n) = (&old.schema_definition, &new.schema_definition);
    for (operation, old_root, new_root) in [
        ("query", &o.query, &n.query),
        ("mutation", &o.mutation, &n.mutation),
        ("subscription", &o.subscription, &n.subscription),
    ] {
        let old_root = old_root.as_ref().map(|r| r.name.as_str());
        let new_root = new_root.as_ref().map(|r| r.name.as_str());
        match (old_root, new_root) {
            (Some(a), Some(b)) if a != b => changes.breaking(
                "schema",
                format!("{operation} root changed from {a} to {b}"),
            ),
            (Some(a), None) => changes.breaking("schema", format!("{operation} root {a} removed")),
            (None, Some(b)) => changes.safe("schema", format!("{operation} root {b} added")),
            _ => {}
        }
    }
}

fn types(changes: &mut Changes, name: &str, old: &ExtendedType, new: &ExtendedType) {
    if let (Some((old_fields, old_interfaces)), Some((new_fields, new_interfaces))) =
        (composite(old), composite(new))
    {
        output_fields(changes, name, old_fields, new_fields);
        interfaces(changes, name, old_interfaces, new_interfaces);
        return;
    }
    match (old, new) {
        (ExtendedType::Union(a), ExtendedType::Union(b)) => {
            for member in &a.members {
                if !b.members.contains(member) {
                    changes.breaking(name, format!("member {} removed", member.name));
                }
            }
            for member in &b.members {
                if !a.members.contains(member) {
                    // Clients switching on `__typename` meet a type they never handled.
                    changes.dangerous(name, format!("member {} added", member.name));
                }
            }
        }
        (ExtendedType::Enum(a), ExtendedType::Enum(b)) => {
            for value in a.values.keys() {
                if !b.values.contains_key(value) {
                    changes.breaking(&format!("{name}.{value}"), "enum value removed".into());
                }
            }
            for (value, definition) in &b.values {
                match a.values.get(value) {
                    None => {
                        changes.dangerous(&format!("{name}.{value}"), "enum value added".into())
                    }
                    Some(old_value) => deprecation(
                        changes,
                        &format!("{name}.{value}"),
                        old_value.directives.get("deprecated").is_some(),
                        definition.directives.get("deprecated").is_some(),
                    ),
                }
            }
        }
        (ExtendedType::InputObject(a), ExtendedType::InputObject(b)) => {
            for (field, old_field) in &a.fields {
                let path = format!("{name}.{field}");
                match b.fields.get(field) {
                    None => changes.breaking(&path, "input field removed".into()),
                    Some(new_field) => input_value(changes, &path, old_field, new_field),
                }
            }
            for (field, new_field) in &b.fields {
                if !a.fields.contains_key(field) {
                    let path = format!("{name}.{field}");
                    if is_required(new_field) {
                        changes.breaking(&path, "required input field added".into());
                    } else {
                        changes.safe(&path, "optional input field added".into());
                    }
                }
            }
        }
        _ => {}
    }
}

type FieldMap = IndexMap<Name, Component<FieldDefinition>>;

/// The fields and interfaces of an object or interface type.
fn composite(ty: &ExtendedType) -> Option<(&FieldMap, &IndexSet<ComponentName>)> {
    match ty {
        ExtendedType::Object(o) => Some((&o.fields, &o.implements_interfaces)),
        ExtendedType::Interface(i) => Some((&i.fields, &i.implements_interfaces)),
        _ => None,
    }
}

fn interfaces(
    changes: &mut Changes,
    name: &str,
    old: &IndexSet<ComponentName>,
    new: &IndexSet<ComponentName>,
) {
    for interface in old.difference(new) {
        changes.breaking(name, format!("no longer implements {}", interface.name));
    }
    for interface in new.difference(old) {
        changes.dangerous(name, format!("now implements {}", interface.name));
    }
}

fn output_fields(changes: &mut Changes, name: &str, old: &FieldMap, new: &FieldMap) {
    for (field, old_field) in old {
        let path = format!("{name}.{field}");
        let Some(new_field) = new.get(field) else {
            changes.breaking(&path, "field removed".into());
            continue;
        };
        if old_field.ty != new_field.ty {
            if output_accepts(&old_field.ty, &new_field.ty) {
                changes.safe(
                    &path,
                    format!("type changed from {} to {}", old_field.ty, new_field.ty),
                );
            } else {
                changes.breaking(
                    &path,
                    format!("type changed from {} to {}", old_field.ty, new_field.ty),
                );
            }
        }
        arguments(changes, &path, &old_field.arguments, &new_field.arguments);
        deprecation(
            changes,
            &path,
            old_field.directives.get("deprecated").is_some(),
            new_field.directives.get("deprecated").is_some(),
        );
    }
    for field in new.keys() {
        if !old.contains_key(field) {
            changes.safe(&format!("{name}.{field}"), "field added".into());
        }
    }
}

fn arguments(
    changes: &mut Changes,
    path: &str,
    old: &[Node<InputValueDefinition>],
    new: &[Node<InputValueDefinition>],
) {
    for old_arg in old {
        let arg_path = format!("{path}({}:)", old_arg.name);
        match new.iter().find(|a| a.name == old_arg.name) {
            None => changes.breaking(&arg_path, "argument removed".into()),
            Some(new_arg) => input_value(changes, &arg_path, old_arg, new_arg),
        }
    }
    for new_arg in new {
        if !old.iter().any(|a| a.name == new_arg.name) {
            let arg_path = format!("{path}({}:)", new_arg.name);
            if is_required(new_arg) {
                changes.breaking(&arg_path, "required argument added".into());
            } else {
                changes.safe(&arg_path, "optional argument added".into());
            }
        }
    }
}

/// An argument or input field kept under the same name.
fn input_value(
    changes: &mut Changes,
    path: &str,
    old: &InputValueDefinition,
    new: &InputValueDefinition,
) {
    if old.ty != new.ty {
        let message = format!("type changed from {} to {}", old.ty, new.ty);
        if input_accepts(&old.ty, &new.ty) {
            changes.safe(path, message);
        } else {
            changes.breaking(path, message);
        }
    }
    let default = |v: &InputValueDefinition| v.default_value.as_ref().map(|d| d.to_string());
    let (old_default, new_default) = (default(old), default(new));
    if old_default != new_default {
        let show = |d: &Option<String>| d.clone().unwrap_or_else(|| "none".into());
        // Operations that leave the value out now mean something else.
        changes.dangerous(
            path,
            format!(
                "default changed from {} to {}",
                show(&old_default),
                show(&new_default)
            ),
        );
    }
}

fn deprecation(changes: &mut Changes, path: &str, was: bool, is: bool) {
    match (was, is) {
        (false, true) => changes.safe(path, "deprecated".into()),
        (true, false) => changes.safe(path, "no longer deprecated".into()),
        _ => {}
    }
}

fn is_required(value: &InputValueDefinition) -> bool {
    value.ty.is_non_null() && value.default_value.is_none()
}

/// May a client that read `old` values read `new` ones? Only if `new`
/// promises at least as much: the same named type, the same lists, and
/// non-null wherever `old` was.
fn output_accepts(old: &Type, new: &Type) -> bool {
    match (old, new) {
        (Type::Named(a) | Type::NonNullNamed(a), Type::NonNullNamed(b)) => a == b,
        (Type::Named(a), Type::Named(b)) => a == b,
        (Type::List(a) | Type::NonNullList(a), Type::NonNullList(b)) => output_accepts(a, b),
        (Type::List(a), Type::List(b)) => output_accepts(a, b),
        _ => false,
    }
}

/// Does every value a client could send for `old` still fit `new`? Only if
/// `new` demands no more: the same named type, the same lists, and nullable
/// wherever `old` was.
fn input_accepts(old: &Type, new: &Type) -> bool {
    match (old, new) {
        (Type::NonNullNamed(a), Type::Named(b) | Type::NonNullNamed(b)) => a == b,
        (Type::Named(a), Type::Named(b)) => a == b,
        (Type::NonNullList(a), Type::List(b) | Type::NonNullList(b)) => input_accepts(a, b),
        (Type::List(a), Type::List(b)) => input_accepts(a, b),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
