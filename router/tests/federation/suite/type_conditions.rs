//! Type conditions adapted to each subgraph: a fragment a subgraph cannot
//! match is left out of its operation, and an interface condition on types
//! that do not implement the interface in that subgraph is expanded into
//! the concrete types. Every operation sent must be valid there (the kit
//! fails a test on any the subgraph rejects).

use serde_json::json;

use crate::kit::{Fixture, Subgraph, Supergraph};

/// `media` knows `Song` as an entity but not as a member of its `Media`.
async fn media() -> Fixture {
    Subgraph::new(
        "media",
        r#"
        type Book @key(fields: "id") { id: ID! title: String! }
        type Movie @key(fields: "id") { id: ID! title: String! }
        type Song @key(fields: "id") { id: ID! title: String! }
        union Media = Book | Movie
        type Query { media: [Media!]! song: Song }
        "#,
    )
    .root(
        "media",
        json!([{ "__typename": "Book", "id": "b1", "title": "Dune" }, { "__typename": "Movie", "id": "m1", "title": "Alien" }]),
    )
    .root("song", json!({ "id": "s1", "title": "Blue" }))
    .entities("Book", json!([{ "id": "b1", "title": "Dune" }]))
    .entities("Song", json!([{ "id": "s1", "title": "Blue" }]))
    .start()
    .await
}

/// `music`'s `Media` holds `Book` and `Song`; it has never heard of `Movie`.
async fn music() -> Fixture {
    Subgraph::new(
        "music",
        r#"
        type Book @key(fields: "id") { id: ID! pages: Int! }
        type Song @key(fields: "id") { id: ID! length: Int! }
        union Media = Book | Song
        type Query { playlist: [Media!]! }
        "#,
    )
    .root(
        "playlist",
        json!([{ "__typename": "Song", "id": "s1", "length": 180 }, { "__typename": "Book", "id": "b1", "pages": 412 }]),
    )
    .entities("Book", json!([{ "id": "b1", "pages": 412 }]))
    .entities("Song", json!([{ "id": "s1", "length": 180 }]))
    .start()
    .await
}

#[tokio::test]
async fn union_members_a_subgraph_does_not_have_there_are_left_out() {
    let media = media().await;
    let music = music().await;
    let supergraph = Supergraph::new(&[&media, &music]).await;
    let outcome = supergraph
        .query("{ media { __typename ... on Song { id length } ... on Book { title } ... on Movie { title } } }")
        .await;
    outcome.assert_data(json!({ "media": [
        { "__typename": "Book", "title": "Dune" },
        { "__typename": "Movie", "title": "Alien" }
    ] }));
    let outcome = supergraph
        .query("{ playlist { ... on Movie { title } ... on Song { title length } ... on Book { pages title } } }")
        .await;
    outcome.assert_data(json!({ "playlist": [
        { "title": "Blue", "length": 180 },
        { "pages": 412, "title": "Dune" }
    ] }));
    insta::assert_snapshot!("union_members_differ", outcome.plan);
}

/// `people` implements `Node` on `User`; `directory` has `Node` but its
/// `User` does not implement it, and `legacy` has no `Node` at all.
async fn people() -> Fixture {
    Subgraph::new(
        "people",
        r#"
        interface Node { id: ID! }
        type User implements Node @key(fields: "id") { id: ID! name: String! }
        type Query { node(id: ID!): Node }
        "#,
    )
    .root_with_args(
        "node",
        json!({ "id": "u1" }),
        json!({ "__typename": "User", "id": "u1", "name": "Ada" }),
    )
    .entities(
        "User",
        json!([{ "id": "u1", "name": "Ada" }, { "id": "u2", "name": "Bob" }]),
    )
    .start()
    .await
}

async fn directory() -> Fixture {
    Subgraph::new(
        "directory",
        r#"
        interface Node { id: ID! }
        type Team implements Node { id: ID! }
        type User @key(fields: "id") { id: ID! email: String! }
        type Query { staff: [User!]! team: Team }
        "#,
    )
    .root(
        "staff",
        json!([{ "id": "u1", "email": "ada@x" }, { "id": "u2", "email": "bob@x" }]),
    )
    .root("team", json!({ "id": "t1" }))
    .entities(
        "User",
        json!([{ "id": "u1", "email": "ada@x" }, { "id": "u2", "email": "bob@x" }]),
    )
    .start()
    .await
}

