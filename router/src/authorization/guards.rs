//! The guarded positions of one operation, found once per prepared
//! document, and the request's decision over them: which the client may
//! not see.

use std::collections::HashSet;
use std::sync::Arc;

use apollo_compiler::ast::Value as GqlValue;
use apollo_compiler::executable::{Field, InlineFragment, Selection, SelectionSet};
use apollo_compiler::{ExecutableDocument, Name, Node};
use serde_json::Value;

use super::policy::{self, AuthorizationConfig, Client};
use super::requirements::{Requirement, Requirements};
use crate::graphql::JsonMap;

/// A position of the operation and what it asks of the client.
#[derive(Debug, Clone)]
pub struct Guard {
    pub requirement: Arc<Requirement>,
    pub at: Guarded,
}

#[derive(Debug, Clone)]
pub enum Guarded {
    Field(Node<Field>),
    Inline(Node<InlineFragment>),
    /// A named fragment, wherever it is spread.
    Fragment(Name),
}

/// The identity of a node of the operation's document (which outlives
/// every use of it: documents are shared and never mutated).
pub(crate) fn id<T>(node: &Node<T>) -> usize {
    &**node as *const T as usize
}

/// Every guarded position of the selection set, its fragments included
/// (each once). Empty for an operation touching nothing guarded.
pub fn find(
    requirements: &Requirements,
    document: &ExecutableDocument,
    set: &SelectionSet,
) -> Vec<Guard> {
    let mut finder = Finder {
        requirements,
        document,
        seen: HashSet::new(),
        guards: Vec::new(),
    };
    finder.set(set);
    finder.guards
}

struct Finder<'a> {
    requirements: &'a Requirements,
    document: &'a ExecutableDocument,
    seen: HashSet<&'a Name>,
    guards: Vec<Guard>,
}

impl<'a> Finder<'a> {
    fn set(&mut self, set: &'a SelectionSet) {
        for selection in &set.selections {
            match selection {
                Selection::Field(field) => {
                    if let Some(requirement) = self.requirements.field(&set.ty, &field.name) {
                        self.guards.push(Guard {
                            requirement: requirement.clone(),
                            at: Guarded::Field(field.clone()),
                        });
                    }
                    self.set(&field.selection_set);
                }
                Selection::InlineFragment(inline) => {
                    if let Some(requirement) = inline
                        .type_condition
                        .as_ref()
                        .filter(|ty| **ty != set.ty)
                        .and_then(|ty| self.requirements.type_condition(ty))
                    {
                        self.guards.push(Guard {
                            requirement: requirement.clone(),
                            at: Guarded::Inline(inline.clone()),
                        });
                    }
                    self.set(&inline.selection_set);
                }
                Selection::FragmentSpread(spread) => {
                    if !self.seen.insert(&spread.fragment_name) {
                        continue;
                    }
                    let Some(fragment) = self.document.fragments.get(&spread.fragment_name) else {
                        continue;
                    };
                    if let Some(requirement) =
                        self.requirements.type_condition(fragment.type_condition())
                    {
                        self.guards.push(Guard {
                            requirement: requirement.clone(),
                            at: Guarded::Fragment(fragment.name.clone()),
                        });
                    }
                    self.set(&fragment.selection_set);
                }
            }
        }
    }
}

/// What one request may not see.
#[derive(Debug, Default)]
pub struct Denied {
    /// Indices of the denied guards: with the operation, the identity of
    /// the filtered operation (a plan cache key).
    pub key: Arc<[u32]>,
    /// Removed from the operation before planning.
    pub fields: HashSet<usize>,
    pub inline: HashSet<usize>,
    pub fragments: HashSet<Name>,
    /// Fields the response holds null with an error for: the denied fields
    /// and those directly in denied fragments.
    pub nulled: HashSet<usize>,
}

/// The guards `client` fails; `None` when it passes them all.
pub fn decide(
    config: &AuthorizationConfig,
    guards: &[Guard],
    document: &ExecutableDocument,
    client: &Client<'_>,
    variables: &JsonMap,
) -> Option<Denied> {
    let mut denied: Option<Denied> = None;
    let mut key = Vec::new();
    for (index, guard) in guards.iter().enumerate() {
        let arguments = |name: &str| match &guard.at {
            Guarded::Field(field) => argument(field, name, variables),
            _ => None,
        };
        if policy::allows(config, &guard.requirement, client, &arguments) {
            continue;
        }
        key.push(index as u32);
        let denied = denied.get_or_insert_with(Denied::default);
        match &guard.at {
            Guarded::Field(field) => {
                denied.fields.insert(id(field));
                denied.nulled.insert(id(field));
            }
            Guarded::Inline(inline) => {
                denied.inline.insert(id(inline));
                direct_fields(document, &inline.selection_set, &mut denied.nulled);
            }
            Guarded::Fragment(name) => {
                denied.fragments.insert(name.clone());
                if let Some(fragment) = document.fragments.get(name) {
                    direct_fields(document, &fragment.selection_set, &mut denied.nulled);
                }
            }
        }
    }
    if let Some(denied) = &mut denied {
        denied.key = key.into();
    }
    denied
}

/// The fields of `set` at its own level, through fragments.
fn direct_fields(document: &ExecutableDocument, set: &SelectionSet, out: &mut HashSet<usize>) {
    let mut spread = HashSet::new();
    direct_fields_in(document, set, out, &mut spread);
}

fn direct_fields_in<'a>(
    document: &'a ExecutableDocument,
    set: &'a SelectionSet,
    out: &mut HashSet<usize>,
    spread: &mut HashSet<&'a Name>,
) {
    for selection in &set.selections {
        match selection {
            Selection::Field(field) => {
                out.insert(id(field));
            }
            Selection::InlineFragment(inline) => {
                direct_fields_in(document, &inline.selection_set, out, spread)
            }
            Selection::FragmentSpread(s) => {
                if spread.insert(&s.fragment_name)
                    && let Some(fragment) = document.fragments.get(&s.fragment_name)
                {
                    direct_fields_in(document, &fragment.selection_set, out, spread);
                }
            }
        }
    }
}

/// The value of `field`'s argument `name`, variables applied, else its
/// default.
fn argument(field: &Field, name: &str, variables: &JsonMap) -> Option<Value> {
    match field.arguments.iter().find(|a| a.name == name) {
        Some(arg) => Some(to_json(&arg.value, variables)),
        None => field
            .definition
            .argument_by_name(name)
            .and_then(|def| def.default_value.as_ref())
            .map(|v| to_json(v, variables)),
    }
}

fn to_json(value: &GqlValue, variables: &JsonMap) -> Value {
    match value {
        GqlValue::Null => Value::Null,
        GqlValue::Variable(name) => variables.get(name.as_str()).cloned().unwrap_or(Value::Null),
        GqlValue::Enum(name) => Value::String(name.to_string()),
        GqlValue::String(s) => Value::String(s.clone()),
        GqlValue::Boolean(b) => Value::Bool(*b),
        GqlValue::Int(i) => i
            .try_to_i32()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(i.as_str().to_owned())),
        GqlValue::Float(f) => f.try_to_f64().map(Value::from).unwrap_or(Value::Null),
        GqlValue::List(items) => {
            Value::Array(items.iter().map(|v| to_json(v, variables)).collect())
        }
        GqlValue::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), to_json(v, variables)))
                .collect(),
        ),
    }
}
