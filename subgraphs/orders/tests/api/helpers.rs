use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use events::Broker;
use events::broker::memory::MemoryBroker;
use orders::app::{CheckoutSettings, Endpoint, Services};
use orders::checkout::Faults;
use serde_json::{Value, json};
use subgraph_kit::testing::{
    Backend, GraphqlClient, GraphqlResponse, StatementCounter, TestDatabase, count_statements,
};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct TestApp {
    pub addr: SocketAddr,
    /// The orders service.
    pub client: GraphqlClient,
    /// The real products, inventory and payments services next to it.
    pub products: GraphqlClient,
    pub inventory: GraphqlClient,
    pub payments: GraphqlClient,
    /// Statements the orders service ran since the last `statements.reset()`.
    pub statements: StatementCounter,
    /// The in-process broker every service's outbox relay publishes to.
    pub broker: MemoryBroker,
    /// The running orders service's fault-injection points.
    pub faults: Faults,
    /// The link from orders to payments, when the test asked for one it can cut.
    pub payments_link: Option<Link>,
    services: Services,
    orders_db_url: String,
    stop: Option<oneshot::Sender<()>>,
    running: Option<JoinHandle<std::io::Result<()>>>,
    _dbs: Vec<TestDatabase>,
}

/// A second orders replica (see `TestApp::start_orders_replica`).
pub struct OrdersReplica {
    pub addr: SocketAddr,
    _stop: oneshot::Sender<()>,
}

/// How to start the orders service under test.
#[derive(Clone)]
pub struct Options {
    /// Ask this URL for prices instead of the products service.
    pub catalog_url: Option<String>,
    pub catalog_timeout: Duration,
    /// How long one call to inventory or payments may take.
    pub call_timeout: Duration,
    pub checkout: CheckoutSettings,
    /// Reach payments through a proxy the test can cut (`TestApp::payments_link`).
    pub cuttable_payments: bool,
    /// Payments publishes to a broker orders does not listen to: its events
    /// never reach orders (a consumer that missed them).
    pub deaf_to_payments: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            catalog_url: None,
            catalog_timeout: Duration::from_secs(5),
            call_timeout: Duration::from_secs(10),
            checkout: quick_checkout(),
            cuttable_payments: false,
            deaf_to_payments: false,
        }
    }
}

/// An orders service whose recovery sweeps only at start-up, for tests that
/// count the statements a request runs.
pub async fn spawn_quiet_app(backend: Backend) -> Option<TestApp> {
    let mut options = Options::default();
    options.checkout.sweep_every = Duration::from_secs(3600);
    spawn_app_with(backend, options).await
}

/// Checkout settings that let tests see recovery within a second.
pub fn quick_checkout() -> CheckoutSettings {
    CheckoutSettings {
        lease: Duration::from_secs(2),
        retry_delay: Duration::from_millis(50),
        stall_pause: Duration::from_millis(300),
        sweep_every: Duration::from_millis(100),
        ..CheckoutSettings::default()
    }
}

/// Starts the products, inventory and payments services and an orders
/// service calling them, each on port 0 over its own fresh database, all
/// sharing one in-process broker; `None` when the backend is unavailable
/// here (the skip has been reported).
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, Options::default()).await
}

/// Like [`spawn_app`], but orders asks `catalog_url` (when given) for prices
/// instead of the products service.
pub async fn spawn_app_with_catalog(
    backend: Backend,
    catalog_url: Option<String>,
    timeout: Duration,
) -> Option<TestApp> {
    let options = Options {
        catalog_url,
        catalog_timeout: timeout,
        ..Options::default()
    };
    spawn_app_with(backend, options).await
}

