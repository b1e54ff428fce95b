//! The cost stage (demand control): what an operation would cost to
//! answer, estimated before it is planned, following the GraphQL cost
//! directive spec as Apollo applies it, and refused past `max_cost`.
//!
//! - A field costs its `@cost(weight:)`, else the `@cost` of the type it
//!   returns, else 1 for an object, interface or union and 0 for a scalar
//!   or enum; a root field of a mutation costs 10 unless `@cost` says so.
//! - Arguments given that carry `@cost` add their weight.
//! - A list multiplies its items' cost (the field's weight plus its
//!   selection's) by its size: the largest slicing argument given (or its
//!   default) of the field's `@listSize`, else its `assumedSize`, else
//!   `default_list_size`. With `sizedFields`, the size applies to those
//!   child fields instead (a connection's `edges`).
//! - Fragments count where they are spread, each computed once per size.
//!
//! The actual cost applies the same weights to the response: lists count
//! the items they returned.

use std::collections::{HashMap, HashSet};

use apollo_compiler::ast::{OperationType, Value as GqlValue};
use apollo_compiler::executable::{Field, Operation, Selection, SelectionSet};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::{ExecutableDocument, Name, Node, Schema};
use serde_json::Value;

use crate::graphql::JsonMap;
use crate::supergraph::links;

const COST_SPEC: &str = "https://specs.apollo.dev/cost/";
/// What a mutation's root field costs without `@cost`.
const MUTATION_WEIGHT: u64 = 10;

/// Weights and list sizes from the supergraph's `@cost` and `@listSize`.
#[derive(Debug, Default)]
pub struct CostModel {
    /// By parent type, then field.
    fields: HashMap<Name, HashMap<Name, FieldCost>>,
    /// `@cost` on types (objects, scalars, enums).
    types: HashMap<Name, u64>,
    composite: HashSet<Name>,
    default_list_size: u64,
}

#[derive(Debug, Default)]
struct FieldCost {
    weight: Option<u64>,
    arguments: Vec<(Name, u64)>,
    list_size: Option<ListSize>,
}

#[derive(Debug, Default)]
struct ListSize {
    assumed: Option<u64>,
    slicing: Vec<Name>,
    sized_fields: Vec<Name>,
}

/// A size that child fields named here take (`sizedFields`).
type Sized<'a> = Option<(&'a [Name], u64)>;

impl CostModel {
    pub fn new(supergraph: &Schema, default_list_size: u64) -> Self {
        let cost = links::directive_name(supergraph, COST_SPEC, "cost");
        let list_size = links::directive_name(supergraph, COST_SPEC, "listSize");
        let cost = cost.as_deref();
        let weight_in = |directive: Option<&apollo_compiler::ast::Directive>| {
            let weight = directive?.specified_argument_by_name("weight")?;
            let weight = match &**weight {
                GqlValue::Int(n) => n.try_to_i32().ok().map(i64::from),
                // The spec's weight is a String in some versions.
                GqlValue::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            }?;
            Some(weight.max(0) as u64)
        };
        let mut model = CostModel {
            default_list_size,
            ..CostModel::default()
        };
        for (type_name, ty) in &supergraph.types {
            if matches!(
                ty,
                ExtendedType::Object(_) | ExtendedType::Interface(_) | ExtendedType::Union(_)
            ) {
                model.composite.insert(type_name.clone());
            }
            let on_type = cost
                .and_then(|name| ty.directives().get(name))
                .map(|d| &***d);
            if let Some(weight) = weight_in(on_type) {
                model.types.insert(type_name.clone(), weight);
            }
            let fields = match ty {
                ExtendedType::Object(object) => &object.fields,
                ExtendedType::Interface(interface) => &interface.fields,
                _ => continue,
            };
            for (field_name, field) in fields {
                let mut found = FieldCost {
                    weight: weight_in(
                        cost.and_then(|name| field.directives.get(name))
                            .map(|d| &**d),
                    ),
                    arguments: field
                        .arguments
                        .iter()
                        .filter_map(|a| {
                            let on_argument = cost.and_then(|name| a.directives.get(name));
                            Some((a.name.clone(), weight_in(on_argument.map(|d| &**d))?))
                        })
                        .collect(),
                    list_size: None,
                };
                if let Some(directive) = list_size.as_deref().and_then(|n| field.directives.get(n))
                {
                    found.list_size = Some(read_list_size(directive));
                }
                if found.weight.is_some()
                    || !found.arguments.is_empty()
                    || found.list_size.is_some()
                {
                    model
                        .fields
                        .entry(type_name.clone())
                        .or_default()
                        .insert(field_name.clone(), found);
                }
            }
        }
        model
    }

