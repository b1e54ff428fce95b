//! `@context` / `@fromContext` (Federation 2.8): a subgraph's field takes
//! an argument the router reads from the nearest ancestor whose type sets
//! the context. The supergraphs are written as Apollo's composition writes
//! them (join v0.5 `contextArguments`, context names prefixed with the
//! subgraph's), because `graphql-composition` does not carry the directives.

use serde_json::{Value, json};

use crate::kit::{Fixture, Subgraph, Supergraph};

/// Prices in a store's currency: 100 units of the product's base, times a
/// rate per currency (an unknown or missing currency is an error, so a
/// wrong value cannot pass unseen).
fn price(base: &Value, currency: &Value) -> Result<Value, String> {
    let rate = match currency.as_str() {
        Some("EUR") => 1,
        Some("USD") => 2,
        Some("JPY") => 150,
        other => return Err(format!("no rate for currency {other:?}")),
    };
    let base = base.as_i64().ok_or(format!("no base price in {base}"))?;
    Ok(json!(base * rate))
}

fn products() -> Value {
    json!([{ "id": "p1", "name": "Pen", "base": 3 }, { "id": "p2", "name": "Ink", "base": 5 }])
}

/// The shop: stores set the currency context that products' prices read.
fn shop(stores: Value) -> Subgraph {
    Subgraph::new(
        "shop",
        r#"
        type Query { stores: [Store!]! }
        type Store @key(fields: "id") @context(name: "store") {
          id: ID!
          currency: String!
          products: [Product!]!
        }
        type Product @key(fields: "id") {
          id: ID!
          name: String!
          price(currency: String @fromContext(field: "$store { currency }")): Int!
        }
        "#,
    )
    .root("stores", stores)
    .entities("Product", products())
    .resolve("Product", "price", |ctx| {
        price(ctx.get("base"), ctx.arg("currency"))
    })
}

/// One subgraph sets the context and resolves the field that reads it.
async fn one_shop() -> (Fixture, Fixture) {
    let shop = shop(json!([
        { "id": "s1", "currency": "EUR", "products": [
            { "id": "p1", "name": "Pen" }, { "id": "p2", "name": "Ink" }
        ] },
        { "id": "s2", "currency": "USD", "products": [{ "id": "p1", "name": "Pen" }] },
        { "id": "s3", "currency": "EUR", "products": [{ "id": "p2", "name": "Ink" }] }
    ]))
    .start()
    .await;
    let reviews = Subgraph::new(
        "reviews",
        r#"
        type Product @key(fields: "id") { id: ID! stars: Int! }
        "#,
    )
    .entities(
        "Product",
        json!([{ "id": "p1", "stars": 4 }, { "id": "p2", "stars": 5 }]),
    )
    .start()
    .await;
    (shop, reviews)
}

const ONE_SHOP: &str = r#"
type Query @join__type(graph: REVIEWS) @join__type(graph: SHOP) {
  stores: [Store!]! @join__field(graph: SHOP)
}
type Store @join__type(graph: SHOP, key: "id") @context(name: "shop__store") {
  id: ID!
  currency: String!
  products: [Product!]!
}
type Product @join__type(graph: REVIEWS, key: "id") @join__type(graph: SHOP, key: "id") {
  id: ID!
  name: String! @join__field(graph: SHOP)
  stars: Int! @join__field(graph: REVIEWS)
  price: Int! @join__field(graph: SHOP, contextArguments: [{context: "shop__store", name: "currency", type: "String", selection: "{ currency }"}])
}
"#;

#[tokio::test]
async fn a_field_reads_its_argument_from_the_ancestor_that_sets_the_context() {
    let (shop, reviews) = one_shop().await;
    let supergraph = Supergraph::from_apollo(&[&shop, &reviews], ONE_SHOP).await;
    let outcome = supergraph
        .query("{ stores { id products { name price stars } } }")
        .await;
    outcome.assert_data(json!({ "stores": [
        { "id": "s1", "products": [
            { "name": "Pen", "price": 3, "stars": 4 },
            { "name": "Ink", "price": 5, "stars": 5 }
        ] },
        { "id": "s2", "products": [{ "name": "Pen", "price": 6, "stars": 4 }] },
        { "id": "s3", "products": [{ "name": "Ink", "price": 5, "stars": 5 }] }
    ] }));
    insta::assert_snapshot!("context_from_the_same_subgraph", outcome.plan);
}