async fn legacy() -> Fixture {
    Subgraph::new(
        "legacy",
        r#"
        type User @key(fields: "id") { id: ID! login: String! }
        type Query { oldest: User }
        "#,
    )
    .root("oldest", json!({ "id": "u2", "login": "bob" }))
    .entities("User", json!([{ "id": "u2", "login": "bob" }]))
    .start()
    .await
}

#[tokio::test]
async fn an_interface_condition_is_expanded_where_the_type_does_not_implement_it() {
    let people = people().await;
    let directory = directory().await;
    let legacy = legacy().await;
    let supergraph = Supergraph::new(&[&people, &directory, &legacy]).await;
    let outcome = supergraph
        .query("{ staff { email ... on Node { id } ... on User { name } } }")
        .await;
    outcome.assert_data(json!({ "staff": [
        { "email": "ada@x", "id": "u1", "name": "Ada" },
        { "email": "bob@x", "id": "u2", "name": "Bob" }
    ] }));
    let outcome = supergraph
        .query("{ oldest { login ... on Node { id ... on User { email } } } }")
        .await;
    outcome.assert_data(json!({ "oldest": { "login": "bob", "id": "u2", "email": "bob@x" } }));
    insta::assert_snapshot!("interface_condition_expanded", outcome.plan);
    let outcome = supergraph
        .query(r#"{ node(id: "u1") { id ... on User { email login: name } } }"#)
        .await;
    outcome.assert_data(json!({ "node": { "id": "u1", "email": "ada@x", "login": "Ada" } }));
}

#[tokio::test]
async fn a_fragment_on_a_type_that_cannot_occur_in_that_subgraph_is_left_out() {
    let media = media().await;
    let music = music().await;
    let supergraph = Supergraph::new(&[&media, &music]).await;
    // `media` knows `Song`, but never as a `Media`.
    let outcome = supergraph
        .query("{ media { ... on Song { title } ... on Movie { id } } song { ... on Song { length } } }")
        .await;
    outcome.assert_data(json!({
        "media": [{}, { "id": "m1" }],
        "song": { "length": 180 }
    }));
}

/// `garage` says a car's `id` is never null and a boat's may be; `registry`
/// allows a null car id, so the supergraph's `Car.id` is `ID`, the same as
/// `Boat.id`: one client selection, two types in `garage`.
async fn garage() -> Fixture {
    Subgraph::new(
        "garage",
        r#"
        type Car @shareable { id: ID! wheels: Int! owner: Owner }
        type Boat { id: ID length: Int! owner: Owner }
        type Owner @shareable { name: String! }
        union Vehicle = Car | Boat
        type Query { vehicles: [Vehicle!]! }
        "#,
    )
    .root(
        "vehicles",
        json!([
            { "__typename": "Car", "id": "c1", "wheels": 4, "owner": { "name": "Ada" } },
            { "__typename": "Boat", "id": null, "length": 9, "owner": { "name": "Bob" } }
        ]),
    )
    .start()
    .await
}

async fn registry() -> Fixture {
    Subgraph::new(
        "registry",
        r#"
        type Car @shareable { id: ID wheels: Int! owner: Owner }
        type Owner @shareable { name: String }
        type Query { car: Car }
        "#,
    )
    .root(
        "car",
        json!({ "id": null, "wheels": 3, "owner": { "name": "Cy" } }),
    )
    .start()
    .await
}

#[tokio::test]
async fn one_response_name_with_two_types_in_a_subgraph_is_aliased_and_mapped_back() {
    let garage = garage().await;
    let registry = registry().await;
    let supergraph = Supergraph::new(&[&garage, &registry]).await;
    let outcome = supergraph
        .query(
            "{ vehicles { ... on Car { id wheels owner { name } } ... on Boat { id length owner { name } } } }",
        )
        .await;
    outcome.assert_data(json!({ "vehicles": [
        { "id": "c1", "wheels": 4, "owner": { "name": "Ada" } },
        { "id": null, "length": 9, "owner": { "name": "Bob" } }
    ] }));
    insta::assert_snapshot!("response_name_with_two_types", outcome.plan);
    let outcome = supergraph
        .query("{ vehicles { ... on Boat { ref: id } ... on Car { ref: id } } car { id } }")
        .await;
    outcome.assert_data(
        json!({ "vehicles": [{ "ref": "c1" }, { "ref": null }], "car": { "id": null } }),
    );
}
