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
    let supergraph = Supergraph::new(&[&accounts, &reviews]).await;
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
    let supergraph = Supergraph::new(&[&accounts, &reviews]).await;
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
    let supergraph = Supergraph::new(&[&accounts, &reviews]).await;
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

/// A catalog whose subgraph answers with values clients may not see.
async fn catalog() -> Fixture {
    Subgraph::new(
        "catalog",
        r#"
        enum Status { ACTIVE RETIRED INTERNAL @inaccessible }
        type Book { title: String! status: Status }
        type Draft @inaccessible { notes: String! }
        union Result = Book | Draft
        interface Item { name: String! }
        type Tool implements Item { name: String! }
        type Prototype implements Item @inaccessible { name: String! }
        type Query {
          book(title: String!): Book
          strict(title: String!): Book!
          statuses: [Status]
          requiredStatus: Status!
          search: [Result!]
          results: [Result]
          items: [Item]
        }
        "#,
    )
    .root_with_args(
        "book",
        json!({ "title": "Dune" }),
        json!({ "title": "Dune", "status": "ACTIVE" }),
    )
    .root_with_args(
        "book",
        json!({ "title": "Notes" }),
        json!({ "title": "Notes", "status": "INTERNAL" }),
    )
    .root_with_args(
        "strict",
        json!({ "title": "Notes" }),
        json!({ "title": "Notes", "status": "INTERNAL" }),
    )
    .root("statuses", json!(["ACTIVE", "INTERNAL", "RETIRED"]))
    .root("requiredStatus", json!("INTERNAL"))
    .root(
        "search",
        json!([{ "__typename": "Book", "title": "Dune" }, { "__typename": "Draft", "notes": "n" }]),
    )
    .root(
        "results",
        json!([{ "__typename": "Book", "title": "Dune" }, { "__typename": "Draft", "notes": "n" }]),
    )
    .root(
        "items",
        json!([{ "__typename": "Tool", "name": "saw" }, { "__typename": "Prototype", "name": "x" }]),
    )
    .start()
    .await
}

fn codes(outcome: &crate::kit::Outcome) -> Vec<String> {
    outcome
        .errors()
        .iter()
        .map(|e| e["extensions"]["code"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn an_inaccessible_enum_value_becomes_null_with_an_error() {
    let catalog = catalog().await;
    let supergraph = Supergraph::new(&[&catalog]).await;
    let outcome = supergraph
        .query(r#"{ a: book(title: "Dune") { status } b: book(title: "Notes") { title status } statuses }"#)
        .await;
    outcome.assert_data_with_errors(json!({
        "a": { "status": "ACTIVE" },
        "b": { "title": "Notes", "status": null },
        "statuses": ["ACTIVE", null, "RETIRED"]
    }));
    outcome.assert_error_paths(json!([["b", "status"], ["statuses", 1]]));
    assert_eq!(codes(&outcome), ["INACCESSIBLE_ENUM_VALUE"; 2]);
    let text = outcome.value.to_string();
    assert!(
        !text.contains("INTERNAL\""),
        "the hidden value leaked: {text}"
    );
}

#[tokio::test]
async fn a_hidden_value_in_a_non_null_position_nulls_the_nearest_nullable_parent() {
    let catalog = catalog().await;
    let supergraph = Supergraph::new(&[&catalog]).await;
    // `requiredStatus: Status!` at the root: `data` itself becomes null.
    let outcome = supergraph.query("{ requiredStatus }").await;
    assert_eq!(outcome.value["data"], json!(null), "{:#}", outcome.value);
    outcome.assert_error_paths(json!([["requiredStatus"]]));
    // `strict: Book!` holds a nullable status: only the status is nulled.
    let outcome = supergraph
        .query(r#"{ strict(title: "Notes") { title status } }"#)
        .await;
    outcome.assert_data_with_errors(json!({ "strict": { "title": "Notes", "status": null } }));
}

#[tokio::test]
async fn an_object_of_an_inaccessible_type_becomes_null_with_an_error() {
    let catalog = catalog().await;
    let supergraph = Supergraph::new(&[&catalog]).await;
    let outcome = supergraph
        .query(
            "{ results { __typename ... on Book { title } } items { __typename name } search { ... on Book { title } } }",
        )
        .await;
    // `search: [Result!]`: the hidden member nulls the whole list.
    outcome.assert_data_with_errors(json!({
        "results": [{ "__typename": "Book", "title": "Dune" }, null],
        "items": [{ "__typename": "Tool", "name": "saw" }, null],
        "search": null
    }));
    outcome.assert_error_paths(json!([["results", 1], ["items", 1], ["search", 1]]));
    assert_eq!(codes(&outcome), ["INACCESSIBLE_TYPE"; 3]);
    let text = outcome.value.to_string();
    for hidden in ["Draft", "Prototype"] {
        assert!(!text.contains(hidden), "{hidden} leaked: {text}");
    }
}