#[tokio::test]
async fn objects_with_different_context_values_are_sent_apart_and_equal_ones_together() {
    let (shop, reviews) = one_shop().await;
    let supergraph = Supergraph::from_apollo(&[&shop, &reviews], ONE_SHOP).await;
    let outcome = supergraph.query("{ stores { products { price } } }").await;
    outcome.assert_data(json!({ "stores": [
        { "products": [{ "price": 3 }, { "price": 5 }] },
        { "products": [{ "price": 6 }] },
        { "products": [{ "price": 5 }] }
    ] }));
    // Pen is in a EUR and a USD store: the same representation twice, with
    // different currencies. Ink is in two EUR stores: sent once.
    let entity_requests = shop.entity_requests();
    assert_eq!(entity_requests.len(), 1, "one request for every currency");
    let request = &entity_requests[0];
    assert_eq!(
        request.query.matches("_entities(").count(),
        2,
        "{}",
        request.query
    );
    let mut sent: Vec<(Value, Vec<Value>)> = Vec::new();
    for (name, value) in &request.variables {
        if let Value::Array(reps) = value {
            // Part `rN`'s representations go with its context value `rN_0`.
            let currency = request.variables[&format!("{name}_0")].clone();
            sent.push((currency, reps.clone()));
        }
    }
    sent.sort_by_key(|(currency, _)| currency.to_string());
    assert_eq!(
        sent,
        vec![
            (
                json!("EUR"),
                vec![
                    json!({ "__typename": "Product", "id": "p1" }),
                    json!({ "__typename": "Product", "id": "p2" })
                ]
            ),
            (
                json!("USD"),
                vec![json!({ "__typename": "Product", "id": "p1" })]
            ),
        ]
    );
}

#[tokio::test]
async fn a_context_field_is_read_apart_from_a_client_alias_of_its_name() {
    let (shop, reviews) = one_shop().await;
    let supergraph = Supergraph::from_apollo(&[&shop, &reviews], ONE_SHOP).await;
    let outcome = supergraph
        .query("{ stores { currency: id products { price } } }")
        .await;
    outcome.assert_data(json!({ "stores": [
        { "currency": "s1", "products": [{ "price": 3 }, { "price": 5 }] },
        { "currency": "s2", "products": [{ "price": 6 }] },
        { "currency": "s3", "products": [{ "price": 5 }] }
    ] }));
}

#[tokio::test]
async fn one_context_value_for_every_object_is_one_plain_entities_fetch() {
    let (_, reviews) = one_shop().await;
    // Every store answered in EUR: one value, one `_entities` field.
    let eur = shop(json!([
        { "id": "s1", "currency": "EUR", "products": [{ "id": "p1" }] },
        { "id": "s3", "currency": "EUR", "products": [{ "id": "p2" }] }
    ]))
    .start()
    .await;
    let supergraph = Supergraph::from_apollo(&[&eur, &reviews], ONE_SHOP).await;
    let outcome = supergraph.query("{ stores { products { price } } }").await;
    outcome.assert_data(json!({ "stores": [
        { "products": [{ "price": 3 }] },
        { "products": [{ "price": 5 }] }
    ] }));
    let requests = eur.entity_requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].query.matches("_entities(").count(), 1);
    assert_eq!(requests[0].variables["contextualArgument_0"], json!("EUR"));
}

#[tokio::test]
async fn the_context_value_comes_from_another_subgraph_when_the_setter_lacks_it() {
    // The catalog sets the context but the currency is the billing
    // subgraph's: it is fetched first, by the store's key.
    let catalog = Subgraph::new(
        "catalog",
        r#"
        type Query { stores: [Store!]! }
        type Store @key(fields: "id") @context(name: "store") {
          id: ID!
          currency: String! @external
          products: [Product!]!
        }
        type Product @key(fields: "id") {
          id: ID!
          price(currency: String @fromContext(field: "$store { currency }")): Int!
        }
        "#,
    )
    .root(
        "stores",
        json!([
            { "id": "s1", "products": [{ "id": "p1" }] },
            { "id": "s2", "products": [{ "id": "p1" }, { "id": "p2" }] }
        ]),
    )
    .entities("Product", products())
    .resolve("Product", "price", |ctx| {
        price(ctx.get("base"), ctx.arg("currency"))
    })
    .start()
    .await;
    let billing = Subgraph::new(
        "billing",
        r#"
        type Store @key(fields: "id") { id: ID! currency: String! }
        "#,
    )
    .entities(
        "Store",
        json!([{ "id": "s1", "currency": "JPY" }, { "id": "s2", "currency": "USD" }]),
    )
    .start()
    .await;
    let supergraph = Supergraph::from_apollo(
        &[&catalog, &billing],
        r#"
        type Query @join__type(graph: BILLING) @join__type(graph: CATALOG) {
          stores: [Store!]! @join__field(graph: CATALOG)
        }
        type Store @join__type(graph: BILLING, key: "id") @join__type(graph: CATALOG, key: "id") @context(name: "catalog__store") {
          id: ID!
          currency: String! @join__field(graph: BILLING) @join__field(graph: CATALOG, external: true)
          products: [Product!]! @join__field(graph: CATALOG)
        }
        type Product @join__type(graph: CATALOG, key: "id") {
          id: ID!
          price: Int! @join__field(graph: CATALOG, contextArguments: [{context: "catalog__store", name: "currency", type: "String", selection: "{ currency }"}])
        }
        "#,
    ).await;
    let outcome = supergraph
        .query("{ stores { products { id price } } }")
        .await;
    outcome.assert_data(json!({ "stores": [
        { "products": [{ "id": "p1", "price": 450 }] },
        { "products": [{ "id": "p1", "price": 6 }, { "id": "p2", "price": 10 }] }
    ] }));
    insta::assert_snapshot!("context_from_another_subgraph", outcome.plan);
}

