//! The planner's own selection tree: client selections with fragment spreads
//! inlined, arguments and directives already printed, ready to be split
//! between subgraphs, merged and printed into subgraph operations.

use std::fmt::Write as _;

use apollo_compiler::ast::{Argument, DirectiveList, Value};
use apollo_compiler::executable::{Selection, SelectionSet};
use apollo_compiler::{ExecutableDocument, Name, Node};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sel {
    Field(FieldSel),
    Fragment(FragmentSel),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSel {
    pub alias: Option<Name>,
    pub name: Name,
    /// `(a: 1, b: $x)` or empty.
    pub arguments: String,
    /// ` @skip(if: $x)` or empty.
    pub directives: String,
    /// Variables the arguments and directives use.
    pub variables: Vec<Name>,
    /// The field's named (innermost) type; empty for `__typename`.
    pub ty: Name,
    /// How many list wrappers the field's type has.
    pub list_depth: usize,
    pub selections: Vec<Sel>,
    /// `@skip`/`@include` conditions, for skipping whole fetches.
    pub conditions: Vec<Condition>,
    /// Added by the planner (a `__typename` for its own bookkeeping), not
    /// asked for by the client.
    pub internal: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FragmentSel {
    pub type_condition: Name,
    pub directives: String,
    pub variables: Vec<Name>,
    pub selections: Vec<Sel>,
    pub conditions: Vec<Condition>,
}

/// One `@skip(if: …)` (`skip == true`) or `@include(if: …)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub skip: bool,
    pub value: ConditionValue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConditionValue {
    Constant(bool),
    Variable(Name),
}

impl Condition {
    /// True when the condition excludes the selection for these variables.
    pub fn excludes(&self, variables: &serde_json::Map<String, serde_json::Value>) -> bool {
        let value = match &self.value {
            ConditionValue::Constant(b) => *b,
            ConditionValue::Variable(name) => variables
                .get(name.as_str())
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false),
        };
        value == self.skip
    }
}

impl Sel {
    /// True when `@skip`/`@include` exclude this selection, or (for a
    /// fragment) everything in it.
    pub fn is_skipped(&self, variables: &serde_json::Map<String, serde_json::Value>) -> bool {
        match self {
            Sel::Field(f) => f.conditions.iter().any(|c| c.excludes(variables)),
            Sel::Fragment(fr) => {
                fr.conditions.iter().any(|c| c.excludes(variables))
                    || (!fr.selections.is_empty()
                        && fr.selections.iter().all(|s| s.is_skipped(variables)))
            }
        }
    }
}

impl FieldSel {
    pub fn response_key(&self) -> &Name {
        self.alias.as_ref().unwrap_or(&self.name)
    }

    pub fn typename() -> FieldSel {
        FieldSel {
            alias: None,
            name: Name::new_unchecked("__typename"),
            arguments: String::new(),
            directives: String::new(),
            variables: Vec::new(),
            ty: Name::new_unchecked("String"),
            list_depth: 0,
            selections: Vec::new(),
            conditions: Vec::new(),
            internal: true,
        }
    }

    /// Same field, same response key, same arguments and conditions: two
    /// such selections can be merged into one.
    fn same_as(&self, other: &FieldSel) -> bool {
        self.response_key() == other.response_key()
            && self.name == other.name
            && self.arguments == other.arguments
            && self.directives == other.directives
    }

    /// A copy without the sub-selections (which are not copied either).
    pub fn without_selections(&self) -> FieldSel {
        FieldSel {
            alias: self.alias.clone(),
            name: self.name.clone(),
            arguments: self.arguments.clone(),
            directives: self.directives.clone(),
            variables: self.variables.clone(),
            ty: self.ty.clone(),
            list_depth: self.list_depth,
            selections: Vec::new(),
            conditions: self.conditions.clone(),
            internal: self.internal,
        }
    }
}

impl FragmentSel {
    /// A copy without the selections (which are not copied either).
    pub fn without_selections(&self) -> FragmentSel {
        FragmentSel {
            type_condition: self.type_condition.clone(),
            directives: self.directives.clone(),
            variables: self.variables.clone(),
            selections: Vec::new(),
            conditions: self.conditions.clone(),
        }
    }
}

/// Converts a validated selection set; fragment spreads become inline
/// fragments on their type condition.
pub fn from_executable(document: &ExecutableDocument, set: &SelectionSet) -> Vec<Sel> {
    let mut out = Vec::new();
    for selection in &set.selections {
        match selection {
            Selection::Field(field) => {
                let mut variables = Vec::new();
                let arguments = print_arguments(&field.arguments, &mut variables);
                let directives = print_conditions(&field.directives, &mut variables);
                let ty = &field.definition.ty;
                out.push(Sel::Field(FieldSel {
                    alias: field.alias.clone(),
                    name: field.name.clone(),
                    arguments,
                    directives,
                    variables,
                    ty: ty.inner_named_type().clone(),
                    list_depth: list_depth(ty),
                    selections: from_executable(document, &field.selection_set),
                    conditions: conditions(&field.directives),
                    internal: false,
                }));
            }
            Selection::InlineFragment(fragment) => {
                let mut variables = Vec::new();
                let directives = print_conditions(&fragment.directives, &mut variables);
                out.push(Sel::Fragment(FragmentSel {
                    type_condition: fragment
                        .type_condition
                        .clone()
                        .unwrap_or_else(|| fragment.selection_set.ty.clone()),
                    directives,
                    variables,
                    selections: from_executable(document, &fragment.selection_set),
                    conditions: conditions(&fragment.directives),
                }));
            }
            Selection::FragmentSpread(spread) => {
                let Some(fragment) = document.fragments.get(&spread.fragment_name) else {
                    continue;
                };
                let mut variables = Vec::new();
                let directives = print_conditions(&spread.directives, &mut variables);
                out.push(Sel::Fragment(FragmentSel {
                    type_condition: fragment.selection_set.ty.clone(),
                    directives,
                    variables,
                    selections: from_executable(document, &fragment.selection_set),
                    conditions: conditions(&spread.directives),
                }));
            }
        }
    }
    out
}

fn list_depth(ty: &apollo_compiler::ast::Type) -> usize {
    let mut depth = 0;
    let mut ty = ty;
    while ty.is_list() {
        depth += 1;
        ty = ty.item_type();
    }
    depth
}

fn print_arguments(arguments: &[Node<Argument>], variables: &mut Vec<Name>) -> String {
    if arguments.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = arguments
        .iter()
        .map(|a| {
            collect_variables(&a.value, variables);
            let mut text = format!("{}: ", a.name);
            print_value(&a.value, &mut text);
            text
        })
        .collect();
    format!("({})", parts.join(", "))
}

fn conditions(directives: &DirectiveList) -> Vec<Condition> {
    directives
        .iter()
        .filter(|d| d.name == "skip" || d.name == "include")
        .filter_map(|d| {
            let value = match d.specified_argument_by_name("if").map(|v| &**v) {
                Some(Value::Boolean(b)) => ConditionValue::Constant(*b),
                Some(Value::Variable(name)) => ConditionValue::Variable(name.clone()),
                _ => return None,
            };
            Some(Condition {
                skip: d.name == "skip",
                value,
            })
        })
        .collect()
}

/// Only `@skip` and `@include` travel to subgraphs.
fn print_conditions(directives: &DirectiveList, variables: &mut Vec<Name>) -> String {
    let mut out = String::new();
    for d in directives
        .iter()
        .filter(|d| d.name == "skip" || d.name == "include")
    {
        let _ = write!(
            out,
            " @{}{}",
            d.name,
            print_arguments(&d.arguments, variables)
        );
    }
    out
}

/// A value on one line (apollo-compiler's Display spreads objects over lines).
fn print_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Enum(name) => out.push_str(name),
        Value::Variable(name) => {
            out.push('$');
            out.push_str(name);
        }
        Value::String(s) => {
            out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()))
        }
        Value::Float(f) => out.push_str(f.as_str()),
        Value::Int(i) => out.push_str(i.as_str()),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                print_value(item, out);
            }
            out.push(']');
        }
        Value::Object(fields) => {
            out.push('{');
            for (i, (name, item)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(name);
                out.push_str(": ");
                print_value(item, out);
            }
            out.push('}');
        }
    }
}

