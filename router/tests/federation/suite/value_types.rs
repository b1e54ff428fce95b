//! Value types (object types without `@key`) whose fields are spread over
//! several subgraphs: reached again through the same shared root field in
//! each subgraph that has it, or through the nearest entity's key.

use serde_json::json;

use crate::kit::{Fixture, Subgraph, Supergraph};

/// `Query.me` is shared; each subgraph knows other fields of `Account`.
async fn accounts_split() -> (Fixture, Fixture) {
    let names = Subgraph::new(
        "names",
        r#"
        type Account @shareable { login: String! name: String! }
        type Query { me: Account @shareable }
        "#,
    )
    .root("me", json!({ "login": "ada", "name": "Ada" }))
    .start()
    .await;
    let ages = Subgraph::new(
        "ages",
        r#"
        type Account @shareable { login: String! age: Int! }
        type Query { me: Account @shareable }
        "#,
    )
    .root("me", json!({ "login": "ada", "age": 36 }))
    .start()
    .await;
    (names, ages)
}

const ACCOUNTS: &str = r#"
type Account @join__type(graph: AGES) @join__type(graph: NAMES) {
  login: String!
  name: String! @join__field(graph: NAMES)
  age: Int! @join__field(graph: AGES)
}
type Query @join__type(graph: AGES) @join__type(graph: NAMES) {
  me: Account
}
"#;

#[tokio::test]
async fn a_shared_root_field_is_fetched_from_each_subgraph_that_has_part_of_it() {
    let (names, ages) = accounts_split().await;
    let supergraph = Supergraph::from_apollo(&[&names, &ages], ACCOUNTS).await;
    let outcome = supergraph.query("{ me { login name age } }").await;
    outcome.assert_data(json!({ "me": { "login": "ada", "name": "Ada", "age": 36 } }));
    assert_eq!(names.request_count(), 1);
    assert_eq!(ages.request_count(), 1);
    insta::assert_snapshot!("shared_root_field_split", outcome.plan);
}

#[tokio::test]
async fn fields_one_subgraph_has_all_of_need_one_fetch() {
    let (names, ages) = accounts_split().await;
    let supergraph = Supergraph::from_apollo(&[&names, &ages], ACCOUNTS).await;
    let outcome = supergraph.query("{ me { login age } }").await;
    outcome.assert_data(json!({ "me": { "login": "ada", "age": 36 } }));
    assert_eq!(names.request_count(), 0);
    assert_eq!(ages.request_count(), 1);
}

#[tokio::test]
async fn nested_value_types_under_a_shared_root_field_are_fetched_in_parallel() {
    let shelves = Subgraph::new(
        "shelves",
        r#"
        type Catalog @shareable { title: String! items: [Item!]! }
        type Item @shareable { sku: String! label: String! }
        type Query { catalog: Catalog! @shareable }
        "#,
    )
    .root(
        "catalog",
        json!({ "title": "Spring", "items": [
            { "sku": "a", "label": "Apple" }, { "sku": "b", "label": "Bread" }
        ] }),
    )
    .start()
    .await;
    let prices = Subgraph::new(
        "prices",
        r#"
        type Catalog @shareable { items: [Item!]! }
        type Item @shareable { sku: String! cents: Int! }
        type Query { catalog: Catalog! @shareable }
        "#,
    )
    .root(
        "catalog",
        json!({ "items": [{ "sku": "a", "cents": 120 }, { "sku": "b", "cents": 300 }] }),
    )
    .start()
    .await;
    let supergraph = Supergraph::from_apollo(
        &[&shelves, &prices],
        r#"
        type Catalog @join__type(graph: PRICES) @join__type(graph: SHELVES) {
          title: String! @join__field(graph: SHELVES)
          items: [Item!]!
        }
        type Item @join__type(graph: PRICES) @join__type(graph: SHELVES) {
          sku: String!
          label: String! @join__field(graph: SHELVES)
          cents: Int! @join__field(graph: PRICES)
        }
        type Query @join__type(graph: PRICES) @join__type(graph: SHELVES) {
          catalog: Catalog!
        }
        "#,
    )
    .await;
    let outcome = supergraph
        .query("{ catalog { title items { label cents } } }")
        .await;
    outcome.assert_data(json!({ "catalog": { "title": "Spring", "items": [
        { "label": "Apple", "cents": 120 }, { "label": "Bread", "cents": 300 }
    ] } }));
    assert_eq!(shelves.request_count(), 1);
    assert_eq!(prices.request_count(), 1);
    assert!(
        outcome.plan.contains("Parallel"),
        "both root fetches run at once:\n{}",
        outcome.plan
    );
}