#[tokio::test]
async fn a_context_set_by_a_subgraph_that_does_not_own_the_data_is_read_from_the_data() {
    // The pricing subgraph sets the context on a type whose fields live in
    // the catalog: the value is selected in the catalog's root fetch.
    let catalog = Subgraph::new(
        "catalog",
        r#"
        type Query { stores: [Store!]! }
        type Store @key(fields: "id") { id: ID! currency: String! products: [Product!]! }
        type Product @key(fields: "id") { id: ID! }
        "#,
    )
    .root(
        "stores",
        json!([{ "id": "s1", "currency": "USD", "products": [{ "id": "p2" }] }]),
    )
    .start()
    .await;
    let pricing = Subgraph::new(
        "pricing",
        r#"
        type Store @key(fields: "id") @context(name: "store") { id: ID! currency: String! @external }
        type Product @key(fields: "id") {
          id: ID!
          price(currency: String @fromContext(field: "$store { currency }")): Int!
        }
        "#,
    )
    .entities("Product", products())
    .resolve("Product", "price", |ctx| price(ctx.get("base"), ctx.arg("currency")))
    .start()
    .await;
    let supergraph = Supergraph::from_apollo(
        &[&catalog, &pricing],
        r#"
        type Query @join__type(graph: CATALOG) @join__type(graph: PRICING) {
          stores: [Store!]! @join__field(graph: CATALOG)
        }
        type Store @join__type(graph: CATALOG, key: "id") @join__type(graph: PRICING, key: "id") @context(name: "pricing__store") {
          id: ID!
          currency: String! @join__field(graph: CATALOG) @join__field(graph: PRICING, external: true)
          products: [Product!]! @join__field(graph: CATALOG)
        }
        type Product @join__type(graph: CATALOG, key: "id") @join__type(graph: PRICING, key: "id") {
          id: ID!
          price: Int! @join__field(graph: PRICING, contextArguments: [{context: "pricing__store", name: "currency", type: "String", selection: "{ currency }"}])
        }
        "#,
    ).await;
    let outcome = supergraph.query("{ stores { products { price } } }").await;
    outcome.assert_data(json!({ "stores": [{ "products": [{ "price": 10 }] }] }));
    assert_eq!(
        catalog.request_count(),
        1,
        "the currency comes with the stores"
    );
    assert_eq!(pricing.request_count(), 1);
}

#[tokio::test]
async fn a_context_on_a_union_reads_each_members_own_field() {
    // Both kinds of seller set the context, each with its own field name.
    let market = Subgraph::new(
        "market",
        r#"
        type Query { sellers: [Seller!]! }
        union Seller @context(name: "seller") = Shop | Person
        type Shop @key(fields: "id") { id: ID! currency: String! products: [Product!]! }
        type Person @key(fields: "id") { id: ID! homeCurrency: String! products: [Product!]! }
        type Product @key(fields: "id") {
          id: ID!
          price(currency: String @fromContext(field: "$seller ... on Shop { currency } ... on Person { homeCurrency }")): Int!
        }
        "#,
    )
    .root(
        "sellers",
        json!([
            { "__typename": "Shop", "id": "s1", "currency": "USD", "products": [{ "id": "p1" }] },
            { "__typename": "Person", "id": "u1", "homeCurrency": "JPY", "products": [{ "id": "p1" }] }
        ]),
    )
    .entities("Product", products())
    .resolve("Product", "price", |ctx| price(ctx.get("base"), ctx.arg("currency")))
    .start()
    .await;
    let other = Subgraph::new(
        "other",
        r#"
        type Product @key(fields: "id") { id: ID! name: String! }
        "#,
    )
    .entities("Product", products())
    .start()
    .await;
    let supergraph = Supergraph::from_apollo(
        &[&market, &other],
        r#"
        type Query @join__type(graph: MARKET) @join__type(graph: OTHER) {
          sellers: [Seller!]! @join__field(graph: MARKET)
        }
        union Seller @join__type(graph: MARKET) @join__unionMember(graph: MARKET, member: "Shop") @join__unionMember(graph: MARKET, member: "Person") @context(name: "market__seller") = Shop | Person
        type Shop @join__type(graph: MARKET, key: "id") {
          id: ID!
          currency: String!
          products: [Product!]!
        }
        type Person @join__type(graph: MARKET, key: "id") {
          id: ID!
          homeCurrency: String!
          products: [Product!]!
        }
        type Product @join__type(graph: MARKET, key: "id") @join__type(graph: OTHER, key: "id") {
          id: ID!
          name: String! @join__field(graph: OTHER)
          price: Int! @join__field(graph: MARKET, contextArguments: [{context: "market__seller", name: "currency", type: "String", selection: "... on Shop { currency } ... on Person { homeCurrency }"}])
        }
        "#,
    ).await;
    let outcome = supergraph
        .query(
            "{ sellers { ... on Shop { products { name price } } ... on Person { products { price } } } }",
        )
        .await;
    outcome.assert_data(json!({ "sellers": [
        { "products": [{ "name": "Pen", "price": 6 }] },
        { "products": [{ "price": 450 }] }
    ] }));
    insta::assert_snapshot!("context_on_a_union", outcome.plan);
}