fn collect_variables(value: &Value, out: &mut Vec<Name>) {
    match value {
        Value::Variable(name) if !out.contains(name) => {
            out.push(name.clone());
        }
        Value::List(items) => items.iter().for_each(|v| collect_variables(v, out)),
        Value::Object(fields) => fields.iter().for_each(|(_, v)| collect_variables(v, out)),
        _ => {}
    }
}

/// Adds `sel` to `sels`, merging it into an equal selection already there.
pub fn add(sels: &mut Vec<Sel>, sel: Sel) {
    match sel {
        Sel::Field(field) => {
            for existing in sels.iter_mut() {
                if let Sel::Field(e) = existing
                    && e.same_as(&field)
                {
                    for child in field.selections {
                        add(&mut e.selections, child);
                    }
                    return;
                }
            }
            sels.push(Sel::Field(field));
        }
        Sel::Fragment(fragment) => {
            for existing in sels.iter_mut() {
                if let Sel::Fragment(e) = existing
                    && e.type_condition == fragment.type_condition
                    && e.directives == fragment.directives
                {
                    for child in fragment.selections {
                        add(&mut e.selections, child);
                    }
                    return;
                }
            }
            sels.push(Sel::Fragment(fragment));
        }
    }
}

pub fn add_all(sels: &mut Vec<Sel>, more: Vec<Sel>) {
    for sel in more {
        add(sels, sel);
    }
}

