//! Subgraph SDL as `graphql-composition` reads it. Federation 2.9 lets a
//! subgraph import `@cost` and `@listSize` from the federation spec; the
//! composer (0.12) only knows them unimported and drops them, with a
//! warning, when imported. Taking them out of the import list keeps them.

use apollo_compiler::ast::{Definition, Document, Value};

const MOVED: [&str; 2] = ["@cost", "@listSize"];

/// `sdl` with `@cost` / `@listSize` left out of its federation imports;
/// `sdl` itself when it imports neither (or does not parse: the composer
/// reports that).
pub fn for_composition(sdl: &str) -> std::borrow::Cow<'_, str> {
    if !MOVED
        .iter()
        .any(|name| sdl.contains(&format!("\"{name}\"")))
    {
        return sdl.into();
    }
    let Ok(mut document) = Document::parse(sdl, "subgraph.graphql") else {
        return sdl.into();
    };
    let mut changed = false;
    for definition in &mut document.definitions {
        let directives = match definition {
            Definition::SchemaDefinition(schema) => &mut schema.make_mut().directives,
            Definition::SchemaExtension(schema) => &mut schema.make_mut().directives,
            _ => continue,
        };
        for link in directives.iter_mut().filter(|d| d.name == "link") {
            let federation = link
                .specified_argument_by_name("url")
                .and_then(|url| url.as_str())
                .is_some_and(|url| url.starts_with("https://specs.apollo.dev/federation/"));
            if !federation {
                continue;
            }
            for argument in &mut link.make_mut().arguments {
                if argument.name != "import" {
                    continue;
                }
                if let Value::List(imports) = argument.make_mut().value.make_mut() {
                    let before = imports.len();
                    imports.retain(|import| {
                        !import.as_str().is_some_and(|name| MOVED.contains(&name))
                    });
                    changed |= imports.len() != before;
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
}
