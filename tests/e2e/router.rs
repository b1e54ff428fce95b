//! The whole graph through the router's single endpoint, over the four real
//! services: what a playground user or a frontend app does.

use serde_json::{Value, json};

use crate::helpers::TestSystem;

/// Checks out through the router with the approved test card.
async fn paid_order(system: &TestSystem, skus: &[(&str, i64)]) -> (Value, Vec<Value>) {
    let router = system.router();
    let mut items = Vec::new();
    let mut products = Vec::new();
    for (sku, quantity) in skus {
        let product = router
            .query_with(
                "query($sku: String!) { productBySku(sku: $sku) { id price { amount currency } } }",
                json!({ "sku": sku }),
            )
            .await;
        let product = product.data()["productBySku"].clone();
        items.push(json!({ "productId": product["id"], "quantity": quantity }));
        products.push(product);
    }
    let placed = router
        .query_with(
            "mutation($items: [PlaceOrderItemInput!]!) { placeOrder(input: { customerEmail: \"grace@example.com\", items: $items, payment: { gateway: TEST_CARD, card: { number: \"4242424242424242\", expMonth: 12, expYear: 2040, cvc: \"123\" } } }) { id status total { amount currency } } }",
            json!({ "items": items }),
        )
        .await;
    let order = placed.data()["placeOrder"].clone();
    assert_eq!(order["status"], "CONFIRMED", "{order}");
    (order, products)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_query_crosses_all_four_services() {
    let system = TestSystem::start(true).await;
    let (order, _) = paid_order(&system, &[("BOOK-DUNE", 2), ("APP-GLOVES", 1)]).await;
    let router = system.router();
    let response = router
        .query_with(
            "query Deep($id: ID!) { order(id: $id) { status total { amount currency } items { quantity lineTotal { amount } product { sku name inStock inventory { onHand available } stockValue { amount currency } } } payments { status amount { amount } order { customerEmail status } } } }",
            json!({ "id": order["id"] }),
        )
        .await;
    assert_eq!(
        response.data(),
        &json!({ "order": {
            "status": "CONFIRMED",
            "total": { "amount": 2 * 1899 + 2700, "currency": "USD" },
            "items": [
                { "quantity": 2, "lineTotal": { "amount": 3798 }, "product": {
                    "sku": "BOOK-DUNE", "name": "Dune", "inStock": true,
                    "inventory": { "onHand": 38, "available": 38 },
                    "stockValue": { "amount": 38 * 1899, "currency": "USD" } } },
                { "quantity": 1, "lineTotal": { "amount": 2700 }, "product": {
                    "sku": "APP-GLOVES", "name": "Wool Gloves", "inStock": false,
                    "inventory": { "onHand": 0, "available": 0 },
                    "stockValue": { "amount": 0, "currency": "USD" } } },
            ],
            "payments": [{ "status": "CAPTURED", "amount": { "amount": 6498 },
                "order": { "customerEmail": "grace@example.com", "status": "CONFIRMED" } }],
        } })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_keep_the_clients_shape_with_variables_fragments_and_aliases() {
    let system = TestSystem::start(true).await;
    let response = reqwest::Client::new()
        .post(system.system().router_url())
        .json(&json!({
            "query": "query Shelf($cat: String, $withStock: Boolean!) { books: products(category: $cat, first: 2) { edges { node { ...Card } } } } fragment Card on Product { __typename sku price { currency } stock: inventory @include(if: $withStock) { available } ... on Product { name } }",
            "variables": { "cat": "Books", "withStock": true },
        }))
        .send()
        .await
        .expect("router answers");
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("body");
    // Field order is the client's, not alphabetical.
    assert!(
        text.starts_with(r#"{"data":{"books":{"edges":[{"node":{"__typename":"Product","sku":"BOOK-DUNE","price":{"currency":"USD"},"stock":{"available":40},"name":"Dune"}}"#),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_operations_get_spec_errors_and_internal_fields_are_hidden() {
    let system = TestSystem::start(false).await;
    let router = system.router();
    let unknown = router
        .query("{ products { edges { node { colour } } } }")
        .await;
    assert_eq!(unknown.error_code(), "GRAPHQL_VALIDATION_FAILED");
    assert!(
        unknown.body.get("data").is_none(),
        "a request error has no data: {}",
        unknown.body
    );
    let internal = router
        .query("mutation { reserveStock(orderId: \"x\", items: []) { orderId } }")
        .await;
    assert_eq!(
        internal.error_code(),
        "GRAPHQL_VALIDATION_FAILED",
        "@inaccessible is not in the public graph"
    );
    let schema = router
        .query("{ __schema { mutationType { fields { name } } } }")
        .await;
    let names: Vec<&str> = schema.data()["__schema"]["mutationType"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert!(
        names.contains(&"placeOrder") && !names.contains(&"authorizePayment"),
        "{names:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_errors_reach_the_client_with_their_codes_and_paths() {
    let system = TestSystem::start(false).await;
    let router = system.router();
    let response = router
        .query("mutation { createProduct(input: { sku: \"bad sku\", name: \"x\", price: { amount: 1, currency: \"USD\" }, category: \"c\" }) { id } }")
        .await;
    assert_eq!(response.error_code(), "INVALID_SKU");
    assert_eq!(response.body["errors"][0]["path"], json!(["createProduct"]));
    assert_eq!(response.body["data"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_service_gives_partial_data_with_errors_not_a_failure() {
    let mut system = TestSystem::start(true).await;
    let (order, _) = paid_order(&system, &[("BOOK-DUNE", 1)]).await;
    system.stop_service("inventory");
    let router = system.router();
    let started = std::time::Instant::now();
    let response = router
        .query_with(
            "query($id: ID!) { catalog: products(first: 1) { edges { node { sku } } } order(id: $id) { status items { product { name inStock } } } }",
            json!({ "id": order["id"] }),
        )
        .await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "no hang"
    );
    assert_eq!(response.status, 200);
    assert_eq!(
        response.body["data"]["catalog"],
        json!({ "edges": [{ "node": { "sku": "BOOK-DUNE" } }] })
    );
    assert_eq!(
        response.body["data"]["order"],
        Value::Null,
        "a non-null field that failed nulls the nearest nullable parent"
    );
    let error = &response.body["errors"][0];
    assert_eq!(
        error["extensions"]["code"], "SUBGRAPH_UNAVAILABLE",
        "{}",
        response.body
    );
    assert_eq!(error["extensions"]["service"], "inventory");
    assert_eq!(error["path"], json!(["order", "items", 0, "product"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_past_the_limits_are_refused_before_any_service_is_asked() {
    let system = TestSystem::start(true).await;
    let router = system.router();
    // 300 aliases of a page of 100 products with their stock: 30,000 entity
    // resolutions if it were answered.
    let aliases: Vec<String> = (0..300)
        .map(|i| {
            format!(
                "p{i}: products(first: 100) {{ edges {{ node {{ inventory {{ onHand }} }} }} }}"
            )
        })
        .collect();
    let flood = router.query(&format!("{{ {} }}", aliases.join(" "))).await;
    assert_eq!(flood.error_code(), "MAX_ALIASES_EXCEEDED", "{}", flood.body);
    assert!(flood.body.get("data").is_none());

    // Within the alias and root-field limits, the cost estimate stops four
    // pages of 100 orders with their items' stock: `@listSize` makes each
    // page 100 edges, an order's items count as 10 (the default list size):
    // 4 × (1 + 100 × (edge 1 + order 1 + 10 × (item 1 + product 1 + stock 1))).
    let pages: Vec<String> = (0..4)
        .map(|i| {
            format!(
                "o{i}: orders(first: 100) {{ edges {{ node {{ items {{ product {{ inventory {{ onHand }} }} }} }} }} }}"
            )
        })
        .collect();
    let costly = router.query(&format!("{{ {} }}", pages.join(" "))).await;
    assert_eq!(
        costly.error_code(),
        "COST_ESTIMATED_TOO_EXPENSIVE",
        "{}",
        costly.body
    );
    let error = &costly.body["errors"][0]["extensions"];
    assert_eq!(error["measured"], 4 * (1 + 100 * (1 + 1 + 10 * 3)));
    assert_eq!(error["max"], 10_000);

    // One page is fine, and says what it cost when asked.
    let response = reqwest::Client::new()
        .post(system.system().router_url())
        .header("x-graphql-cost", "true")
        .json(&json!({ "query": "{ products(first: 5) { edges { node { sku inventory { onHand } } } } }" }))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert!(body.get("errors").is_none(), "{body}");
    let edges = body["data"]["products"]["edges"].as_array().unwrap().len();
    assert_eq!(body["extensions"]["cost"]["estimated"], 1 + 5 * 3);
    assert_eq!(body["extensions"]["cost"]["actual"], 1 + edges * 3);
}