/// `Query` sets the context: a root field's value steers a field deep in
/// another subgraph's entity fetch. The fixtures live as long as the
/// supergraph is used.
async fn locale_graph() -> (Supergraph, [Fixture; 2]) {
    let accounts = Subgraph::new(
        "accounts",
        r#"
        type Query @context(name: "viewer") { me: User! }
        type User @key(fields: "id") { id: ID! currency: String! }
        type Order @key(fields: "id") {
          id: ID!
          total(currency: String! @fromContext(field: "$viewer { me { currency } }")): Int!
        }
        "#,
    )
    .root("me", json!({ "id": "u1", "currency": "USD" }))
    .entities(
        "Order",
        json!([{ "id": "o1", "base": 7 }, { "id": "o2", "base": 1 }]),
    )
    .resolve("Order", "total", |ctx| {
        price(ctx.get("base"), ctx.arg("currency"))
    })
    .start()
    .await;
    let orders = Subgraph::new(
        "orders",
        r#"
        type User @key(fields: "id") { id: ID! orders: [Order!]! }
        type Order @key(fields: "id") { id: ID! }
        "#,
    )
    .entities(
        "User",
        json!([{ "id": "u1", "orders": [{ "id": "o1" }, { "id": "o2" }] }]),
    )
    .start()
    .await;
    let supergraph = Supergraph::from_apollo(
        &[&accounts, &orders],
        r#"
        type Query @join__type(graph: ACCOUNTS) @join__type(graph: ORDERS) @context(name: "accounts__viewer") {
          me: User! @join__field(graph: ACCOUNTS)
        }
        type User @join__type(graph: ACCOUNTS, key: "id") @join__type(graph: ORDERS, key: "id") {
          id: ID!
          currency: String! @join__field(graph: ACCOUNTS)
          orders: [Order!]! @join__field(graph: ORDERS)
        }
        type Order @join__type(graph: ACCOUNTS, key: "id") @join__type(graph: ORDERS, key: "id") {
          id: ID!
          total: Int! @join__field(graph: ACCOUNTS, contextArguments: [{context: "accounts__viewer", name: "currency", type: "String!", selection: "{ me { currency } }"}])
        }
        "#,
    ).await;
    (supergraph, [accounts, orders])
}

#[tokio::test]
async fn a_context_set_by_the_query_root_reaches_through_other_subgraphs() {
    let (supergraph, _fixtures) = locale_graph().await;
    let outcome = supergraph.query("{ me { orders { id total } } }").await;
    outcome.assert_data(json!({ "me": { "orders": [
        { "id": "o1", "total": 14 }, { "id": "o2", "total": 2 }
    ] } }));
    insta::assert_snapshot!("context_from_the_query_root", outcome.plan);
}

#[tokio::test]
async fn the_context_selection_is_aliased_apart_from_the_clients_fields() {
    let (supergraph, _fixtures) = locale_graph().await;
    // The context reads `me { currency }` beside the client's `me`, where
    // the client calls the id `currency`.
    let outcome = supergraph
        .query("{ currency: __typename me { currency: id orders { total } } }")
        .await;
    outcome.assert_data(json!({ "currency": "Query", "me": {
        "currency": "u1", "orders": [{ "total": 14 }, { "total": 2 }]
    } }));
}

#[tokio::test]
async fn a_nullable_context_argument_with_no_setter_on_the_way_is_left_out() {
    // The product is reached straight from the root, not through a store:
    // no currency, and the subgraph's default answers.
    let shop = Subgraph::new(
        "shop",
        r#"
        type Query { stores: [Store!]! featured: Product! }
        type Store @key(fields: "id") @context(name: "store") {
          id: ID!
          currency: String!
          products: [Product!]!
        }
        type Product @key(fields: "id") {
          id: ID!
          price(currency: String @fromContext(field: "$store { currency }")): Int!
        }
        "#,
    )
    .root("featured", json!({ "id": "p2" }))
    .root("stores", json!([]))
    .entities("Product", products())
    .resolve("Product", "price", |ctx| {
        let currency = match ctx.arg("currency") {
            Value::Null => json!("EUR"),
            given => given.clone(),
        };
        price(ctx.get("base"), &currency)
    })
    .start()
    .await;
    let supergraph = Supergraph::from_apollo(
        &[&shop],
        r#"
        type Query @join__type(graph: SHOP) {
          stores: [Store!]!
          featured: Product!
        }
        type Store @join__type(graph: SHOP, key: "id") @context(name: "shop__store") {
          id: ID!
          currency: String!
          products: [Product!]!
        }
        type Product @join__type(graph: SHOP, key: "id") {
          id: ID!
          price: Int! @join__field(graph: SHOP, contextArguments: [{context: "shop__store", name: "currency", type: "String", selection: "{ currency }"}])
        }
        "#,
    ).await;
    let outcome = supergraph.query("{ featured { price } }").await;
    outcome.assert_data(json!({ "featured": { "price": 5 } }));
    let requests = shop.entity_requests();
    assert_eq!(requests.len(), 1);
    assert!(
        !requests[0].query.contains("currency"),
        "{}",
        requests[0].query
    );
}

