//! `@authenticated`, `@requiresScopes` and `@policy`: what a client may
//! not see is left out of every subgraph request, comes back null with an
//! `UNAUTHORIZED_FIELD_OR_TYPE` error at each of its positions (null
//! propagating as for any null), and the rest of the operation runs.

use std::collections::BTreeMap;

use router::authorization::policy::Rule;
use router::config::RouterConfig;
use serde_json::{Value, json};

use crate::kit::tokens::{Keys, bearer};
use crate::kit::{Fixture, Subgraph, Supergraph};

const LINK: &str = r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@shareable", "@authenticated", "@requiresScopes", "@policy"])"#;

async fn accounts() -> Fixture {
    Subgraph::new(
        "accounts",
        &format!(
            r#"{LINK}
            type Query {{
              me: User @authenticated
              users: [User!]!
              staff: [User!]! @requiresScopes(scopes: [["staff"], ["admin", "audit"]])
              usersByEmail(email: String!): [User!]! @policy(policies: [["own_email"]])
              secret: String! @policy(policies: [["undefined_policy"]])
              version: String!
            }}
            type User @key(fields: "id") {{
              id: ID!
              name: String!
              email: String @authenticated
              phone: String! @requiresScopes(scopes: [["pii"]])
            }}"#
        ),
    )
    .root(
        "me",
        json!({ "id": "u1", "name": "Ada", "email": "ada@example.com", "phone": "555-1" }),
    )
    .root(
        "users",
        json!([
            { "id": "u1", "name": "Ada", "email": "ada@example.com", "phone": "555-1" },
            { "id": "u2", "name": "Bob", "email": "bob@example.com", "phone": "555-2" },
        ]),
    )
    .root(
        "staff",
        json!([{ "id": "u9", "name": "Eve", "email": "eve@example.com", "phone": "555-9" }]),
    )
    .root(
        "usersByEmail",
        json!([{ "id": "u1", "name": "Ada", "email": "ada@example.com", "phone": "555-1" }]),
    )
    .root("secret", json!("s3cr3t"))
    .root("version", json!("1.0"))
    .entities(
        "User",
        json!([
            { "id": "u1", "name": "Ada", "email": "ada@example.com", "phone": "555-1" },
            { "id": "u2", "name": "Bob", "email": "bob@example.com", "phone": "555-2" },
        ]),
    )
    .start()
    .await
}

async fn billing() -> Fixture {
    Subgraph::new(
        "billing",
        &format!(
            r#"{LINK}
            type User @key(fields: "id") {{ id: ID! invoices: [Invoice!]! }}
            type Invoice @authenticated {{ number: String! total: Int! }}"#
        ),
    )
    .entities(
        "User",
        json!([
            { "id": "u1", "invoices": [{ "number": "I-1", "total": 100 }] },
            { "id": "u2", "invoices": [{ "number": "I-2", "total": 200 }] },
        ]),
    )
    .start()
    .await
}

struct Graph {
    accounts: Fixture,
    billing: Fixture,
    supergraph: Supergraph,
    _keys: Keys,
}

async fn graph() -> Graph {
    let accounts = accounts().await;
    let billing = billing().await;
    let keys = Keys::new();
    let mut config = keys.trusted_by(crate::kit::router::suite_config());
    config.authorization.policies = BTreeMap::from([(
        "own_email".to_owned(),
        vec![
            Rule::Scope("admin".into()),
            Rule::ClaimEqualsArgument {
                claim: "email".into(),
                argument: "email".into(),
                ignore_case: true,
            },
        ],
    )]);
    let supergraph = Supergraph::with_config(&[&accounts, &billing], config).await;
    Graph {
        accounts,
        billing,
        supergraph,
        _keys: keys,
    }
}

fn customer() -> http::HeaderMap {
    bearer(json!({ "sub": "u1", "email": "Ada@Example.com" }))
}

fn with_scopes(scope: &str) -> http::HeaderMap {
    bearer(json!({ "sub": "u9", "scope": scope }))
}

/// Each error as `[code, path]`.
fn denials(outcome: &crate::kit::Outcome) -> Vec<Value> {
    outcome
        .errors()
        .iter()
        .map(|e| json!([e["extensions"]["code"], e["path"]]))
        .collect()
}

