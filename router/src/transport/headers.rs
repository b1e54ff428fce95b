//! Which headers reach each subgraph: `[headers]` rules, applied in order
//! to the client's request headers (`all` first, then the subgraph's own).
//! Nothing is forwarded unless a rule says so, `authorization` included.

use std::collections::BTreeMap;

use http::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;

/// Headers the HTTP client sets itself, that describe one connection, or
/// that only the router may send (the signed identity): no rule may send
/// them.
const RESERVED: [&str; 12] = [
    crate::auth::forward::IDENTITY_HEADER,
    "host",
    "content-length",
    "content-type",
    "accept",
    "accept-encoding",
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HeadersConfig {
    /// Rules for every subgraph.
    pub all: Vec<HeaderRule>,
    /// More rules for one subgraph, after `all`'s.
    pub subgraphs: BTreeMap<String, Vec<HeaderRule>>,
}

/// One rule: `{ propagate = "x-tenant", rename = "x-org", default = "none" }`,
/// `{ insert = "x-source", value = "router" }` or `{ remove = "x-tenant" }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum HeaderRule {
    Propagate(Propagate),
    Insert(Insert),
    Remove(Remove),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Propagate {
    pub propagate: String,
    #[serde(default)]
    pub rename: Option<String>,
    /// Sent when the client sent none.
    #[serde(default)]
    pub default: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Insert {
    pub insert: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Remove {
    pub remove: String,
}

/// A subgraph's rules, ready to apply.
#[derive(Debug, Clone, Default)]
pub struct Rules(Vec<Rule>);

#[derive(Debug, Clone)]
enum Rule {
    Propagate {
        from: HeaderName,
        to: HeaderName,
        default: Option<HeaderValue>,
    },
    Insert {
        name: HeaderName,
        value: HeaderValue,
    },
    Remove {
        name: HeaderName,
    },
}

fn name(text: &str) -> Result<HeaderName, String> {
    let name = HeaderName::try_from(text).map_err(|_| format!("{text:?} is not a header name"))?;
    if RESERVED.contains(&name.as_str()) {
        return Err(format!("{text:?} is set by the router itself"));
    }
    Ok(name)
}

fn value(text: &str) -> Result<HeaderValue, String> {
    HeaderValue::from_str(text).map_err(|_| format!("{text:?} is not a header value"))
}

impl HeaderRule {
    fn compile(&self) -> Result<Rule, String> {
        Ok(match self {
            HeaderRule::Propagate(p) => Rule::Propagate {
                from: name(&p.propagate)?,
                to: name(p.rename.as_deref().unwrap_or(&p.propagate))?,
                default: p.default.as_deref().map(value).transpose()?,
            },
            HeaderRule::Insert(i) => Rule::Insert {
                name: name(&i.insert)?,
                value: value(&i.value)?,
            },
            HeaderRule::Remove(r) => Rule::Remove {
                name: name(&r.remove)?,
            },
        })
    }
}

impl HeadersConfig {
    /// Refuses rules that name no header, or one the router sets itself.
    pub fn check(&self) -> Result<(), String> {
        let all = self.all.iter().map(|r| ("all", r));
        let own = self
            .subgraphs
            .iter()
            .flat_map(|(s, rules)| rules.iter().map(move |r| (s.as_str(), r)));
        for (section, rule) in all.chain(own) {
            rule.compile()
                .map_err(|message| format!("headers.{section}: {message}"))?;
        }
        Ok(())
    }

    /// The rules for `subgraph` (checked rules compile; any that would not
    /// are left out).
    /// Every client header some rule forwards (to any subgraph), in rule
    /// order, once each.
    pub fn forwarded_names(&self) -> Vec<HeaderName> {
        let mut names: Vec<HeaderName> = Vec::new();
        let rules = self.all.iter().chain(self.subgraphs.values().flatten());
        for rule in rules {
            if let HeaderRule::Propagate(p) = rule
                && let Ok(from) = name(&p.propagate)
                && !names.contains(&from)
            {
                names.push(from);
            }
        }
        names
    }

    pub fn rules_for(&self, subgraph: &str) -> Rules {
        let own = self.subgraphs.get(subgraph).into_iter().flatten();
        Rules(
            self.all
                .iter()
                .chain(own)
                .filter_map(|rule| rule.compile().ok())
                .collect(),
        )
    }
}

impl Rules {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The headers to send, from the client's.
    pub fn apply(&self, client: &HeaderMap) -> HeaderMap {
        let mut out = HeaderMap::new();
        for rule in &self.0 {
            match rule {
                Rule::Propagate { from, to, default } => {
                    let mut sent = false;
                    for value in client.get_all(from) {
                        out.append(to.clone(), value.clone());
                        sent = true;
                    }
                    if let (false, Some(default)) = (sent, default) {
                        out.insert(to.clone(), default.clone());
                    }
                }
                Rule::Insert { name, value } => {
                    out.insert(name.clone(), value.clone());
                }
                Rule::Remove { name } => {
                    out.remove(name);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Result<HeadersConfig, String> {
        let config: HeadersConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        config.check()?;
        Ok(config)
    }

    fn client() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_static("Bearer secret"));
        headers.insert("x-tenant", HeaderValue::from_static("acme"));
        headers.append("x-flag", HeaderValue::from_static("a"));
        headers.append("x-flag", HeaderValue::from_static("b"));
        headers
    }

    #[test]
    fn nothing_is_forwarded_unless_a_rule_says_so() {
        let rules = config("").unwrap().rules_for("products");
        assert!(rules.is_empty());
        assert!(rules.apply(&client()).is_empty());
    }

    #[test]
    fn rules_propagate_rename_insert_and_remove_in_order() {
        let config = config(
            r#"
            [[headers.all]]
            propagate = "x-tenant"
            rename = "x-org"
            [[headers.all]]
            propagate = "x-flag"
            [[headers.all]]
            propagate = "x-missing"
            default = "none"
            [[headers.subgraphs.products]]
            insert = "x-source"
            value = "router"
            [[headers.subgraphs.products]]
            remove = "x-flag"
            "#
            .replace("[[headers.", "[[")
            .as_str(),
        )
        .unwrap();
        let sent = config.rules_for("products").apply(&client());
        assert_eq!(sent["x-org"], "acme");
        assert!(!sent.contains_key("x-tenant"));
        assert_eq!(sent["x-missing"], "none");
        assert_eq!(sent["x-source"], "router");
        assert!(!sent.contains_key("x-flag"), "removed after");
        assert!(!sent.contains_key("authorization"));
        let others = config.rules_for("inventory").apply(&client());
        let flags: Vec<_> = others.get_all("x-flag").iter().collect();
        assert_eq!(flags, ["a", "b"], "every value");
        assert!(!others.contains_key("x-source"));
    }

    #[test]
    fn rules_the_router_cannot_follow_are_refused() {
        assert!(config("[[all]]\npropagate = \"content-length\"").is_err());
        assert!(config("[[all]]\ninsert = \"bad name\"\nvalue = \"x\"").is_err());
        assert!(config("[[all]]\ninsert = \"x-a\"\nvalue = \"line\\nbreak\"").is_err());
        assert!(config("[[all]]\nforward = \"x-a\"").is_err());
        // Only the router may say who the client is.
        assert!(config("[[all]]\npropagate = \"x-router-identity\"").is_err());
        assert!(config("[[all]]\ninsert = \"x-router-identity\"\nvalue = \"x\"").is_err());
        assert!(
            config("[[all]]\npropagate = \"authorization\"").is_ok(),
            "when asked"
        );
    }
}
