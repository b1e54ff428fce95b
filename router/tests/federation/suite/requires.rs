//! `@requires`: fields computed from other subgraphs' data passed in the representation.

use serde_json::json;

use crate::kit::{Subgraph, Supergraph, all_representations};

#[tokio::test]
async fn requires_with_a_nested_selection_sends_the_nested_fields() {
    let warehouse = Subgraph::new(
        "warehouse",
        r#"
        type Dimensions @shareable { width: Int! height: Int! weight: Int! }
        type Package @key(fields: "id") { id: ID! dimensions: Dimensions! label: String! }
        type Query { packages: [Package!]! }
        "#,
    )
    .root("packages", json!([
        { "id": "p1", "label": "small", "dimensions": { "width": 2, "height": 3, "weight": 4 } },
        { "id": "p2", "label": "large", "dimensions": { "width": 10, "height": 10, "weight": 50 } }
    ]))
    .entities("Package", json!([
        { "id": "p1", "label": "small", "dimensions": { "width": 2, "height": 3, "weight": 4 } },
        { "id": "p2", "label": "large", "dimensions": { "width": 10, "height": 10, "weight": 50 } }
    ]))
    .start()
    .await;
    let shipping = Subgraph::new(
        "shipping",
        r#"
        type Dimensions @shareable { width: Int! height: Int! weight: Int! }
        type Package @key(fields: "id") {
          id: ID!
          dimensions: Dimensions! @external
          shippingCost: Int! @requires(fields: "dimensions { width height weight }")
        }
        "#,
    )
    .echo_entities("Package")
    .resolve("Package", "shippingCost", |ctx| {
        let d = ctx.get("dimensions");
        let int = |k: &str| d[k].as_i64().ok_or(format!("missing {k} in {d}"));
        Ok(json!(int("width")? * int("height")? + int("weight")?))
    })
    .start()
    .await;
    let supergraph = Supergraph::new(&[&warehouse, &shipping]).await;
    let outcome = supergraph
        .query("{ packages { label shippingCost } }")
        .await;
    outcome.assert_data(json!({ "packages": [
        { "label": "small", "shippingCost": 10 },
        { "label": "large", "shippingCost": 150 }
    ] }));
    assert_eq!(
        all_representations(&shipping),
        vec![
            json!({ "__typename": "Package", "id": "p1", "dimensions": { "width": 2, "height": 3, "weight": 4 } }),
            json!({ "__typename": "Package", "id": "p2", "dimensions": { "width": 10, "height": 10, "weight": 50 } })
        ]
    );
}

