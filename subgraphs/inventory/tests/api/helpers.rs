use std::net::SocketAddr;
use std::sync::Arc;

use events::broker::memory::MemoryBroker;

use serde_json::{Value, json};
use subgraph_kit::testing::{
    Backend, GraphqlClient, GraphqlResponse, StatementCounter, TestDatabase, count_statements,
};

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: GraphqlClient,
    /// Statements the service ran since the last `statements.reset()`.
    pub statements: StatementCounter,
    /// The in-process broker the service's outbox relay publishes to.
    pub broker: MemoryBroker,
    /// A second connection to the service's database, for waiting on its
    /// outbox without touching the counted one.
    observer: sea_orm::DatabaseConnection,
    _db: TestDatabase,
}

/// Starts the inventory service on port 0 over a fresh database; `None` when
/// the backend is unavailable here (the skip has been reported).
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    let test_db = TestDatabase::create(backend, "inventory").await?;
    let mut db = inventory::app::open_database(&test_db.url)
        .await
        .expect("open database");
    let statements = count_statements(&mut db);
    let broker = MemoryBroker::new();
    let server = inventory::app::build(
        "127.0.0.1:0".parse().expect("addr"),
        db,
        Arc::new(broker.clone()),
    )
    .await
    .expect("bind");
    let addr = server.local_addr();
    tokio::spawn(server.run_until(std::future::pending()));
    let observer = sea_orm::Database::connect(&test_db.url)
        .await
        .expect("second connection");
    Some(TestApp {
        addr,
        client: GraphqlClient::new(format!("http://{addr}/graphql")),
        statements,
        broker,
        observer,
        _db: test_db,
    })
}

/// A fresh product or order id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub const LEVEL_FIELDS: &str =
    "productId onHand reserved available reorderPoint reorderQuantity updatedAt";
pub const RESERVATION_FIELDS: &str = "orderId status items { productId quantity }";
pub const REPLENISHMENT_FIELDS: &str =
    "id product { id } quantity receivedQuantity status requestedAt receivedAt";

impl TestApp {
    pub fn observer(&self) -> &sea_orm::DatabaseConnection {
        &self.observer
    }

