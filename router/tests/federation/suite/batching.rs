//! One `_entities` request per subgraph per plan step, duplicates sent once.

use serde_json::json;

use crate::kit::{Subgraph, Supergraph, all_representations};

#[tokio::test]
async fn one_entities_request_per_step_with_duplicate_representations_sent_once() {
    let reviews = Subgraph::new(
        "reviews",
        r#"
        type User @key(fields: "id") { id: ID! }
        type Review { body: String! author: User! }
        type Query { latestReviews: [Review!]! }
        "#,
    )
    .root(
        "latestReviews",
        json!([
            { "body": "a", "author": { "id": "u1" } },
            { "body": "b", "author": { "id": "u2" } },
            { "body": "c", "author": { "id": "u1" } },
            { "body": "d", "author": { "id": "u1" } }
        ]),
    )
    .start()
    .await;
    let accounts = Subgraph::new(
        "accounts",
        r#"type User @key(fields: "id") { id: ID! name: String! }"#,
    )
    .entities(
        "User",
        json!([{ "id": "u1", "name": "Ada" }, { "id": "u2", "name": "Bob" }]),
    )
    .start()
    .await;
    let supergraph = Supergraph::new(&[&reviews, &accounts]).await;
    let outcome = supergraph
        .query("{ latestReviews { body author { name } } }")
        .await;
    outcome.assert_data(json!({ "latestReviews": [
        { "body": "a", "author": { "name": "Ada" } },
        { "body": "b", "author": { "name": "Bob" } },
        { "body": "c", "author": { "name": "Ada" } },
        { "body": "d", "author": { "name": "Ada" } }
    ] }));
    assert_eq!(accounts.request_count(), 1);
    assert_eq!(
        all_representations(&accounts),
        vec![
            json!({ "__typename": "User", "id": "u1" }),
            json!({ "__typename": "User", "id": "u2" })
        ]
    );
}

#[tokio::test]
async fn entities_nested_in_lists_of_lists_are_batched_into_one_request() {
    let social = Subgraph::new(
        "social",
        r#"
        type User @key(fields: "id") { id: ID! friends: [User!]! }
        type Query { users: [User!]! }
        "#,
    )
    .root(
        "users",
        json!([
            { "id": "u1", "friends": [{ "id": "u2" }, { "id": "u3" }] },
            { "id": "u2", "friends": [{ "id": "u1" }, { "id": "u3" }] }
        ]),
    )
    .start()
    .await;
    let accounts = Subgraph::new(
        "accounts",
        r#"type User @key(fields: "id") { id: ID! name: String! }"#,
    )
    .entities("User", json!([{ "id": "u1", "name": "Ada" }, { "id": "u2", "name": "Bob" }, { "id": "u3", "name": "Cy" }]))
    .start()
    .await;
    let supergraph = Supergraph::new(&[&social, &accounts]).await;
    let outcome = supergraph.query("{ users { friends { name } } }").await;
    outcome.assert_data(json!({ "users": [
        { "friends": [{ "name": "Bob" }, { "name": "Cy" }] },
        { "friends": [{ "name": "Ada" }, { "name": "Cy" }] }
    ] }));
    assert_eq!(accounts.request_count(), 1);
    assert_eq!(
        all_representations(&accounts),
        vec![
            json!({ "__typename": "User", "id": "u2" }),
            json!({ "__typename": "User", "id": "u3" }),
            json!({ "__typename": "User", "id": "u1" })
        ]
    );
}

#[tokio::test]
async fn independent_entity_fetches_of_one_step_run_in_parallel_once_each() {
    let reviews = Subgraph::new(
        "reviews",
        r#"
        type User @key(fields: "id") { id: ID! }
        type Product @key(fields: "upc") { upc: String! }
        type Review { author: User! product: Product! }
        type Query { reviews: [Review!]! }
        "#,
    )
    .root(
        "reviews",
        json!([
            { "author": { "id": "u1" }, "product": { "upc": "p1" } },
            { "author": { "id": "u1" }, "product": { "upc": "p2" } }
        ]),
    )
    .start()
    .await;
    let accounts = Subgraph::new(
        "accounts",
        r#"type User @key(fields: "id") { id: ID! name: String! }"#,
    )
    .entities("User", json!([{ "id": "u1", "name": "Ada" }]))
    .latency(std::time::Duration::from_millis(400))
    .start()
    .await;
    let catalog = Subgraph::new(
        "catalog",
        r#"type Product @key(fields: "upc") { upc: String! title: String! }"#,
    )
    .entities(
        "Product",
        json!([{ "upc": "p1", "title": "Lamp" }, { "upc": "p2", "title": "Desk" }]),
    )
    .latency(std::time::Duration::from_millis(400))
    .start()
    .await;
    let supergraph = Supergraph::new(&[&reviews, &accounts, &catalog]).await;
    let started = std::time::Instant::now();
    let outcome = supergraph
        .query("{ reviews { author { name } product { title } } }")
        .await;
    let elapsed = started.elapsed();
    outcome.assert_data(json!({ "reviews": [
        { "author": { "name": "Ada" }, "product": { "title": "Lamp" } },
        { "author": { "name": "Ada" }, "product": { "title": "Desk" } }
    ] }));
    assert_eq!(accounts.request_count(), 1);
    assert_eq!(catalog.request_count(), 1);
    assert_eq!(
        all_representations(&accounts),
        vec![json!({ "__typename": "User", "id": "u1" })]
    );
    assert!(
        elapsed < std::time::Duration::from_millis(780),
        "the two fetches ran in sequence: {elapsed:?}"
    );
}