#[tokio::test]
async fn the_nearest_ancestor_that_sets_the_context_wins() {
    // Categories nest, and each sets the discount its own items get.
    let shop = Subgraph::new(
        "shop",
        r#"
        type Query { root: Category! }
        type Category @key(fields: "id") @context(name: "category") {
          id: ID!
          discount: Int!
          sub: Category
          items: [Item!]!
        }
        type Item @key(fields: "id") {
          id: ID!
          price(discount: Int @fromContext(field: "$category { discount }")): Int!
        }
        "#,
    )
    .root(
        "root",
        json!({ "id": "c1", "discount": 1, "items": [{ "id": "i1" }], "sub": {
            "id": "c2", "discount": 3, "items": [{ "id": "i1" }, { "id": "i2" }]
        } }),
    )
    .entities(
        "Item",
        json!([{ "id": "i1", "base": 10 }, { "id": "i2", "base": 20 }]),
    )
    .resolve("Item", "price", |ctx| {
        let base = ctx.get("base").as_i64().ok_or("no base")?;
        let discount = ctx.arg("discount").as_i64().ok_or("no discount")?;
        Ok(json!(base - discount))
    })
    .start()
    .await;
    let supergraph = Supergraph::from_apollo(
        &[&shop],
        r#"
        type Query @join__type(graph: SHOP) { root: Category! }
        type Category @join__type(graph: SHOP, key: "id") @context(name: "shop__category") {
          id: ID!
          discount: Int!
          sub: Category
          items: [Item!]!
        }
        type Item @join__type(graph: SHOP, key: "id") {
          id: ID!
          price: Int! @join__field(graph: SHOP, contextArguments: [{context: "shop__category", name: "discount", type: "Int", selection: "{ discount }"}])
        }
        "#,
    ).await;
    let outcome = supergraph
        .query("{ root { items { price } sub { items { id price } } } }")
        .await;
    outcome.assert_data(json!({ "root": {
        "items": [{ "price": 9 }],
        "sub": { "items": [{ "id": "i1", "price": 7 }, { "id": "i2", "price": 17 }] }
    } }));
}

#[tokio::test]
async fn a_context_on_an_interface_is_read_from_each_implementation() {
    let market = Subgraph::new(
        "market",
        r#"
        type Query { sellers: [Seller!]! }
        interface Seller @context(name: "seller") { id: ID! currency: String! products: [Product!]! }
        type Shop implements Seller @key(fields: "id") { id: ID! currency: String! products: [Product!]! }
        type Person implements Seller @key(fields: "id") { id: ID! currency: String! products: [Product!]! }
        type Product @key(fields: "id") {
          id: ID!
          price(currency: String @fromContext(field: "$seller { currency }")): Int!
        }
        "#,
    )
    .root(
        "sellers",
        json!([
            { "__typename": "Shop", "id": "s1", "currency": "EUR", "products": [{ "id": "p1" }] },
            { "__typename": "Person", "id": "u1", "currency": "USD", "products": [{ "id": "p1" }] }
        ]),
    )
    .entities("Product", products())
    .resolve("Product", "price", |ctx| price(ctx.get("base"), ctx.arg("currency")))
    .start()
    .await;
    let supergraph = Supergraph::from_apollo(
        &[&market],
        r#"
        type Query @join__type(graph: MARKET) { sellers: [Seller!]! }
        interface Seller @join__type(graph: MARKET) @context(name: "market__seller") {
          id: ID!
          currency: String!
          products: [Product!]!
        }
        type Shop implements Seller @join__type(graph: MARKET, key: "id") @join__implements(graph: MARKET, interface: "Seller") {
          id: ID!
          currency: String!
          products: [Product!]!
        }
        type Person implements Seller @join__type(graph: MARKET, key: "id") @join__implements(graph: MARKET, interface: "Seller") {
          id: ID!
          currency: String!
          products: [Product!]!
        }
        type Product @join__type(graph: MARKET, key: "id") {
          id: ID!
          price: Int! @join__field(graph: MARKET, contextArguments: [{context: "market__seller", name: "currency", type: "String", selection: "{ currency }"}])
        }
        "#,
    ).await;
    let outcome = supergraph.query("{ sellers { products { price } } }").await;
    outcome.assert_data(json!({ "sellers": [
        { "products": [{ "price": 3 }] },
        { "products": [{ "price": 6 }] }
    ] }));
}

