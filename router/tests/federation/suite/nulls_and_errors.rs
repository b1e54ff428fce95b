//! Null keys and entities, failing subgraphs, subgraph errors and null propagation.

use serde_json::json;

use crate::kit::{Behaviour, Fixture, Subgraph, Supergraph, all_representations};

async fn accounts() -> Fixture {
    Subgraph::new(
        "accounts",
        r#"
        type User @key(fields: "id") { id: ID! name: String! nickname: String }
        type Query { me: User users: [User!]! latest: [User] }
        "#,
    )
    .root("me", json!({ "id": "u1", "name": "Ada" }))
    .root(
        "users",
        json!([
            { "id": "u1", "name": "Ada", "nickname": "a" },
            { "id": "u2", "name": "Bob", "nickname": { "__error": "nickname hidden" } }
        ]),
    )
    .root("latest", json!([{ "id": "u1", "name": "Ada" }, null]))
    .entities(
        "User",
        json!([{ "id": "u1", "name": "Ada" }, { "id": "u2", "name": "Bob" }]),
    )
    .start()
    .await
}

async fn reviews() -> Fixture {
    Subgraph::new(
        "reviews",
        r#"
        type User @key(fields: "id") { id: ID! reviews: [Review!] }
        type Review @key(fields: "id") { id: ID! body: String author: User }
        type Query { reviews: [Review!]! }
        "#,
    )
    .root("reviews", json!([
        { "id": "r1", "body": "great", "author": { "id": "u1" } },
        { "id": "r2", "body": "anonymous", "author": null },
        { "id": "r3", "body": "ghost", "author": { "id": "u404" } }
    ]))
    .entities("User", json!([
        { "id": "u1", "reviews": [{ "id": "r1", "body": "great" }, { "id": "r4", "body": { "__error": "body redacted" } }] },
        { "id": "u2", "reviews": [] }
    ]))
    .entities("Review", json!([
        { "id": "r1", "body": "great" }, { "id": "r4", "body": { "__error": "body redacted" } }
    ]))
    .start()
    .await
}

async fn ratings() -> Fixture {
    Subgraph::new(
        "ratings",
        r#"
        type Review @key(fields: "id") { id: ID! stars: Int! }
        "#,
    )
    .entities("Review", json!([{ "id": "r1", "stars": 5 }, { "id": "r4", "stars": { "__error": "stars unavailable" } }]))
    .start()
    .await
}

#[tokio::test]
async fn null_keys_are_not_sent_and_stay_null() {
    let accounts = accounts().await;
    let reviews = reviews().await;
    let supergraph = Supergraph::new(&[&accounts, &reviews]).await;
    let outcome = supergraph
        .query("{ reviews { body author { name } } }")
        .await;
    // u404 is unknown to accounts: its entity is null, so the non-null name nulls the author.
    outcome.assert_data_or_errors_at(
        json!({ "reviews": [
            { "body": "great", "author": { "name": "Ada" } },
            { "body": "anonymous", "author": null },
            { "body": "ghost", "author": null }
        ] }),
        &[
            json!(["reviews", 2, "author", "name"]),
            json!(["reviews", 2, "author"]),
        ],
    );
    assert_eq!(
        all_representations(&accounts),
        vec![
            json!({ "__typename": "User", "id": "u1" }),
            json!({ "__typename": "User", "id": "u404" })
        ]
    );
}

#[tokio::test]
async fn null_entity_leaves_nullable_fields_null() {
    let accounts = accounts().await;
    let reviews = reviews().await;
    let supergraph = Supergraph::new(&[&accounts, &reviews]).await;
    let outcome = supergraph
        .query("{ reviews { author { id nickname } } }")
        .await;
    outcome.assert_data(json!({ "reviews": [
        { "author": { "id": "u1", "nickname": null } },
        { "author": null },
        { "author": { "id": "u404", "nickname": null } }
    ] }));
}

#[tokio::test]
async fn null_items_in_lists_of_entities_are_kept() {
    let accounts = accounts().await;
    let reviews = reviews().await;
    let supergraph = Supergraph::new(&[&accounts, &reviews]).await;
    let outcome = supergraph
        .query("{ latest { name reviews { body } } }")
        .await;
    outcome.assert_data_with_errors(json!({ "latest": [
        { "name": "Ada", "reviews": [{ "body": "great" }, { "body": null }] },
        null
    ] }));
    assert_eq!(
        outcome.errors_brief(),
        vec![json!({ "message": "body redacted", "path": ["latest", 0, "reviews", 1, "body"] })]
    );
    assert_eq!(
        all_representations(&reviews),
        vec![json!({ "__typename": "User", "id": "u1" })]
    );
}

