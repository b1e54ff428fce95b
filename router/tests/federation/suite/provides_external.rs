//! `@provides` and `@external`.

use serde_json::json;

use crate::kit::{Subgraph, Supergraph};

async fn accounts() -> crate::kit::Fixture {
    Subgraph::new(
        "accounts",
        r#"
        type User @key(fields: "id") { id: ID! username: String! @shareable email: String! }
        "#,
    )
    .entities(
        "User",
        json!([
            { "id": "u1", "username": "ada", "email": "ada@example.com" },
            { "id": "u2", "username": "bob", "email": "bob@example.com" }
        ]),
    )
    .start()
    .await
}

async fn reviews() -> crate::kit::Fixture {
    Subgraph::new(
        "reviews",
        r#"
        type User @key(fields: "id") { id: ID! username: String! @external }
        type Review { body: String! author: User! @provides(fields: "username") }
        type Query { reviews: [Review!]! topReviewer: User }
        "#,
    )
    .root(
        "reviews",
        json!([
            { "body": "great", "author": { "id": "u1", "username": "ada" } },
            { "body": "meh", "author": { "id": "u2", "username": "bob" } }
        ]),
    )
    // Not provided: the router must ask accounts, never trust this value.
    .root("topReviewer", json!({ "id": "u2", "username": "STALE" }))
    .start()
    .await
}

#[tokio::test]
async fn provides_saves_the_entity_fetch() {
    let accounts = accounts().await;
    let reviews = reviews().await;
    let supergraph = Supergraph::new(&[&accounts, &reviews]).await;
    let outcome = supergraph
        .query("{ reviews { body author { username } } }")
        .await;
    outcome.assert_data(json!({ "reviews": [
        { "body": "great", "author": { "username": "ada" } },
        { "body": "meh", "author": { "username": "bob" } }
    ] }));
    assert_eq!(reviews.request_count(), 1);
    assert_eq!(
        accounts.request_count(),
        0,
        "username was provided by reviews"
    );
}

#[tokio::test]
async fn fields_beyond_the_provided_ones_are_still_fetched() {
    let accounts = accounts().await;
    let reviews = reviews().await;
    let supergraph = Supergraph::new(&[&accounts, &reviews]).await;
    let outcome = supergraph
        .query("{ reviews { author { username email } } }")
        .await;
    outcome.assert_data(json!({ "reviews": [
        { "author": { "username": "ada", "email": "ada@example.com" } },
        { "author": { "username": "bob", "email": "bob@example.com" } }
    ] }));
    assert_eq!(reviews.request_count(), 1);
    assert_eq!(accounts.entity_requests().len(), 1);
}

#[tokio::test]
async fn external_field_is_resolved_by_its_owner_outside_provides() {
    let accounts = accounts().await;
    let reviews = reviews().await;
    let supergraph = Supergraph::new(&[&accounts, &reviews]).await;
    let outcome = supergraph.query("{ topReviewer { username } }").await;
    outcome.assert_data(json!({ "topReviewer": { "username": "bob" } }));
    assert_eq!(accounts.entity_requests().len(), 1);
    for request in reviews.requests() {
        assert!(
            !request.query.contains("username"),
            "asked reviews for an external field: {}",
            request.query
        );
    }
}
