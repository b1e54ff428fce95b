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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_replicas_the_router_balances_every_service_and_shows_them_in_its_admin_view() {
    let data_dir = std::env::temp_dir().join(format!("shop-e2e-replicas-{}", std::process::id()));
    let mut settings = shop::system::SystemSettings::ephemeral(&data_dir);
    settings.seed = false;
    settings.replicas = 2;
    let running = shop::system::start(&settings).await.expect("system starts");
    for (service, addrs) in &running.replicas {
        assert_eq!(addrs.len(), 2, "{service}");
    }

    let router = subgraph_kit::testing::GraphqlClient::new(running.router_url());
    let clients: Vec<_> = (0..8)
        .map(|client| {
            let router = router.clone();
            tokio::spawn(async move {
                for n in 0..10 {
                    // Distinct documents: no two are shared by dedup.
                    let query = format!(
                        "{{ q{client}x{n}: products(first: 1) {{ edges {{ node {{ id }} }} }} }}"
                    );
                    router.query(&query).await.data();
                }
            })
        })
        .collect();
    for client in clients {
        client.await.expect("client");
    }

    let status: serde_json::Value = reqwest::get(format!("http://{}/status", running.admin))
        .await
        .expect("admin view answers")
        .json()
        .await
        .expect("JSON");
    let subgraphs = status["subgraphs"].as_array().expect("subgraphs");
    assert_eq!(subgraphs.len(), 4, "{status}");
    for subgraph in subgraphs {
        assert_eq!(
            subgraph["endpoints"].as_array().map(Vec::len),
            Some(2),
            "{subgraph}"
        );
    }
    let products = subgraphs
        .iter()
        .find(|s| s["name"] == "products")
        .expect("products");
    let requests: Vec<u64> = products["endpoints"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["requests"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(requests.iter().sum::<u64>(), 80, "{products}");
    assert!(
        requests.iter().all(|&n| n > 0),
        "both replicas take traffic: {requests:?}"
    );
    running.shutdown().await.expect("clean shutdown");
    let _ = std::fs::remove_dir_all(&data_dir);
}
