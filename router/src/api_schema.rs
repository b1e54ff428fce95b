//! The public API schema: what clients may query and introspect. It is the
//! supergraph without its federation machinery (every element of a `@link`ed
//! spec: `join__*`, `link__*`, `@link`, `@inaccessible`, `@tag`, ...) and
//! without anything marked `@inaccessible`, so clients can neither see nor
//! select what only subgraphs may use.

use std::collections::HashSet;

use apollo_compiler::ast::{DirectiveList, FieldDefinition, InputValueDefinition};
use apollo_compiler::collections::IndexMap;
use apollo_compiler::schema::{Component, ExtendedType};
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Node, Schema};

use crate::supergraph::links::{self, spec_name};

#[derive(Debug, thiserror::Error)]
pub enum ApiSchemaError {
    #[error("the query root type {0} is @inaccessible or has no accessible fields")]
    NoQueryRoot(String),
    #[error("the supergraph has no query root type")]
    MissingQueryRoot,
    #[error("the derived API schema is not valid:\n{0}")]
    Invalid(String),
}

/// Derives the API schema of a supergraph.
pub fn derive(supergraph: &Valid<Schema>) -> Result<Valid<Schema>, ApiSchemaError> {
    let features = Features::read(supergraph);
    let mut schema = supergraph.clone().into_inner();
    let query_root = schema
        .schema_definition
        .query
        .as_ref()
        .map(|root| root.name.clone())
        .ok_or(ApiSchemaError::MissingQueryRoot)?;

    remove_inaccessible(&mut schema, &features.inaccessible);
    if !schema.types.contains_key(&query_root) {
        return Err(ApiSchemaError::NoQueryRoot(query_root.to_string()));
    }
    remove_feature_elements(&mut schema, &features);

    // Printing and parsing again leaves a schema whose source is the API SDL
    // (so diagnostics point into it) and whose built-in scalars are the used ones.
    let sdl = schema.to_string();
    Schema::parse_and_validate(sdl, "api_schema.graphql")
        .map_err(|invalid| ApiSchemaError::Invalid(invalid.errors.to_string()))
}

/// The API schema as SDL, without built-in scalar or directive definitions.
pub fn print(api: &Valid<Schema>) -> String {
    // `Schema`'s `Display` already leaves out built-in definitions.
    api.to_string()
}

/// Which names belong to `@link`ed specs (plus the federation specs under
/// their default names, whether linked or not).
struct Features {
    prefixes: HashSet<String>,
    imported_directives: HashSet<String>,
    imported_types: HashSet<String>,
    /// The local name of the `@inaccessible` directive.
    inaccessible: String,
}

impl Features {
    fn read(schema: &Schema) -> Self {
        let mut features = Features {
            prefixes: ["link", "join", "inaccessible", "tag"]
                .map(String::from)
                .into(),
            imported_directives: HashSet::new(),
            imported_types: HashSet::new(),
            inaccessible: "inaccessible".into(),
        };
        for link in schema.schema_definition.directives.get_all("link") {
            let Some(url) = link
                .specified_argument_by_name("url")
                .and_then(|v| v.as_str())
            else {
                continue;
            };
            let name = spec_name(url);
            let prefix = link
                .specified_argument_by_name("as")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .unwrap_or_else(|| name.clone());
            if name == "inaccessible" {
                features.inaccessible = prefix.clone();
            }
            features.prefixes.insert(prefix);
            for (imported, local) in links::imports(link) {
                match local.strip_prefix('@') {
                    Some(directive) => {
                        if name == "inaccessible" && imported == "@inaccessible" {
                            features.inaccessible = directive.to_owned();
                        }
                        features.imported_directives.insert(directive.to_owned())
                    }
                    None => features.imported_types.insert(local.to_owned()),
                };
            }
        }
        features
    }

    fn owns_directive(&self, name: &str) -> bool {
        self.prefixes.contains(name)
            || self.imported_directives.contains(name)
            || self.has_prefix(name)
    }

    fn owns_type(&self, name: &str) -> bool {
        self.imported_types.contains(name) || self.has_prefix(name)
    }

    fn has_prefix(&self, name: &str) -> bool {
        name.split_once("__")
            .is_some_and(|(prefix, _)| !prefix.is_empty() && self.prefixes.contains(prefix))
    }
}

