//! Join metadata that `graphql-composition` 0.12 leaves out of its supergraph
//! and Apollo's composition writes, restored from the subgraphs' own SDL.
//!
//! The router's planner reads who resolves what from the `join__` directives
//! only, so each loss here is a wrong plan, not a cosmetic difference:
//!
//! - [`external_key_fields`]: the composer drops `external` from every field
//!   that is part of a key (`external: is_external && !is_part_of_key`), so
//!   a key field a subgraph marks `@external` reads as resolvable there.
//! - [`entity_interface_join_types`]: the composer writes, on an entity
//!   interface, the first key of the first subgraph that has it as an
//!   interface and the resolvable keys of `@interfaceObject`s only: a
//!   subgraph whose interface object key is `resolvable: false`, any further
//!   key, and any further subgraph with the interface disappear.
//! - [`extension_keys`]: the composer writes no `extension: true` on the
//!   `@join__type` of a key declared on a type extension. The planner does
//!   not read it; Apollo's tools rebuilding subgraphs from the supergraph do.

use std::borrow::Cow;
use std::collections::HashMap;

use apollo_compiler::ast::{Argument, Definition, Directive, DirectiveList, Document, Value};
use apollo_compiler::{Name, Node};

use super::SubgraphSource;
use crate::supergraph::links;

/// `rendered` with the join metadata restored; `rendered` itself when
/// nothing was missing (or it does not parse: [`super::standardize`] says so).
pub fn restore<'a>(rendered: &'a str, subgraphs: &[SubgraphSource]) -> Cow<'a, str> {
    let Ok(mut doc) = Document::parse(rendered, "composed.graphql") else {
        return rendered.into();
    };
    let graphs = graphs(&doc, subgraphs);
    let mut changed = external_key_fields(&mut doc, &graphs);
    changed |= entity_interface_join_types(&mut doc, &graphs);
    changed |= extension_keys(&mut doc, &graphs);
    if changed {
        doc.to_string().into()
    } else {
        rendered.into()
    }
}

/// Writes `@join__field(graph: G, external: true)` on a key field that
/// subgraph `G` marks `@external`, as Apollo does. Apollo counts a field
/// external when it, or (federation 2) its type, has `@external`, except a
/// key field of a type extension (`extend type`, `@extends`: the federation 1
/// way to say "this subgraph does not own the type", which the composer also
/// reads as not external). Where the composer wrote no `@join__field` at all
/// (every subgraph has the field), each subgraph that has it gets one, as
/// Apollo writes them once any of them carries an argument.
fn external_key_fields(doc: &mut Document, graphs: &[Graph]) -> bool {
    let mut changed = false;
    for def in doc.definitions.iter_mut() {
        let Definition::ObjectTypeDefinition(object) = def else {
            continue;
        };
        let defining = defining_graphs(&object.directives, graphs);
        let type_name = object.name.clone();
        let in_graph = |graph: usize| graphs[graph].types.get(&type_name);
        let needs = object.fields.iter().any(|field| {
            defining
                .iter()
                .any(|&g| in_graph(g).is_some_and(|t| t.external_key_field(&field.name)))
        });
        if !needs {
            continue;
        }
        let object = object.make_mut();
        for field in object.fields.iter_mut() {
            let external: Vec<usize> = defining
                .iter()
                .copied()
                .filter(|&g| in_graph(g).is_some_and(|t| t.external_key_field(&field.name)))
                .collect();
            if external.is_empty() {
                continue;
            }
            let unjoined = !field.directives.has("join__field");
            // A bare `@join__field` (a field only an interface object
            // resolves) is not about the subgraphs' own fields.
            if field
                .directives
                .get_all("join__field")
                .any(|j| j.specified_argument_by_name("graph").is_none())
            {
                continue;
            }
            let field = field.make_mut();
            if unjoined {
                for &g in &defining {
                    if !in_graph(g).is_some_and(|t| t.fields.contains_key(&field.name)) {
                        continue;
                    }
                    let mut join = directive("join__field", [("graph", graph_value(&graphs[g]))]);
                    if external.contains(&g) {
                        set_external(&mut join);
                    }
                    field.directives.push(join);
                }
            } else {
                for join in field.directives.iter_mut() {
                    if join.name == "join__field"
                        && graph_of(join, graphs).is_some_and(|g| external.contains(&g))
                    {
                        set_external(join);
                    }
                }
            }
            changed = true;
        }
    }
    changed
}