    /// The estimated cost of `operation` with `variables` (coerced).
    pub fn estimate(
        &self,
        document: &ExecutableDocument,
        operation: &Operation,
        variables: &JsonMap,
    ) -> u64 {
        self.walk(document, operation, variables).0
    }

    /// The estimate when it does not depend on the request's variables
    /// (no slicing argument is a variable): the same for every request, so
    /// it is worked out once per document.
    pub fn estimate_static(
        &self,
        document: &ExecutableDocument,
        operation: &Operation,
    ) -> Option<u64> {
        let (cost, used_variables) = self.walk(document, operation, &JsonMap::new());
        (!used_variables).then_some(cost)
    }

    fn walk(
        &self,
        document: &ExecutableDocument,
        operation: &Operation,
        variables: &JsonMap,
    ) -> (u64, bool) {
        let mut walk = Estimate {
            model: self,
            document,
            variables,
            fragments: HashMap::new(),
            used_variables: false,
        };
        let mutation = operation.operation_type == OperationType::Mutation;
        let cost = walk.set(&operation.selection_set, None, Root::at(mutation));
        (cost, walk.used_variables)
    }

    /// The cost of what `data` (the response's) holds for `operation`.
    pub fn actual(
        &self,
        document: &ExecutableDocument,
        operation: &Operation,
        data: &Value,
    ) -> u64 {
        let mutation = operation.operation_type == OperationType::Mutation;
        let walk = Actual {
            model: self,
            document,
        };
        walk.set(&operation.selection_set, data, Root::at(mutation))
    }

    fn info(&self, parent: &Name, field: &Name) -> Option<&FieldCost> {
        self.fields.get(parent)?.get(field)
    }

    /// The weight of one `field` (before any list); `info`: its directives.
    fn weight(&self, info: Option<&FieldCost>, field: &Field, root: Root) -> u64 {
        let inner = field.definition.ty.inner_named_type();
        info.and_then(|i| i.weight)
            .or_else(|| self.types.get(inner).copied())
            .unwrap_or(if root == Root::Mutation {
                MUTATION_WEIGHT
            } else if self.composite.contains(inner) {
                1
            } else {
                0
            })
    }

    /// What the arguments given to `field` add.
    fn arguments(info: Option<&FieldCost>, field: &Field) -> u64 {
        let Some(info) = info else {
            return 0;
        };
        info.arguments
            .iter()
            .filter(|(name, _)| field.arguments.iter().any(|a| a.name == *name))
            .map(|(_, weight)| *weight)
            .fold(0, u64::saturating_add)
    }
}

fn read_list_size(directive: &apollo_compiler::ast::Directive) -> ListSize {
    let names = |argument: &str| -> Vec<Name> {
        match directive.specified_argument_by_name(argument).map(|v| &**v) {
            Some(GqlValue::List(items)) => items
                .iter()
                .filter_map(|item| Name::new(item.as_str()?).ok())
                .collect(),
            _ => Vec::new(),
        }
    };
    ListSize {
        assumed: directive
            .specified_argument_by_name("assumedSize")
            .and_then(|v| v.to_i32())
            .map(|n| n.max(0) as u64),
        slicing: names("slicingArguments"),
        sized_fields: names("sizedFields"),
    }
}

/// Whether a selection set is an operation's root, and of which kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Root {
    Mutation,
    Other,
    Nested,
}

impl Root {
    fn at(mutation: bool) -> Root {
        if mutation {
            Root::Mutation
        } else {
            Root::Other
        }
    }

