//! The all-in-one run: four services, seeded on first run, each answering.

use serde_json::json;

use crate::helpers::TestSystem;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_seeds_the_catalog_once_and_every_service_answers() {
    let mut system = TestSystem::start(true).await;
    assert_eq!(system.system().seeded, shop::seed::catalog_size());

    let products = system.client("products");
    let listing = products
        .query("{ products(first: 100) { edges { node { id sku category price { amount currency } } } } }")
        .await;
    let edges = listing.data()["products"]["edges"]
        .as_array()
        .expect("edges")
        .clone();
    assert_eq!(edges.len(), shop::seed::catalog_size());
    let mut categories: Vec<&str> = edges
        .iter()
        .filter_map(|e| e["node"]["category"].as_str())
        .collect();
    categories.sort();
    categories.dedup();
    assert!(categories.len() >= 5, "several categories: {categories:?}");

    let dune = edges
        .iter()
        .find(|e| e["node"]["sku"] == "BOOK-DUNE")
        .expect("seeded Dune")["node"]
        .clone();
    let stock = system
        .client("inventory")
        .query_with(
            "query($id: ID!) { inventory(productId: $id) { onHand available reorderPoint } }",
            json!({ "id": dune["id"] }),
        )
        .await;
    assert_eq!(
        stock.data()["inventory"],
        json!({ "onHand": 40, "available": 40, "reorderPoint": 5 })
    );
    // Inventory opens them when its stock.low events come back to it.
    let mut open = None;
    for _ in 0..200 {
        let low = system
            .client("inventory")
            .query("{ replenishments(status: OPEN) { quantity } }")
            .await;
        open = low.data()["replenishments"].as_array().map(Vec::len);
        if open == Some(5) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        open,
        Some(5),
        "the five products seeded at or below the reorder point each have one open request"
    );

    let order = system
        .client("orders")
        .query_with(
            "mutation($id: ID!) { placeOrder(input: { customerEmail: \"ada@example.com\", items: [{ productId: $id, quantity: 2 }], payment: { gateway: INVOICE } }) { id status total { amount currency } } }",
            json!({ "id": dune["id"] }),
        )
        .await;
    let order = order.data()["placeOrder"].clone();
    assert_eq!(order["status"], "PENDING");
    assert_eq!(order["total"], json!({ "amount": 3798, "currency": "USD" }));

    let payments = system
        .client("payments")
        .query_with(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id payments { id } } } }",
            json!({ "r": [{ "__typename": "Order", "id": order["id"] }] }),
        )
        .await;
    assert_eq!(
        payments.data()["_entities"][0]["payments"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "the order waits for its invoice"
    );

    for (name, url) in system.system().endpoints() {
        let ready = reqwest::get(url.replace("/graphql", "/ready"))
            .await
            .expect("ready");
        assert_eq!(ready.status(), 200, "{name} is ready");
    }

    system.restart(true).await;
    assert_eq!(
        system.system().seeded,
        0,
        "a second run does not seed again"
    );
    let count = system
        .client("products")
        .query("{ products(first: 100) { edges { cursor } } }")
        .await;
    assert_eq!(
        count.data()["products"]["edges"].as_array().map(Vec::len),
        Some(shop::seed::catalog_size())
    );
}
