//! Operation features across subgraph boundaries: `__typename`, aliases,
//! fragments, variables, `@skip`/`@include`.

use serde_json::json;

use crate::kit::{Fixture, Subgraph, Supergraph};

async fn accounts() -> Fixture {
    Subgraph::new(
        "accounts",
        r#"
        type User @key(fields: "id") { id: ID! name: String! }
        type Query { user(id: ID!): User users: [User!]! }
        "#,
    )
    .root_with_args(
        "user",
        json!({ "id": "u1" }),
        json!({ "id": "u1", "name": "Ada" }),
    )
    .root_with_args(
        "user",
        json!({ "id": "u2" }),
        json!({ "id": "u2", "name": "Bob" }),
    )
    .root(
        "users",
        json!([{ "id": "u1", "name": "Ada" }, { "id": "u2", "name": "Bob" }]),
    )
    .start()
    .await
}

async fn media() -> Fixture {
    Subgraph::new(
        "media",
        r#"
        type User @key(fields: "id") { id: ID! avatar(size: Int! = 64): String! albums: [Album!]! }
        type Album { title: String! cover(size: Int!): String! }
        "#,
    )
    .entities(
        "User",
        json!([
            { "id": "u1", "albums": [{ "title": "Pastel" }] },
            { "id": "u2", "albums": [] }
        ]),
    )
    .resolve("User", "avatar", |ctx| {
        Ok(json!(format!(
            "{}@{}",
            ctx.get("id").as_str().unwrap(),
            ctx.arg("size")
        )))
    })
    .resolve("Album", "cover", |ctx| {
        Ok(json!(format!(
            "{}@{}",
            ctx.get("title").as_str().unwrap(),
            ctx.arg("size")
        )))
    })
    .start()
    .await
}

#[tokio::test]
async fn typename_is_answered_at_every_level() {
    let accounts = accounts().await;
    let media = media().await;
    let supergraph = Supergraph::new(&[&accounts, &media]).await;
    let outcome = supergraph
        .query(r#"{ __typename user(id: "u1") { __typename name albums { __typename t: __typename title } } }"#)
        .await;
    outcome.assert_data(json!({
        "__typename": "Query",
        "user": { "__typename": "User", "name": "Ada", "albums": [{ "__typename": "Album", "t": "Album", "title": "Pastel" }] }
    }));
    let before = accounts.request_count() + media.request_count();
    let outcome = supergraph.query("{ __typename }").await;
    outcome.assert_data(json!({ "__typename": "Query" }));
    assert_eq!(
        accounts.request_count() + media.request_count(),
        before,
        "root __typename needs no fetch"
    );
}

#[tokio::test]
async fn aliases_including_one_field_twice_with_different_arguments() {
    let accounts = accounts().await;
    let media = media().await;
    let supergraph = Supergraph::new(&[&accounts, &media]).await;
    let outcome = supergraph
        .query(
            r#"{
                ada: user(id: "u1") { who: name small: avatar(size: 32) big: avatar(size: 128) avatar }
                bob: user(id: "u2") { name id: avatar(size: 1) }
            }"#,
        )
        .await;
    outcome.assert_data(json!({
        "ada": { "who": "Ada", "small": "u1@32", "big": "u1@128", "avatar": "u1@64" },
        "bob": { "name": "Bob", "id": "u2@1" }
    }));
}

#[tokio::test]
async fn named_and_inline_fragments_are_merged() {
    let accounts = accounts().await;
    let media = media().await;
    let supergraph = Supergraph::new(&[&accounts, &media]).await;
    let outcome = supergraph
        .query(
            r#"
            query { users { ...Card ... on User { id albums { ...AlbumBits } } ... { name } } }
            fragment Card on User { name avatar(size: 8) }
            fragment AlbumBits on Album { title cover(size: 2) }
            "#,
        )
        .await;
    outcome.assert_data(json!({ "users": [
        { "name": "Ada", "avatar": "u1@8", "id": "u1", "albums": [{ "title": "Pastel", "cover": "Pastel@2" }] },
        { "name": "Bob", "avatar": "u2@8", "id": "u2", "albums": [] }
    ] }));
}

#[tokio::test]
async fn variables_reach_every_subgraph_that_needs_them() {
    let accounts = accounts().await;
    let media = media().await;
    let supergraph = Supergraph::new(&[&accounts, &media]).await;
    let outcome = supergraph
        .request(
            "query Q($id: ID!, $size: Int!) { user(id: $id) { name avatar(size: $size) albums { cover(size: $size) } } }",
            json!({ "id": "u1", "size": 300 }),
        )
        .await;
    outcome.assert_data(json!({ "user": { "name": "Ada", "avatar": "u1@300", "albums": [{ "cover": "Pastel@300" }] } }));
    let outcome = supergraph
        .request("query Q($id: ID!) { user(id: $id) { name } }", json!({}))
        .await;
    assert!(
        !outcome.has_data_key(),
        "a missing required variable is a request error: {:#}",
        outcome.value
    );
}