#[tokio::test]
async fn a_setter_entered_from_another_subgraph_is_read_where_its_data_already_is() {
    // Store is the catalog's; the inventory adds `shelves`, whose products'
    // prices read the store's currency. The currency comes in the catalog's
    // root fetch beside the store's key, with no fetch of its own.
    let catalog = Subgraph::new(
        "catalog",
        r#"
        type Query { stores: [Store!]! }
        type Store @key(fields: "id") @context(name: "store") { id: ID! currency: String! }
        type Product @key(fields: "id") {
          id: ID!
          price(currency: String @fromContext(field: "$store { currency }")): Int!
        }
        "#,
    )
    .root(
        "stores",
        json!([{ "id": "s1", "currency": "JPY" }, { "id": "s2", "currency": "EUR" }]),
    )
    .entities("Product", products())
    .resolve("Product", "price", |ctx| {
        price(ctx.get("base"), ctx.arg("currency"))
    })
    .start()
    .await;
    let inventory = Subgraph::new(
        "inventory",
        r#"
        type Store @key(fields: "id") { id: ID! shelves: [Shelf!]! }
        type Shelf { label: String! products: [Product!]! }
        type Product @key(fields: "id") { id: ID! }
        "#,
    )
    .entities(
        "Store",
        json!([
            { "id": "s1", "shelves": [{ "label": "A", "products": [{ "id": "p1" }] }] },
            { "id": "s2", "shelves": [{ "label": "B", "products": [{ "id": "p1" }, { "id": "p2" }] }] }
        ]),
    )
    .start()
    .await;
    let supergraph = Supergraph::from_apollo(
        &[&catalog, &inventory],
        r#"
        type Query @join__type(graph: CATALOG) @join__type(graph: INVENTORY) {
          stores: [Store!]! @join__field(graph: CATALOG)
        }
        type Store @join__type(graph: CATALOG, key: "id") @join__type(graph: INVENTORY, key: "id") @context(name: "catalog__store") {
          id: ID!
          currency: String! @join__field(graph: CATALOG)
          shelves: [Shelf!]! @join__field(graph: INVENTORY)
        }
        type Shelf @join__type(graph: INVENTORY) {
          label: String!
          products: [Product!]!
        }
        type Product @join__type(graph: CATALOG, key: "id") @join__type(graph: INVENTORY, key: "id") {
          id: ID!
          price: Int! @join__field(graph: CATALOG, contextArguments: [{context: "catalog__store", name: "currency", type: "String", selection: "{ currency }"}])
        }
        "#,
    ).await;
    let outcome = supergraph
        .query("{ stores { shelves { label products { price } } } }")
        .await;
    outcome.assert_data(json!({ "stores": [
        { "shelves": [{ "label": "A", "products": [{ "price": 450 }] }] },
        { "shelves": [{ "label": "B", "products": [{ "price": 3 }, { "price": 5 }] }] }
    ] }));
    assert_eq!(catalog.request_count(), 2, "the stores, then the prices");
    insta::assert_snapshot!("context_read_at_the_entry", outcome.plan);
}

#[tokio::test]
async fn context_variables_are_named_apart_from_the_clients_variables() {
    let (shop, reviews) = one_shop().await;
    let supergraph = Supergraph::from_apollo(&[&shop, &reviews], ONE_SHOP).await;
    let outcome = supergraph
        .request(
            "query($contextualArgument_0: Boolean!, $r0: Boolean!) { stores { products { price @include(if: $contextualArgument_0) stars @include(if: $r0) } } }",
            json!({ "contextualArgument_0": true, "r0": true }),
        )
        .await;
    outcome.assert_data(json!({ "stores": [
        { "products": [{ "price": 3, "stars": 4 }, { "price": 5, "stars": 5 }] },
        { "products": [{ "price": 6, "stars": 4 }] },
        { "products": [{ "price": 5, "stars": 5 }] }
    ] }));
}

#[tokio::test]
async fn a_required_context_argument_with_no_setter_on_the_way_cannot_be_planned() {
    let shop = Subgraph::new(
        "shop",
        r#"
        type Query { stores: [Store!]! featured: Product! }
        type Store @key(fields: "id") @context(name: "store") { id: ID! currency: String! products: [Product!]! }
        type Product @key(fields: "id") {
          id: ID!
          price(currency: String! @fromContext(field: "$store { currency }")): Int!
        }
        "#,
    )
    .root("featured", json!({ "id": "p2" }))
    .start()
    .await;
    let supergraph = Supergraph::from_apollo(
        &[&shop],
        r#"
        type Query @join__type(graph: SHOP) { stores: [Store!]! featured: Product! }
        type Store @join__type(graph: SHOP, key: "id") @context(name: "shop__store") {
          id: ID!
          currency: String!
          products: [Product!]!
        }
        type Product @join__type(graph: SHOP, key: "id") {
          id: ID!
          price: Int! @join__field(graph: SHOP, contextArguments: [{context: "shop__store", name: "currency", type: "String!", selection: "{ currency }"}])
        }
        "#,
    ).await;
    let outcome = supergraph.query("{ featured { price } }").await;
    let errors = outcome.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let message = errors[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("shop__store") && message.contains("Product.price"),
        "{message}"
    );
    assert_eq!(shop.request_count(), 0, "nothing is fetched");
}

