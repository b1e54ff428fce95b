//! `@inaccessible`: in the supergraph for planning, absent from the API.

use serde_json::json;

use crate::kit::{Fixture, Subgraph, Supergraph};

async fn accounts() -> Fixture {
    Subgraph::new(
        "accounts",
        r#"
        type AuditLog @inaccessible { entries: [String!]! }
        type User @key(fields: "id") @key(fields: "internalId") {
          id: ID!
          internalId: String! @inaccessible
          name: String!
          audit: AuditLog @inaccessible
        }
        type Query { me: User }
        "#,
    )
    .root("me", json!({ "id": "u1", "internalId": "x-1", "name": "Ada", "audit": { "entries": ["login"] } }))
    .start()
    .await
}

async fn reviews() -> Fixture {
    // Joined through the inaccessible key only.
    Subgraph::new(
        "reviews",
        r#"
        type User @key(fields: "internalId") { internalId: String! @inaccessible reviewCount: Int! }
        "#,
    )
    .entities("User", json!([{ "internalId": "x-1", "reviewCount": 3 }]))
    .start()
    .await
}

#[tokio::test]
async fn inaccessible_field_is_not_queryable() {
    let accounts = accounts().await;
    let reviews = reviews().await;
    let supergraph = Supergraph::new(&[&accounts, &reviews]);
    let outcome = supergraph.query("{ me { name internalId } }").await;
    assert!(!outcome.has_data_key(), "{:#}", outcome.value);
    assert_eq!(outcome.errors().len(), 1, "{:#}", outcome.value);
    let outcome = supergraph.query("{ me { audit { entries } } }").await;
    assert!(!outcome.has_data_key(), "{:#}", outcome.value);
    assert_eq!(accounts.request_count(), 0);
}

#[tokio::test]
async fn inaccessible_key_still_joins_entities() {
    let accounts = accounts().await;
    let reviews = reviews().await;
    let supergraph = Supergraph::new(&[&accounts, &reviews]);
    let outcome = supergraph.query("{ me { name reviewCount } }").await;
    outcome.assert_data(json!({ "me": { "name": "Ada", "reviewCount": 3 } }));
    assert_eq!(
        crate::kit::all_representations(&reviews),
        vec![json!({ "__typename": "User", "internalId": "x-1" })]
    );
}

#[tokio::test]
async fn inaccessible_elements_are_absent_from_introspection() {
    let accounts = accounts().await;
    let reviews = reviews().await;
    let supergraph = Supergraph::new(&[&accounts, &reviews]);
    let outcome = supergraph
        .query(r#"{ __type(name: "User") { name fields { name } } }"#)
        .await;
    assert!(outcome.errors().is_empty(), "{:#}", outcome.value);
    assert_eq!(
        outcome.data()["__type"]["name"],
        json!("User"),
        "{:#}",
        outcome.value
    );
    let mut fields: Vec<String> = outcome.data()["__type"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect();
    fields.sort();
    assert_eq!(fields, ["id", "name", "reviewCount"]);
    let outcome = supergraph
        .query(r#"{ __type(name: "AuditLog") { name } }"#)
        .await;
    outcome.assert_data(json!({ "__type": null }));
    let outcome = supergraph.query("{ __schema { types { name } } }").await;
    let names: Vec<String> = outcome.data()["__schema"]["types"]
        .as_array()
        .expect("types")
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(names.contains(&"User".to_owned()), "{names:?}");
    for hidden in [
        "AuditLog",
        "_Any",
        "_Entity",
        "_Service",
        "join__Graph",
        "link__Purpose",
    ] {
        assert!(
            !names.contains(&hidden.to_owned()),
            "{hidden} leaked: {names:?}"
        );
    }
    assert_eq!(
        accounts.request_count() + reviews.request_count(),
        0,
        "introspection needs no subgraph"
    );
}