    /// Waits until every event the service wrote is published and its own
    /// `stock.low` consumer has handled them: replenishment requests are
    /// opened by that consumer, a moment after the change.
    pub async fn settle(&self) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let backlog = events::outbox::backlog(&self.observer).await.unwrap_or(1);
            if backlog == 0 {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "the outbox drains");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(
            self.broker
                .caught_up(
                    inventory::reorder::CONSUMER,
                    inventory::reorder::SUBJECT,
                    std::time::Duration::from_secs(10),
                )
                .await,
            "the reorder consumer catches up"
        );
    }

    pub async fn query(&self, query: &str, variables: Value) -> GraphqlResponse {
        self.client.query_with(query, variables).await
    }

    pub async fn adjust(&self, product: &str, delta: i64, reason: &str) -> GraphqlResponse {
        self.adjust_with_key(product, delta, reason, None).await
    }

    pub async fn adjust_with_key(
        &self,
        product: &str,
        delta: i64,
        reason: &str,
        key: Option<&str>,
    ) -> GraphqlResponse {
        self.query(
            &format!(
                "mutation($p: ID!, $d: Int!, $r: String!, $k: String) {{ adjustStock(productId: $p, delta: $d, reason: $r, idempotencyKey: $k) {{ {LEVEL_FIELDS} }} }}"
            ),
            json!({ "p": product, "d": delta, "r": reason, "k": key }),
        )
        .await
    }

    /// A product with `units` on hand.
    pub async fn given_stock(&self, units: i64) -> String {
        let product = new_id();
        let response = self.adjust(&product, units, "initial count").await;
        assert_eq!(response.data()["adjustStock"]["onHand"], units);
        product
    }

    pub async fn level(&self, product: &str) -> Value {
        let response = self
            .query(
                &format!("query($p: ID!) {{ inventory(productId: $p) {{ {LEVEL_FIELDS} }} }}"),
                json!({ "p": product }),
            )
            .await;
        response.data()["inventory"].clone()
    }

    /// `(kind, delta, reference)` of a product's movements, newest first.
    pub async fn movements(&self, product: &str) -> Vec<(String, i64, Value)> {
        let response = self
            .query(
                "query($p: ID!) { inventory(productId: $p) { movements(first: 100) { kind delta reference } } }",
                json!({ "p": product }),
            )
            .await;
        response.data()["inventory"]["movements"]
            .as_array()
            .expect("movements")
            .iter()
            .map(|m| {
                (
                    m["kind"].as_str().unwrap_or_default().to_owned(),
                    m["delta"].as_i64().unwrap_or_default(),
                    m["reference"].clone(),
                )
            })
            .collect()
    }

    pub async fn set_policy(&self, product: &str, point: i64, quantity: i64) -> GraphqlResponse {
        self.query(
            &format!(
                "mutation($p: ID!, $pt: Int!, $q: Int!) {{ setReorderPolicy(productId: $p, reorderPoint: $pt, reorderQuantity: $q) {{ {LEVEL_FIELDS} }} }}"
            ),
            json!({ "p": product, "pt": point, "q": quantity }),
        )
        .await
    }

    /// Replenishment requests for one product, oldest first.
    /// The product's replenishment requests once the reorder consumer has
    /// caught up.
    pub async fn replenishments_of(&self, product: &str) -> Vec<Value> {
        self.settle().await;
        let response = self
            .query(
                &format!("{{ replenishments {{ {REPLENISHMENT_FIELDS} }} }}"),
                json!({}),
            )
            .await;
        response.data()["replenishments"]
            .as_array()
            .expect("replenishments")
            .iter()
            .filter(|r| r["product"]["id"] == product)
            .cloned()
            .collect()
    }

    pub async fn receive(&self, id: &Value, quantity: Option<i64>) -> GraphqlResponse {
        self.query(
            &format!(
                "mutation($id: ID!, $q: Int) {{ receiveReplenishment(id: $id, quantity: $q) {{ {REPLENISHMENT_FIELDS} }} }}"
            ),
            json!({ "id": id, "q": quantity }),
        )
        .await
    }

    pub async fn reserve(&self, order: &str, items: &[(&str, i64)]) -> GraphqlResponse {
        reserve(&self.client, order, items).await
    }

    /// `releaseReservation`, `commitReservation` or `restockReservation`.
    pub async fn change_reservation(&self, mutation: &str, order: &str) -> GraphqlResponse {
        self.query(
            &format!("mutation($o: ID!) {{ {mutation}(orderId: $o) {{ {RESERVATION_FIELDS} }} }}"),
            json!({ "o": order }),
        )
        .await
    }

    pub async fn reservation(&self, order: &str) -> Value {
        let response = self
            .query(
                &format!(
                    "query($o: ID!) {{ reservation(orderId: $o) {{ {RESERVATION_FIELDS} }} }}"
                ),
                json!({ "o": order }),
            )
            .await;
        response.data()["reservation"].clone()
    }
}

/// `reserveStock` through any client, for concurrent callers.
pub async fn reserve(
    client: &GraphqlClient,
    order: &str,
    items: &[(&str, i64)],
) -> GraphqlResponse {
    let items: Vec<Value> = items
        .iter()
        .map(|(product, quantity)| json!({ "productId": product, "quantity": quantity }))
        .collect();
    client
        .query_with(
            &format!(
                "mutation($o: ID!, $items: [ReservationItemInput!]!) {{ reserveStock(orderId: $o, items: $items) {{ {RESERVATION_FIELDS} }} }}"
            ),
            json!({ "o": order, "items": items }),
        )
        .await
}
