//! Interfaces and unions whose members live in different subgraphs; types
//! that exist only in some subgraphs.

use serde_json::json;

use crate::kit::{Subgraph, Supergraph};

#[tokio::test]
async fn union_members_are_completed_from_their_own_subgraphs() {
    let search = Subgraph::new(
        "search",
        r#"
        type Artist @key(fields: "id") { id: ID! }
        type Album @key(fields: "id") { id: ID! }
        union SearchResult = Artist | Album
        type Query { search(term: String!): [SearchResult!]! }
        "#,
    )
    .root(
        "search",
        json!([
            { "__typename": "Album", "id": "al1" },
            { "__typename": "Artist", "id": "ar1" },
            { "__typename": "Album", "id": "al2" }
        ]),
    )
    .start()
    .await;
    let artists = Subgraph::new(
        "artists",
        r#"type Artist @key(fields: "id") { id: ID! name: String! }"#,
    )
    .entities("Artist", json!([{ "id": "ar1", "name": "Nina" }]))
    .start()
    .await;
    let albums = Subgraph::new(
        "albums",
        r#"type Album @key(fields: "id") { id: ID! title: String! year: Int! }"#,
    )
    .entities("Album", json!([{ "id": "al1", "title": "Pastel", "year": 1965 }, { "id": "al2", "title": "Baltimore", "year": 1978 }]))
    .start()
    .await;
    let supergraph = Supergraph::new(&[&search, &artists, &albums]).await;
    let outcome = supergraph
        .query(r#"{ search(term: "n") { __typename ... on Artist { name } ... on Album { title year } } }"#)
        .await;
    outcome.assert_data(json!({ "search": [
        { "__typename": "Album", "title": "Pastel", "year": 1965 },
        { "__typename": "Artist", "name": "Nina" },
        { "__typename": "Album", "title": "Baltimore", "year": 1978 }
    ] }));
    assert_eq!(artists.entity_requests().len(), 1);
    assert_eq!(albums.entity_requests().len(), 1);
    assert_eq!(
        crate::kit::all_representations(&artists),
        vec![json!({ "__typename": "Artist", "id": "ar1" })]
    );
}

#[tokio::test]
async fn interface_implementations_are_completed_from_their_own_subgraphs() {
    let feed = Subgraph::new(
        "feed",
        r#"
        interface Node { id: ID! }
        type Post implements Node @key(fields: "id") { id: ID! }
        type Photo implements Node @key(fields: "id") { id: ID! }
        type Query { feed: [Node!]! }
        "#,
    )
    .root(
        "feed",
        json!([{ "__typename": "Photo", "id": "ph1" }, { "__typename": "Post", "id": "po1" }]),
    )
    .start()
    .await;
    let posts = Subgraph::new(
        "posts",
        r#"type Post @key(fields: "id") { id: ID! text: String! }"#,
    )
    .entities("Post", json!([{ "id": "po1", "text": "hello" }]))
    .start()
    .await;
    let photos = Subgraph::new(
        "photos",
        r#"type Photo @key(fields: "id") { id: ID! url: String! }"#,
    )
    .entities("Photo", json!([{ "id": "ph1", "url": "https://img/1" }]))
    .start()
    .await;
    let supergraph = Supergraph::new(&[&feed, &posts, &photos]).await;
    let outcome = supergraph
        .query("{ feed { id __typename ... on Post { text } ... on Photo { url } } }")
        .await;
    outcome.assert_data(json!({ "feed": [
        { "id": "ph1", "__typename": "Photo", "url": "https://img/1" },
        { "id": "po1", "__typename": "Post", "text": "hello" }
    ] }));
    // Only the field of the interface itself: no entity fetch at all.
    let outcome = supergraph.query("{ feed { id } }").await;
    outcome.assert_data(json!({ "feed": [{ "id": "ph1" }, { "id": "po1" }] }));
    assert_eq!(posts.request_count(), 1);
    assert_eq!(photos.request_count(), 1);
}

#[tokio::test]
async fn type_that_exists_only_in_one_subgraph_is_reached_through_an_entity() {
    let accounts = Subgraph::new(
        "accounts",
        r#"
        type User @key(fields: "id") { id: ID! name: String! }
        type Query { users: [User!]! }
        "#,
    )
    .root(
        "users",
        json!([{ "id": "u1", "name": "Ada" }, { "id": "u2", "name": "Bob" }]),
    )
    .start()
    .await;
    let images = Subgraph::new(
        "images",
        r#"
        type Image { url: String! width: Int! }
        type User @key(fields: "id") { id: ID! avatar: Image }
        "#,
    )
    .entities("User", json!([{ "id": "u1", "avatar": { "url": "https://a/1", "width": 64 } }, { "id": "u2", "avatar": null }]))
    .start()
    .await;
    let supergraph = Supergraph::new(&[&accounts, &images]).await;
    let outcome = supergraph
        .query("{ users { name avatar { url width } } }")
        .await;
    outcome.assert_data(json!({ "users": [
        { "name": "Ada", "avatar": { "url": "https://a/1", "width": 64 } },
        { "name": "Bob", "avatar": null }
    ] }));
}
