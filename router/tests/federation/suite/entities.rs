//! Entities joined across subgraphs by their keys.

use serde_json::json;

use crate::kit::{Subgraph, Supergraph, all_representations};

#[tokio::test]
async fn entity_with_one_key_is_joined_from_another_subgraph() {
    let accounts = Subgraph::new(
        "accounts",
        r#"
        type User @key(fields: "id") { id: ID! name: String! }
        type Query { me: User }
        "#,
    )
    .root("me", json!({ "id": "u1", "name": "Ada" }))
    .start()
    .await;
    let reviews = Subgraph::new(
        "reviews",
        r#"
        type User @key(fields: "id") { id: ID! reviews: [Review!]! }
        type Review { body: String! }
        "#,
    )
    .entities(
        "User",
        json!([{ "id": "u1", "reviews": [{ "body": "great" }, { "body": "meh" }] }]),
    )
    .start()
    .await;
    let supergraph = Supergraph::new(&[&accounts, &reviews]).await;
    let outcome = supergraph.query("{ me { name reviews { body } } }").await;
    outcome.assert_data(
        json!({ "me": { "name": "Ada", "reviews": [{ "body": "great" }, { "body": "meh" }] } }),
    );
    assert_eq!(accounts.request_count(), 1);
    assert_eq!(reviews.request_count(), 1);
    assert_eq!(
        all_representations(&reviews),
        vec![json!({ "__typename": "User", "id": "u1" })]
    );
}

#[tokio::test]
async fn entity_with_several_keys_is_fetched_by_the_key_the_subgraph_knows() {
    let locations = Subgraph::new(
        "locations",
        r#"
        type Location @key(fields: "id") @key(fields: "code") { id: ID! code: String! name: String! }
        type Query { locations: [Location!]! }
        "#,
    )
    .root("locations", json!([
        { "id": "l1", "code": "LHR", "name": "Heathrow" },
        { "id": "l2", "code": "CDG", "name": "Roissy" }
    ]))
    .start()
    .await;
    let weather = Subgraph::new(
        "weather",
        r#"
        type Location @key(fields: "code") { code: String! temperature: Int! }
        "#,
    )
    .entities(
        "Location",
        json!([{ "code": "LHR", "temperature": 12 }, { "code": "CDG", "temperature": 15 }]),
    )
    .start()
    .await;
    let supergraph = Supergraph::new(&[&locations, &weather]).await;
    let outcome = supergraph.query("{ locations { name temperature } }").await;
    outcome.assert_data(json!({ "locations": [
        { "name": "Heathrow", "temperature": 12 },
        { "name": "Roissy", "temperature": 15 }
    ] }));
    assert_eq!(
        all_representations(&weather),
        vec![
            json!({ "__typename": "Location", "code": "LHR" }),
            json!({ "__typename": "Location", "code": "CDG" })
        ]
    );
}

#[tokio::test]
async fn compound_key_is_sent_whole() {
    let inventory = Subgraph::new(
        "inventory",
        r#"
        type Shelf @key(fields: "aisle position") { aisle: Int! position: String! label: String! }
        type Query { shelves: [Shelf!]! }
        "#,
    )
    .root(
        "shelves",
        json!([
            { "aisle": 1, "position": "top", "label": "A1-top" },
            { "aisle": 1, "position": "bottom", "label": "A1-bottom" }
        ]),
    )
    .start()
    .await;
    let stock = Subgraph::new(
        "stock",
        r#"
        type Shelf @key(fields: "aisle position") { aisle: Int! position: String! itemCount: Int! }
        "#,
    )
    .entities(
        "Shelf",
        json!([
            { "aisle": 1, "position": "bottom", "itemCount": 7 },
            { "aisle": 1, "position": "top", "itemCount": 3 }
        ]),
    )
    .start()
    .await;
    let supergraph = Supergraph::new(&[&inventory, &stock]).await;
    let outcome = supergraph.query("{ shelves { label itemCount } }").await;
    outcome.assert_data(json!({ "shelves": [
        { "label": "A1-top", "itemCount": 3 },
        { "label": "A1-bottom", "itemCount": 7 }
    ] }));
    assert_eq!(
        all_representations(&stock),
        vec![
            json!({ "__typename": "Shelf", "aisle": 1, "position": "top" }),
            json!({ "__typename": "Shelf", "aisle": 1, "position": "bottom" })
        ]
    );
}

#[tokio::test]
async fn nested_key_sends_the_selected_sub_object() {
    let accounts = Subgraph::new(
        "accounts",
        r#"
        # graphql-composition 0.12 rejects a shareable Owner with fields only here (Apollo accepts): no `email`.
        type Owner @shareable { id: ID! }
        type Wallet @key(fields: "owner { id }") { owner: Owner! nickname: String! }
        type Query { wallets: [Wallet!]! }
        "#,
    )
    .root("wallets", json!([{ "owner": { "id": "o1" }, "nickname": "main" }]))
    .start()
    .await;
    let ledger = Subgraph::new(
        "ledger",
        r#"
        type Owner @shareable { id: ID! }
        type Wallet @key(fields: "owner { id }") { owner: Owner! balance: Int! }
        "#,
    )
    .entities(
        "Wallet",
        json!([{ "owner": { "id": "o1" }, "balance": 250 }]),
    )
    .start()
    .await;
    let supergraph = Supergraph::new(&[&accounts, &ledger]).await;
    let outcome = supergraph
        .query("{ wallets { nickname balance owner { id } } }")
        .await;
    outcome.assert_data(
        json!({ "wallets": [{ "nickname": "main", "balance": 250, "owner": { "id": "o1" } }] }),
    );
    assert_eq!(
        all_representations(&ledger),
        vec![json!({ "__typename": "Wallet", "owner": { "id": "o1" } })]
    );
}

