use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use events::broker::memory::MemoryBroker;
use payments::domain::GatewayKind;
use payments::gateway::{
    AuthorizeRequest, Gateway, GatewayDecision, GatewayRegistry, GatewaySettings,
};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};
use subgraph_kit::money::Money;
use subgraph_kit::testing::{
    Backend, GraphqlClient, GraphqlResponse, StatementCounter, TestDatabase, count_statements,
};

/// The slow test card's delay in these tests: long enough for concurrent
/// retries to arrive while the first call is with the gateway.
pub const SLOW_CARD_DELAY: Duration = Duration::from_millis(300);

pub struct TestApp {
    pub client: GraphqlClient,
    pub addr: SocketAddr,
    /// Statements the service ran since the last `statements.reset()`.
    pub statements: StatementCounter,
    /// Authorizations that reached the TEST_CARD and INVOICE gateways.
    pub gateway_calls: Arc<AtomicUsize>,
    /// The in-process broker the service's outbox relay publishes to.
    pub broker: MemoryBroker,
    db: DatabaseConnection,
    _db: TestDatabase,
}

/// Starts the payments service on port 0 over a fresh database, with the
/// built-in gateways behind a call counter; `None` when the backend is
/// unavailable here (the skip has been reported).
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    let test_db = TestDatabase::create(backend, "payments").await?;
    let mut db = payments::app::open_database(&test_db.url)
        .await
        .expect("open database");
    let statements = count_statements(&mut db);
    let settings = GatewaySettings {
        slow_card_delay: SLOW_CARD_DELAY,
    };
    let gateway_calls = Arc::new(AtomicUsize::new(0));
    let mut registry = GatewayRegistry::new(&settings);
    for kind in [GatewayKind::TestCard, GatewayKind::Invoice] {
        let counted = Counting {
            inner: registry.get(kind),
            authorizations: gateway_calls.clone(),
        };
        registry = registry.with(kind, Arc::new(counted));
    }
    let broker = MemoryBroker::new();
    let server = payments::app::build_with_gateways(
        "127.0.0.1:0".parse().expect("addr"),
        db.clone(),
        registry,
        Arc::new(broker.clone()),
    )
    .await
    .expect("bind");
    let addr = server.local_addr();
    tokio::spawn(server.run_until(std::future::pending()));
    Some(TestApp {
        client: GraphqlClient::new(format!("http://{addr}/graphql")),
        addr,
        statements,
        gateway_calls,
        broker,
        db,
        _db: test_db,
    })
}

/// Counts authorizations on the way to the real gateway.
struct Counting {
    inner: Arc<dyn Gateway>,
    authorizations: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl Gateway for Counting {
    async fn authorize(&self, request: AuthorizeRequest<'_>) -> GatewayDecision {
        self.authorizations.fetch_add(1, Ordering::SeqCst);
        self.inner.authorize(request).await
    }
    async fn capture(&self, reference: &str, amount: Money) -> GatewayDecision {
        self.inner.capture(reference, amount).await
    }
    async fn refund(&self, reference: &str, amount: Money) -> GatewayDecision {
        self.inner.refund(reference, amount).await
    }
    async fn void(&self, reference: &str) -> GatewayDecision {
        self.inner.void(reference).await
    }
}

pub const PAYMENT_FIELDS: &str = "id order { id } amount { amount currency } currency gateway status gatewayReference failureReason cardLast4 cardBrand createdAt updatedAt";

pub const APPROVED: &str = "4242424242424242";
pub const SLOW: &str = "4000000000000077";

/// A fresh order id (orders live in another service; any UUID will do).
pub fn order_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A fresh idempotency key.
pub fn key() -> String {
    format!("key-{}", uuid::Uuid::now_v7())
}

pub fn card(number: &str) -> Value {
    json!({ "number": number, "expMonth": 12, "expYear": 2099, "cvc": "123" })
}

pub fn card_input(order: &str, cents: i64, number: &str) -> Value {
    json!({
        "orderId": order,
        "amount": { "amount": cents, "currency": "USD" },
        "gateway": "TEST_CARD",
        "card": card(number),
    })
}

pub fn invoice_input(order: &str, cents: i64) -> Value {
    json!({
        "orderId": order,
        "amount": { "amount": cents, "currency": "EUR" },
        "gateway": "INVOICE",
    })
}

impl TestApp {
    pub async fn query(&self, query: &str, variables: Value) -> GraphqlResponse {
        self.client.query_with(query, variables).await
    }

    pub async fn authorize(&self, input: Value, key: &str) -> GraphqlResponse {
        self.query(
            &format!("mutation($input: AuthorizePaymentInput!, $key: String!) {{ authorizePayment(input: $input, idempotencyKey: $key) {{ {PAYMENT_FIELDS} }} }}"),
            json!({ "input": input, "key": key }),
        )
        .await
    }

    /// Authorizes a payment that must succeed (as a GraphQL call) and returns it.
    pub async fn given_payment(&self, input: Value) -> Value {
        self.authorize(input, &key()).await.data()["authorizePayment"].clone()
    }

    /// An AUTHORIZED card payment for a new order.
    pub async fn given_authorized(&self) -> Value {
        let payment = self
            .given_payment(card_input(&order_id(), 1999, APPROVED))
            .await;
        assert_eq!(payment["status"], "AUTHORIZED");
        payment
    }

    /// `capturePayment`, `refundPayment`, `voidPayment` or `markInvoicePaid`.
    pub async fn command(&self, mutation: &str, id: &Value) -> GraphqlResponse {
        let arg = if mutation == "markInvoicePaid" {
            "paymentId"
        } else {
            "id"
        };
        self.query(
            &format!("mutation($id: ID!) {{ {mutation}({arg}: $id) {{ {PAYMENT_FIELDS} }} }}"),
            json!({ "id": id }),
        )
        .await
    }

    pub async fn payment(&self, id: &Value) -> Value {
        self.query(
            &format!("query($id: ID!) {{ payment(id: $id) {{ {PAYMENT_FIELDS} }} }}"),
            json!({ "id": id }),
        )
        .await
        .data()["payment"]
            .clone()
    }

    /// The payments of an order, through `Order.payments`.
    pub async fn order_payments(&self, order: &str) -> Vec<Value> {
        let response = self
            .query(
                &format!("query($r: [_Any!]!) {{ _entities(representations: $r) {{ ... on Order {{ payments {{ {PAYMENT_FIELDS} }} }} }} }}"),
                json!({ "r": [{ "__typename": "Order", "id": order }] }),
            )
            .await;
        response.data()["_entities"][0]["payments"]
            .as_array()
            .expect("payments")
            .clone()
    }

    pub fn gateway_calls(&self) -> usize {
        self.gateway_calls.load(Ordering::SeqCst)
    }

    /// Every text stored in the payments table, for checks on what is kept.
    pub async fn stored_text(&self) -> String {
        let columns = [
            "id",
            "order_id",
            "currency",
            "gateway",
            "status",
            "gateway_reference",
            "failure_reason",
            "card_last4",
            "card_brand",
            "idempotency_key",
        ];
        let sql = format!("SELECT {} FROM payments", columns.join(", "));
        let rows = self
            .db
            .query_all_raw(Statement::from_string(self.db.get_database_backend(), sql))
            .await
            .expect("select payments");
        let mut text = String::new();
        for row in rows {
            for i in 0..columns.len() {
                let value: Option<String> = row.try_get_by_index(i).expect("text column");
                text.push_str(&value.unwrap_or_default());
                text.push('|');
            }
            text.push('\n');
        }
        text
    }
}