fn denied(path: Value) -> Value {
    json!(["UNAUTHORIZED_FIELD_OR_TYPE", path])
}

/// No subgraph request of `fixture` selected `field`.
fn never_asked(fixture: &Fixture, field: &str) {
    for request in fixture.requests() {
        assert!(
            !request.query.contains(field),
            "{field} was sent to {}: {}",
            fixture.name(),
            request.query
        );
    }
}

#[tokio::test]
async fn an_anonymous_client_gets_null_and_an_error_where_authentication_is_required() {
    let g = graph().await;
    let outcome = g.supergraph.query("{ version me { name } }").await;
    assert_eq!(outcome.status, 200);
    assert_eq!(outcome.data(), &json!({ "version": "1.0", "me": null }));
    assert_eq!(denials(&outcome), vec![denied(json!(["me"]))]);
    never_asked(&g.accounts, "me");

    let outcome = g
        .supergraph
        .query_with("{ version me { name } }", customer())
        .await;
    outcome.assert_data(json!({ "version": "1.0", "me": { "name": "Ada" } }));
}

#[tokio::test]
async fn a_denied_field_in_a_list_is_null_at_every_item() {
    let g = graph().await;
    let outcome = g.supergraph.query("{ users { name email } }").await;
    assert_eq!(
        outcome.data(),
        &json!({ "users": [{ "name": "Ada", "email": null }, { "name": "Bob", "email": null }] })
    );
    assert_eq!(
        denials(&outcome),
        vec![
            denied(json!(["users", 0, "email"])),
            denied(json!(["users", 1, "email"]))
        ]
    );
    never_asked(&g.accounts, "email");
}

#[tokio::test]
async fn a_denied_non_null_field_nulls_its_nullable_parent() {
    let g = graph().await;
    // `phone: String!` needs scope pii: each user becomes null, and
    // `users: [User!]!` cannot hold null, so `data` is null.
    let outcome = g
        .supergraph
        .query_with("{ users { name phone } }", customer())
        .await;
    assert_eq!(outcome.value["data"], Value::Null, "{:#}", outcome.value);
    // The first null already nulls the list: one error explains it.
    assert_eq!(
        denials(&outcome),
        vec![denied(json!(["users", 0, "phone"]))]
    );
    let outcome = g
        .supergraph
        .query_with("{ users { name phone } }", with_scopes("pii"))
        .await;
    outcome.assert_data(json!({ "users": [
        { "name": "Ada", "phone": "555-1" }, { "name": "Bob", "phone": "555-2" }
    ] }));
}

#[tokio::test]
async fn scopes_are_alternatives_of_sets() {
    let g = graph().await;
    let query = "{ staff { name } }";
    for (scope, allowed) in [
        ("staff", true),
        ("admin audit", true),
        ("audit admin other", true),
        ("admin", false),
        ("audit", false),
        ("", false),
    ] {
        let outcome = g.supergraph.query_with(query, with_scopes(scope)).await;
        if allowed {
            outcome.assert_data(json!({ "staff": [{ "name": "Eve" }] }));
        } else {
            assert_eq!(
                denials(&outcome),
                vec![denied(json!(["staff"]))],
                "{scope:?}"
            );
        }
    }
    // A list of scopes in the claim counts the same.
    let outcome = g
        .supergraph
        .query_with(
            query,
            bearer(json!({ "sub": "x", "scope": ["admin", "audit"] })),
        )
        .await;
    outcome.assert_data(json!({ "staff": [{ "name": "Eve" }] }));
}

#[tokio::test]
async fn a_policy_is_decided_by_its_configured_rules_with_the_fields_arguments() {
    let g = graph().await;
    let mine = r#"{ usersByEmail(email: "ada@example.com") { name } }"#;
    let theirs = r#"{ usersByEmail(email: "bob@example.com") { name } }"#;
    let outcome = g.supergraph.query_with(mine, customer()).await;
    outcome.assert_data(json!({ "usersByEmail": [{ "name": "Ada" }] }));
    let outcome = g.supergraph.query_with(theirs, customer()).await;
    assert_eq!(denials(&outcome), vec![denied(json!(["usersByEmail"]))]);
    let outcome = g.supergraph.query_with(theirs, with_scopes("admin")).await;
    assert!(outcome.errors().is_empty(), "{:#}", outcome.value);
    let outcome = g.supergraph.query(mine).await;
    assert_eq!(denials(&outcome), vec![denied(json!(["usersByEmail"]))]);

    // Variables are applied before the rule reads the argument.
    let request = router::graphql::Request {
        query: Some("query($e: String!) { usersByEmail(email: $e) { name } }".into()),
        variables: json!({ "e": "ADA@example.com" }).as_object().cloned(),
        ..Default::default()
    };
    let outcome = g.supergraph.execute_with(request, customer()).await;
    outcome.assert_data(json!({ "usersByEmail": [{ "name": "Ada" }] }));
}

