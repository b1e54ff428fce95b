//! The kit checked on its own: fixtures queried directly, no router.

use serde_json::json;

use crate::kit::{Behaviour, Subgraph, compose_fixtures};

fn accounts() -> Subgraph {
    Subgraph::new(
        "accounts",
        r#"
        type User @key(fields: "id") @key(fields: "org { id } login") {
          id: ID!
          login: String!
          org: Org!
          name: String
          greeting(punctuation: String = "!"): String!
          badge: Badge
        }
        type Org { id: ID! }
        interface Badge { label: String! }
        type Gold implements Badge { label: String! carats: Int! }
        type Silver implements Badge { label: String! }
        type Query {
          me: User
          user(id: ID!): User
          broken: User!
          users: [User]
        }
        "#,
    )
    .root("me", json!({ "id": "u1", "login": "ada", "org": { "id": "o1" }, "name": "Ada", "badge": { "__typename": "Gold", "label": "g", "carats": 24 } }))
    .root_with_args("user", json!({ "id": "u2" }), json!({ "id": "u2", "login": "bob", "org": { "id": "o1" }, "name": null }))
    .root("broken", json!({ "__error": "boom" }))
    .root("users", json!([{ "id": "u1", "login": "ada", "org": { "id": "o1" }, "name": { "__error": "name unavailable" } }]))
    .entities("User", json!([
        { "id": "u1", "login": "ada", "org": { "id": "o1" }, "name": "Ada" },
        { "id": "u2", "login": "bob", "org": { "id": "o1" }, "name": "Bob" }
    ]))
    .resolve("User", "greeting", |ctx| {
        Ok(json!(format!("hello {}{}", ctx.get("login").as_str().unwrap_or("?"), ctx.arg("punctuation").as_str().unwrap_or(""))))
    })
}

#[tokio::test]
async fn service_sdl_returns_the_declared_sdl() {
    let fixture = accounts().start().await;
    let answer = fixture.query("{ _service { sdl } }", json!({})).await;
    let sdl = answer["data"]["_service"]["sdl"].as_str().expect("sdl");
    assert_eq!(sdl, fixture.sdl());
    assert!(
        sdl.starts_with("extend schema @link(url: \"https://specs.apollo.dev/federation/v2.5\""),
        "{sdl}"
    );
}

#[tokio::test]
async fn root_fields_fragments_aliases_and_typename() {
    let fixture = accounts().start().await;
    let answer = fixture
        .query(
            r#"query Q($id: ID!) {
                me { __typename id ...F badge { __typename label ... on Gold { carats } } }
                other: user(id: $id) { login name }
                missing: user(id: "u9") { id }
            }
            fragment F on User { login g1: greeting g2: greeting(punctuation: "?") }"#,
            json!({ "id": "u2" }),
        )
        .await;
    assert_eq!(
        answer,
        json!({ "data": {
            "me": { "__typename": "User", "id": "u1", "login": "ada", "g1": "hello ada!", "g2": "hello ada?",
                    "badge": { "__typename": "Gold", "label": "g", "carats": 24 } },
            "other": { "login": "bob", "name": null },
            "missing": null
        } })
    );
}

#[tokio::test]
async fn entities_by_any_key_with_missing_ones_null() {
    let fixture = accounts().start().await;
    let answer = fixture
        .query(
            r#"query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on User { id name greeting } } }"#,
            json!({ "r": [
                { "__typename": "User", "id": "u2" },
                { "__typename": "User", "id": "nope" },
                { "__typename": "User", "org": { "id": "o1" }, "login": "ada" },
                { "__typename": "User", "login": "ada" }
            ] }),
        )
        .await;
    assert_eq!(
        answer,
        json!({ "data": { "_entities": [
            { "__typename": "User", "id": "u2", "name": "Bob", "greeting": "hello bob!" },
            null,
            { "__typename": "User", "id": "u1", "name": "Ada", "greeting": "hello ada!" },
            null
        ] } })
    );
    let requests = fixture.entity_requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].representations().len(), 4);
}