/// Removes `@inaccessible` elements and, until nothing changes, whatever
/// refers to a removed type or was left empty.
fn remove_inaccessible(schema: &mut Schema, inaccessible: &str) {
    schema
        .types
        .retain(|_, ty| !ty.directives().has(inaccessible));
    loop {
        let mut changed = false;
        let names: HashSet<Name> = schema.types.keys().cloned().collect();
        for ty in schema.types.values_mut() {
            match ty {
                ExtendedType::Object(object) => {
                    let object = object.make_mut();
                    changed |= prune_fields(&mut object.fields, inaccessible, &names);
                    let before = object.implements_interfaces.len();
                    object
                        .implements_interfaces
                        .retain(|i| names.contains(&i.name));
                    changed |= before != object.implements_interfaces.len();
                }
                ExtendedType::Interface(interface) => {
                    let interface = interface.make_mut();
                    changed |= prune_fields(&mut interface.fields, inaccessible, &names);
                    let before = interface.implements_interfaces.len();
                    interface
                        .implements_interfaces
                        .retain(|i| names.contains(&i.name));
                    changed |= before != interface.implements_interfaces.len();
                }
                ExtendedType::Union(union_) => {
                    let union_ = union_.make_mut();
                    let before = union_.members.len();
                    union_.members.retain(|m| names.contains(&m.name));
                    changed |= before != union_.members.len();
                }
                ExtendedType::Enum(enum_) => {
                    let enum_ = enum_.make_mut();
                    let before = enum_.values.len();
                    enum_.values.retain(|_, v| !v.directives.has(inaccessible));
                    changed |= before != enum_.values.len();
                }
                ExtendedType::InputObject(input) => {
                    let input = input.make_mut();
                    let before = input.fields.len();
                    input
                        .fields
                        .retain(|_, f| accessible_input(f, inaccessible, &names));
                    changed |= before != input.fields.len();
                }
                ExtendedType::Scalar(_) => {}
            }
        }
        let before = schema.types.len();
        schema.types.retain(|_, ty| !is_empty(ty));
        changed |= before != schema.types.len();
        if !changed {
            break;
        }
    }
    for directive in schema.directive_definitions.values_mut() {
        let names: HashSet<&Name> = schema.types.keys().collect();
        if directive
            .arguments
            .iter()
            .any(|a| !names.contains(a.ty.inner_named_type()))
        {
            directive.make_mut().arguments.retain(|a| {
                names.contains(a.ty.inner_named_type()) && !a.directives.has(inaccessible)
            });
        }
    }
    let definition = schema.schema_definition.make_mut();
    for root in [&mut definition.mutation, &mut definition.subscription] {
        if root
            .as_ref()
            .is_some_and(|r| !schema.types.contains_key(&r.name))
        {
            *root = None;
        }
    }
}

fn prune_fields(
    fields: &mut IndexMap<Name, Component<FieldDefinition>>,
    inaccessible: &str,
    types: &HashSet<Name>,
) -> bool {
    let before = fields.len();
    fields.retain(|_, field| {
        !field.directives.has(inaccessible) && types.contains(field.ty.inner_named_type())
    });
    let mut changed = before != fields.len();
    for field in fields.values_mut() {
        if field
            .arguments
            .iter()
            .any(|a| !accessible_input(a, inaccessible, types))
        {
            field
                .node
                .make_mut()
                .arguments
                .retain(|a| accessible_input(a, inaccessible, types));
            changed = true;
        }
    }
    changed
}

fn accessible_input(
    value: &InputValueDefinition,
    inaccessible: &str,
    types: &HashSet<Name>,
) -> bool {
    !value.directives.has(inaccessible) && types.contains(value.ty.inner_named_type())
}

fn is_empty(ty: &ExtendedType) -> bool {
    match ty {
        ExtendedType::Object(o) => o.fields.is_empty(),
        ExtendedType::Interface(i) => i.fields.is_empty(),
        ExtendedType::Union(u) => u.members.is_empty(),
        ExtendedType::Enum(e) => e.values.is_empty(),
        ExtendedType::InputObject(i) => i.fields.is_empty(),
        ExtendedType::Scalar(_) => false,
    }
}