/// Writes the `@join__type`s of an entity interface (an interface with a
/// `@key`, or an `@interfaceObject`, in some subgraph) as Apollo does: for
/// each subgraph that has the type, as an interface or an interface object,
/// one per key, with `resolvable: false` and `isInterfaceObject: true` where
/// they apply (one without a key where it has none). The composer's
/// `@join__field`s on the interface's fields then name every subgraph that
/// has the type, which Apollo leaves out as redundant: so are they here.
fn entity_interface_join_types(doc: &mut Document, graphs: &[Graph]) -> bool {
    let mut changed = false;
    for def in doc.definitions.iter_mut() {
        let Definition::InterfaceTypeDefinition(interface) = def else {
            continue;
        };
        let sources: Vec<(usize, &SubgraphType)> = graphs
            .iter()
            .enumerate()
            .filter_map(|(g, graph)| {
                graph
                    .types
                    .get(&interface.name)
                    .filter(|t| t.interface || t.interface_object)
                    .map(|t| (g, t))
            })
            .collect();
        if !sources
            .iter()
            .any(|(_, t)| t.interface_object || !t.keys.is_empty())
        {
            continue;
        }
        let mut join_types = Vec::new();
        for (g, source) in &sources {
            let graph = ("graph", graph_value(&graphs[*g]));
            let interface_object = source
                .interface_object
                .then(|| ("isInterfaceObject", Value::Boolean(true)));
            if source.keys.is_empty() {
                join_types.push(directive(
                    "join__type",
                    std::iter::once(graph.clone()).chain(interface_object.clone()),
                ));
            }
            for key in &source.keys {
                let arguments = [
                    Some(graph.clone()),
                    Some(("key", Value::String(key.fields.clone()))),
                    key.extension.then(|| ("extension", Value::Boolean(true))),
                    (!key.resolvable).then(|| ("resolvable", Value::Boolean(false))),
                    interface_object.clone(),
                ];
                join_types.push(directive("join__type", arguments.into_iter().flatten()));
            }
        }
        let written: Vec<&Node<Directive>> = interface.directives.get_all("join__type").collect();
        if written.len() == join_types.len()
            && written
                .iter()
                .zip(&join_types)
                .all(|(a, b)| same_join_type(a, b))
        {
            continue;
        }
        let graphs_of_type: Vec<usize> = sources.iter().map(|(g, _)| *g).collect();
        let interface = interface.make_mut();
        let at = interface
            .directives
            .iter()
            .position(|d| d.name == "join__type")
            .unwrap_or(0);
        interface.directives.retain(|d| d.name != "join__type");
        for (i, join) in join_types.into_iter().enumerate() {
            interface.directives.insert(at + i, join);
        }
        for field in interface.fields.iter_mut() {
            let joins: Vec<Option<usize>> = field
                .directives
                .get_all("join__field")
                .map(|j| {
                    (j.arguments.len() == 1)
                        .then(|| graph_of(j, graphs))
                        .flatten()
                })
                .collect();
            let mut named: Vec<usize> = joins.iter().flatten().copied().collect();
            named.sort_unstable();
            named.dedup();
            if !joins.is_empty() && joins.iter().all(Option::is_some) && named == graphs_of_type {
                field
                    .make_mut()
                    .directives
                    .retain(|d| d.name != "join__field");
            }
        }
        changed = true;
    }
    changed
}

/// Writes `extension: true` on an object's `@join__type` whose key the
/// subgraph declares on `extend type` (or on a type with `@extends`), as
/// Apollo does. (An entity interface's are written so already.)
fn extension_keys(doc: &mut Document, graphs: &[Graph]) -> bool {
    let mut changed = false;
    for def in doc.definitions.iter_mut() {
        let Definition::ObjectTypeDefinition(object) = def else {
            continue;
        };
        let of_extension = |join: &Directive| {
            let (Some(g), Some(key)) = (
                graph_of(join, graphs),
                join.specified_argument_by_name("key")
                    .and_then(|k| k.as_str()),
            ) else {
                return false;
            };
            join.specified_argument_by_name("extension").is_none()
                && graphs[g].types.get(&object.name).is_some_and(|t| {
                    t.keys
                        .iter()
                        .any(|k| (k.extension || t.extends) && tokens(&k.fields) == tokens(key))
                })
        };
        let marked: Vec<bool> = object
            .directives
            .iter()
            .map(|d| d.name == "join__type" && of_extension(d))
            .collect();
        if !marked.contains(&true) {
            continue;
        }
        let object = object.make_mut();
        for (join, marked) in object.directives.iter_mut().zip(marked) {
            if !marked {
                continue;
            }
            let join = join.make_mut();
            let at = join
                .arguments
                .iter()
                .position(|a| a.name == "key")
                .map_or(join.arguments.len(), |i| i + 1);
            join.arguments.insert(
                at,
                Node::new(Argument {
                    name: Name::new_unchecked("extension"),
                    value: Node::new(Value::Boolean(true)),
                }),
            );
        }
        changed = true;
    }
    changed
}

/// One subgraph as the supergraph names it, with what its SDL says of its
/// object and interface types.
struct Graph {
    /// Its `join__Graph` value.
    value: Name,
    types: HashMap<Name, SubgraphType>,
}