#[tokio::test]
async fn computed_field_sees_the_representation() {
    let fixture = Subgraph::new(
        "shipping",
        r#"
        type Parcel @key(fields: "id") { id: ID! weight: Int! @external cost: Int! @requires(fields: "weight") }
        type Query { noop: Boolean }
        "#,
    )
    .echo_entities("Parcel")
    .resolve("Parcel", "cost", |ctx| Ok(json!(ctx.get("weight").as_i64().unwrap() * 3)))
    .start()
    .await;
    let answer = fixture
        .query(
            r#"query($r: [_Any!]!) { _entities(representations: $r) { ... on Parcel { cost } } }"#,
            json!({ "r": [{ "__typename": "Parcel", "id": "p1", "weight": 7 }] }),
        )
        .await;
    assert_eq!(answer, json!({ "data": { "_entities": [{ "cost": 21 }] } }));
}

#[tokio::test]
async fn field_errors_have_paths_and_propagate_nulls() {
    let fixture = accounts().start().await;
    let answer = fixture.query("{ users { id name } }", json!({})).await;
    assert_eq!(
        answer["data"],
        json!({ "users": [{ "id": "u1", "name": null }] })
    );
    assert_eq!(answer["errors"][0]["message"], json!("name unavailable"));
    assert_eq!(answer["errors"][0]["path"], json!(["users", 0, "name"]));
    let answer = fixture.query("{ broken { id } }", json!({})).await;
    assert_eq!(answer["data"], json!(null));
    assert_eq!(answer["errors"][0]["path"], json!(["broken"]));
}

#[tokio::test]
async fn records_requests_and_switches_behaviour() {
    let fixture = accounts().start().await;
    fixture
        .query("query Me { me { id } }", json!({ "x": 1 }))
        .await;
    let requests = fixture.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].query, "query Me { me { id } }");
    assert_eq!(requests[0].variables["x"], json!(1));
    fixture.set_behaviour(Behaviour::RequestError("down".into()));
    let answer = fixture.query("{ me { id } }", json!({})).await;
    assert_eq!(
        answer,
        json!({ "data": null, "errors": [{ "message": "down" }] })
    );
    fixture.set_behaviour(Behaviour::HttpStatus(503));
    let status = reqwest::Client::new()
        .post(fixture.url())
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 503);
    assert_eq!(fixture.request_count(), 3);
}

#[tokio::test]
async fn invalid_operations_are_rejected_with_errors() {
    let fixture = accounts().start().await;
    let answer = fixture.query("{ me { nope } }", json!({})).await;
    assert!(answer.get("data").is_none(), "{answer}");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nope"),
        "{answer}"
    );
}

#[tokio::test]
async fn fixtures_compose_into_a_supergraph() {
    let accounts = accounts().start().await;
    let reviews = Subgraph::new(
        "reviews",
        r#"
        type User @key(fields: "id") { id: ID! reviews: [Review!]! }
        type Review { body: String! }
        type Query { latest: [Review!]! }
        "#,
    )
    .start()
    .await;
    let sdl = compose_fixtures(&[&accounts, &reviews]).expect("composes");
    assert!(sdl.contains(accounts.url()), "{sdl}");
    assert!(sdl.contains(reviews.url()), "{sdl}");
}

#[tokio::test]
async fn operations_invalid_against_the_fixture_schema_are_recorded() {
    let fixture = accounts().start().await;
    fixture.query("{ me { id } }", json!({})).await;
    assert!(fixture.invalid_operations().lock().unwrap().is_empty());
    // Same response name, different arguments: not mergeable.
    let answer = fixture
        .query(
            r#"{ me { g: greeting(punctuation: "?") g: greeting(punctuation: ".") } }"#,
            json!({}),
        )
        .await;
    assert!(answer["errors"].is_array(), "{answer}");
    let invalid = fixture.invalid_operations();
    let invalid = invalid.lock().unwrap();
    assert_eq!(invalid.len(), 1, "{invalid:?}");
    assert!(invalid[0].contains("greeting"), "{}", invalid[0]);
}
