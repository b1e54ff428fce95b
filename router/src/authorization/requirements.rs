//! What the supergraph's authorization directives ask of a client, by
//! schema coordinate: `@authenticated`, `@requiresScopes(scopes:)` and
//! `@policy(policies:)` (the Apollo specs, under whatever names the
//! supergraph's `@link`s give them), read once per supergraph.
//!
//! A field is guarded by its own directives, those of its parent type and
//! of the type it returns, and, on an interface, by those of the same
//! field on each implementation (the router cannot know beforehand which
//! one will answer). A fragment is guarded by its type condition's.

use std::collections::HashMap;
use std::sync::Arc;

use apollo_compiler::ast::{DirectiveList, Value};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::{Name, Schema};

use crate::supergraph::links;

const AUTHENTICATED_SPEC: &str = "https://specs.apollo.dev/authenticated/";
const SCOPES_SPEC: &str = "https://specs.apollo.dev/requiresScopes/";
const POLICY_SPEC: &str = "https://specs.apollo.dev/policy/";

/// Alternatives: any one inner list, all of whose names hold, satisfies it
/// (`[["a", "b"], ["c"]]` is `(a and b) or c`).
pub type AnyOf = Vec<Vec<String>>;

/// Everything a position asks for; all of it must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requirement {
    pub authenticated: bool,
    /// One entry per `@requiresScopes`.
    pub scopes: Vec<AnyOf>,
    /// One entry per `@policy`.
    pub policies: Vec<AnyOf>,
}

impl Requirement {
    pub fn is_empty(&self) -> bool {
        !self.authenticated && self.scopes.is_empty() && self.policies.is_empty()
    }

    fn add(&mut self, other: &Requirement) {
        self.authenticated |= other.authenticated;
        for scopes in &other.scopes {
            if !self.scopes.contains(scopes) {
                self.scopes.push(scopes.clone());
            }
        }
        for policies in &other.policies {
            if !self.policies.contains(policies) {
                self.policies.push(policies.clone());
            }
        }
    }

    /// Every policy name it mentions.
    pub fn policy_names(&self) -> impl Iterator<Item = &str> {
        self.policies.iter().flatten().flatten().map(String::as_str)
    }
}

/// The supergraph's directive names for the three specs it links.
struct Names {
    authenticated: Option<String>,
    scopes: Option<String>,
    policy: Option<String>,
}

impl Names {
    fn of(schema: &Schema) -> Names {
        Names {
            authenticated: links::directive_name(schema, AUTHENTICATED_SPEC, "authenticated"),
            scopes: links::directive_name(schema, SCOPES_SPEC, "requiresScopes"),
            policy: links::directive_name(schema, POLICY_SPEC, "policy"),
        }
    }

    fn none(&self) -> bool {
        self.authenticated.is_none() && self.scopes.is_none() && self.policy.is_none()
    }

    fn read(&self, directives: &DirectiveList) -> Requirement {
        let mut requirement = Requirement::default();
        if let Some(name) = &self.authenticated {
            requirement.authenticated = directives.has(name);
        }
        if let Some(name) = &self.scopes {
            for directive in directives.get_all(name) {
                if let Some(value) = directive.specified_argument_by_name("scopes") {
                    requirement.scopes.push(any_of(value));
                }
            }
        }
        if let Some(name) = &self.policy {
            for directive in directives.get_all(name) {
                if let Some(value) = directive.specified_argument_by_name("policies") {
                    requirement.policies.push(any_of(value));
                }
            }
        }
        requirement
    }
}

/// `[["a", "b"], ["c"]]`; a single string or flat list is read leniently
/// (input coercion would have made it a list of lists).
fn any_of(value: &Value) -> AnyOf {
    let strings = |value: &Value| -> Vec<String> {
        match value {
            Value::List(items) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            other => other.as_str().map(str::to_owned).into_iter().collect(),
        }
    };
    match value {
        Value::List(items) => items.iter().map(|inner| strings(inner)).collect(),
        other => vec![strings(other)],
    }
}