/// `Product` is an entity in both; its value type `Details` is split.
async fn products_with_split_details() -> (Fixture, Fixture) {
    let catalog = Subgraph::new(
        "catalog",
        r#"
        type Product @key(fields: "id") { id: ID! details: Details! @shareable }
        type Details @shareable { color: String! }
        type Query { topProducts: [Product!]! }
        "#,
    )
    .root(
        "topProducts",
        json!([
            { "id": "p1", "details": { "color": "red" } },
            { "id": "p2", "details": { "color": "blue" } }
        ]),
    )
    .entities(
        "Product",
        json!([
            { "id": "p1", "details": { "color": "red" } },
            { "id": "p2", "details": { "color": "blue" } }
        ]),
    )
    .start()
    .await;
    let sizes = Subgraph::new(
        "sizes",
        r#"
        type Product @key(fields: "id") { id: ID! details: Details! @shareable }
        type Details @shareable { size: Int! }
        "#,
    )
    .entities(
        "Product",
        json!([
            { "id": "p1", "details": { "size": 40 } },
            { "id": "p2", "details": { "size": 42 } }
        ]),
    )
    .start()
    .await;
    (catalog, sizes)
}

const PRODUCTS: &str = r#"
type Product @join__type(graph: CATALOG, key: "id") @join__type(graph: SIZES, key: "id") {
  id: ID!
  details: Details!
}
type Details @join__type(graph: CATALOG) @join__type(graph: SIZES) {
  color: String! @join__field(graph: CATALOG)
  size: Int! @join__field(graph: SIZES)
}
type Query @join__type(graph: CATALOG) @join__type(graph: SIZES) {
  topProducts: [Product!]! @join__field(graph: CATALOG)
}
"#;

#[tokio::test]
async fn a_value_type_field_elsewhere_is_fetched_through_the_parent_entitys_key() {
    let (catalog, sizes) = products_with_split_details().await;
    let supergraph = Supergraph::from_apollo(&[&catalog, &sizes], PRODUCTS).await;
    let outcome = supergraph
        .query("{ topProducts { details { color size } } }")
        .await;
    outcome.assert_data(json!({ "topProducts": [
        { "details": { "color": "red", "size": 40 } },
        { "details": { "color": "blue", "size": 42 } }
    ] }));
    assert_eq!(
        crate::kit::all_representations(&sizes),
        vec![
            json!({ "__typename": "Product", "id": "p1" }),
            json!({ "__typename": "Product", "id": "p2" })
        ]
    );
    insta::assert_snapshot!("value_type_through_parent_entity", outcome.plan);
}

#[tokio::test]
async fn a_value_type_under_a_type_condition_keeps_the_condition_on_the_way_back() {
    let shop = Subgraph::new(
        "shop",
        r#"
        interface Item { id: ID! }
        type Shoe implements Item @key(fields: "id") { id: ID! fit: Fit! @shareable }
        type Hat implements Item @key(fields: "id") { id: ID! }
        type Fit @shareable { width: String! }
        type Query { items: [Item!]! }
        "#,
    )
    .root(
        "items",
        json!([
            { "__typename": "Hat", "id": "h1" },
            { "__typename": "Shoe", "id": "s1", "fit": { "width": "wide" } }
        ]),
    )
    .entities("Shoe", json!([{ "id": "s1", "fit": { "width": "wide" } }]))
    .entities("Hat", json!([{ "id": "h1" }]))
    .start()
    .await;
    let fitting = Subgraph::new(
        "fitting",
        r#"
        type Shoe @key(fields: "id") { id: ID! fit: Fit! @shareable }
        type Fit @shareable { length: Int! }
        "#,
    )
    .entities("Shoe", json!([{ "id": "s1", "fit": { "length": 27 } }]))
    .start()
    .await;
    let supergraph = Supergraph::from_apollo(
        &[&shop, &fitting],
        r#"
        interface Item @join__type(graph: SHOP) { id: ID! }
        type Shoe implements Item @join__implements(graph: SHOP, interface: "Item")
          @join__type(graph: FITTING, key: "id") @join__type(graph: SHOP, key: "id") {
          id: ID!
          fit: Fit!
        }
        type Hat implements Item @join__implements(graph: SHOP, interface: "Item")
          @join__type(graph: SHOP, key: "id") {
          id: ID!
        }
        type Fit @join__type(graph: FITTING) @join__type(graph: SHOP) {
          width: String! @join__field(graph: SHOP)
          length: Int! @join__field(graph: FITTING)
        }
        type Query @join__type(graph: FITTING) @join__type(graph: SHOP) {
          items: [Item!]! @join__field(graph: SHOP)
        }
        "#,
    )
    .await;
    let outcome = supergraph
        .query("{ items { id ... on Shoe { fit { width length } } } }")
        .await;
    outcome.assert_data(json!({ "items": [
        { "id": "h1" },
        { "id": "s1", "fit": { "width": "wide", "length": 27 } }
    ] }));
    assert_eq!(
        crate::kit::all_representations(&fitting),
        vec![json!({ "__typename": "Shoe", "id": "s1" })]
    );
}