    fn is_root(self) -> bool {
        self != Root::Nested
    }
}

/// Introspection is answered by the router itself: it costs nothing.
fn introspection(field: &Field, root: Root) -> bool {
    root.is_root() && matches!(field.name.as_str(), "__schema" | "__type")
}

struct Estimate<'a> {
    model: &'a CostModel,
    document: &'a ExecutableDocument,
    variables: &'a JsonMap,
    /// Each fragment's cost, by name, the size its sized fields take, and
    /// where it is spread.
    fragments: HashMap<(&'a Name, Option<u64>, Root), u64>,
    /// Whether a size came from a variable.
    used_variables: bool,
}

impl<'a> Estimate<'a> {
    fn set(&mut self, set: &'a SelectionSet, sized: Sized<'a>, root: Root) -> u64 {
        let mut total = 0u64;
        for selection in &set.selections {
            let cost = match selection {
                Selection::Field(field) => self.field(&set.ty, field, sized, root),
                Selection::InlineFragment(inline) => self.set(&inline.selection_set, sized, root),
                Selection::FragmentSpread(spread) => {
                    let key = (&spread.fragment_name, sized.map(|(_, n)| n), root);
                    if let Some(cost) = self.fragments.get(&key) {
                        *cost
                    } else {
                        let cost = match self.document.fragments.get(&spread.fragment_name) {
                            Some(fragment) => self.set(&fragment.selection_set, sized, root),
                            None => 0,
                        };
                        self.fragments.insert(key, cost);
                        cost
                    }
                }
            };
            total = total.saturating_add(cost);
        }
        total
    }

    fn field(
        &mut self,
        parent: &Name,
        field: &'a Node<Field>,
        sized: Sized<'a>,
        root: Root,
    ) -> u64 {
        if introspection(field, root) {
            return 0;
        }
        let model = self.model;
        let info = model.info(parent, &field.name);
        let weight = model.weight(info, field, root);
        let arguments = CostModel::arguments(info, field);
        let is_list = field.definition.ty.is_list();
        let list_size = info.and_then(|i| i.list_size.as_ref());
        let inherited = sized
            .filter(|(names, _)| names.contains(&field.name))
            .map(|(_, n)| n);
        let mut size = 1;
        let mut child_sized = None;
        match list_size {
            Some(list_size) => {
                let n = self.size(field, list_size);
                if list_size.sized_fields.is_empty() {
                    if is_list {
                        size = n;
                    }
                } else {
                    child_sized = Some((list_size.sized_fields.as_slice(), n));
                    if is_list {
                        size = inherited.unwrap_or(model.default_list_size);
                    }
                }
            }
            None if is_list => size = inherited.unwrap_or(model.default_list_size),
            None => {}
        }
        let child = self.set(&field.selection_set, child_sized, Root::Nested);
        arguments.saturating_add(size.saturating_mul(weight.saturating_add(child)))
    }

    /// The list size `list_size` gives `field` as sent.
    fn size(&mut self, field: &Field, list_size: &ListSize) -> u64 {
        let given = list_size
            .slicing
            .iter()
            .filter_map(|name| self.argument(field, name))
            .max();
        given
            .or(list_size.assumed)
            .unwrap_or(self.model.default_list_size)
    }

    /// An integer argument's value: given (literally or by a variable),
    /// else its default.
    fn argument(&mut self, field: &Field, name: &Name) -> Option<u64> {
        let value = match field.arguments.iter().find(|a| a.name == *name) {
            Some(argument) => match &*argument.value {
                GqlValue::Variable(variable) => {
                    self.used_variables = true;
                    return self
                        .variables
                        .get(variable.as_str())?
                        .as_i64()
                        .map(|n| n.max(0) as u64);
                }
                other => other.clone(),
            },
            None => field
                .definition
                .argument_by_name(name)?
                .default_value
                .as_deref()?
                .clone(),
        };
        value.to_i32().map(|n| n.max(0) as u64)
    }
}

struct Actual<'a> {
    model: &'a CostModel,
    document: &'a ExecutableDocument,
}

