//! The demo catalog seeded on a first run, written through the services'
//! public GraphQL APIs like any client would (never into their tables).
//!
//! Every write carries an idempotency key derived from the SKU, so seeding
//! again after an interrupted run completes it without duplicates.

use std::time::Duration;

use serde_json::{Value, json};

/// (sku, name, category, price in cents, units on hand, description)
const CATALOG: &[(&str, &str, &str, i64, i64, &str)] = &[
    (
        "BOOK-DUNE",
        "Dune",
        "Books",
        1899,
        40,
        "Frank Herbert's desert-planet epic, paperback.",
    ),
    (
        "BOOK-SICP",
        "Structure and Interpretation of Computer Programs",
        "Books",
        5500,
        12,
        "The wizard book, second edition.",
    ),
    (
        "BOOK-DDIA",
        "Designing Data-Intensive Applications",
        "Books",
        4299,
        25,
        "Reliable, scalable and maintainable systems.",
    ),
    (
        "BOOK-RUST",
        "The Rust Programming Language",
        "Books",
        3999,
        30,
        "The official book, covers Rust 2024.",
    ),
    (
        "BOOK-HOBBIT",
        "The Hobbit",
        "Books",
        1299,
        3,
        "There and back again, illustrated edition.",
    ),
    (
        "BOOK-COOK",
        "Salt, Fat, Acid, Heat",
        "Books",
        2999,
        18,
        "Mastering the elements of good cooking.",
    ),
    (
        "ELEC-HEADPH",
        "Noise-Cancelling Headphones",
        "Electronics",
        24900,
        15,
        "Over-ear, 30-hour battery, USB-C.",
    ),
    (
        "ELEC-KEYB",
        "Mechanical Keyboard",
        "Electronics",
        12900,
        22,
        "Hot-swappable switches, tenkeyless layout.",
    ),
    (
        "ELEC-MOUSE",
        "Wireless Mouse",
        "Electronics",
        4900,
        60,
        "Silent clicks, 70-day battery.",
    ),
    (
        "ELEC-MONITOR",
        "27-inch 4K Monitor",
        "Electronics",
        38900,
        6,
        "IPS panel, 60 W USB-C power delivery.",
    ),
    (
        "ELEC-CHARGER",
        "65 W USB-C Charger",
        "Electronics",
        3900,
        80,
        "GaN, two ports, foldable plug.",
    ),
    (
        "ELEC-SPEAKER",
        "Portable Speaker",
        "Electronics",
        8900,
        2,
        "Waterproof, 12-hour battery.",
    ),
    (
        "HOME-KETTLE",
        "Electric Kettle",
        "Home & Kitchen",
        5900,
        20,
        "1.7 litres, variable temperature.",
    ),
    (
        "HOME-PAN",
        "Cast Iron Skillet",
        "Home & Kitchen",
        3499,
        35,
        "26 cm, pre-seasoned.",
    ),
    (
        "HOME-KNIFE",
        "Chef's Knife",
        "Home & Kitchen",
        8900,
        14,
        "20 cm, stainless steel, full tang.",
    ),
    (
        "HOME-GRINDER",
        "Burr Coffee Grinder",
        "Home & Kitchen",
        11900,
        9,
        "40 grind settings, conical burrs.",
    ),
    (
        "HOME-LAMP",
        "Desk Lamp",
        "Home & Kitchen",
        4500,
        27,
        "Dimmable LED with adjustable arm.",
    ),
    (
        "HOME-TOWELS",
        "Bath Towel Set",
        "Home & Kitchen",
        3900,
        50,
        "Four cotton towels, 600 gsm.",
    ),
    (
        "OUT-TENT",
        "Two-Person Tent",
        "Outdoor",
        19900,
        7,
        "Freestanding, 2.1 kg, three-season.",
    ),
    (
        "OUT-BAG",
        "Sleeping Bag",
        "Outdoor",
        12900,
        11,
        "Down fill, comfort rated to -5 °C.",
    ),
    (
        "OUT-STOVE",
        "Camping Stove",
        "Outdoor",
        4900,
        24,
        "Compact canister stove with igniter.",
    ),
    (
        "OUT-BOTTLE",
        "Insulated Bottle",
        "Outdoor",
        2900,
        90,
        "750 ml, keeps drinks cold for 24 hours.",
    ),
    (
        "OUT-PACK",
        "Hiking Backpack",
        "Outdoor",
        14900,
        13,
        "45 litres with rain cover.",
    ),
    (
        "OUT-LAMP",
        "Headlamp",
        "Outdoor",
        3500,
        4,
        "400 lumens, rechargeable.",
    ),
    (
        "TOY-CHESS",
        "Wooden Chess Set",
        "Toys & Games",
        5900,
        16,
        "Weighted pieces, folding board.",
    ),
    (
        "TOY-PUZZLE",
        "1000-Piece Puzzle",
        "Toys & Games",
        1999,
        32,
        "Mountain lake landscape.",
    ),
    (
        "TOY-BLOCKS",
        "Building Blocks",
        "Toys & Games",
        4999,
        21,
        "500 pieces in a storage tub.",
    ),
    (
        "TOY-CARDS",
        "Card Game Night Bundle",
        "Toys & Games",
        2499,
        40,
        "Three party card games.",
    ),
    (
        "TOY-KITE",
        "Stunt Kite",
        "Toys & Games",
        3999,
        5,
        "Dual-line, ripstop nylon.",
    ),
    (
        "TOY-DICE",
        "Polyhedral Dice Set",
        "Toys & Games",
        999,
        120,
        "Seven resin dice with pouch.",
    ),
    (
        "APP-TEE",
        "Organic Cotton T-Shirt",
        "Apparel",
        2500,
        75,
        "Crew neck, heavyweight jersey.",
    ),
    (
        "APP-HOODIE",
        "Fleece Hoodie",
        "Apparel",
        5900,
        28,
        "Brushed fleece, kangaroo pocket.",
    ),
    (
        "APP-SOCKS",
        "Merino Socks",
        "Apparel",
        1800,
        64,
        "Cushioned hiking socks, two pairs.",
    ),
    (
        "APP-JACKET",
        "Rain Jacket",
        "Apparel",
        12900,
        10,
        "Waterproof-breathable shell with hood.",
    ),
    (
        "APP-CAP",
        "Baseball Cap",
        "Apparel",
        2200,
        44,
        "Adjustable, washed cotton.",
    ),
    (
        "APP-GLOVES",
        "Wool Gloves",
        "Apparel",
        2700,
        1,
        "Touchscreen-friendly fingertips.",
    ),
];

