//! Rewrites `graphql-composition`'s rendering into Apollo's supergraph format.

use apollo_compiler::ast::{Argument, Definition, Directive, Document, Value};
use apollo_compiler::{Name, Node};

/// The definitions Apollo's composition writes for `link` v1.0, `join` v0.3
/// and `inaccessible` v0.2 (the specs `graphql-composition` links).
pub const SPEC_DEFINITIONS: &str = r#"
directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION

directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE

directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION

directive @join__graph(name: String!, url: String!) on ENUM_VALUE

directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE

directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR

directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION

directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA

scalar join__FieldSet

scalar link__Import

enum link__Purpose {
  """
  `SECURITY` features provide metadata necessary to securely resolve fields.
  """
  SECURITY

  """
  `EXECUTION` features provide metadata necessary for operation execution.
  """
  EXECUTION
}
"#;

const TAG_DEFINITION: &str = "directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | SCHEMA\n";
const TAG_SPEC: &str = "https://specs.apollo.dev/tag/v0.3";
/// Directives of the specs below, defined once in the supergraph.
const SPEC_DIRECTIVES: [&str; 5] = [
    "cost",
    "listSize",
    "authenticated",
    "requiresScopes",
    "policy",
];
const COST_SPEC: &str = "https://specs.apollo.dev/cost/v0.1";
const COST_DEFINITIONS: [&str; 2] = [
    "directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR\n",
    "directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION\n",
];
/// The authorization specs: directive, spec URL, the definitions Apollo's
/// composition writes for it. `graphql-composition` keeps the directives
/// on fields and types but writes neither the links nor the definitions.
const SECURITY_SPECS: [(&str, &str, &str); 3] = [
    (
        "authenticated",
        "https://specs.apollo.dev/authenticated/v0.1",
        "directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM\n",
    ),
    (
        "requiresScopes",
        "https://specs.apollo.dev/requiresScopes/v0.1",
        "directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM\nscalar requiresScopes__Scope\n",
    ),
    (
        "policy",
        "https://specs.apollo.dev/policy/v0.1",
        "directive @policy(policies: [[policy__Policy!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM\nscalar policy__Policy\n",
    ),
];
const JOIN_V03: &str = "https://specs.apollo.dev/join/v0.3";
const JOIN_V04: &str = "https://specs.apollo.dev/join/v0.4";
const ROOT_TYPES: [&str; 3] = ["Query", "Mutation", "Subscription"];

