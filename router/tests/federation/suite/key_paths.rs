//! Keys that must themselves be fetched from other subgraphs: chains of key
//! jumps, keys that would lead round in a circle, keys reached through an
//! interface, and deep operations. Planning finds the way or says there is
//! none; it never gives up at a depth.

use router::config::RouterConfig;
use router::pipeline::limits::LimitsConfig;
use serde_json::json;

use crate::kit::{Fixture, Subgraph, Supergraph};

/// `plan` is in billing (key `email`); `email` is in billing itself and in
/// crm (key `sku`); `sku` is in directory (key `id`), which accounts has.
/// Going to billing for `email` would need `email` first: a circle.
async fn identities() -> Vec<Fixture> {
    let accounts = Subgraph::new(
        "accounts",
        r#"
        type User @key(fields: "id") { id: ID! name: String! }
        type Query { users: [User!]! }
        "#,
    )
    .root("users", json!([{ "id": "u1", "name": "Ada" }]))
    .entities("User", json!([{ "id": "u1", "name": "Ada" }]))
    .start()
    .await;
    let billing = Subgraph::new(
        "billing",
        r#"
        type User @key(fields: "email") { email: String! plan: String! }
        "#,
    )
    .entities("User", json!([{ "email": "ada@x", "plan": "pro" }]))
    .start()
    .await;
    let crm = Subgraph::new(
        "crm",
        r#"
        type User @key(fields: "sku") { sku: String! email: String! @shareable }
        "#,
    )
    .entities("User", json!([{ "sku": "s-1", "email": "ada@x" }]))
    .start()
    .await;
    let directory = Subgraph::new(
        "directory",
        r#"
        type User @key(fields: "id") { id: ID! sku: String! @shareable }
        "#,
    )
    .entities("User", json!([{ "id": "u1", "sku": "s-1" }]))
    .start()
    .await;
    vec![accounts, billing, crm, directory]
}

#[tokio::test]
async fn a_key_that_would_lead_round_in_a_circle_is_fetched_the_other_way() {
    let fixtures = identities().await;
    let refs: Vec<&Fixture> = fixtures.iter().collect();
    let supergraph = Supergraph::new(&refs).await;
    let outcome = supergraph.query("{ users { name plan } }").await;
    outcome.assert_data(json!({ "users": [{ "name": "Ada", "plan": "pro" }] }));
    assert_eq!(
        crate::kit::all_representations(&fixtures[1]),
        vec![json!({ "__typename": "User", "email": "ada@x" })]
    );
    insta::assert_snapshot!("key_chain_avoiding_a_circle", outcome.plan);
}

#[tokio::test]
async fn a_key_only_reachable_through_a_circle_is_a_clear_error() {
    let accounts = Subgraph::new(
        "accounts",
        r#"
        type User @key(fields: "id") { id: ID! name: String! }
        type Query { users: [User!]! }
        "#,
    )
    .root("users", json!([{ "id": "u1", "name": "Ada" }]))
    .start()
    .await;
    let billing = Subgraph::new(
        "billing",
        r#"
        type User @key(fields: "email") { email: String! plan: String! }
        "#,
    )
    .start()
    .await;
    // `email` and `plan` are only ever behind the key `email`: nothing
    // leads from accounts' `id` to them (Apollo's composition rejects this
    // supergraph as unsatisfiable; the router must still answer, not loop).
    let supergraph = Supergraph::from_apollo(
        &[&accounts, &billing],
        r#"
        type User @join__type(graph: ACCOUNTS, key: "id") @join__type(graph: BILLING, key: "email") {
          id: ID! @join__field(graph: ACCOUNTS)
          name: String! @join__field(graph: ACCOUNTS)
          email: String! @join__field(graph: BILLING)
          plan: String! @join__field(graph: BILLING)
        }
        type Query @join__type(graph: ACCOUNTS) @join__type(graph: BILLING) {
          users: [User!]! @join__field(graph: ACCOUNTS)
        }
        "#,
    ).await;
    let outcome = supergraph.query("{ users { name plan } }").await;
    assert!(!outcome.has_data_key(), "{:#}", outcome.value);
    let message = outcome.errors()[0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains("User.plan") && !message.contains("deep"),
        "{message}"
    );
    assert_eq!(billing.request_count(), 0);
}