/// `me` is shared and `Account` is an entity in both, with a split value
/// type under it: going back through the root field costs no extra step.
#[tokio::test]
async fn a_shared_root_field_is_preferred_to_an_entity_jump_that_adds_a_step() {
    let bios = Subgraph::new(
        "bios",
        r#"
        type Account @key(fields: "id") { id: ID! profile: Profile! @shareable }
        type Profile @shareable { bio: String! }
        type Query { me: Account! @shareable }
        "#,
    )
    .root("me", json!({ "id": "u1", "profile": { "bio": "hi" } }))
    .entities(
        "Account",
        json!([{ "id": "u1", "profile": { "bio": "hi" } }]),
    )
    .start()
    .await;
    let avatars = Subgraph::new(
        "avatars",
        r#"
        type Account @key(fields: "id") { id: ID! profile: Profile! @shareable }
        type Profile @shareable { avatar: String! }
        type Query { me: Account! @shareable }
        "#,
    )
    .root(
        "me",
        json!({ "id": "u1", "profile": { "avatar": "a.png" } }),
    )
    .entities(
        "Account",
        json!([{ "id": "u1", "profile": { "avatar": "a.png" } }]),
    )
    .start()
    .await;
    let supergraph = Supergraph::from_apollo(
        &[&bios, &avatars],
        r#"
        type Account @join__type(graph: AVATARS, key: "id") @join__type(graph: BIOS, key: "id") {
          id: ID!
          profile: Profile!
        }
        type Profile @join__type(graph: AVATARS) @join__type(graph: BIOS) {
          bio: String! @join__field(graph: BIOS)
          avatar: String! @join__field(graph: AVATARS)
        }
        type Query @join__type(graph: AVATARS) @join__type(graph: BIOS) {
          me: Account!
        }
        "#,
    )
    .await;
    let outcome = supergraph.query("{ me { profile { bio avatar } } }").await;
    outcome.assert_data(json!({ "me": { "profile": { "bio": "hi", "avatar": "a.png" } } }));
    assert!(
        avatars.entity_requests().is_empty() && bios.entity_requests().is_empty(),
        "no entity fetch: {}",
        outcome.plan
    );
    assert!(!outcome.plan.contains("Sequence"), "{}", outcome.plan);
}

#[tokio::test]
async fn the_way_back_keeps_aliases_fragments_and_conditions() {
    let (names, ages) = accounts_split().await;
    let supergraph = Supergraph::from_apollo(&[&names, &ages], ACCOUNTS).await;
    let query = "query($withAge: Boolean = true) { ... on Query { who: me { name age @include(if: $withAge) } } }";
    let outcome = supergraph.request(query, json!({})).await;
    outcome.assert_data(json!({ "who": { "name": "Ada", "age": 36 } }));
    assert_eq!(ages.request_count(), 1);

    let outcome = supergraph.request(query, json!({ "withAge": false })).await;
    outcome.assert_data(json!({ "who": { "name": "Ada" } }));
}

#[tokio::test]
async fn a_value_type_spread_over_three_subgraphs_is_fetched_from_all_three_at_once() {
    let (names, ages) = accounts_split().await;
    let cities = Subgraph::new(
        "cities",
        r#"
        type Account @shareable { login: String! city: String! }
        type Query { me: Account @shareable }
        "#,
    )
    .root("me", json!({ "login": "ada", "city": "London" }))
    .start()
    .await;
    let supergraph = Supergraph::from_apollo(
        &[&names, &ages, &cities],
        r#"
        type Account @join__type(graph: AGES) @join__type(graph: CITIES) @join__type(graph: NAMES) {
          login: String!
          name: String! @join__field(graph: NAMES)
          age: Int! @join__field(graph: AGES)
          city: String! @join__field(graph: CITIES)
        }
        type Query @join__type(graph: AGES) @join__type(graph: CITIES) @join__type(graph: NAMES) {
          me: Account
        }
        "#,
    )
    .await;
    let outcome = supergraph.query("{ me { city name age } }").await;
    outcome.assert_data(json!({ "me": { "city": "London", "name": "Ada", "age": 36 } }));
    for fixture in [&names, &ages, &cities] {
        assert_eq!(fixture.request_count(), 1, "{}", outcome.plan);
    }
    assert!(!outcome.plan.contains("Sequence"), "{}", outcome.plan);
}

#[tokio::test]
async fn a_key_selected_for_the_way_back_does_not_clash_with_a_client_alias_above() {
    let (catalog, sizes) = products_with_split_details().await;
    let supergraph = Supergraph::from_apollo(&[&catalog, &sizes], PRODUCTS).await;
    // The client calls `details` `id`, one level above where `size` is
    // missing: the key `id` the way back needs sits beside that alias.
    let outcome = supergraph
        .query("{ topProducts { id: details { color } details { size } } }")
        .await;
    outcome.assert_data(json!({ "topProducts": [
        { "id": { "color": "red" }, "details": { "size": 40 } },
        { "id": { "color": "blue" }, "details": { "size": 42 } }
    ] }));
    assert_eq!(
        crate::kit::all_representations(&sizes),
        vec![
            json!({ "__typename": "Product", "id": "p1" }),
            json!({ "__typename": "Product", "id": "p2" })
        ]
    );
}