#[tokio::test]
async fn requires_a_field_with_arguments() {
    let pricing = Subgraph::new(
        "pricing",
        r#"
        type Listing @key(fields: "id") { id: ID! price(currency: String!): Int! }
        type Query { listings: [Listing!]! }
        "#,
    )
    .root("listings", json!([{ "id": "l1" }]))
    .entities("Listing", json!([{ "id": "l1" }]))
    .resolve("Listing", "price", |ctx| {
        match ctx.arg("currency").as_str() {
            Some("EUR") => Ok(json!(100)),
            Some("USD") => Ok(json!(110)),
            other => Err(format!("unknown currency {other:?}")),
        }
    })
    .start()
    .await;
    let tax = Subgraph::new(
        "tax",
        r#"
        type Listing @key(fields: "id") {
          id: ID!
          price(currency: String!): Int! @external
          vat: Int! @requires(fields: "price(currency: \"EUR\")")
        }
        "#,
    )
    .echo_entities("Listing")
    .resolve("Listing", "vat", |ctx| {
        ctx.get("price")
            .as_i64()
            .map(|p| json!(p / 5))
            .ok_or_else(|| format!("no price in {}", ctx.parent))
    })
    .start()
    .await;
    let supergraph = Supergraph::new(&[&pricing, &tax]).await;
    let outcome = supergraph
        .query(r#"{ listings { usd: price(currency: "USD") vat } }"#)
        .await;
    outcome.assert_data(json!({ "listings": [{ "usd": 110, "vat": 20 }] }));
    assert_eq!(
        all_representations(&tax),
        vec![json!({ "__typename": "Listing", "id": "l1", "price": 100 })]
    );
}

#[tokio::test]
async fn requires_with_fragments_on_an_abstract_type() {
    let posts = Subgraph::new(
        "posts",
        r#"
        type Photo @shareable { pixels: Int! caption: String }
        type Video @shareable { seconds: Int! caption: String }
        union Attachment = Photo | Video
        type Post @key(fields: "id") { id: ID! attachment: Attachment }
        type Query { posts: [Post!]! }
        "#,
    )
    .root("posts", json!([
        { "id": "p1", "attachment": { "__typename": "Photo", "pixels": 1000, "caption": "sun" } },
        { "id": "p2", "attachment": { "__typename": "Video", "seconds": 30, "caption": "sea" } },
        { "id": "p3", "attachment": null }
    ]))
    .entities("Post", json!([
        { "id": "p1", "attachment": { "__typename": "Photo", "pixels": 1000, "caption": "sun" } },
        { "id": "p2", "attachment": { "__typename": "Video", "seconds": 30, "caption": "sea" } },
        { "id": "p3", "attachment": null }
    ]))
    .start()
    .await;
    let storage = Subgraph::new(
        "storage",
        r#"
        type Photo @shareable { pixels: Int! caption: String }
        type Video @shareable { seconds: Int! caption: String }
        union Attachment = Photo | Video
        type Post @key(fields: "id") {
          id: ID!
          attachment: Attachment @external
          storageCost: Int! @requires(fields: "attachment { ... on Photo { pixels } ... on Video { seconds } }")
        }
        "#,
    )
    .echo_entities("Post")
    .resolve("Post", "storageCost", |ctx| {
        let a = ctx.get("attachment");
        if a.is_null() {
            return Ok(json!(0));
        }
        match (a["pixels"].as_i64(), a["seconds"].as_i64()) {
            (Some(pixels), None) => Ok(json!(pixels / 100)),
            (None, Some(seconds)) => Ok(json!(seconds * 2)),
            _ => Err(format!("unexpected attachment {a}")),
        }
    })
    .start()
    .await;
    let supergraph = Supergraph::new(&[&posts, &storage]).await;
    let outcome = supergraph.query("{ posts { id storageCost } }").await;
    outcome.assert_data(json!({ "posts": [
        { "id": "p1", "storageCost": 10 },
        { "id": "p2", "storageCost": 60 },
        { "id": "p3", "storageCost": 0 }
    ] }));
    let reps = all_representations(&storage);
    assert_eq!(reps.len(), 3, "{reps:?}");
    assert_eq!(reps[0]["attachment"]["pixels"], json!(1000));
    assert_eq!(reps[0]["attachment"]["__typename"], json!("Photo"));
    assert_eq!(reps[1]["attachment"]["seconds"], json!(30));
    assert_eq!(reps[2]["attachment"], json!(null));
}

#[tokio::test]
async fn requires_chain_where_the_required_field_needs_its_own_fetches() {
    // schedule lists flights; routes knows distance; fuel requires distance;
    // emissions requires fuel: three entity fetches in sequence.
    let schedule = Subgraph::new(
        "schedule",
        r#"
        type Flight @key(fields: "id") { id: ID! number: String! }
        type Query { flights: [Flight!]! }
        "#,
    )
    .root(
        "flights",
        json!([{ "id": "f1", "number": "BA1" }, { "id": "f2", "number": "AF2" }]),
    )
    .start()
    .await;
    let routes = Subgraph::new(
        "routes",
        r#"
        type Flight @key(fields: "id") { id: ID! distance: Int! }
        "#,
    )
    .entities(
        "Flight",
        json!([{ "id": "f1", "distance": 500 }, { "id": "f2", "distance": 900 }]),
    )
    .start()
    .await;
    let fuel = Subgraph::new(
        "fuel",
        r#"
        type Flight @key(fields: "id") { id: ID! distance: Int! @external fuel: Int! @requires(fields: "distance") }
        "#,
    )
    .echo_entities("Flight")
    .resolve("Flight", "fuel", |ctx| Ok(json!(ctx.get("distance").as_i64().ok_or("no distance")? * 3)))
    .start()
    .await;
    let emissions = Subgraph::new(
        "emissions",
        r#"
        type Flight @key(fields: "id") { id: ID! fuel: Int! @external co2: Int! @requires(fields: "fuel") }
        "#,
    )
    .echo_entities("Flight")
    .resolve("Flight", "co2", |ctx| Ok(json!(ctx.get("fuel").as_i64().ok_or("no fuel")? * 2 + 1)))
    .start()
    .await;
    let supergraph = Supergraph::new(&[&schedule, &routes, &fuel, &emissions]).await;
    let outcome = supergraph.query("{ flights { number co2 } }").await;
    outcome.assert_data(
        json!({ "flights": [{ "number": "BA1", "co2": 3001 }, { "number": "AF2", "co2": 5401 }] }),
    );
    assert_eq!(
        all_representations(&emissions),
        vec![
            json!({ "__typename": "Flight", "id": "f1", "fuel": 1500 }),
            json!({ "__typename": "Flight", "id": "f2", "fuel": 2700 })
        ]
    );
    assert_eq!(fuel.entity_requests().len(), 1);
    assert_eq!(routes.entity_requests().len(), 1);
}

/// `inventory` weighs products in any unit; `shipping` needs the weight in
/// kilograms and `customs` in pounds, while the client asks for grams.
async fn weights() -> (
    crate::kit::Fixture,
    crate::kit::Fixture,
    crate::kit::Fixture,
) {
    let inventory = Subgraph::new(
        "inventory",
        r#"
        enum Unit { G KG LB }
        type Product @key(fields: "id") { id: ID! weight(unit: Unit!): Float! }
        type Query { products: [Product!]! }
        "#,
    )
    .root(
        "products",
        json!([{ "id": "p1", "grams": 2000 }, { "id": "p2", "grams": 500 }]),
    )
    .entities(
        "Product",
        json!([{ "id": "p1", "grams": 2000 }, { "id": "p2", "grams": 500 }]),
    )
    .resolve("Product", "weight", |ctx| {
        let grams = ctx.get("grams").as_f64().unwrap_or(0.0);
        let weight = match ctx.arg("unit").as_str() {
            Some("KG") => grams / 1000.0,
            Some("LB") => (grams / 453.6 * 100.0).round() / 100.0,
            _ => grams,
        };
        Ok(json!(weight))
    })
    .start()
    .await;
    let shipping = Subgraph::new(
        "shipping",
        r#"
        enum Unit { G KG LB }
        type Product @key(fields: "id") {
          id: ID!
          weight(unit: Unit!): Float! @external
          shippingCost: Int! @requires(fields: "weight(unit: KG)")
        }
        "#,
    )
    .echo_entities("Product")
    .resolve("Product", "shippingCost", |ctx| {
        Ok(json!(
            (ctx.get("weight").as_f64().unwrap_or(-1.0) * 10.0) as i64
        ))
    })
    .start()
    .await;
    let customs = Subgraph::new(
        "customs",
        r#"
        enum Unit { G KG LB }
        type Product @key(fields: "id") {
          id: ID!
          weight(unit: Unit!): Float! @external
          declared: String! @requires(fields: "weight(unit: LB)")
        }
        "#,
    )
    .echo_entities("Product")
    .resolve("Product", "declared", |ctx| {
        Ok(json!(format!("{} lb", ctx.get("weight"))))
    })
    .start()
    .await;
    (inventory, shipping, customs)
}

#[tokio::test]
async fn required_fields_with_other_arguments_than_the_clients_are_fetched_apart() {
    let (inventory, shipping, customs) = weights().await;
    let supergraph = Supergraph::new(&[&inventory, &shipping, &customs]).await;
    let outcome = supergraph
        .query("{ products { id weight(unit: G) shippingCost declared } }")
        .await;
    outcome.assert_data(json!({ "products": [
        { "id": "p1", "weight": 2000.0, "shippingCost": 20, "declared": "4.41 lb" },
        { "id": "p2", "weight": 500.0, "shippingCost": 5, "declared": "1.1 lb" }
    ] }));
    insta::assert_snapshot!("requires_with_arguments", outcome.plan);
    assert_eq!(
        all_representations(&shipping),
        vec![
            json!({ "__typename": "Product", "id": "p1", "weight": 2.0 }),
            json!({ "__typename": "Product", "id": "p2", "weight": 0.5 })
        ]
    );
    assert_eq!(
        all_representations(&customs),
        vec![
            json!({ "__typename": "Product", "id": "p1", "weight": 4.41 }),
            json!({ "__typename": "Product", "id": "p2", "weight": 1.1 })
        ]
    );
    // The client's own alias of the same field is kept apart too.
    let outcome = supergraph
        .query("{ products { kg: weight(unit: KG) weight(unit: LB) shippingCost } }")
        .await;
    outcome.assert_data(json!({ "products": [
        { "kg": 2.0, "weight": 4.41, "shippingCost": 20 },
        { "kg": 0.5, "weight": 1.1, "shippingCost": 5 }
    ] }));
}

#[tokio::test]
async fn requires_inside_type_conditions_waits_for_fields_from_a_third_subgraph() {
    let posts = Subgraph::new(
        "posts",
        r#"
        type Photo @key(fields: "id") { id: ID! }
        type Video @key(fields: "id") { id: ID! seconds: Int! }
        union Attachment = Photo | Video
        type Post @key(fields: "id") { id: ID! attachment: Attachment }
        type Query { posts: [Post!]! }
        "#,
    )
    .root(
        "posts",
        json!([
            { "id": "p1", "attachment": { "__typename": "Photo", "id": "ph1" } },
            { "id": "p2", "attachment": { "__typename": "Video", "id": "v1", "seconds": 30 } }
        ]),
    )
    .start()
    .await;
    let images = Subgraph::new(
        "images",
        r#"type Photo @key(fields: "id") { id: ID! pixels: Int! }"#,
    )
    .entities("Photo", json!([{ "id": "ph1", "pixels": 1000 }]))
    .start()
    .await;
    let storage = Subgraph::new(
        "storage",
        r#"
        type Photo @key(fields: "id") { id: ID! pixels: Int! @external }
        type Video @key(fields: "id") { id: ID! seconds: Int! @external }
        union Attachment = Photo | Video
        type Post @key(fields: "id") {
          id: ID!
          attachment: Attachment @external
          storageCost: Int! @requires(fields: "attachment { ... on Photo { pixels } ... on Video { seconds } }")
        }
        "#,
    )
    .echo_entities("Post")
    .resolve("Post", "storageCost", |ctx| {
        let a = ctx.get("attachment");
        match (a["pixels"].as_i64(), a["seconds"].as_i64()) {
            (Some(pixels), None) => Ok(json!(pixels / 100)),
            (None, Some(seconds)) => Ok(json!(seconds * 2)),
            _ => Err(format!("unexpected attachment {a}")),
        }
    })
    .start()
    .await;
    let supergraph = Supergraph::new(&[&posts, &images, &storage]).await;
    let outcome = supergraph.query("{ posts { id storageCost } }").await;
    outcome.assert_data(json!({ "posts": [
        { "id": "p1", "storageCost": 10 },
        { "id": "p2", "storageCost": 60 }
    ] }));
    let reps = all_representations(&storage);
    assert_eq!(
        reps,
        vec![
            json!({ "__typename": "Post", "id": "p1", "attachment": { "__typename": "Photo", "pixels": 1000 } }),
            json!({ "__typename": "Post", "id": "p2", "attachment": { "__typename": "Video", "seconds": 30 } })
        ]
    );
    insta::assert_snapshot!(
        "requires_in_type_conditions_from_a_third_subgraph",
        outcome.plan
    );
}

#[tokio::test]
async fn a_required_field_without_arguments_beside_the_clients_with_arguments() {
    let inventory = Subgraph::new(
        "inventory",
        r#"
        enum Unit { G KG }
        type Product @key(fields: "id") { id: ID! weight(unit: Unit! = G): Float! }
        type Query { products: [Product!]! }
        "#,
    )
    .root("products", json!([{ "id": "p1", "grams": 2000 }]))
    .resolve("Product", "weight", |ctx| {
        let grams = ctx.get("grams").as_f64().unwrap_or(0.0);
        Ok(json!(match ctx.arg("unit").as_str() {
            Some("KG") => grams / 1000.0,
            _ => grams,
        }))
    })
    .start()
    .await;
    let shipping = Subgraph::new(
        "shipping",
        r#"
        enum Unit { G KG }
        type Product @key(fields: "id") {
          id: ID!
          weight(unit: Unit! = G): Float! @external
          shippingCost: Int! @requires(fields: "weight")
        }
        "#,
    )
    .echo_entities("Product")
    .resolve("Product", "shippingCost", |ctx| {
        Ok(json!(
            (ctx.get("weight").as_f64().unwrap_or(-1.0) / 100.0) as i64
        ))
    })
    .start()
    .await;
    let supergraph = Supergraph::new(&[&inventory, &shipping]).await;
    // The client's `weight` is in kilograms; the requirement is in grams.
    let outcome = supergraph
        .query("{ products { weight(unit: KG) shippingCost } }")
        .await;
    outcome.assert_data(json!({ "products": [{ "weight": 2.0, "shippingCost": 20 }] }));
    assert_eq!(
        all_representations(&shipping),
        vec![json!({ "__typename": "Product", "id": "p1", "weight": 2000.0 })]
    );
}