#[tokio::test]
async fn entity_fetches_for_one_subgraph_at_one_step_share_a_request() {
    let reviews = Subgraph::new(
        "reviews",
        r#"
        type User @key(fields: "id") { id: ID! }
        type Review { body: String! author: User! editor: User }
        type Query { latestReviews: [Review!]! featured: Review }
        "#,
    )
    .root(
        "latestReviews",
        json!([{ "body": "a", "author": { "id": "u1" }, "editor": { "id": "u2" } }]),
    )
    .root(
        "featured",
        json!({ "body": "f", "author": { "id": "u2" }, "editor": null }),
    )
    .start()
    .await;
    let accounts = Subgraph::new(
        "accounts",
        r#"type User @key(fields: "id") { id: ID! name: String! }"#,
    )
    .entities(
        "User",
        json!([{ "id": "u1", "name": "Ada" }, { "id": "u2", "name": "Bob" }]),
    )
    .start()
    .await;
    let supergraph = Supergraph::new(&[&reviews, &accounts]).await;
    let outcome = supergraph
        .query("{ latestReviews { author { name } editor { name } } featured { author { name } editor { name } } }")
        .await;
    outcome.assert_data(json!({
        "latestReviews": [{ "author": { "name": "Ada" }, "editor": { "name": "Bob" } }],
        "featured": { "author": { "name": "Bob" }, "editor": null }
    }));
    // Four paths need the same fields of User from accounts at the same
    // step: one request, one `_entities` field, each user sent once.
    let requests = accounts.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_eq!(
        requests[0].query.matches("_entities").count(),
        1,
        "{}",
        requests[0].query
    );
    assert_eq!(
        requests[0].representations(),
        vec![
            json!({ "__typename": "User", "id": "u1" }),
            json!({ "__typename": "User", "id": "u2" })
        ]
    );
}

#[tokio::test]
async fn entity_fetches_selecting_different_fields_share_a_request_as_aliased_fields() {
    let reviews = Subgraph::new(
        "reviews",
        r#"
        type User @key(fields: "id") { id: ID! }
        type Review { body: String! author: User! editor: User }
        type Query { latestReviews: [Review!]! }
        "#,
    )
    .root(
        "latestReviews",
        json!([{ "body": "a", "author": { "id": "u1" }, "editor": { "id": "u2" } }]),
    )
    .start()
    .await;
    let accounts = Subgraph::new(
        "accounts",
        r#"type User @key(fields: "id") { id: ID! name: String! email: String! }"#,
    )
    .entities(
        "User",
        json!([
            { "id": "u1", "name": "Ada", "email": "ada@x" },
            { "id": "u2", "name": "Bob", "email": "bob@x" }
        ]),
    )
    .start()
    .await;
    let supergraph = Supergraph::new(&[&reviews, &accounts]).await;
    let outcome = supergraph
        .query("{ latestReviews { author { name } editor { email } } }")
        .await;
    outcome.assert_data(json!({
        "latestReviews": [{ "author": { "name": "Ada" }, "editor": { "email": "bob@x" } }]
    }));
    let requests = accounts.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert!(
        requests[0].query.contains("_1: _entities"),
        "{}",
        requests[0].query
    );
}

#[tokio::test]
async fn a_chain_of_fetches_does_not_wait_for_an_unrelated_slow_fetch() {
    let reviews = Subgraph::new(
        "reviews",
        r#"
        type User @key(fields: "id") { id: ID! }
        type Product @key(fields: "upc") { upc: String! }
        type Review { author: User! product: Product! }
        type Query { reviews: [Review!]! }
        "#,
    )
    .root(
        "reviews",
        json!([{ "author": { "id": "u1" }, "product": { "upc": "p1" } }]),
    )
    .start()
    .await;
    let accounts = Subgraph::new(
        "accounts",
        r#"
        type User @key(fields: "id") { id: ID! team: Team! }
        type Team @key(fields: "id") { id: ID! }
        "#,
    )
    .entities("User", json!([{ "id": "u1", "team": { "id": "t1" } }]))
    .start()
    .await;
    let teams = Subgraph::new(
        "teams",
        r#"type Team @key(fields: "id") { id: ID! title: String! }"#,
    )
    .entities("Team", json!([{ "id": "t1", "title": "Core" }]))
    .latency(std::time::Duration::from_millis(500))
    .start()
    .await;
    let catalog = Subgraph::new(
        "catalog",
        r#"type Product @key(fields: "upc") { upc: String! title: String! }"#,
    )
    .entities("Product", json!([{ "upc": "p1", "title": "Lamp" }]))
    .latency(std::time::Duration::from_millis(500))
    .start()
    .await;
    let supergraph = Supergraph::new(&[&reviews, &accounts, &teams, &catalog]).await;
    let started = std::time::Instant::now();
    let outcome = supergraph
        .query("{ reviews { author { team { title } } product { title } } }")
        .await;
    let elapsed = started.elapsed();
    outcome.assert_data(json!({ "reviews": [
        { "author": { "team": { "title": "Core" } }, "product": { "title": "Lamp" } }
    ] }));
    // accounts answers at once, so teams starts while catalog is still busy:
    // about 500 ms in all, where steps in lockstep would take 1000.
    assert!(
        elapsed < std::time::Duration::from_millis(850),
        "teams waited for catalog: {elapsed:?}\n{}",
        outcome.plan
    );
    insta::assert_snapshot!("chain_beside_a_slow_fetch", outcome.plan);
}
