//! Subgraph SDL as `graphql-composition` reads it.
//!
//! - Federation 2.9 lets a subgraph import `@cost` and `@listSize` from the
//!   federation spec; the composer (0.12) only knows them unimported and
//!   drops them, with a warning, when imported. Taking them out of the
//!   import list keeps them.
//! - The authorization directives (`@authenticated`, `@requiresScopes`,
//!   `@policy`) count only when imported from the federation spec. A
//!   subgraph library that cannot import them (async-graphql's federation
//!   link is fixed at v2.5 and imports only `@requiresScopes`) defines them
//!   itself instead; such a definition, under the spec's name and used as
//!   the spec's, is taken for an import (the link raised to v2.6, where
//!   `@policy` arrived), so the directives reach the supergraph.

use apollo_compiler::Node;
use apollo_compiler::ast::{Definition, Document, Value};

const MOVED: [&str; 2] = ["@cost", "@listSize"];
/// Federation's authorization directives, adopted when defined locally.
const ADOPTED: [&str; 3] = ["authenticated", "requiresScopes", "policy"];
/// The federation version that has all of them.
const ADOPTING_VERSION: (u32, u32) = (2, 6);

/// `sdl` ready for the composer; `sdl` itself when nothing needs changing
/// (or it does not parse: the composer reports that).
pub fn for_composition(sdl: &str) -> std::borrow::Cow<'_, str> {
    let moves = MOVED
        .iter()
        .any(|name| sdl.contains(&format!("\"{name}\"")));
    let adopts = ADOPTED
        .iter()
        .any(|name| sdl.contains(&format!("directive @{name}")));
    if !moves && !adopts {
        return sdl.into();
    }
    let Ok(mut document) = Document::parse(sdl, "subgraph.graphql") else {
        return sdl.into();
    };
    // Locally defined authorization directives, taken out of the document.
    let mut adopted: Vec<String> = Vec::new();
    document.definitions.retain(|definition| match definition {
        Definition::DirectiveDefinition(d) if ADOPTED.contains(&d.name.as_str()) => {
            adopted.push(format!("@{}", d.name));
            false
        }
        _ => true,
    });
    let mut changed = !adopted.is_empty();
    for definition in &mut document.definitions {
        let directives = match definition {
            Definition::SchemaDefinition(schema) => &mut schema.make_mut().directives,
            Definition::SchemaExtension(schema) => &mut schema.make_mut().directives,
            _ => continue,
        };
        for link in directives.iter_mut().filter(|d| d.name == "link") {
            let Some(url) = link
                .specified_argument_by_name("url")
                .and_then(|url| url.as_str())
                .filter(|url| url.starts_with("https://specs.apollo.dev/federation/"))
                .map(str::to_owned)
            else {
                continue;
            };
            let link = link.make_mut();
            for argument in &mut link.arguments {
                if argument.name == "url" && !adopted.is_empty() {
                    if let Some(raised) = raised(&url) {
                        argument.make_mut().value = Node::new(Value::String(raised));
                        changed = true;
                    }
                    continue;
                }
                if argument.name != "import" {
                    continue;
                }
                if let Value::List(imports) = argument.make_mut().value.make_mut() {
                    let before = imports.len();
                    imports.retain(|import| {
                        !import.as_str().is_some_and(|name| MOVED.contains(&name))
                    });
                    changed |= imports.len() != before;
                    for name in &adopted {
                        if !imports.iter().any(|i| i.as_str() == Some(name.as_str())) {
                            imports.push(Node::new(Value::String(name.clone())));
                        }
                    }
                }
            }
        }
    }
    if changed {
        document.to_string().into()
    } else {
        sdl.into()
    }
}

/// The federation link URL at `ADOPTING_VERSION` when it is older.
fn raised(url: &str) -> Option<String> {
    let (base, version) = url.rsplit_once("/v")?;
    let (major, minor) = version.split_once('.')?;
    let version = (major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?);
    (version < ADOPTING_VERSION).then(|| {
        let (major, minor) = ADOPTING_VERSION;
        format!("{base}/v{major}.{minor}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_directives_leave_the_federation_imports() {
        let sdl = r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@cost", "@listSize"])
            type Query { a: [Int] @listSize(assumedSize: 5) @cost(weight: 2) }"#;
        let prepared = for_composition(sdl);
        assert!(prepared.contains(r#"import: ["@key"]"#), "{prepared}");
        assert!(prepared.contains("@listSize(assumedSize: 5)"));
        let untouched = r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"]) type Query { a: Int }"#;
        assert!(matches!(
            for_composition(untouched),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn authorization_directives_a_library_defines_itself_are_imported() {
        let sdl = r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@requiresScopes"])
            directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
            directive @policy(policies: [[String!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
            type Query { me: String @authenticated mine: String @policy(policies: [["own"]]) }"#;
        let prepared = for_composition(sdl);
        assert!(
            prepared.contains(r#"federation/v2.6", import: ["@key", "@requiresScopes", "@authenticated", "@policy"]"#),
            "{prepared}"
        );
        assert!(!prepared.contains("directive @authenticated"), "{prepared}");
        assert!(prepared.contains("me: String @authenticated"));
        assert_eq!(raised("https://specs.apollo.dev/federation/v2.9"), None);
    }
}