#[tokio::test]
async fn root_subgraph_errors_keep_their_paths_through_aliases() {
    let accounts = accounts().await;
    let reviews = reviews().await;
    let supergraph = Supergraph::new(&[&accounts, &reviews]).await;
    let outcome = supergraph
        .query("{ people: users { n: name nick: nickname } }")
        .await;
    outcome.assert_data_with_errors(
        json!({ "people": [{ "n": "Ada", "nick": "a" }, { "n": "Bob", "nick": null }] }),
    );
    assert_eq!(
        outcome.errors_brief(),
        vec![json!({ "message": "nickname hidden", "path": ["people", 1, "nick"] })]
    );
}

#[tokio::test]
async fn entity_subgraph_errors_are_rewritten_to_client_paths() {
    let accounts = accounts().await;
    let reviews = reviews().await;
    let supergraph = Supergraph::new(&[&accounts, &reviews]).await;
    let outcome = supergraph
        .query("{ me { name reviews { id text: body } } }")
        .await;
    outcome.assert_data_with_errors(json!({ "me": { "name": "Ada", "reviews": [
        { "id": "r1", "text": "great" },
        { "id": "r4", "text": null }
    ] } }));
    assert_eq!(
        outcome.errors_brief(),
        vec![json!({ "message": "body redacted", "path": ["me", "reviews", 1, "text"] })]
    );
}

#[tokio::test]
async fn error_in_a_non_null_field_nulls_the_nearest_nullable_parent() {
    let accounts = accounts().await;
    let reviews = reviews().await;
    let ratings = ratings().await;
    let supergraph = Supergraph::new(&[&accounts, &reviews, &ratings]).await;
    // stars of r4 fails; Review is non-null in [Review!], so the whole list
    // (nullable) becomes null.
    let outcome = supergraph
        .query("{ me { name reviews { id stars } } }")
        .await;
    outcome.assert_data_with_errors(json!({ "me": { "name": "Ada", "reviews": null } }));
    let paths = outcome.error_paths();
    assert!(
        paths.contains(&json!(["me", "reviews", 1, "stars"])),
        "the error points at the failing field: {:#}",
        outcome.value
    );
}

#[tokio::test]
async fn null_propagation_reaches_data_when_every_parent_is_non_null() {
    let accounts = accounts().await;
    let reviews = reviews().await;
    let ratings = ratings().await;
    let supergraph = Supergraph::new(&[&accounts, &reviews, &ratings]).await;
    // reviews: [Review!]! at the root and r2, r3 are unknown to ratings (null
    // entities, so the non-null stars is missing): the failure nulls all of data.
    let outcome = supergraph.query("{ reviews { id stars } }").await;
    assert_eq!(outcome.data(), &json!(null), "{:#}", outcome.value);
    assert!(
        outcome.has_data_key(),
        "execution errors keep the data key: {:#}",
        outcome.value
    );
    assert!(!outcome.errors().is_empty());
}

#[tokio::test]
async fn failing_entity_subgraph_gives_partial_data_with_errors() {
    let accounts = accounts().await;
    let reviews = reviews().await;
    reviews.set_behaviour(Behaviour::HttpStatus(500));
    let supergraph = Supergraph::new(&[&accounts, &reviews]).await;
    let outcome = supergraph.query("{ me { name reviews { body } } }").await;
    outcome.assert_data_with_errors(json!({ "me": { "name": "Ada", "reviews": null } }));
    outcome.assert_error_paths_start_with(&json!(["me"]));
}

#[tokio::test]
async fn unreachable_subgraph_gives_partial_data_with_errors() {
    let accounts = accounts().await;
    let reviews = Subgraph::new(
        "reviews",
        r#"
        type User @key(fields: "id") { id: ID! reviews: [Review!] }
        type Review { body: String }
        type Query { reviews: [Review!] }
        "#,
    )
    .start_unreachable()
    .await;
    let supergraph = Supergraph::new(&[&accounts, &reviews]).await;
    let outcome = supergraph
        .query("{ me { name reviews { body } } reviews { body } }")
        .await;
    outcome.assert_data_with_errors(
        json!({ "me": { "name": "Ada", "reviews": null }, "reviews": null }),
    );
    outcome.assert_error_paths_start_with(&json!([]));
    let paths = outcome.error_paths();
    assert!(
        paths.contains(&json!(["reviews"])),
        "root fetch error at its field: {:#}",
        outcome.value
    );
}

#[tokio::test]
async fn subgraph_request_error_nulls_its_root_fields_only() {
    let accounts = accounts().await;
    let reviews = reviews().await;
    accounts.set_behaviour(Behaviour::RequestError("accounts is down".into()));
    let supergraph = Supergraph::new(&[&accounts, &reviews]).await;
    let outcome = supergraph.query("{ me { id } reviews { body } }").await;
    outcome.assert_data_with_errors(json!({ "me": null, "reviews": [{ "body": "great" }, { "body": "anonymous" }, { "body": "ghost" }] }));
    assert!(
        outcome.errors().iter().any(|e| e["message"]
            .as_str()
            .is_some_and(|m| m.contains("accounts is down"))),
        "the subgraph's message reaches the client: {:#}",
        outcome.value
    );
}