/// Products whose stock falls to this level open a replenishment request.
const REORDER_POINT: i64 = 5;
const REORDER_QUANTITY: i64 = 25;

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("request to {url} failed")]
    Http {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{url} answered with errors: {errors}")]
    GraphQl { url: String, errors: String },
}

/// GraphQL endpoints of the services the seeder writes to.
pub struct SeedTargets<'a> {
    pub products: &'a str,
    pub inventory: &'a str,
    /// The identity header the services accept changes from (an admin's,
    /// signed as the router signs identities).
    pub identity: &'a str,
}

/// Seeds the catalog and its stock if the catalog is empty. Returns how many
/// products were created (0 when the catalog already had products).
pub async fn seed_if_empty(targets: &SeedTargets<'_>) -> Result<usize, SeedError> {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Ok(identity) = reqwest::header::HeaderValue::from_str(targets.identity) {
        headers.insert(subgraph_kit::caller::IDENTITY_HEADER, identity);
    }
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|source| SeedError::Http {
            url: targets.products.to_owned(),
            source,
        })?;
    let existing = post(
        &client,
        targets.products,
        "{ products(first: 1, includeArchived: true) { edges { cursor } } }",
        json!({}),
    )
    .await?;
    if existing["products"]["edges"]
        .as_array()
        .is_some_and(|e| !e.is_empty())
    {
        return Ok(0);
    }
    seed(&client, targets).await
}

/// Writes the whole demo catalog; safe to repeat.
pub async fn seed(client: &reqwest::Client, targets: &SeedTargets<'_>) -> Result<usize, SeedError> {
    for (sku, name, category, cents, on_hand, description) in CATALOG {
        let created = post(
            client,
            targets.products,
            "mutation($input: CreateProductInput!, $key: String) { createProduct(input: $input, idempotencyKey: $key) { id } }",
            json!({
                "input": {
                    "sku": sku,
                    "name": name,
                    "description": description,
                    "category": category,
                    "price": { "amount": cents, "currency": "USD" },
                },
                "key": format!("seed-product-{sku}"),
            }),
        )
        .await?;
        let id = created["createProduct"]["id"].clone();
        // Stock first, then the policy: the policy opens a replenishment
        // request only for products that really are low.
        post(
            client,
            targets.inventory,
            "mutation($id: ID!, $delta: Int!, $key: String) { adjustStock(productId: $id, delta: $delta, reason: \"initial stock\", idempotencyKey: $key) { onHand } }",
            json!({ "id": id, "delta": on_hand, "key": format!("seed-stock-{sku}") }),
        )
        .await?;
        post(
            client,
            targets.inventory,
            "mutation($id: ID!, $point: Int!, $qty: Int!) { setReorderPolicy(productId: $id, reorderPoint: $point, reorderQuantity: $qty) { productId } }",
            json!({ "id": id, "point": REORDER_POINT, "qty": REORDER_QUANTITY }),
        )
        .await?;
    }
    Ok(CATALOG.len())
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    query: &str,
    variables: Value,
) -> Result<Value, SeedError> {
    let http = |source| SeedError::Http {
        url: url.to_owned(),
        source,
    };
    let mut body: Value = client
        .post(url)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .map_err(http)?
        .json()
        .await
        .map_err(http)?;
    if let Some(errors) = body.get("errors") {
        return Err(SeedError::GraphQl {
            url: url.to_owned(),
            errors: errors.to_string(),
        });
    }
    Ok(body["data"].take())
}

/// Number of demo products, for tests and messages.
pub fn catalog_size() -> usize {
    CATALOG.len()
}

/// Categories in the demo catalog.
pub fn categories() -> Vec<&'static str> {
    let mut categories: Vec<&str> = CATALOG.iter().map(|p| p.2).collect();
    categories.dedup();
    categories
}