#[tokio::test]
async fn skip_and_include_on_fields_and_fragments() {
    let accounts = accounts().await;
    let media = media().await;
    let supergraph = Supergraph::new(&[&accounts, &media]).await;
    let query = r#"
        query($yes: Boolean!, $no: Boolean!) {
          user(id: "u1") {
            name @skip(if: $yes)
            id @include(if: $yes)
            avatar @include(if: $no)
            ... on User @skip(if: $no) { albums { title } }
            ...Covers @include(if: $no)
            big: avatar(size: 2) @skip(if: false)
          }
          skipped: users @skip(if: true) { id }
        }
        fragment Covers on User { albums { cover(size: 1) } }
    "#;
    let outcome = supergraph
        .request(query, json!({ "yes": true, "no": false }))
        .await;
    outcome.assert_data(
        json!({ "user": { "id": "u1", "albums": [{ "title": "Pastel" }], "big": "u1@2" } }),
    );

    let outcome = supergraph
        .request(query, json!({ "yes": false, "no": true }))
        .await;
    outcome.assert_data(json!({ "user": { "name": "Ada", "avatar": "u1@64", "albums": [{ "cover": "Pastel@1" }], "big": "u1@2" } }));
}

#[tokio::test]
async fn skipping_every_field_of_a_subgraph_skips_its_fetch() {
    let accounts = accounts().await;
    let media = media().await;
    let supergraph = Supergraph::new(&[&accounts, &media]).await;
    let outcome = supergraph
        .request(
            r#"query($on: Boolean!) { user(id: "u2") { name albums @include(if: $on) { title } } }"#,
            json!({ "on": false }),
        )
        .await;
    outcome.assert_data(json!({ "user": { "name": "Bob" } }));
    assert_eq!(
        media.request_count(),
        0,
        "media was asked: {:?}\nplan:\n{}",
        media.requests(),
        outcome.plan
    );
    insta::assert_snapshot!("fetch_under_a_condition", outcome.plan);

    let outcome = supergraph
        .request(
            r#"query($on: Boolean!) { user(id: "u2") { name albums @include(if: $on) { title } } }"#,
            json!({ "on": true }),
        )
        .await;
    assert_eq!(media.request_count(), 1, "{}", outcome.plan);
}

#[tokio::test]
async fn variable_defaults_hold_with_and_without_the_variable_sent() {
    let accounts = accounts().await;
    let media = media().await;
    let supergraph = Supergraph::new(&[&accounts, &media]).await;
    // `$t` and `$size` are nullable with defaults, used where non-null is
    // expected (`@include(if: Boolean!)`, `cover(size: Int!)`): valid only
    // while the subgraph operations declare the defaults too.
    let query = r#"
        query Q($id: ID! = "u1", $t: Boolean = true, $size: Int = 5) {
          user(id: $id) {
            name @include(if: $t)
            albums { title @include(if: $t) cover(size: $size) }
            avatar(size: $size) @include(if: $t)
          }
        }
    "#;
    let outcome = supergraph.request(query, json!({})).await;
    outcome.assert_data(json!({ "user": {
        "name": "Ada",
        "albums": [{ "title": "Pastel", "cover": "Pastel@5" }],
        "avatar": "u1@5"
    } }));
    let outcome = supergraph
        .request(query, json!({ "id": "u1", "t": false, "size": 9 }))
        .await;
    outcome.assert_data(json!({ "user": { "albums": [{ "cover": "Pastel@9" }] } }));
    let outcome = supergraph.request(query, json!({ "t": true })).await;
    outcome.assert_data(json!({ "user": {
        "name": "Ada",
        "albums": [{ "title": "Pastel", "cover": "Pastel@5" }],
        "avatar": "u1@5"
    } }));
}

#[tokio::test]
async fn subgraph_operations_declare_only_the_variables_they_use() {
    let accounts = accounts().await;
    let media = media().await;
    let supergraph = Supergraph::new(&[&accounts, &media]).await;
    let outcome = supergraph
        .request(
            "query Q($id: ID!, $size: Int = 3) { user(id: $id) { name avatar(size: $size) } }",
            json!({ "id": "u1" }),
        )
        .await;
    outcome.assert_data(json!({ "user": { "name": "Ada", "avatar": "u1@3" } }));
    let accounts_query = &accounts.requests()[0].query;
    assert!(
        accounts_query.contains("$id: ID!") && !accounts_query.contains("$size"),
        "{accounts_query}"
    );
    let media_query = &media.requests()[0].query;
    assert!(
        media_query.contains("$size: Int = 3") && !media_query.contains("$id"),
        "{media_query}"
    );
}

#[tokio::test]
async fn a_client_alias_named_like_a_key_field_does_not_clash_with_the_key() {
    let accounts = accounts().await;
    let media = media().await;
    let supergraph = Supergraph::new(&[&accounts, &media]).await;
    // `id` is the client's name for `name`; the router needs the real `id`
    // (the key) from the same object for media.
    let outcome = supergraph
        .query("{ users { id: name albums { title } } }")
        .await;
    outcome.assert_data(json!({ "users": [
        { "id": "Ada", "albums": [{ "title": "Pastel" }] },
        { "id": "Bob", "albums": [] }
    ] }));
    assert_eq!(
        crate::kit::all_representations(&media),
        vec![
            json!({ "__typename": "User", "id": "u1" }),
            json!({ "__typename": "User", "id": "u2" })
        ]
    );
    insta::assert_snapshot!("client_alias_named_like_a_key", outcome.plan);
}