/// A subgraph's object or interface type, over its definition and extensions.
#[derive(Default)]
struct SubgraphType {
    interface: bool,
    interface_object: bool,
    keys: Vec<Key>,
    /// Its fields, each with whether it is marked `@external`.
    fields: HashMap<Name, bool>,
    /// `@external` on the type (federation 2: every field is external).
    external: bool,
    /// `@extends` on the type: every key is of an extension.
    extends: bool,
}

struct Key {
    /// The field set as the subgraph writes it (Apollo copies it).
    fields: String,
    resolvable: bool,
    /// Declared on `extend type` (or `extend interface`).
    extension: bool,
}

impl SubgraphType {
    /// Whether `field` is a key field Apollo counts as external here and the
    /// composer does not (it counts no key field external).
    fn external_key_field(&self, field: &Name) -> bool {
        let Some(&marked) = self.fields.get(field) else {
            return false;
        };
        let in_key = |extension_only: bool| {
            self.keys.iter().any(|key| {
                (!extension_only || key.extension || self.extends)
                    && top_level_fields(&key.fields).any(|f| f == field.as_str())
            })
        };
        (marked || self.external) && in_key(false) && !in_key(true)
    }
}

/// The subgraphs in `join__Graph` order, matched to the sources by name.
fn graphs(doc: &Document, subgraphs: &[SubgraphSource]) -> Vec<Graph> {
    let Some(values) = doc.definitions.iter().find_map(|def| match def {
        Definition::EnumTypeDefinition(e) if e.name == "join__Graph" => Some(&e.values),
        _ => None,
    }) else {
        return Vec::new();
    };
    values
        .iter()
        .map(|value| {
            let name = value
                .directives
                .get("join__graph")
                .and_then(|d| d.specified_argument_by_name("name"))
                .and_then(|n| n.as_str());
            let types = subgraphs
                .iter()
                .find(|s| Some(s.name.as_str()) == name)
                .map(|s| subgraph_types(&s.sdl))
                .unwrap_or_default();
            Graph {
                value: value.value.clone(),
                types,
            }
        })
        .collect()
}

/// What a subgraph's SDL says of its object and interface types.
fn subgraph_types(sdl: &str) -> HashMap<Name, SubgraphType> {
    let doc = match Document::parse(sdl, "subgraph.graphql") {
        Ok(doc) => doc,
        Err(invalid) => invalid.partial,
    };
    let names = FederationNames::of(&doc);
    let mut types: HashMap<Name, SubgraphType> = HashMap::new();
    for def in &doc.definitions {
        let (name, directives, fields, interface, extension) = match def {
            Definition::ObjectTypeDefinition(d) => {
                (&d.name, &d.directives, &d.fields, false, false)
            }
            Definition::ObjectTypeExtension(d) => (&d.name, &d.directives, &d.fields, false, true),
            Definition::InterfaceTypeDefinition(d) => {
                (&d.name, &d.directives, &d.fields, true, false)
            }
            Definition::InterfaceTypeExtension(d) => {
                (&d.name, &d.directives, &d.fields, true, true)
            }
            _ => continue,
        };
        let ty = types.entry(name.clone()).or_default();
        ty.interface |= interface;
        ty.interface_object |= directives.has(&names.interface_object);
        ty.extends |= directives.has(&names.extends);
        ty.external |= names.federation_2 && directives.has(&names.external);
        for key in directives.get_all(&names.key) {
            let Some(fields) = key
                .specified_argument_by_name("fields")
                .and_then(|f| f.as_str())
            else {
                continue;
            };
            ty.keys.push(Key {
                fields: fields.to_owned(),
                resolvable: !matches!(
                    key.specified_argument_by_name("resolvable").map(|v| &**v),
                    Some(Value::Boolean(false))
                ),
                extension,
            });
        }
        for field in fields {
            let external = field.directives.has(&names.external);
            *ty.fields.entry(field.name.clone()).or_default() |= external;
        }
    }
    types
}

/// The names a subgraph gives federation's directives: imported (maybe
/// renamed), else prefixed with the link's namespace; federation 1 (no
/// link) uses the bare names.
struct FederationNames {
    federation_2: bool,
    key: String,
    external: String,
    extends: String,
    interface_object: String,
}