#[tokio::test]
async fn a_policy_the_config_does_not_define_is_never_granted() {
    let g = graph().await;
    let outcome = g
        .supergraph
        .query_with("{ version secret }", with_scopes("admin staff pii"))
        .await;
    // `secret: String!` at the root: the whole `data` is null.
    assert_eq!(outcome.value["data"], Value::Null, "{:#}", outcome.value);
    assert_eq!(denials(&outcome), vec![denied(json!(["secret"]))]);
}

#[tokio::test]
async fn a_guarded_type_from_another_subgraph_is_never_fetched_for_a_denied_client() {
    let g = graph().await;
    let query = "{ users { name invoices { number } } }";
    let outcome = g.supergraph.query(query).await;
    // `invoices: [Invoice!]!` returns a guarded type; each user is nulled,
    // and `users: [User!]!` nulls `data`.
    assert_eq!(outcome.value["data"], Value::Null, "{:#}", outcome.value);
    assert_eq!(
        denials(&outcome),
        vec![denied(json!(["users", 0, "invoices"]))]
    );
    assert_eq!(g.billing.request_count(), 0, "billing was never asked");

    let outcome = g.supergraph.query_with(query, customer()).await;
    outcome.assert_data(json!({ "users": [
        { "name": "Ada", "invoices": [{ "number": "I-1" }] },
        { "name": "Bob", "invoices": [{ "number": "I-2" }] },
    ] }));
}

#[tokio::test]
async fn denied_positions_inside_fragments_are_denied_wherever_the_fragment_is_spread() {
    let g = graph().await;
    let outcome = g
        .supergraph
        .query("{ me { ...U } users { ...U } } fragment U on User { name email }")
        .await;
    assert_eq!(
        outcome.data(),
        &json!({ "me": null, "users": [
            { "name": "Ada", "email": null }, { "name": "Bob", "email": null }
        ] })
    );
    assert_eq!(
        denials(&outcome),
        vec![
            denied(json!(["me"])),
            denied(json!(["users", 0, "email"])),
            denied(json!(["users", 1, "email"]))
        ]
    );
}

#[tokio::test]
async fn a_field_also_selected_where_it_is_allowed_is_answered() {
    let g = graph().await;
    // `name` is selected both plainly and inside a denied sibling: the plain
    // one is answered.
    let outcome = g
        .supergraph
        .query("{ users { name ... on User { name email } } }")
        .await;
    assert_eq!(
        outcome.data(),
        &json!({ "users": [{ "name": "Ada", "email": null }, { "name": "Bob", "email": null }] })
    );
    assert_eq!(outcome.errors().len(), 2, "{:#}", outcome.value);
}

#[tokio::test]
async fn an_operation_denied_entirely_asks_no_subgraph() {
    let g = graph().await;
    let outcome = g.supergraph.query("{ me { name } staff { name } }").await;
    assert_eq!(outcome.status, 200);
    // `staff: [User!]!` is non-null: data is null.
    assert_eq!(outcome.value["data"], Value::Null, "{:#}", outcome.value);
    assert_eq!(
        denials(&outcome),
        vec![denied(json!(["me"])), denied(json!(["staff"]))]
    );
    assert_eq!(g.accounts.request_count(), 0);
}

#[tokio::test]
async fn each_clients_plan_is_cached_apart() {
    let g = graph().await;
    let query = "{ users { name email } }";
    for _ in 0..2 {
        let anonymous = g.supergraph.query(query).await;
        assert_eq!(anonymous.errors().len(), 2);
        let signed_in = g.supergraph.query_with(query, customer()).await;
        signed_in.assert_data(json!({ "users": [
            { "name": "Ada", "email": "ada@example.com" },
            { "name": "Bob", "email": "bob@example.com" },
        ] }));
    }
}