/// `{ a b { c } ... on T { d } }`, collecting the variables used.
pub fn print(sels: &[Sel], out: &mut String, variables: &mut Vec<Name>) {
    print_level(sels, false, out, variables);
}

fn is_plain_typename(sel: &Sel) -> bool {
    matches!(sel, Sel::Field(f) if f.name == "__typename" && f.alias.is_none() && f.directives.is_empty())
}

/// One selection set; `typename_above` when an enclosing level of the same
/// object already selects `__typename`, which then need not be asked again
/// inside a fragment.
fn print_level(sels: &[Sel], typename_above: bool, out: &mut String, variables: &mut Vec<Name>) {
    let typename_here = typename_above || sels.iter().any(is_plain_typename);
    out.push('{');
    for sel in sels {
        let redundant = match sel {
            Sel::Field(_) => typename_above && is_plain_typename(sel),
            // A fragment left with nothing but the `__typename` above it.
            Sel::Fragment(fr) => {
                typename_here
                    && fr.directives.is_empty()
                    && fr.selections.iter().all(is_plain_typename)
            }
        };
        if redundant {
            continue;
        }
        out.push(' ');
        match sel {
            Sel::Field(f) => {
                if let Some(alias) = &f.alias {
                    let _ = write!(out, "{alias}: ");
                }
                let _ = write!(out, "{}{}{}", f.name, f.arguments, f.directives);
                merge_names(variables, &f.variables);
                if !f.selections.is_empty() {
                    out.push(' ');
                    print_level(&f.selections, false, out, variables);
                }
            }
            Sel::Fragment(fr) => {
                let _ = write!(out, "... on {}{} ", fr.type_condition, fr.directives);
                merge_names(variables, &fr.variables);
                // A fragment kept for its directives with nothing but
                // `__typename` in it keeps that, or it would be empty.
                let above = typename_here && !fr.selections.iter().all(is_plain_typename);
                print_level(&fr.selections, above, out, variables);
            }
        }
    }
    out.push_str(" }");
}

fn merge_names(into: &mut Vec<Name>, names: &[Name]) {
    for n in names {
        if !into.contains(n) {
            into.push(n.clone());
        }
    }
}

/// A field set (key, `@requires`, `@provides`) as planner selections.
pub fn from_field_set(set: &SelectionSet) -> Vec<Sel> {
    let document = ExecutableDocument::new();
    from_executable(&document, set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str) -> Sel {
        Sel::Field(FieldSel {
            name: Name::new_unchecked(name),
            internal: false,
            ..FieldSel::typename()
        })
    }

    fn fragment(on: &str, selections: Vec<Sel>) -> Sel {
        Sel::Fragment(FragmentSel {
            type_condition: Name::new_unchecked(on),
            directives: String::new(),
            variables: Vec::new(),
            selections,
            conditions: Vec::new(),
        })
    }

    fn printed(sels: &[Sel]) -> String {
        let mut out = String::new();
        print(sels, &mut out, &mut Vec::new());
        out
    }

    #[test]
    fn typename_is_asked_once_per_object() {
        let typename = || Sel::Field(FieldSel::typename());
        let sels = [
            fragment("Book", vec![field("title"), typename(), field("id")]),
            fragment("Song", vec![typename()]),
            typename(),
        ];
        assert_eq!(printed(&sels), "{ ... on Book { title id } __typename }");
        // Without one above, each fragment keeps its own.
        let sels = [fragment("Book", vec![typename(), field("id")])];
        assert_eq!(printed(&sels), "{ ... on Book { __typename id } }");
        // A fragment with a directive stays, and is never left empty.
        let mut skipped = fragment("Song", vec![typename()]);
        if let Sel::Fragment(f) = &mut skipped {
            f.directives = " @skip(if: $s)".into();
        }
        let sels = [typename(), skipped];
        assert_eq!(
            printed(&sels),
            "{ __typename ... on Song @skip(if: $s) { __typename } }"
        );
    }
}