#[tokio::test]
async fn an_object_does_not_read_the_context_it_sets_itself() {
    // A folder's label reads the enclosing folder's path: the root folder
    // has none, its child reads the root's.
    let files = Subgraph::new(
        "files",
        r#"
        type Query { root: Folder! }
        type Folder @key(fields: "id") @context(name: "folder") {
          id: ID!
          path: String!
          child: Folder
          label(parent: String @fromContext(field: "$folder { path }")): String!
        }
        "#,
    )
    .root(
        "root",
        json!({ "id": "f1", "path": "/", "child": { "id": "f2", "path": "/docs" } }),
    )
    .entities(
        "Folder",
        json!([{ "id": "f1", "path": "/" }, { "id": "f2", "path": "/docs" }]),
    )
    .resolve("Folder", "label", |ctx| {
        Ok(json!(format!(
            "{} in {}",
            ctx.get("id").as_str().unwrap_or("?"),
            ctx.arg("parent").as_str().unwrap_or("nothing")
        )))
    })
    .start()
    .await;
    let supergraph = Supergraph::from_apollo(
        &[&files],
        r#"
        type Query @join__type(graph: FILES) { root: Folder! }
        type Folder @join__type(graph: FILES, key: "id") @context(name: "files__folder") {
          id: ID!
          path: String!
          child: Folder
          label: String! @join__field(graph: FILES, contextArguments: [{context: "files__folder", name: "parent", type: "String", selection: " { path }"}])
        }
        "#,
    ).await;
    let outcome = supergraph.query("{ root { label child { label } } }").await;
    outcome.assert_data(json!({ "root": {
        "label": "f1 in nothing",
        "child": { "label": "f2 in /" }
    } }));
}

#[tokio::test]
async fn a_field_below_the_entity_that_sets_its_context_is_resolved_in_that_entity_fetch() {
    // The folder's path is the tree's; children and their labels are the
    // browser's, which sets the context on the folder it is entered at.
    let tree = Subgraph::new(
        "tree",
        r#"
        type Query { folders: [Folder!]! }
        type Folder @key(fields: "id") { id: ID! path: String! }
        "#,
    )
    .root(
        "folders",
        json!([{ "id": "f1", "path": "/a" }, { "id": "f2", "path": "/b" }]),
    )
    .start()
    .await;
    let browser = Subgraph::new(
        "browser",
        r#"
        type Folder @key(fields: "id") @context(name: "folder") {
          id: ID!
          path: String! @external
          files: [File!]!
        }
        type File @key(fields: "id") {
          id: ID!
          location(folder: String @fromContext(field: "$folder { path }")): String!
        }
        "#,
    )
    .entities(
        "Folder",
        json!([
            { "id": "f1", "files": [{ "id": "x" }, { "id": "y" }] },
            { "id": "f2", "files": [{ "id": "x" }] }
        ]),
    )
    .entities("File", json!([{ "id": "x" }, { "id": "y" }]))
    .resolve("File", "location", |ctx| {
        let folder = ctx.arg("folder").as_str().ok_or("no folder")?;
        Ok(json!(format!(
            "{folder}/{}",
            ctx.get("id").as_str().unwrap_or("?")
        )))
    })
    .start()
    .await;
    let supergraph = Supergraph::from_apollo(
        &[&tree, &browser],
        r#"
        type Query @join__type(graph: BROWSER) @join__type(graph: TREE) {
          folders: [Folder!]! @join__field(graph: TREE)
        }
        type Folder @join__type(graph: BROWSER, key: "id") @join__type(graph: TREE, key: "id") @context(name: "browser__folder") {
          id: ID!
          path: String! @join__field(graph: TREE) @join__field(graph: BROWSER, external: true)
          files: [File!]! @join__field(graph: BROWSER)
        }
        type File @join__type(graph: BROWSER, key: "id") {
          id: ID!
          location: String! @join__field(graph: BROWSER, contextArguments: [{context: "browser__folder", name: "folder", type: "String", selection: " { path }"}])
        }
        "#,
    ).await;
    let outcome = supergraph.query("{ folders { files { location } } }").await;
    outcome.assert_data(json!({ "folders": [
        { "files": [{ "location": "/a/x" }, { "location": "/a/y" }] },
        { "files": [{ "location": "/b/x" }] }
    ] }));
    assert_eq!(tree.request_count(), 1);
    assert_eq!(
        browser.request_count(),
        1,
        "the files and their locations in one fetch"
    );
    insta::assert_snapshot!("context_below_the_entry", outcome.plan);
}

