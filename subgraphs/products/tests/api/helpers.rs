use std::net::SocketAddr;

use serde_json::{Value, json};
use subgraph_kit::testing::{
    Backend, GraphqlClient, GraphqlResponse, StatementCounter, TestDatabase, count_statements,
};

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: GraphqlClient,
    /// Statements the service ran since the last `statements.reset()`.
    pub statements: StatementCounter,
    _db: TestDatabase,
}

/// Starts the products service on port 0 over a fresh database; `None` when
/// the backend is unavailable here (the skip has been reported).
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    let test_db = TestDatabase::create(backend, "products").await?;
    let mut db = products::app::open_database(&test_db.url)
        .await
        .expect("open database");
    let statements = count_statements(&mut db);
    let server = products::app::build("127.0.0.1:0".parse().expect("addr"), db)
        .await
        .expect("bind");
    let addr = server.local_addr();
    tokio::spawn(server.run_until(std::future::pending()));
    Some(TestApp {
        addr,
        client: GraphqlClient::new(format!("http://{addr}/graphql")),
        statements,
        _db: test_db,
    })
}

pub const PRODUCT_FIELDS: &str =
    "id sku name description price { amount currency } category status createdAt updatedAt";

impl TestApp {
    pub async fn query(&self, query: &str, variables: Value) -> GraphqlResponse {
        self.client.query_with(query, variables).await
    }

    pub async fn create_product(&self, input: Value) -> GraphqlResponse {
        self.query(
            &format!("mutation($input: CreateProductInput!) {{ createProduct(input: $input) {{ {PRODUCT_FIELDS} }} }}"),
            json!({ "input": input }),
        )
        .await
    }

    /// Creates a valid product and returns it.
    pub async fn given_product(&self, sku: &str, name: &str, category: &str, cents: i64) -> Value {
        let response = self
            .create_product(product_input(sku, name, category, cents))
            .await;
        response.data()["createProduct"].clone()
    }

    /// Total number of products, archived included.
    pub async fn product_count(&self) -> usize {
        let mut count = 0;
        let mut after: Option<String> = None;
        loop {
            let response = self
                .query(
                    "query($after: String) { products(first: 100, after: $after, includeArchived: true) { edges { cursor } pageInfo { hasNextPage endCursor } } }",
                    json!({ "after": after }),
                )
                .await;
            let data = &response.data()["products"];
            count += data["edges"].as_array().map_or(0, Vec::len);
            if data["pageInfo"]["hasNextPage"] != json!(true) {
                return count;
            }
            after = data["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        }
    }
}

pub fn product_input(sku: &str, name: &str, category: &str, cents: i64) -> Value {
    json!({
        "sku": sku,
        "name": name,
        "description": format!("{name}, described"),
        "price": { "amount": cents, "currency": "USD" },
        "category": category,
    })
}