pub async fn spawn_app_with(backend: Backend, options: Options) -> Option<TestApp> {
    // Warnings (a stalled checkout, a failed consumer) go to the test's
    // output, shown when it fails.
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
        .try_init();
    let any: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    let broker = MemoryBroker::new();
    let shared: Arc<dyn Broker> = Arc::new(broker.clone());

    let products_db = TestDatabase::create(backend, "orders-products").await?;
    let db = products::app::open_database(&products_db.url)
        .await
        .expect("open products database");
    let server = products::app::build(any, db).await.expect("bind products");
    let products_url = format!("http://{}/graphql", server.local_addr());
    tokio::spawn(server.run_until(std::future::pending()));

    let inventory_db = TestDatabase::create(backend, "orders-inventory").await?;
    let db = inventory::app::open_database(&inventory_db.url)
        .await
        .expect("open inventory database");
    let server = inventory::app::build(any, db, shared.clone())
        .await
        .expect("bind inventory");
    let inventory_url = format!("http://{}/graphql", server.local_addr());
    tokio::spawn(server.run_until(std::future::pending()));

    let payments_db = TestDatabase::create(backend, "orders-payments").await?;
    let db = payments::app::open_database(&payments_db.url)
        .await
        .expect("open payments database");
    let gateways = payments::gateway::GatewaySettings {
        slow_card_delay: Duration::from_millis(100),
    };
    let payments_broker: Arc<dyn Broker> = if options.deaf_to_payments {
        Arc::new(MemoryBroker::new())
    } else {
        shared.clone()
    };
    let server = payments::app::build(any, db, &gateways, payments_broker)
        .await
        .expect("bind payments");
    let payments_url = format!("http://{}/graphql", server.local_addr());
    tokio::spawn(server.run_until(std::future::pending()));

    let orders_db = TestDatabase::create(backend, "orders").await?;
    let mut db = orders::app::open_database(&orders_db.url)
        .await
        .expect("open orders database");
    let statements = count_statements(&mut db);
    let payments_link = if options.cuttable_payments {
        let target = payments_url
            .trim_start_matches("http://")
            .trim_end_matches("/graphql")
            .parse()
            .expect("payments address");
        Some(Link::start(target).await)
    } else {
        None
    };
    let orders_payments_url = match &payments_link {
        Some(link) => format!("http://{}/graphql", link.addr),
        None => payments_url.clone(),
    };
    let timeout = options.call_timeout;
    let services = Services {
        catalog: Endpoint::new(
            options.catalog_url.unwrap_or_else(|| products_url.clone()),
            options.catalog_timeout,
        ),
        inventory: Endpoint::new(inventory_url.clone(), timeout),
        payments: Endpoint::new(orders_payments_url, timeout),
        checkout: options.checkout,
    };
    let mut app = TestApp {
        addr: any,
        client: GraphqlClient::new(String::new()),
        products: GraphqlClient::new(products_url),
        inventory: GraphqlClient::new(inventory_url),
        payments: GraphqlClient::new(payments_url),
        statements,
        broker,
        faults: services.checkout.faults.clone(),
        payments_link,
        orders_db_url: orders_db.url.clone(),
        services,
        stop: None,
        running: None,
        _dbs: vec![products_db, inventory_db, payments_db, orders_db],
    };
    app.start_orders(db).await;
    Some(app)
}

pub const ORDER_FIELDS: &str = "id customerEmail status total { amount currency } \
    items { product { id sku } quantity unitPrice { amount currency } lineTotal { amount currency } } \
    statusHistory { status at note } failure { code message } carrier trackingNumber createdAt updatedAt";

pub const PLACE_ORDER: &str = "mutation($input: PlaceOrderInput!, $key: String) { placeOrder(input: $input, idempotencyKey: $key) { id customerEmail status total { amount currency } items { product { id sku } quantity unitPrice { amount currency } lineTotal { amount currency } } statusHistory { status note } failure { code message } } }";

/// Test cards of the payments service's TEST_CARD gateway.
pub const APPROVED_CARD: &str = "4242424242424242";
pub const DECLINED_CARD: &str = "4000000000000002";
pub const FAILING_CARD: &str = "4000000000000119";

/// A TEST_CARD payment with `number`.
pub fn card(number: &str) -> Value {
    json!({ "gateway": "TEST_CARD", "card": { "number": number, "expMonth": 12, "expYear": 2099, "cvc": "123" } })
}

/// Paying by invoice: the order waits for it.
pub fn invoice() -> Value {
    json!({ "gateway": "INVOICE" })
}

impl TestApp {
    /// Starts (or starts again) the orders service over `db`.
    async fn start_orders(&mut self, db: sea_orm::DatabaseConnection) {
        let server = orders::app::build(
            "127.0.0.1:0".parse().expect("addr"),
            db,
            &self.services,
            Arc::new(self.broker.clone()),
        )
        .await
        .expect("bind orders");
        let addr = server.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        self.running = Some(tokio::spawn(server.run_until(async move {
            let _ = stopped.await;
        })));
        self.stop = Some(stop);
        self.addr = addr;
        self.client = GraphqlClient::new(format!("http://{addr}/graphql"));
    }

