//! The names a schema gives the directives of the specs it `@link`s (the
//! core-schema link spec): an import may rename a directive
//! (`{ name: "@context", as: "@ctx" }`), `as:` renames the namespace, and a
//! directive neither imported nor named like its spec is
//! `@<namespace>__<name>`.

use apollo_compiler::Schema;
use apollo_compiler::ast::{Directive, Value};

/// The local name of `directive` (without `@`) of the spec whose URL
/// starts with `spec_url` (e.g. `https://specs.apollo.dev/cost/`), or
/// `None` when the schema does not link that spec.
pub fn directive_name(schema: &Schema, spec_url: &str, directive: &str) -> Option<String> {
    schema
        .schema_definition
        .directives
        .get_all("link")
        .find_map(|link| {
            let url = link.specified_argument_by_name("url")?.as_str()?;
            if !url.starts_with(spec_url) {
                return None;
            }
            let spec = spec_name(url);
            let namespace = link
                .specified_argument_by_name("as")
                .and_then(|v| v.as_str())
                .unwrap_or(&spec);
            let wanted = format!("@{directive}");
            if let Some((_, local)) = imports(link).find(|(name, _)| *name == wanted) {
                return Some(local.trim_start_matches('@').to_owned());
            }
            Some(if directive == spec {
                namespace.to_owned()
            } else {
                format!("{namespace}__{directive}")
            })
        })
}

/// A `@link`'s imports as (name, local name), written as the link writes
/// them (`@` included for directives): `"@key"` is `("@key", "@key")`,
/// `{ name: "@key", as: "@k" }` is `("@key", "@k")`. Entries of any other
/// shape are skipped.
pub fn imports(link: &Directive) -> impl Iterator<Item = (&str, &str)> {
    let list = match link.specified_argument_by_name("import").map(|v| &**v) {
        Some(Value::List(list)) => &list[..],
        _ => &[],
    };
    list.iter().filter_map(|import| match &**import {
        Value::String(name) => Some((name.as_str(), name.as_str())),
        Value::Object(fields) => {
            let field = |key: &str| {
                fields
                    .iter()
                    .find(|(k, _)| k == key)
                    .and_then(|(_, v)| v.as_str())
            };
            let name = field("name")?;
            Some((name, field("as").unwrap_or(name)))
        }
        _ => None,
    })
}

/// The spec's name in its URL: `https://specs.apollo.dev/join/v0.3` →
/// `join` (the segment before the version, if the URL ends with one).
pub fn spec_name(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let mut segments = path.trim_end_matches('/').rsplit('/');
    let last = segments.next().unwrap_or_default();
    let is_version = last.starts_with('v') && last[1..].contains('.');
    if is_version {
        segments.next().unwrap_or_default().to_owned()
    } else {
        last.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(links: &str) -> Schema {
        let sdl = format!(
            r#"
            schema {links} {{ query: Query }}
            type Query {{ a: Int }}
            directive @link(url: String, as: String, import: [link__Import]) repeatable on SCHEMA
            scalar link__Import
            "#
        );
        Schema::parse(sdl, "s.graphql").unwrap()
    }

    const COST: &str = "https://specs.apollo.dev/cost/";

    #[test]
    fn imported_renamed_namespaced_and_own_names() {
        let imported = schema(
            r#"@link(url: "https://specs.apollo.dev/cost/v0.1", import: ["@cost", "@listSize"])"#,
        );
        assert_eq!(
            directive_name(&imported, COST, "listSize").as_deref(),
            Some("listSize")
        );
        let renamed = schema(
            r#"@link(url: "https://specs.apollo.dev/cost/v0.1", import: [{ name: "@listSize", as: "@size" }])"#,
        );
        assert_eq!(
            directive_name(&renamed, COST, "listSize").as_deref(),
            Some("size")
        );
        assert_eq!(
            directive_name(&renamed, COST, "cost").as_deref(),
            Some("cost")
        );
        let namespaced = schema(r#"@link(url: "https://specs.apollo.dev/cost/v0.1", as: "c")"#);
        assert_eq!(
            directive_name(&namespaced, COST, "cost").as_deref(),
            Some("c")
        );
        assert_eq!(
            directive_name(&namespaced, COST, "listSize").as_deref(),
            Some("c__listSize")
        );
        let unlinked = schema("");
        assert_eq!(directive_name(&unlinked, COST, "cost"), None);
    }
}