impl Actual<'_> {
    fn set(&self, set: &SelectionSet, data: &Value, root: Root) -> u64 {
        let Value::Object(object) = data else {
            return 0;
        };
        let mut total = 0u64;
        for selection in &set.selections {
            let cost = match selection {
                Selection::Field(field) => match object.get(field.response_key().as_str()) {
                    Some(value) if !introspection(field, root) => {
                        self.field(&set.ty, field, value, root)
                    }
                    _ => 0,
                },
                Selection::InlineFragment(inline) => self.set(&inline.selection_set, data, root),
                Selection::FragmentSpread(spread) => {
                    match self.document.fragments.get(&spread.fragment_name) {
                        Some(fragment) => self.set(&fragment.selection_set, data, root),
                        None => 0,
                    }
                }
            };
            total = total.saturating_add(cost);
        }
        total
    }

    fn field(&self, parent: &Name, field: &Field, value: &Value, root: Root) -> u64 {
        let info = self.model.info(parent, &field.name);
        let weight = self.model.weight(info, field, root);
        CostModel::arguments(info, field).saturating_add(self.value(field, weight, value))
    }

    /// Each item of a list (at any depth) costs the weight and its selection.
    fn value(&self, field: &Field, weight: u64, value: &Value) -> u64 {
        match value {
            Value::Null => 0,
            Value::Array(items) => items
                .iter()
                .map(|item| self.value(field, weight, item))
                .fold(0, u64::saturating_add),
            item => weight.saturating_add(self.set(&field.selection_set, item, Root::Nested)),
        }
    }
}

#[cfg(test)]
mod tests {
    use apollo_compiler::validation::Valid;
    use serde_json::json;

    use super::*;

    const SCHEMA: &str = r#"
        schema @link(url: "https://specs.apollo.dev/cost/v0.1", import: ["@cost", "@listSize"]) { query: Query mutation: Mutation }
        directive @link(url: String, as: String, import: [link__Import]) repeatable on SCHEMA
        scalar link__Import
        directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
        directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
        type Query {
          products(first: Int = 5, last: Int): [Product!]! @listSize(slicingArguments: ["first", "last"])
          page(first: Int!): ProductPage! @listSize(slicingArguments: ["first"], sizedFields: ["edges"])
          top: [Product!]! @listSize(assumedSize: 3)
          all: [Product!]!
          search(text: String @cost(weight: 4)): Product
        }
        type Mutation { rename(name: String!): Product placeOrder: Int @cost(weight: 25) }
        type ProductPage { edges: [Edge!]! }
        type Edge { node: Product! }
        type Product { id: ID! name: String! inventory: Inventory heavy: Int @cost(weight: 7) pricey: Price }
        type Inventory { onHand: Int! }
        type Price @cost(weight: 3) { amount: Int! }
    "#;

    fn schema() -> Valid<Schema> {
        Schema::parse_and_validate(SCHEMA, "schema.graphql").unwrap()
    }

    fn estimate_with(query: &str, variables: serde_json::Value) -> u64 {
        let schema = schema();
        let model = CostModel::new(&schema, 10);
        let document = ExecutableDocument::parse_and_validate(&schema, query, "q.graphql")
            .unwrap_or_else(|e| panic!("{e}"));
        let operation = document.operations.iter().next().unwrap();
        model.estimate(&document, operation, variables.as_object().unwrap())
    }

    fn estimate(query: &str) -> u64 {
        estimate_with(query, json!({}))
    }

    #[test]
    fn objects_cost_one_and_scalars_nothing() {
        assert_eq!(estimate("{ search { id name } }"), 1);
        assert_eq!(estimate("{ search { id inventory { onHand } } }"), 2);
        assert_eq!(estimate("{ __typename }"), 0);
    }

    #[test]
    fn cost_directives_replace_the_weights() {
        assert_eq!(estimate("{ search { heavy } }"), 1 + 7, "on a field");
        assert_eq!(
            estimate("{ search { pricey { amount } } }"),
            1 + 3,
            "on a type"
        );
        assert_eq!(
            estimate("{ search(text: \"x\") { id } }"),
            4 + 1,
            "on an argument given"
        );
    }

