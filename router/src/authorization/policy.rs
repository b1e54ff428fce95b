//! `[authorization]`: where a client's scopes are read from, and the rules
//! that grant each `@policy` by name. A policy the config does not define
//! is never granted (fail closed), and the router warns at start-up.
//!
//! ```toml
//! [authorization]
//! scope_claim = "scope"
//! [authorization.policies]
//! # a customer may read their own orders; staff with orders:read any
//! own_orders = [
//!   { scope = "orders:read" },
//!   { claim = "email", equals_argument = "customerEmail", ignore_case = true },
//! ]
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::requirements::{AnyOf, Requirement};
use crate::auth::Claims;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthorizationConfig {
    /// The claim holding the client's scopes: a space-separated string
    /// (OAuth 2's `scope`) or a list of strings.
    pub scope_claim: String,
    /// Each policy's rules: granted when any of them holds.
    pub policies: BTreeMap<String, Vec<Rule>>,
}

impl Default for AuthorizationConfig {
    fn default() -> Self {
        AuthorizationConfig {
            scope_claim: "scope".into(),
            policies: BTreeMap::new(),
        }
    }
}

/// One way to be granted a policy.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RuleSpec")]
pub enum Rule {
    /// The client holds this scope.
    Scope(String),
    /// The token has this claim, whatever its value.
    Claim(String),
    /// The claim has this value.
    ClaimEquals {
        claim: String,
        value: Value,
        ignore_case: bool,
    },
    /// The claim equals the guarded field's argument (with variables
    /// applied): `orders(customerEmail:)` only for the token's `email`.
    /// Without that argument the rule does not hold.
    ClaimEqualsArgument {
        claim: String,
        argument: String,
        ignore_case: bool,
    },
}

/// A rule as written in TOML.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    scope: Option<String>,
    claim: Option<String>,
    equals: Option<Value>,
    equals_argument: Option<String>,
    #[serde(default)]
    ignore_case: bool,
}

impl TryFrom<RuleSpec> for Rule {
    type Error = String;

    fn try_from(spec: RuleSpec) -> Result<Rule, String> {
        let RuleSpec {
            scope,
            claim,
            equals,
            equals_argument,
            ignore_case,
        } = spec;
        match (scope, claim, equals, equals_argument) {
            (Some(scope), None, None, None) => Ok(Rule::Scope(scope)),
            (None, Some(claim), None, None) => Ok(Rule::Claim(claim)),
            (None, Some(claim), Some(value), None) => Ok(Rule::ClaimEquals {
                claim,
                value,
                ignore_case,
            }),
            (None, Some(claim), None, Some(argument)) => Ok(Rule::ClaimEqualsArgument {
                claim,
                argument,
                ignore_case,
            }),
            _ => Err(
                "a policy rule is `{ scope = \"…\" }`, `{ claim = \"…\" }`, \
                 `{ claim = \"…\", equals = … }` or `{ claim = \"…\", equals_argument = \"…\" }`"
                    .into(),
            ),
        }
    }
}

/// Who is asking: the verified claims (none for an anonymous client) and
/// the scopes read from them.
pub struct Client<'a> {
    claims: Option<&'a Claims>,
    scopes: Vec<&'a str>,
}

impl<'a> Client<'a> {
    pub fn new(claims: Option<&'a Claims>, scope_claim: &str) -> Client<'a> {
        let scopes = match claims.and_then(|c| c.get(scope_claim)) {
            Some(Value::String(scopes)) => scopes.split_ascii_whitespace().collect(),
            Some(Value::Array(scopes)) => scopes.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        Client { claims, scopes }
    }

    fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(&scope)
    }

    fn claim(&self, name: &str) -> Option<&Value> {
        self.claims?.get(name)
    }
}

/// Whether `client` may see a position guarded by `requirement`;
/// `argument` reads the guarded field's arguments. Scopes and policies
/// imply authentication.
pub fn allows(
    config: &AuthorizationConfig,
    requirement: &Requirement,
    client: &Client<'_>,
    argument: &dyn Fn(&str) -> Option<Value>,
) -> bool {
    if client.claims.is_none() {
        return requirement.is_empty();
    }
    let any_of = |alternatives: &AnyOf, holds: &dyn Fn(&str) -> bool| {
        alternatives.iter().any(|all| all.iter().all(|n| holds(n)))
    };
    requirement
        .scopes
        .iter()
        .all(|alternatives| any_of(alternatives, &|scope| client.has_scope(scope)))
        && requirement.policies.iter().all(|alternatives| {
            any_of(alternatives, &|policy| {
                granted(config, policy, client, argument)
            })
        })
}

fn granted(
    config: &AuthorizationConfig,
    policy: &str,
    client: &Client<'_>,
    argument: &dyn Fn(&str) -> Option<Value>,
) -> bool {
    let Some(rules) = config.policies.get(policy) else {
        return false;
    };
    rules.iter().any(|rule| match rule {
        Rule::Scope(scope) => client.has_scope(scope),
        Rule::Claim(claim) => client.claim(claim).is_some_and(|v| !v.is_null()),
        Rule::ClaimEquals {
            claim,
            value,
            ignore_case,
        } => client
            .claim(claim)
            .is_some_and(|held| same(held, value, *ignore_case)),
        Rule::ClaimEqualsArgument {
            claim,
            argument: name,
            ignore_case,
        } => match (client.claim(claim), argument(name)) {
            (Some(held), Some(given)) => !given.is_null() && same(held, &given, *ignore_case),
            _ => false,
        },
    })
}

fn same(a: &Value, b: &Value, ignore_case: bool) -> bool {
    match (a, b) {
        (Value::String(a), Value::String(b)) if ignore_case => a.eq_ignore_ascii_case(b),
        _ => a == b,
    }
}