/// Removes the definitions and every usage of spec-owned directives and types.
fn remove_feature_elements(schema: &mut Schema, features: &Features) {
    schema
        .directive_definitions
        .retain(|name, _| !features.owns_directive(name));
    schema.types.retain(|name, _| !features.owns_type(name));

    let strip = |list: &mut DirectiveList| list.retain(|d| !features.owns_directive(&d.name));
    let strip_inputs = |args: &mut Vec<Node<InputValueDefinition>>| {
        for arg in args {
            if arg
                .directives
                .iter()
                .any(|d| features.owns_directive(&d.name))
            {
                strip(&mut arg.make_mut().directives);
            }
        }
    };

    schema
        .schema_definition
        .make_mut()
        .directives
        .retain(|d| !features.owns_directive(&d.name));
    for directive in schema.directive_definitions.values_mut() {
        strip_inputs(&mut directive.make_mut().arguments);
    }
    for ty in schema.types.values_mut() {
        match ty {
            ExtendedType::Scalar(scalar) => scalar
                .make_mut()
                .directives
                .retain(|d| !features.owns_directive(&d.name)),
            ExtendedType::Object(object) => {
                let object = object.make_mut();
                object
                    .directives
                    .retain(|d| !features.owns_directive(&d.name));
                for field in object.fields.values_mut() {
                    let field = field.node.make_mut();
                    strip(&mut field.directives);
                    strip_inputs(&mut field.arguments);
                }
            }
            ExtendedType::Interface(interface) => {
                let interface = interface.make_mut();
                interface
                    .directives
                    .retain(|d| !features.owns_directive(&d.name));
                for field in interface.fields.values_mut() {
                    let field = field.node.make_mut();
                    strip(&mut field.directives);
                    strip_inputs(&mut field.arguments);
                }
            }
            ExtendedType::Union(union_) => union_
                .make_mut()
                .directives
                .retain(|d| !features.owns_directive(&d.name)),
            ExtendedType::Enum(enum_) => {
                let enum_ = enum_.make_mut();
                enum_
                    .directives
                    .retain(|d| !features.owns_directive(&d.name));
                for value in enum_.values.values_mut() {
                    strip(&mut value.node.make_mut().directives);
                }
            }
            ExtendedType::InputObject(input) => {
                let input = input.make_mut();
                input
                    .directives
                    .retain(|d| !features.owns_directive(&d.name));
                for field in input.fields.values_mut() {
                    strip(&mut field.node.make_mut().directives);
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::compose::{SubgraphSource, compose};

    const HEADER: &str = r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible", "@tag"])"#;

    pub(crate) fn subgraph(name: &str, body: &str) -> SubgraphSource {
        SubgraphSource {
            name: name.into(),
            url: format!("http://127.0.0.1:1/{name}"),
            sdl: format!("{HEADER}\n{body}"),
        }
    }

    /// A supergraph with inaccessible elements of every kind.
    pub(crate) fn supergraph_sdl() -> String {
        compose(&[
            subgraph(
                "products",
                r#"
                "Money, in minor units."
                type Money @shareable { amount: Int! currency: String! }
                enum Status { ACTIVE ARCHIVED SECRET @inaccessible }
                type Secret @inaccessible { code: String! }
                input ProductFilter { status: Status internalFlag: Boolean @inaccessible }
                type Product @key(fields: "id") @tag(name: "public") {
                  id: ID!
                  name: String! @tag(name: "public")
                  old: String @deprecated(reason: "use name")
                  status: Status!
                  price: Money!
                  cost: Int! @inaccessible
                  secret: Secret @inaccessible
                }
                type Query {
                  product(id: ID!, debug: Boolean @inaccessible): Product
                  products(filter: ProductFilter): [Product!]!
                  secrets: [Secret!]! @inaccessible
                }
                type Mutation { reset: Boolean! @inaccessible }
                "#,
            ),
            subgraph(
                "inventory",
                r#"
                type Money @shareable { amount: Int! currency: String! }
                type Product @key(fields: "id") {
                  id: ID!
                  price: Money! @external
                  stockValue: Money! @requires(fields: "price { amount currency }")
                }
                type Query { lowStock: [Product!]! }
                type Mutation { reserve(id: ID!): Boolean! @inaccessible restock(id: ID!): Int! }
                "#,
            ),
        ])
        .expect("composes")
        .supergraph_sdl
    }

    pub(crate) fn api() -> Valid<Schema> {
        let supergraph = Schema::parse_and_validate(supergraph_sdl(), "s.graphql").unwrap();
        derive(&supergraph).expect("derives")
    }

    #[test]
    fn removes_federation_machinery() {
        let sdl = print(&api());
        for banned in [
            "join__",
            "link__",
            "@link",
            "@inaccessible",
            "@tag",
            "inaccessible",
            "Secret",
        ] {
            assert!(!sdl.contains(banned), "{banned} remains in:\n{sdl}");
        }
        // No built-ins are printed.
        assert!(!sdl.contains("scalar String"), "{sdl}");
        assert!(!sdl.contains("directive @deprecated"), "{sdl}");
    }

    #[test]
    fn removes_every_inaccessible_element() {
        let api = api();
        let product = api.get_object("Product").unwrap();
        assert!(product.fields.contains_key("name"));
        assert!(product.fields.contains_key("stockValue"));
        assert!(!product.fields.contains_key("cost"), "inaccessible field");
        assert!(
            !product.fields.contains_key("secret"),
            "field of an inaccessible type"
        );
        assert!(api.types.get("Secret").is_none(), "inaccessible type");
        let query = api.get_object("Query").unwrap();
        assert!(!query.fields.contains_key("secrets"));
        let product_field = &query.fields["product"];
        assert_eq!(
            product_field
                .arguments
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>(),
            ["id"],
            "inaccessible argument"
        );
        let status = api.get_enum("Status").unwrap();
        assert_eq!(
            status.values.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
            ["ACTIVE", "ARCHIVED"]
        );
        let filter = api.get_input_object("ProductFilter").unwrap();
        assert!(!filter.fields.contains_key("internalFlag"));
        let mutation = api.get_object("Mutation").unwrap();
        assert_eq!(
            mutation
                .fields
                .keys()
                .map(|k| k.as_str())
                .collect::<Vec<_>>(),
            ["restock"]
        );
        assert!(
            api.directive_definitions
                .keys()
                .all(|name| !name.starts_with("join__")
                    && !["link", "inaccessible", "tag"].contains(&name.as_str()))
        );
    }

    #[test]
    fn keeps_descriptions_deprecations_and_roots() {
        let api = api();
        let sdl = print(&api);
        assert!(
            sdl.contains(r#"old: String @deprecated(reason: "use name")"#),
            "{sdl}"
        );
        assert!(sdl.contains("Money, in minor units."), "{sdl}");
        assert_eq!(api.schema_definition.query.as_ref().unwrap().name, "Query");
    }

    #[test]
    fn keeps_renamed_roots_and_mutations() {
        let supergraph = Schema::parse_and_validate(
            r#"
            schema @link(url: "https://specs.apollo.dev/link/v1.0")
                   @link(url: "https://specs.apollo.dev/inaccessible/v0.2", as: "hidden", for: SECURITY) {
              query: RootQuery
              mutation: RootMutation
            }
            directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
            directive @hidden on FIELD_DEFINITION | OBJECT | ARGUMENT_DEFINITION | SCALAR | ENUM_VALUE
            scalar link__Import
            enum link__Purpose { SECURITY EXECUTION }
            scalar Date @specifiedBy(url: "https://example.com/date")
            type Hidden @hidden { x: Int }
            union Either = Hidden | RootMutation
            type RootQuery { today: Date hidden: Int @hidden h: Hidden either: Either arg(h: Int @hidden, x: Int): Int }
            type RootMutation { touch: Int }
            "#,
            "s.graphql",
        )
        .unwrap();
        let api = derive(&supergraph).unwrap();
        let sdl = print(&api);
        assert!(sdl.contains("query: RootQuery"), "{sdl}");
        assert!(sdl.contains("mutation: RootMutation"), "{sdl}");
        assert!(sdl.contains("@specifiedBy"), "{sdl}");
        assert!(
            !sdl.contains("hidden"),
            "renamed @inaccessible is honoured:\n{sdl}"
        );
        assert!(!sdl.contains("link"), "{sdl}");
        let query = api.get_object("RootQuery").unwrap();
        assert!(
            !query.fields.contains_key("h"),
            "field of an inaccessible type"
        );
        assert_eq!(api.get_union("Either").unwrap().members.len(), 1);
        assert_eq!(query.fields["arg"].arguments.len(), 1);
    }

    #[test]
    fn an_inaccessible_query_root_is_an_error() {
        let supergraph = Schema::parse_and_validate(
            r#"
            directive @inaccessible on FIELD_DEFINITION | OBJECT
            type Query { a: Int @inaccessible }
            "#,
            "s.graphql",
        )
        .unwrap();
        assert!(matches!(
            derive(&supergraph),
            Err(ApiSchemaError::NoQueryRoot(name)) if name == "Query"
        ));
    }

    #[test]
    fn a_root_with_only_inaccessible_fields_disappears() {
        let supergraph = Schema::parse_and_validate(
            r#"
            directive @inaccessible on FIELD_DEFINITION | OBJECT
            type Query { a: Int }
            type Mutation { m: Int @inaccessible }
            "#,
            "s.graphql",
        )
        .unwrap();
        let api = derive(&supergraph).unwrap();
        assert!(api.types.get("Mutation").is_none());
        assert!(api.schema_definition.mutation.is_none());
    }

    #[test]
    fn spec_names_come_from_urls() {
        assert_eq!(spec_name("https://specs.apollo.dev/join/v0.3"), "join");
        assert_eq!(spec_name("https://specs.apollo.dev/link/v1.0/"), "link");
        assert_eq!(spec_name("https://example.com/myDirective"), "myDirective");
    }
}