    #[test]
    fn lists_multiply_by_their_slicing_argument_or_assumed_or_default_size() {
        // Each product: 1, its inventory: 1.
        assert_eq!(
            estimate("{ products(first: 100) { inventory { onHand } } }"),
            100 * 2
        );
        assert_eq!(
            estimate("{ products(first: 2, last: 30) { id } }"),
            30,
            "the largest"
        );
        assert_eq!(estimate("{ products { id } }"), 5, "the argument's default");
        assert_eq!(
            estimate_with(
                "query($n: Int) { products(first: $n) { id } }",
                json!({"n": 40})
            ),
            40
        );
        assert_eq!(estimate("{ top { id } }"), 3);
        assert_eq!(estimate("{ all { id } }"), 10);
    }

    #[test]
    fn sized_fields_take_the_slicing_argument() {
        // page: 1; edges: 50 × (edge 1 + node 1 + inventory 1).
        assert_eq!(
            estimate("{ page(first: 50) { edges { node { inventory { onHand } } } } }"),
            1 + 50 * 3
        );
    }

    #[test]
    fn mutations_cost_ten_per_root_field_unless_set() {
        assert_eq!(estimate("mutation { rename(name: \"x\") { id } }"), 10);
        assert_eq!(estimate("mutation { placeOrder }"), 25);
    }

    #[test]
    fn aliases_and_fragments_count_every_time() {
        let query = "{ a: products(first: 100) { ...F } b: products(first: 100) { ...F } } fragment F on Product { inventory { onHand } }";
        assert_eq!(estimate(query), 2 * 100 * 2);
        let bomb = crate::pipeline::fragment_bomb(
            "query { all { ...FN } }",
            "Product",
            20,
            "inventory { onHand }",
        );
        assert_eq!(estimate(&bomb), 10 * (1 + (1 << 20)));
    }

    #[test]
    fn an_estimate_without_variables_is_static() {
        let schema = schema();
        let model = CostModel::new(&schema, 10);
        let static_of = |query: &str| {
            let document = ExecutableDocument::parse_and_validate(&schema, query, "q").unwrap();
            let operation = document.operations.iter().next().unwrap();
            model.estimate_static(&document, operation)
        };
        assert_eq!(static_of("{ products(first: 7) { id } }"), Some(7));
        assert_eq!(
            static_of("query($t: String) { products(first: 7) { id } search(text: $t) { id } }"),
            Some(7 + 4 + 1),
            "a variable that sizes nothing"
        );
        assert_eq!(
            static_of("query($n: Int) { products(first: $n) { id } }"),
            None
        );
    }

    #[test]
    fn the_actual_cost_counts_what_came_back() {
        let schema = schema();
        let model = CostModel::new(&schema, 10);
        let query = "{ products(first: 100) { id inventory { onHand } } page(first: 10) { edges { node { id } } } }";
        let document = ExecutableDocument::parse_and_validate(&schema, query, "q.graphql").unwrap();
        let operation = document.operations.iter().next().unwrap();
        let data = json!({
            "products": [
                {"id": "1", "inventory": {"onHand": 1}},
                {"id": "2", "inventory": null}
            ],
            "page": {"edges": [{"node": {"id": "1"}}]}
        });
        // products: 2 items (1 each) + one inventory; page 1 + edge 1 + node 1.
        assert_eq!(model.actual(&document, operation, &data), 2 + 1 + 3);
    }

    #[test]
    fn without_the_spec_linked_every_list_takes_the_default() {
        let schema = Schema::parse_and_validate(
            "type Query { products(first: Int): [P!]! } type P { id: ID! }",
            "s.graphql",
        )
        .unwrap();
        let model = CostModel::new(&schema, 7);
        let document =
            ExecutableDocument::parse_and_validate(&schema, "{ products(first: 100) { id } }", "q")
                .unwrap();
        let operation = document.operations.iter().next().unwrap();
        assert_eq!(model.estimate(&document, operation, &JsonMap::new()), 7);
    }
}