#[tokio::test]
async fn a_key_reached_through_an_interface_object_and_the_real_interface() {
    let media = Subgraph::new(
        "media",
        r#"
        interface Media @key(fields: "id") { id: ID! title: String! }
        type Book implements Media @key(fields: "id") @key(fields: "isbn") { id: ID! isbn: String! title: String! }
        type Song implements Media @key(fields: "id") { id: ID! title: String! }
        "#,
    )
    .entities(
        "Book",
        json!([{ "id": "b1", "isbn": "978-0", "title": "Dune" }]),
    )
    .entities("Song", json!([{ "id": "s1", "title": "Blue" }]))
    .entities(
        "Media",
        json!([
            { "__typename": "Book", "id": "b1", "isbn": "978-0", "title": "Dune" },
            { "__typename": "Song", "id": "s1", "title": "Blue" }
        ]),
    )
    .start()
    .await;
    let stats = Subgraph::new(
        "stats",
        r#"
        type Media @key(fields: "id") @interfaceObject { id: ID! plays: Int! }
        type Query { trending: [Media!]! }
        "#,
    )
    .root(
        "trending",
        json!([{ "id": "s1", "plays": 99 }, { "id": "b1", "plays": 7 }]),
    )
    .start()
    .await;
    let shelves = Subgraph::new(
        "shelves",
        r#"
        type Book @key(fields: "isbn") { isbn: String! shelf: String! }
        "#,
    )
    .entities("Book", json!([{ "isbn": "978-0", "shelf": "B3" }]))
    .start()
    .await;
    let supergraph = Supergraph::new(&[&media, &stats, &shelves]).await;
    let outcome = supergraph
        .query("{ trending { plays ... on Book { shelf } } }")
        .await;
    outcome.assert_data(json!({ "trending": [{ "plays": 99 }, { "plays": 7, "shelf": "B3" }] }));
    assert_eq!(
        crate::kit::all_representations(&shelves),
        vec![json!({ "__typename": "Book", "isbn": "978-0" })]
    );
}

#[tokio::test]
async fn a_deep_operation_through_alternating_subgraphs_is_planned() {
    // `Person.friend` in people, `Person.manager` in orgs: a chain of 120
    // fields switches subgraph at every level.
    let people = Subgraph::new(
        "people",
        r#"
        type Person @key(fields: "id") { id: ID! friend: Person }
        type Query { me: Person }
        "#,
    )
    .root("me", json!({ "id": "p1", "friend": null }))
    .entities("Person", json!([{ "id": "p1", "friend": null }]))
    .start()
    .await;
    let orgs = Subgraph::new(
        "orgs",
        r#"
        type Person @key(fields: "id") { id: ID! manager: Person }
        "#,
    )
    .entities("Person", json!([{ "id": "p1", "manager": null }]))
    .start()
    .await;
    // Far deeper than the default `max_depth`: planning must cope with
    // it wherever the limits allow it.
    let config = RouterConfig {
        limits: LimitsConfig {
            max_depth: 0,
            ..LimitsConfig::default()
        },
        ..RouterConfig::default()
    };
    let supergraph = Supergraph::with_config(&[&people, &orgs], config).await;
    let depth = 120;
    let mut query = String::from("{ me ");
    for level in 0..depth {
        query.push_str(if level % 2 == 0 {
            "{ id friend "
        } else {
            "{ id manager "
        });
    }
    query.push_str("{ id }");
    for _ in 0..depth {
        query.push_str(" }");
    }
    query.push_str(" }");
    let plan = supergraph.explain(&query);
    assert!(plan.starts_with("QueryPlan"), "{plan}");
    // The first `friend` comes with `me`; every later field is a jump.
    assert_eq!(plan.matches("Fetch(").count(), depth, "{plan}");
    let outcome = supergraph.query(&query).await;
    outcome.assert_data(json!({ "me": { "id": "p1", "friend": null } }));
}

#[tokio::test]
async fn many_keys_that_lead_to_one_another_are_planned_at_once() {
    // Five subgraphs know `User` by any of six keys `k0`…`k5` (each
    // resolving all of them); only `directory` maps accounts' `id` to `k0`.
    // A search that tried every order of keys would not finish.
    let keys = 6;
    let accounts = Subgraph::new(
        "accounts",
        r#"
        type User @key(fields: "id") { id: ID! name: String! }
        type Query { users: [User!]! }
        "#,
    )
    .root("users", json!([{ "id": "u1", "name": "Ada" }]))
    .start()
    .await;
    let directory = Subgraph::new(
        "directory",
        r#"type User @key(fields: "id") { id: ID! k0: ID! @shareable }"#,
    )
    .entities("User", json!([{ "id": "u1", "k0": "x" }]))
    .start()
    .await;
    let mut shards = Vec::new();
    for s in 1..=5 {
        let key_directives: String = (0..keys)
            .map(|k| format!(r#" @key(fields: "k{k}")"#))
            .collect();
        let key_fields: String = (0..keys).map(|k| format!(" k{k}: ID!")).collect();
        let row: serde_json::Map<String, serde_json::Value> = (0..keys)
            .map(|k| {
                (
                    format!("k{k}"),
                    json!(if k == 0 {
                        "x".to_owned()
                    } else {
                        format!("x{k}")
                    }),
                )
            })
            .chain([(format!("f{s}"), json!(s))])
            .collect();
        shards.push(
            Subgraph::new(
                &format!("shard{s}"),
                &format!("type User{key_directives} {{{key_fields} f{s}: Int! }}"),
            )
            .entities("User", json!([row]))
            .start()
            .await,
        );
    }
    let mut refs: Vec<&Fixture> = vec![&accounts, &directory];
    refs.extend(shards.iter());
    let supergraph = Supergraph::new(&refs).await;
    let outcome = supergraph.query("{ users { name f1 f3 f5 } }").await;
    outcome.assert_data(json!({ "users": [{ "name": "Ada", "f1": 1, "f3": 3, "f5": 5 }] }));
    assert_eq!(
        crate::kit::all_representations(&directory),
        vec![json!({ "__typename": "User", "id": "u1" })]
    );
}