    /// Another replica of the orders service, over the same database and
    /// broker; it serves until dropped.
    pub async fn start_orders_replica(&self) -> OrdersReplica {
        let db = orders::app::open_database(&self.orders_db_url)
            .await
            .expect("open orders database");
        let server = orders::app::build(
            "127.0.0.1:0".parse().expect("addr"),
            db,
            &self.services,
            Arc::new(self.broker.clone()),
        )
        .await
        .expect("bind orders replica");
        let addr = server.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(server.run_until(async move {
            let _ = stopped.await;
        }));
        OrdersReplica { addr, _stop: stop }
    }

    /// Stops the orders service (as if its process died: what it was doing
    /// is left as it is) and starts a fresh one on the same database with
    /// new fault points.
    pub async fn restart_orders(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(running) = self.running.take() {
            let _ = running.await;
        }
        self.services.checkout.faults = Faults::default();
        self.faults = self.services.checkout.faults.clone();
        let db = orders::app::open_database(&self.orders_db_url)
            .await
            .expect("reopen orders database");
        self.start_orders(db).await;
    }

    pub async fn query(&self, query: &str, variables: Value) -> GraphqlResponse {
        self.client.query_with(query, variables).await
    }

    /// Creates an active product in the products service with 1000 units
    /// on hand in inventory; returns its id.
    pub async fn given_product(&self, sku: &str, amount: i64, currency: &str) -> String {
        let id = self.given_unstocked_product(sku, amount, currency).await;
        self.stock(&id, 1000).await;
        id
    }

    /// Adds `units` on hand for `product` in inventory.
    pub async fn stock(&self, product: &str, units: i64) {
        let response = self
            .inventory
            .query_with(
                "mutation($p: ID!, $d: Int!) { adjustStock(productId: $p, delta: $d, reason: \"delivery\") { onHand } }",
                json!({ "p": product, "d": units }),
            )
            .await;
        assert!(
            response.data()["adjustStock"]["onHand"].is_number(),
            "{}",
            response.body
        );
    }

    /// The inventory level of `product`: (on hand, reserved).
    pub async fn stock_level(&self, product: &str) -> (i64, i64) {
        let response = self
            .inventory
            .query_with(
                "query($p: ID!) { inventory(productId: $p) { onHand reserved } }",
                json!({ "p": product }),
            )
            .await;
        let level = &response.data()["inventory"];
        (
            level["onHand"].as_i64().expect("onHand"),
            level["reserved"].as_i64().expect("reserved"),
        )
    }