#[tokio::test]
async fn a_context_the_entrys_own_subgraph_must_read_is_fetched_before_the_field() {
    // The path is the browser's alone: it cannot travel in the browser's
    // own fetch for the files, so the locations come one fetch later.
    let tree = Subgraph::new(
        "tree",
        r#"
        type Query { folders: [Folder!]! }
        type Folder @key(fields: "id") { id: ID! }
        "#,
    )
    .root("folders", json!([{ "id": "f1" }, { "id": "f2" }]))
    .start()
    .await;
    let browser = Subgraph::new(
        "browser",
        r#"
        type Folder @key(fields: "id") @context(name: "folder") { id: ID! path: String! files: [File!]! }
        type File @key(fields: "id") {
          id: ID!
          location(folder: String @fromContext(field: "$folder { path }")): String!
        }
        "#,
    )
    .entities(
        "Folder",
        json!([
            { "id": "f1", "path": "/a", "files": [{ "id": "x" }] },
            { "id": "f2", "path": "/b", "files": [{ "id": "x" }] }
        ]),
    )
    .entities("File", json!([{ "id": "x" }]))
    .resolve("File", "location", |ctx| {
        let folder = ctx.arg("folder").as_str().ok_or("no folder")?;
        Ok(json!(format!("{folder}/{}", ctx.get("id").as_str().unwrap_or("?"))))
    })
    .start()
    .await;
    let supergraph = Supergraph::from_apollo(
        &[&tree, &browser],
        r#"
        type Query @join__type(graph: BROWSER) @join__type(graph: TREE) {
          folders: [Folder!]! @join__field(graph: TREE)
        }
        type Folder @join__type(graph: BROWSER, key: "id") @join__type(graph: TREE, key: "id") @context(name: "browser__folder") {
          id: ID!
          path: String! @join__field(graph: BROWSER)
          files: [File!]! @join__field(graph: BROWSER)
        }
        type File @join__type(graph: BROWSER, key: "id") {
          id: ID!
          location: String! @join__field(graph: BROWSER, contextArguments: [{context: "browser__folder", name: "folder", type: "String", selection: "{ path }"}])
        }
        "#,
    ).await;
    let outcome = supergraph.query("{ folders { files { location } } }").await;
    outcome.assert_data(json!({ "folders": [
        { "files": [{ "location": "/a/x" }] },
        { "files": [{ "location": "/b/x" }] }
    ] }));
    assert_eq!(browser.request_count(), 2);
}

#[tokio::test]
async fn a_position_typed_by_an_interface_sets_only_what_its_implementations_set_there() {
    // Only shops set the context. Through the interface nothing does (null,
    // the default price); under `... on Shop` the shop's currency is read.
    let market = Subgraph::new(
        "market",
        r#"
        type Query { sellers: [Seller!]! }
        interface Seller { id: ID! products: [Product!]! }
        type Shop implements Seller @key(fields: "id") @context(name: "shop") { id: ID! currency: String! products: [Product!]! }
        type Person implements Seller @key(fields: "id") { id: ID! currency: String! products: [Product!]! }
        type Product @key(fields: "id") {
          id: ID!
          price(currency: String @fromContext(field: "$shop { currency }")): Int!
        }
        "#,
    )
    .root(
        "sellers",
        json!([
            { "__typename": "Shop", "id": "s1", "currency": "USD", "products": [{ "id": "p1" }] },
            { "__typename": "Person", "id": "u1", "currency": "JPY", "products": [{ "id": "p1" }] }
        ]),
    )
    .entities("Product", products())
    .resolve("Product", "price", |ctx| {
        let currency = match ctx.arg("currency") {
            Value::Null => json!("EUR"),
            given => given.clone(),
        };
        price(ctx.get("base"), &currency)
    })
    .start()
    .await;
    let supergraph = Supergraph::from_apollo(
        &[&market],
        r#"
        type Query @join__type(graph: MARKET) { sellers: [Seller!]! }
        interface Seller @join__type(graph: MARKET) { id: ID! products: [Product!]! }
        type Shop implements Seller @join__type(graph: MARKET, key: "id") @join__implements(graph: MARKET, interface: "Seller") @context(name: "market__shop") {
          id: ID!
          currency: String!
          products: [Product!]!
        }
        type Person implements Seller @join__type(graph: MARKET, key: "id") @join__implements(graph: MARKET, interface: "Seller") {
          id: ID!
          currency: String!
          products: [Product!]!
        }
        type Product @join__type(graph: MARKET, key: "id") {
          id: ID!
          price: Int! @join__field(graph: MARKET, contextArguments: [{context: "market__shop", name: "currency", type: "String", selection: "{ currency }"}])
        }
        "#,
    ).await;
    let through_interface = supergraph.query("{ sellers { products { price } } }").await;
    through_interface.assert_data(json!({ "sellers": [
        { "products": [{ "price": 3 }] },
        { "products": [{ "price": 3 }] }
    ] }));
    let as_shop = supergraph
        .query("{ sellers { ... on Shop { products { price } } ... on Person { id } } }")
        .await;
    as_shop.assert_data(json!({ "sellers": [
        { "products": [{ "price": 6 }] },
        { "id": "u1" }
    ] }));
}