#[tokio::test]
async fn a_bad_token_is_refused_before_authorization() {
    let g = graph().await;
    let mut headers = http::HeaderMap::new();
    headers.insert("authorization", "Bearer not.a.token".parse().unwrap());
    let outcome = g.supergraph.query_with("{ version }", headers).await;
    assert_eq!(outcome.status, 401);
    assert_eq!(outcome.errors()[0]["extensions"]["code"], "UNAUTHENTICATED");
}

#[test]
fn policy_rules_read_from_toml_and_bad_ones_are_refused() {
    let config = RouterConfig::from_toml(
        r#"
        [authorization.policies]
        own = [{ scope = "orders:read" }, { claim = "email", equals_argument = "customerEmail", ignore_case = true }]
        tier = [{ claim = "tier", equals = "gold" }, { claim = "staff" }]
        "#,
    )
    .expect("parses");
    assert_eq!(
        config.authorization.policies["own"],
        vec![
            Rule::Scope("orders:read".into()),
            Rule::ClaimEqualsArgument {
                claim: "email".into(),
                argument: "customerEmail".into(),
                ignore_case: true
            }
        ]
    );
    assert_eq!(config.authorization.policies["tier"].len(), 2);
    let bad = RouterConfig::from_toml(
        r#"
        [authorization.policies]
        own = [{ scope = "a", claim = "b" }]
        "#,
    );
    assert!(bad.is_err());
}

async fn catalog() -> (Fixture, Supergraph, Keys) {
    let fixture = Subgraph::new(
        "catalog",
        &format!(
            r#"{LINK}
            interface Item {{ id: ID! title: String price: Int }}
            type Book implements Item @key(fields: "id") {{ id: ID! title: String price: Int }}
            type Draft implements Item @key(fields: "id") @authenticated {{ id: ID! title: String price: Int @requiresScopes(scopes: [["editor"]]) }}
            type Query {{ items: [Item!]! }}"#
        ),
    )
    .root(
        "items",
        json!([
            { "__typename": "Book", "id": "b1", "title": "Dune", "price": 10 },
            { "__typename": "Draft", "id": "d1", "title": "Untitled", "price": 0 },
        ]),
    )
    .start()
    .await;
    let keys = Keys::new();
    let config = keys.trusted_by(crate::kit::router::suite_config());
    let supergraph = Supergraph::with_config(&[&fixture], config).await;
    (fixture, supergraph, keys)
}

#[tokio::test]
async fn a_type_condition_on_a_guarded_type_is_denied_where_it_applies() {
    let (_fixture, supergraph, _keys) = catalog().await;
    let query = "{ items { id ... on Draft { title } ... on Book { title } } }";
    let outcome = supergraph.query(query).await;
    assert_eq!(
        outcome.data(),
        &json!({ "items": [{ "id": "b1", "title": "Dune" }, { "id": "d1", "title": null }] })
    );
    assert_eq!(
        denials(&outcome),
        vec![denied(json!(["items", 1, "title"]))]
    );
    let outcome = supergraph.query_with(query, customer()).await;
    outcome.assert_data(json!({ "items": [
        { "id": "b1", "title": "Dune" }, { "id": "d1", "title": "Untitled" }
    ] }));
}

#[tokio::test]
async fn an_interface_field_is_guarded_by_what_any_implementation_asks() {
    let (_fixture, supergraph, _keys) = catalog().await;
    // `Draft.price` needs scope editor, so `Item.price` does: the router
    // cannot know beforehand which type answers.
    let outcome = supergraph
        .query_with("{ items { id price } }", customer())
        .await;
    assert_eq!(
        outcome.data(),
        &json!({ "items": [{ "id": "b1", "price": null }, { "id": "d1", "price": null }] })
    );
    assert_eq!(outcome.errors().len(), 2, "{:#}", outcome.value);
    let outcome = supergraph
        .query_with("{ items { id price } }", with_scopes("editor"))
        .await;
    outcome
        .assert_data(json!({ "items": [{ "id": "b1", "price": 10 }, { "id": "d1", "price": 0 }] }));
}