/// Returns the standard form of a composed supergraph, or why it cannot.
pub fn standardize(rendered: &str) -> Result<String, String> {
    let mut doc =
        Document::parse(rendered, "composed.graphql").map_err(|e| e.errors.to_string())?;
    // Drop the composer's own join definitions (not repeatable, and one from
    // join v0.1); the standard ones are appended below.
    doc.definitions.retain(|def| match def {
        Definition::DirectiveDefinition(d) => !d.name.starts_with("join__"),
        Definition::ScalarTypeDefinition(s) => s.name != "join__FieldSet",
        _ => true,
    });
    // Spec directives are defined as their specs define them, below: not
    // as the composer writes them, nor as a subgraph that defines one
    // itself (async-graphql writes a type directive's own definition) does.
    doc.definitions.retain(|def| match def {
        Definition::DirectiveDefinition(d) => !SPEC_DIRECTIVES.contains(&d.name.as_str()),
        _ => true,
    });
    // Progressive `@override` labels are join v0.4's.
    let labelled = doc.to_string().contains("overrideLabel:");
    let graph_order = graph_order(&doc);
    for def in doc.definitions.iter_mut() {
        if let Definition::ObjectTypeDefinition(object) = def
            && ROOT_TYPES.contains(&object.name.as_str())
            && object.directives.get("join__type").is_none()
        {
            let mut graphs = graphs_of_fields(object.fields.iter().map(|f| &f.directives));
            graphs.sort_by_key(|g| graph_order.iter().position(|o| o == g));
            let object = object.make_mut();
            for graph in graphs {
                object
                    .directives
                    .push(directive("join__type", "graph", Value::Enum(graph)));
            }
        }
    }
    let mut appended = SPEC_DEFINITIONS.to_owned();
    if labelled {
        appended = appended.replace(
            "override: String, usedOverridden: Boolean)",
            "override: String, usedOverridden: Boolean, overrideLabel: String)",
        );
    }
    if rendered.contains("@tag(") {
        appended.push_str(TAG_DEFINITION);
        for def in doc.definitions.iter_mut() {
            if let Definition::SchemaDefinition(schema) = def {
                schema.make_mut().directives.push(directive(
                    "link",
                    "url",
                    Value::String(TAG_SPEC.into()),
                ));
            }
        }
    }
    // Demand control (`@cost`, `@listSize`) and authorization specs: linked
    // as Apollo's composition links them, with their definitions.
    let mut links = Vec::new();
    if uses(rendered, "cost") || uses(rendered, "listSize") {
        links.push(link(COST_SPEC, LinkExtra::Import(&["@cost", "@listSize"])));
        for definition in COST_DEFINITIONS {
            appended.push_str(definition);
        }
    }
    for (name, url, definitions) in SECURITY_SPECS {
        if uses(rendered, name) {
            links.push(link(url, LinkExtra::ForSecurity));
            appended.push_str(definitions);
        }
    }
    if !links.is_empty() {
        for def in doc.definitions.iter_mut() {
            if let Definition::SchemaDefinition(schema) = def {
                schema.make_mut().directives.extend(links.iter().cloned());
            }
        }
    }
    let spec = Document::parse(appended, "spec.graphql").map_err(|e| e.errors.to_string())?;
    doc.definitions.extend(spec.definitions);
    let standard = doc.to_string();
    Ok(if labelled {
        standard.replace(JOIN_V03, JOIN_V04)
    } else {
        standard
    })
}

/// Whether `@name` is applied somewhere in `sdl` (not a longer name).
fn uses(sdl: &str, name: &str) -> bool {
    let wanted = format!("@{name}");
    sdl.match_indices(&wanted).any(|(at, _)| {
        !sdl[at + wanted.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

enum LinkExtra<'a> {
    Import(&'a [&'a str]),
    ForSecurity,
}

fn link(url: &str, extra: LinkExtra<'_>) -> Node<Directive> {
    let mut link = directive("link", "url", Value::String(url.into()));
    let (name, value) = match extra {
        LinkExtra::Import(names) => (
            "import",
            Value::List(
                names
                    .iter()
                    .map(|n| Node::new(Value::String((*n).into())))
                    .collect(),
            ),
        ),
        LinkExtra::ForSecurity => ("for", Value::Enum(Name::new_unchecked("SECURITY"))),
    };
    link.make_mut().arguments.push(Node::new(Argument {
        name: Name::new_unchecked(name),
        value: Node::new(value),
    }));
    link
}

/// The subgraphs named by `@join__field(graph:)` on the given fields, in order.
fn graphs_of_fields<'a>(
    fields: impl Iterator<Item = &'a apollo_compiler::ast::DirectiveList>,
) -> Vec<Name> {
    let mut graphs: Vec<Name> = Vec::new();
    for directives in fields {
        for join in directives.get_all("join__field") {
            if let Some(Value::Enum(graph)) = join.specified_argument_by_name("graph").map(|v| &**v)
                && !graphs.contains(graph)
            {
                graphs.push(graph.clone());
            }
        }
    }
    graphs
}

/// The `join__Graph` values in declaration order (the order subgraphs were given).
fn graph_order(doc: &Document) -> Vec<Name> {
    doc.definitions
        .iter()
        .find_map(|def| match def {
            Definition::EnumTypeDefinition(e) if e.name == "join__Graph" => {
                Some(e.values.iter().map(|v| v.value.clone()).collect())
            }
            _ => None,
        })
        .unwrap_or_default()
}

fn directive(name: &str, argument: &str, value: Value) -> Node<Directive> {
    Node::new(Directive {
        name: Name::new_unchecked(name),
        arguments: vec![Node::new(Argument {
            name: Name::new_unchecked(argument),
            value: Node::new(value),
        })],
    })
}