/// The guards of one supergraph.
#[derive(Debug, Default)]
pub struct Requirements {
    /// By parent type, then field: everything guarding that field.
    fields: HashMap<Name, HashMap<Name, Arc<Requirement>>>,
    /// Types guarded by their own directives (for type conditions).
    types: HashMap<Name, Arc<Requirement>>,
}

impl Requirements {
    pub fn of(schema: &Schema) -> Requirements {
        let names = Names::of(schema);
        if names.none() {
            return Requirements::default();
        }
        let own_types: HashMap<&Name, Requirement> = schema
            .types
            .iter()
            .map(|(name, ty)| (name, names.read(&type_directives(ty))))
            .filter(|(_, requirement)| !requirement.is_empty())
            .collect();
        // Each field's own directives, by parent type.
        let own_fields: HashMap<(&Name, &Name), Requirement> = schema
            .types
            .iter()
            .flat_map(|(type_name, ty)| fields_of(ty).map(move |f| (type_name, f)))
            .map(|(type_name, field)| ((type_name, &field.name), names.read(&field.directives)))
            .filter(|(_, requirement)| !requirement.is_empty())
            .collect();

        let mut fields: HashMap<Name, HashMap<Name, Arc<Requirement>>> = HashMap::new();
        for (type_name, ty) in &schema.types {
            for field in fields_of(ty) {
                let mut requirement = Requirement::default();
                if let Some(own) = own_fields.get(&(type_name, &field.name)) {
                    requirement.add(own);
                }
                if let Some(parent) = own_types.get(type_name) {
                    requirement.add(parent);
                }
                if let Some(returned) = own_types.get(field.ty.inner_named_type()) {
                    requirement.add(returned);
                }
                if matches!(ty, ExtendedType::Interface(_)) {
                    for implementer in implementers(schema, type_name) {
                        if let Some(own) = own_fields.get(&(implementer, &field.name)) {
                            requirement.add(own);
                        }
                    }
                }
                if !requirement.is_empty() {
                    fields
                        .entry(type_name.clone())
                        .or_default()
                        .insert(field.name.clone(), Arc::new(requirement));
                }
            }
        }
        Requirements {
            fields,
            types: own_types
                .into_iter()
                .map(|(name, requirement)| (name.clone(), Arc::new(requirement)))
                .collect(),
        }
    }

    /// True when nothing in the supergraph is guarded: the stage is skipped.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.types.is_empty()
    }

    pub fn field(&self, parent: &str, field: &str) -> Option<&Arc<Requirement>> {
        self.fields.get(parent)?.get(field)
    }

    pub fn type_condition(&self, ty: &str) -> Option<&Arc<Requirement>> {
        self.types.get(ty)
    }

    /// Every policy name the supergraph uses.
    pub fn policy_names(&self) -> impl Iterator<Item = &str> {
        self.fields
            .values()
            .flat_map(HashMap::values)
            .chain(self.types.values())
            .flat_map(|r| r.policy_names())
    }
}

fn type_directives(ty: &ExtendedType) -> DirectiveList {
    DirectiveList(ty.directives().iter().map(|d| d.node.clone()).collect())
}

fn fields_of(
    ty: &ExtendedType,
) -> Box<
    dyn Iterator<Item = &apollo_compiler::schema::Component<apollo_compiler::ast::FieldDefinition>>
        + '_,
> {
    match ty {
        ExtendedType::Object(object) => Box::new(object.fields.values()),
        ExtendedType::Interface(interface) => Box::new(interface.fields.values()),
        _ => Box::new(std::iter::empty()),
    }
}

/// Object and interface types implementing `interface`.
fn implementers<'a>(schema: &'a Schema, interface: &'a Name) -> impl Iterator<Item = &'a Name> {
    schema.types.iter().filter_map(move |(name, ty)| {
        let implements = match ty {
            ExtendedType::Object(o) => &o.implements_interfaces,
            ExtendedType::Interface(i) => &i.implements_interfaces,
            _ => return None,
        };
        implements.contains(interface).then_some(name)
    })
}