#[tokio::test]
async fn missing_key_is_fetched_from_an_intermediate_subgraph() {
    // media knows tracks by id only, royalties by isrc only, catalog both.
    let media = Subgraph::new(
        "media",
        r#"
        type Track @key(fields: "id") { id: ID! title: String! }
        type Query { tracks: [Track!]! }
        "#,
    )
    .root(
        "tracks",
        json!([{ "id": "t1", "title": "Blue" }, { "id": "t2", "title": "Red" }]),
    )
    .start()
    .await;
    let catalog = Subgraph::new(
        "catalog",
        r#"
        type Track @key(fields: "id") @key(fields: "isrc") { id: ID! isrc: String! }
        "#,
    )
    .entities(
        "Track",
        json!([{ "id": "t1", "isrc": "US-1" }, { "id": "t2", "isrc": "US-2" }]),
    )
    .start()
    .await;
    let royalties = Subgraph::new(
        "royalties",
        r#"
        type Track @key(fields: "isrc") { isrc: String! royalty: Int! }
        "#,
    )
    .entities(
        "Track",
        json!([{ "isrc": "US-1", "royalty": 10 }, { "isrc": "US-2", "royalty": 20 }]),
    )
    .start()
    .await;
    let supergraph = Supergraph::new(&[&media, &catalog, &royalties]).await;
    let outcome = supergraph.query("{ tracks { title royalty } }").await;
    outcome.assert_data(json!({ "tracks": [{ "title": "Blue", "royalty": 10 }, { "title": "Red", "royalty": 20 }] }));
    assert_eq!(catalog.entity_requests().len(), 1);
    assert_eq!(
        all_representations(&royalties),
        vec![
            json!({ "__typename": "Track", "isrc": "US-1" }),
            json!({ "__typename": "Track", "isrc": "US-2" })
        ]
    );
}

#[tokio::test]
async fn entities_in_nested_lists_are_resolved_at_every_depth() {
    let playlists = Subgraph::new(
        "playlists",
        r#"
        type Track @key(fields: "id") { id: ID! }
        type Playlist { name: String! tracks: [Track!]! grid: [[Track]!]! }
        type Query { playlists: [Playlist!]! }
        "#,
    )
    .root("playlists", json!([
        { "name": "one", "tracks": [{ "id": "t1" }, { "id": "t2" }], "grid": [[{ "id": "t2" }, null], []] },
        { "name": "two", "tracks": [], "grid": [[{ "id": "t3" }]] }
    ]))
    .start()
    .await;
    let tracks = Subgraph::new(
        "tracks",
        r#"
        type Track @key(fields: "id") { id: ID! title: String! }
        "#,
    )
    .entities("Track", json!([{ "id": "t1", "title": "A" }, { "id": "t2", "title": "B" }, { "id": "t3", "title": "C" }]))
    .start()
    .await;
    let supergraph = Supergraph::new(&[&playlists, &tracks]).await;
    let outcome = supergraph
        .query("{ playlists { name tracks { title } grid { id title } } }")
        .await;
    outcome.assert_data(json!({ "playlists": [
        { "name": "one", "tracks": [{ "title": "A" }, { "title": "B" }], "grid": [[{ "id": "t2", "title": "B" }, null], []] },
        { "name": "two", "tracks": [], "grid": [[{ "id": "t3", "title": "C" }]] }
    ] }));
}

/// `pricing` knows `Product.price` but exposes no resolvable key for it, so
/// nothing can reach that field from `catalog`'s products.
async fn unreachable_price() -> (crate::kit::Fixture, crate::kit::Fixture) {
    let catalog = Subgraph::new(
        "catalog",
        r#"
        type Product @key(fields: "id") { id: ID! name: String! }
        type Query { products: [Product!]! }
        "#,
    )
    .root("products", json!([{ "id": "p1", "name": "Lamp" }]))
    .entities("Product", json!([{ "id": "p1", "name": "Lamp" }]))
    .start()
    .await;
    let pricing = Subgraph::new(
        "pricing",
        r#"
        type Product @key(fields: "id", resolvable: false) { id: ID! price: Int! }
        type Deal { product: Product! }
        type Query { deal: Deal }
        "#,
    )
    .root("deal", json!({ "product": { "id": "p1", "price": 7 } }))
    .start()
    .await;
    (catalog, pricing)
}

#[tokio::test]
async fn a_field_behind_an_unresolvable_key_is_a_request_error_naming_it() {
    let (catalog, pricing) = unreachable_price().await;
    let supergraph = Supergraph::new(&[&catalog, &pricing]).await;
    let outcome = supergraph.query("{ products { name price } }").await;
    assert_eq!(outcome.status, 400, "{:#}", outcome.value);
    assert!(!outcome.has_data_key(), "{:#}", outcome.value);
    let errors = outcome.errors();
    assert_eq!(errors.len(), 1, "{:#}", outcome.value);
    let message = errors[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Product.price") && message.contains("resolvable"),
        "{message}"
    );
    assert_eq!(
        errors[0]["extensions"]["code"],
        json!("QUERY_PLANNING_FAILED")
    );
    assert_eq!(catalog.request_count() + pricing.request_count(), 0);
    // Where the owning subgraph itself returns the entity, the field resolves.
    let outcome = supergraph
        .query("{ deal { product { price name } } }")
        .await;
    outcome.assert_data(json!({ "deal": { "product": { "price": 7, "name": "Lamp" } } }));
}