impl FederationNames {
    fn of(doc: &Document) -> Self {
        let link = doc
            .definitions
            .iter()
            .flat_map(|def| match def {
                Definition::SchemaDefinition(s) => s.directives.iter(),
                Definition::SchemaExtension(s) => s.directives.iter(),
                _ => [].iter(),
            })
            .find(|d| {
                d.name == "link"
                    && d.specified_argument_by_name("url")
                        .and_then(|u| u.as_str())
                        .is_some_and(|u| u.starts_with("https://specs.apollo.dev/federation/"))
            });
        let Some(link) = link else {
            return FederationNames {
                federation_2: false,
                key: "key".into(),
                external: "external".into(),
                extends: "extends".into(),
                interface_object: "interfaceObject".into(),
            };
        };
        let namespace = link
            .specified_argument_by_name("as")
            .and_then(|a| a.as_str())
            .unwrap_or("federation");
        let imported: HashMap<String, String> = links::imports(link)
            .map(|(name, local)| {
                (
                    name.trim_start_matches('@').to_owned(),
                    local.trim_start_matches('@').to_owned(),
                )
            })
            .collect();
        let name = |directive: &str| {
            imported
                .get(directive)
                .cloned()
                .unwrap_or_else(|| format!("{namespace}__{directive}"))
        };
        FederationNames {
            federation_2: true,
            key: name("key"),
            external: name("external"),
            extends: name("extends"),
            interface_object: name("interfaceObject"),
        }
    }
}

/// The field names a field set selects at its top level (not in
/// sub-selections, nor type conditions).
fn top_level_fields(field_set: &str) -> impl Iterator<Item = &str> {
    let mut depth = 0usize;
    let mut after_spread = 0u8;
    field_set
        .split(|c: char| c.is_whitespace() || c == ',')
        .flat_map(split_punctuation)
        .filter(|token| !token.is_empty())
        .filter(move |&token| {
            match token {
                "{" => depth += 1,
                "}" => depth = depth.saturating_sub(1),
                "..." => after_spread = 2,
                _ if after_spread > 0 => after_spread -= 1,
                _ => {
                    return depth == 0
                        && token.starts_with(|c: char| c == '_' || c.is_alphabetic());
                }
            }
            false
        })
}

/// `token` split before and after each `{`, `}` and `...`.
fn split_punctuation(token: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = token;
    while let Some(at) = rest.find(['{', '}', '.']) {
        let width = if rest[at..].starts_with("...") { 3 } else { 1 };
        parts.push(&rest[..at]);
        parts.push(&rest[at..at + width]);
        rest = &rest[at + width..];
    }
    parts.push(rest);
    parts
}

/// The graphs a type's `@join__type`s name, each once, in `join__Graph` order.
fn defining_graphs(directives: &DirectiveList, graphs: &[Graph]) -> Vec<usize> {
    let mut defining: Vec<usize> = directives
        .get_all("join__type")
        .filter_map(|d| graph_of(d, graphs))
        .collect();
    defining.sort_unstable();
    defining.dedup();
    defining
}

fn graph_of(directive: &Directive, graphs: &[Graph]) -> Option<usize> {
    match directive.specified_argument_by_name("graph").map(|v| &**v) {
        Some(Value::Enum(value)) => graphs.iter().position(|g| &g.value == value),
        _ => None,
    }
}

fn graph_value(graph: &Graph) -> Value {
    Value::Enum(graph.value.clone())
}

/// `external: true` on a `@join__field`, where join v0.3 declares it: after
/// `graph`, `requires`, `provides` and `type`.
fn set_external(join: &mut Node<Directive>) {
    if join.specified_argument_by_name("external").is_some() {
        return;
    }
    let join = join.make_mut();
    let at = join
        .arguments
        .iter()
        .rposition(|a| ["graph", "requires", "provides", "type"].contains(&a.name.as_str()))
        .map_or(0, |i| i + 1);
    join.arguments.insert(
        at,
        Node::new(Argument {
            name: Name::new_unchecked("external"),
            value: Node::new(Value::Boolean(true)),
        }),
    );
}

/// A field set's tokens (names and punctuation), whatever its spacing.
fn tokens(field_set: &str) -> Vec<&str> {
    field_set
        .split(|c: char| c.is_whitespace() || c == ',')
        .flat_map(split_punctuation)
        .filter(|t| !t.is_empty())
        .collect()
}

/// Two `@join__type`s with the same arguments, key field sets compared
/// token by token (the composer writes its own spacing).
fn same_join_type(a: &Directive, b: &Directive) -> bool {
    let normal = |d: &Directive| -> Vec<(String, String)> {
        d.arguments
            .iter()
            .map(|a| {
                let value = match &*a.value {
                    Value::String(s) => tokens(s).join(" "),
                    other => other.to_string(),
                };
                (a.name.to_string(), value)
            })
            .collect()
    };
    normal(a) == normal(b)
}

fn directive<'a>(
    name: &str,
    arguments: impl IntoIterator<Item = (&'a str, Value)>,
) -> Node<Directive> {
    Node::new(Directive {
        name: Name::new_unchecked(name),
        arguments: arguments
            .into_iter()
            .map(|(name, value)| {
                Node::new(Argument {
                    name: Name::new_unchecked(name),
                    value: Node::new(value),
                })
            })
            .collect(),
    })
}
