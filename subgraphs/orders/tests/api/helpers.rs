use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use events::broker::memory::MemoryBroker;
use orders::app::CatalogSettings;
use serde_json::{Value, json};
use subgraph_kit::testing::{
    Backend, GraphqlClient, GraphqlResponse, StatementCounter, TestDatabase, count_statements,
};

pub struct TestApp {
    pub addr: SocketAddr,
    /// The orders service.
    pub client: GraphqlClient,
    /// The real products service next to it.
    pub products: GraphqlClient,
    /// Statements the orders service ran since the last `statements.reset()`.
    pub statements: StatementCounter,
    /// The in-process broker the service's outbox relay publishes to.
    pub broker: MemoryBroker,
    _db: TestDatabase,
    _products_db: TestDatabase,
}

/// Starts the products service and an orders service reading prices from
/// it, each on port 0 over its own fresh database; `None` when the backend
/// is unavailable here (the skip has been reported).
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with_catalog(backend, None, Duration::from_secs(5)).await
}

/// Like [`spawn_app`], but orders asks `catalog_url` (when given) for prices
/// instead of the products service.
pub async fn spawn_app_with_catalog(
    backend: Backend,
    catalog_url: Option<String>,
    timeout: Duration,
) -> Option<TestApp> {
    let products_db = TestDatabase::create(backend, "orders-products").await?;
    let db = products::app::open_database(&products_db.url)
        .await
        .expect("open products database");
    let products_server = products::app::build("127.0.0.1:0".parse().expect("addr"), db)
        .await
        .expect("bind products");
    let products_url = format!("http://{}/graphql", products_server.local_addr());
    tokio::spawn(products_server.run_until(std::future::pending()));

    let test_db = TestDatabase::create(backend, "orders").await?;
    let mut db = orders::app::open_database(&test_db.url)
        .await
        .expect("open orders database");
    let statements = count_statements(&mut db);
    let catalog = CatalogSettings {
        url: catalog_url.unwrap_or_else(|| products_url.clone()),
        timeout,
    };
    let broker = MemoryBroker::new();
    let server = orders::app::build(
        "127.0.0.1:0".parse().expect("addr"),
        db,
        catalog,
        Arc::new(broker.clone()),
    )
    .await
    .expect("bind orders");
    let addr = server.local_addr();
    tokio::spawn(server.run_until(std::future::pending()));
    Some(TestApp {
        addr,
        client: GraphqlClient::new(format!("http://{addr}/graphql")),
        products: GraphqlClient::new(products_url),
        statements,
        broker,
        _db: test_db,
        _products_db: products_db,
    })
}

pub const ORDER_FIELDS: &str = "id customerEmail status total { amount currency } \
    items { product { id sku } quantity unitPrice { amount currency } lineTotal { amount currency } } \
    statusHistory { status at note } carrier trackingNumber createdAt updatedAt";

pub const PLACE_ORDER: &str = "mutation($input: PlaceOrderInput!, $key: String) { placeOrder(input: $input, idempotencyKey: $key) { id customerEmail status total { amount currency } items { product { id sku } quantity unitPrice { amount currency } lineTotal { amount currency } } statusHistory { status note } } }";

impl TestApp {
    pub async fn query(&self, query: &str, variables: Value) -> GraphqlResponse {
        self.client.query_with(query, variables).await
    }

    /// Creates an active product in the products service; returns its id.
    pub async fn given_product(&self, sku: &str, amount: i64, currency: &str) -> String {
        let response = self
            .products
            .query_with(
                "mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }",
                json!({ "input": {
                    "sku": sku,
                    "name": format!("Product {sku}"),
                    "price": { "amount": amount, "currency": currency },
                    "category": "Test",
                } }),
            )
            .await;
        response.data()["createProduct"]["id"]
            .as_str()
            .expect("product id")
            .to_owned()
    }

    pub async fn archive_product(&self, id: &str) {
        let response = self
            .products
            .query_with(
                "mutation($id: ID!) { archiveProduct(id: $id) { status } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(response.data()["archiveProduct"]["status"], "ARCHIVED");
    }

    pub async fn set_price(&self, id: &str, amount: i64) {
        let response = self
            .products
            .query_with(
                "mutation($id: ID!, $amount: Int!) { updateProduct(id: $id, input: { price: { amount: $amount, currency: \"USD\" } }) { price { amount } } }",
                json!({ "id": id, "amount": amount }),
            )
            .await;
        assert_eq!(response.data()["updateProduct"]["price"]["amount"], amount);
    }

    pub async fn place_order(
        &self,
        email: &str,
        items: &[(&str, i64)],
        key: Option<&str>,
    ) -> GraphqlResponse {
        self.query(PLACE_ORDER, place_order_variables(email, items, key))
            .await
    }

    /// Places a valid order and returns its id.
    pub async fn given_order(&self, email: &str, items: &[(&str, i64)]) -> String {
        let response = self.place_order(email, items, None).await;
        response.data()["placeOrder"]["id"]
            .as_str()
            .expect("order id")
            .to_owned()
    }

    /// A pending order of one product for ann@example.com.
    pub async fn given_pending_order(&self) -> String {
        let product = self.given_product(&next_sku(), 500, "USD").await;
        self.given_order("ann@example.com", &[(&product, 1)]).await
    }

    /// The order with every field, or null.
    pub async fn order(&self, id: &str) -> Value {
        let response = self
            .query(
                &format!("query($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"),
                json!({ "id": id }),
            )
            .await;
        response.data()["order"].clone()
    }

    /// Runs a status mutation such as `markDelivered(id: $id)`.
    pub async fn change(&self, call: &str, id: &str) -> GraphqlResponse {
        let name = call.split('(').next().unwrap_or(call);
        let response = self
            .query(
                &format!("mutation($id: ID!) {{ {call} {{ {ORDER_FIELDS} }} }}"),
                json!({ "id": id }),
            )
            .await;
        if response.body.get("errors").is_none() {
            assert!(response.body["data"][name].is_object(), "{}", response.body);
        }
        response
    }

    /// Total number of orders.
    pub async fn order_count(&self) -> usize {
        let mut count = 0;
        let mut after: Option<String> = None;
        loop {
            let response = self
                .query(
                    "query($after: String) { orders(first: 100, after: $after) { edges { cursor } pageInfo { hasNextPage endCursor } } }",
                    json!({ "after": after }),
                )
                .await;
            let data = &response.data()["orders"];
            count += data["edges"].as_array().map_or(0, Vec::len);
            if data["pageInfo"]["hasNextPage"] != json!(true) {
                return count;
            }
            after = data["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        }
    }
}

/// Variables for [`PLACE_ORDER`].
pub fn place_order_variables(email: &str, items: &[(&str, i64)], key: Option<&str>) -> Value {
    let items: Vec<Value> = items
        .iter()
        .map(|(id, quantity)| json!({ "productId": id, "quantity": quantity }))
        .collect();
    json!({ "input": { "customerEmail": email, "items": items }, "key": key })
}

/// A SKU no other helper call has used.
pub fn next_sku() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("AUTO-{}", NEXT.fetch_add(1, Ordering::SeqCst))
}