    /// The payments of `order`, as (status, amount) pairs, oldest first.
    pub async fn payments_of(&self, order: &str) -> Vec<(String, i64)> {
        let response = self
            .payments
            .query_with(
                "query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { payments { status amount { amount } } } } }",
                json!({ "r": [{ "__typename": "Order", "id": order }] }),
            )
            .await;
        response.data()["_entities"][0]["payments"]
            .as_array()
            .map(|payments| {
                payments
                    .iter()
                    .map(|p| {
                        (
                            p["status"].as_str().unwrap_or_default().to_owned(),
                            p["amount"]["amount"].as_i64().unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits until the service ran no statement for 250 ms (the consumer of
    /// payment events has caught up), then resets the statement counter:
    /// what is counted next is the request's own work.
    pub async fn quiesce(&self) {
        loop {
            self.statements.reset();
            tokio::time::sleep(Duration::from_millis(250)).await;
            if self.statements.get() == 0 {
                return;
            }
        }
    }

    /// The id of the order's (first) payment.
    pub async fn payment_id_of(&self, order: &str) -> Value {
        let response = self
            .payments
            .query_with(
                "query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { payments { id } } } }",
                json!({ "r": [{ "__typename": "Order", "id": order }] }),
            )
            .await;
        response.data()["_entities"][0]["payments"][0]["id"].clone()
    }

    /// The back office records the order's invoice as paid.
    pub async fn pay_invoice(&self, order: &str) {
        let payment = self.payment_id_of(order).await;
        let response = self
            .payments
            .query_with(
                "mutation($id: ID!) { markInvoicePaid(paymentId: $id) { status } }",
                json!({ "id": payment }),
            )
            .await;
        assert_eq!(response.data()["markInvoicePaid"]["status"], "CAPTURED");
    }

    /// The first `count` events orders published (waiting up to `within`).
    pub async fn order_events(&self, count: usize, within: Duration) -> Vec<events::Event> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let ours: Vec<events::Event> = self
                .broker
                .published()
                .into_iter()
                .filter(|e| e.subject.starts_with("shop.orders."))
                .collect();
            if ours.len() >= count || tokio::time::Instant::now() >= deadline {
                return ours;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits (up to 10 s) until `order` has `status`; returns the order.
    pub async fn wait_for_status(&self, order: &str, status: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let current = self.order(order).await;
            if current["status"] == status || tokio::time::Instant::now() >= deadline {
                return current;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until `order` has left PENDING, at most as long as the
    /// checkout's settings say a stalled order can take; returns the order.
    pub async fn wait_until_settled(&self, order: &str) -> Value {
        // Not a guess: the bound the checkout's own settings imply.
        let call_timeout = self
            .services
            .inventory
            .timeout
            .max(self.services.payments.timeout);
        let bound = self.services.checkout.settle_bound(call_timeout);
        let deadline = tokio::time::Instant::now() + bound;
        loop {
            let current = self.order(order).await;
            if current["status"] != "PENDING" || tokio::time::Instant::now() >= deadline {
                return current;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Creates an active product with no stock; returns its id.
    pub async fn given_unstocked_product(&self, sku: &str, amount: i64, currency: &str) -> String {
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

    /// Places an order paid with the approved test card.
    pub async fn place_order(
        &self,
        email: &str,
        items: &[(&str, i64)],
        key: Option<&str>,
    ) -> GraphqlResponse {
        self.query(PLACE_ORDER, place_order_variables(email, items, key))
            .await
    }

    /// Places an order paid with `payment` (see [`card`], [`invoice`]).
    pub async fn place_order_paying(
        &self,
        items: &[(&str, i64)],
        payment: Value,
        key: Option<&str>,
    ) -> GraphqlResponse {
        let mut variables = place_order_variables("ann@example.com", items, key);
        variables["input"]["payment"] = payment;
        self.query(PLACE_ORDER, variables).await
    }

    /// Places a valid order and returns its id.
    pub async fn given_order(&self, email: &str, items: &[(&str, i64)]) -> String {
        let response = self.place_order(email, items, None).await;
        response.data()["placeOrder"]["id"]
            .as_str()
            .expect("order id")
            .to_owned()
    }

    /// A confirmed (paid) order of one product for ann@example.com.
    pub async fn given_confirmed_order(&self) -> String {
        let product = self.given_product(&next_sku(), 500, "USD").await;
        self.given_order("ann@example.com", &[(&product, 1)]).await
    }

    /// A pending order of one product for ann@example.com, waiting for its
    /// invoice to be paid.
    pub async fn given_pending_order(&self) -> String {
        let product = self.given_product(&next_sku(), 500, "USD").await;
        let response = self
            .place_order_paying(&[(&product, 1)], invoice(), None)
            .await;
        assert_eq!(
            response.data()["placeOrder"]["status"],
            "PENDING",
            "{}",
            response.body
        );
        response.data()["placeOrder"]["id"]
            .as_str()
            .expect("order id")
            .to_owned()
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
    json!({ "input": { "customerEmail": email, "items": items, "payment": card(APPROVED_CARD) }, "key": key })
}

/// A SKU no other helper call has used.
pub fn next_sku() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("AUTO-{}", NEXT.fetch_add(1, Ordering::SeqCst))
}

/// A TCP link between two services that a test can cut and restore: while
/// cut, it drops every connection (open ones included), as a network
/// partition or a stopped service would look to the caller.
pub struct Link {
    pub addr: SocketAddr,
    up: Arc<std::sync::atomic::AtomicBool>,
    connections: Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Link {
    pub async fn start(target: SocketAddr) -> Link {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind link");
        let addr = listener.local_addr().expect("link address");
        let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let connections: Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (accepting, open) = (up.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !accepting.load(std::sync::atomic::Ordering::SeqCst) {
                    continue; // dropped: the caller sees the connection close
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                if let Ok(mut open) = open.lock() {
                    open.push(task.abort_handle());
                }
            }
        });
        Link {
            addr,
            up,
            connections,
        }
    }

    pub fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut open) = self.connections.lock() {
            for connection in open.drain(..) {
                connection.abort();
            }
        }
    }

    pub fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}
