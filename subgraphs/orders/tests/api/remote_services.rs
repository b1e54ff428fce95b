//! The checkout's clients against the real inventory and payments services:
//! each call does what it says, repeats safely, and tells a refusal from an
//! outage.

use std::sync::Arc;
use std::time::Duration;

use events::broker::memory::MemoryBroker;
use orders::billing::{Billing, Card, HttpBilling, PaymentDetails, PaymentStatus};
use orders::domain::{OrderId, ProductId};
use orders::remote::{CallError, Endpoint, Subgraph};
use orders::stock::{HttpStock, ReservationStatus, Stock};
use serde_json::json;
use subgraph_kit::money::Money;
use subgraph_kit::testing::{Backend, GraphqlClient, TestDatabase};

struct Services {
    stock: HttpStock,
    billing: HttpBilling,
    inventory: GraphqlClient,
    inventory_url: String,
    _dbs: (TestDatabase, TestDatabase),
}

async fn services(backend: Backend) -> Option<Services> {
    let inventory_db = TestDatabase::create(backend, "orders-inventory").await?;
    let payments_db = TestDatabase::create(backend, "orders-payments").await?;
    let broker = Arc::new(MemoryBroker::new());
    let db = inventory::app::open_database(&inventory_db.url)
        .await
        .unwrap();
    let server = inventory::app::build("127.0.0.1:0".parse().unwrap(), db, broker.clone())
        .await
        .unwrap();
    let inventory_url = format!("http://{}/graphql", server.local_addr());
    tokio::spawn(server.run_until(std::future::pending()));
    let db = payments::app::open_database(&payments_db.url)
        .await
        .unwrap();
    let gateways = payments::gateway::GatewaySettings {
        slow_card_delay: Duration::from_millis(100),
    };
    let server = payments::app::build("127.0.0.1:0".parse().unwrap(), db, &gateways, broker)
        .await
        .unwrap();
    let payments_url = format!("http://{}/graphql", server.local_addr());
    tokio::spawn(server.run_until(std::future::pending()));
    let timeout = Duration::from_secs(5);
    Some(Services {
        stock: HttpStock::new(Subgraph::new("inventory", &inventory_url, timeout).unwrap()),
        billing: HttpBilling::new(Subgraph::new("payments", &payments_url, timeout).unwrap()),
        inventory: GraphqlClient::new(inventory_url.clone()),
        inventory_url,
        _dbs: (inventory_db, payments_db),
    })
}

fn new_order() -> OrderId {
    OrderId::generate()
}

async fn given_stock(services: &Services, units: i64) -> ProductId {
    let id = uuid::Uuid::now_v7().to_string();
    services
        .inventory
        .query_with(
            "mutation($p: ID!, $d: Int!) { adjustStock(productId: $p, delta: $d, reason: \"delivery\") { onHand } }",
            json!({ "p": id, "d": units }),
        )
        .await
        .data();
    ProductId::parse(&id).unwrap()
}

fn card(number: &str) -> PaymentDetails {
    PaymentDetails {
        gateway: "TEST_CARD".into(),
        card: Some(Card {
            number: number.into(),
            exp_month: 12,
            exp_year: 2099,
            cvc: "123".into(),
        }),
    }
}

async fn stock_calls_hold_sell_free_and_return_units(backend: Backend) {
    let Some(services) = services(backend).await else {
        return;
    };
    let stock = &services.stock;
    let product = given_stock(&services, 3).await;
    let order = new_order();
    let items = [(product.clone(), 2)];
    assert_eq!(
        stock.reserve(&order, &items).await.unwrap(),
        ReservationStatus::Reserved
    );
    assert_eq!(
        stock.reserve(&order, &items).await.unwrap(),
        ReservationStatus::Reserved,
        "a retry holds nothing more"
    );
    let refused = stock.reserve(&new_order(), &items).await.unwrap_err();
    assert_eq!(refused.refusal(), Some("INSUFFICIENT_STOCK"), "{refused}");
    assert_eq!(
        stock.commit(&order).await.unwrap(),
        ReservationStatus::Committed
    );
    assert_eq!(
        stock.commit(&order).await.unwrap(),
        ReservationStatus::Committed
    );
    assert_eq!(
        stock.restock(&order).await.unwrap(),
        ReservationStatus::Returned
    );

    let other = new_order();
    stock.reserve(&other, &[(product, 1)]).await.unwrap();
    assert_eq!(
        stock.release(&other).await.unwrap(),
        ReservationStatus::Released
    );
    assert_eq!(
        stock.release(&other).await.unwrap(),
        ReservationStatus::Released
    );
}

async fn billing_calls_charge_once_and_undo(backend: Backend) {
    let Some(services) = services(backend).await else {
        return;
    };
    let billing = &services.billing;
    let order = new_order();
    let total = Money::parse(4200, "USD").unwrap();
    let key = format!("checkout-{}", order.as_str());
    let approved = card("4242424242424242");
    let payment = billing
        .authorize(&order, total, &approved, &key)
        .await
        .unwrap();
    assert_eq!(payment.status, PaymentStatus::Authorized);
    let again = billing
        .authorize(&order, total, &approved, &key)
        .await
        .unwrap();
    assert_eq!(again.id, payment.id, "one key, one payment");
    assert_eq!(
        billing.capture(&payment.id).await.unwrap().status,
        PaymentStatus::Captured
    );
    assert_eq!(
        billing.refund(&payment.id).await.unwrap().status,
        PaymentStatus::Refunded
    );

    let declined = billing
        .authorize(&new_order(), total, &card("4000000000000002"), "k-declined")
        .await
        .unwrap();
    assert_eq!(declined.status, PaymentStatus::Declined);
    assert!(declined.failure_reason.is_some());

    let held = billing
        .authorize(&new_order(), total, &approved, "k-void")
        .await
        .unwrap();
    assert_eq!(
        billing.void(&held.id).await.unwrap().status,
        PaymentStatus::Voided
    );

    let invalid = billing
        .authorize(&new_order(), total, &card("1234"), "k-invalid")
        .await
        .unwrap_err();
    assert!(invalid.refusal().is_some(), "{invalid}");
}

#[tokio::test]
async fn an_unreachable_service_is_an_outage_not_a_refusal() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/graphql", listener.local_addr().unwrap());
    drop(listener);
    let stock = HttpStock::new(Subgraph::new("inventory", &url, Duration::from_secs(1)).unwrap());
    let err = stock.release(&new_order()).await.unwrap_err();
    assert!(matches!(err, CallError::Unavailable { .. }), "{err}");
    assert_eq!(err.refusal(), None);
}

/// The checkout's calls are idempotent by order id: a replica that is
/// gone costs no call, they go to one that answers.
async fn calls_go_to_a_replica_that_answers(backend: Backend) {
    let Some(services) = services(backend).await else {
        return;
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/graphql", listener.local_addr().unwrap());
    drop(listener);
    let client = upstream::Upstream::default_client().unwrap();
    let endpoint = Endpoint::replicas(
        vec![dead, services.inventory_url.clone()],
        Duration::from_secs(5),
    );
    let stock = HttpStock::new(
        Subgraph::connect("inventory", &endpoint, client)
            .await
            .unwrap(),
    );
    let product = given_stock(&services, 20).await;
    for _ in 0..20 {
        let order = new_order();
        assert_eq!(
            stock
                .reserve(&order, &[(product.clone(), 1)])
                .await
                .unwrap(),
            ReservationStatus::Reserved
        );
    }
    let refused = stock
        .reserve(&new_order(), &[(product, 1)])
        .await
        .unwrap_err();
    assert_eq!(
        refused.refusal(),
        Some("INSUFFICIENT_STOCK"),
        "exactly 20 held: {refused}"
    );
}

/// A replica that takes the connection and never answers costs a try, not
/// the call: each try has a share of the call's timeout.
async fn a_stalled_replica_costs_a_try_not_the_call(backend: Backend) {
    let Some(services) = services(backend).await else {
        return;
    };
    let stalled = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stalled_url = format!("http://{}/graphql", stalled.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut connections = Vec::new();
        while let Ok((connection, _)) = stalled.accept().await {
            connections.push(connection);
        }
    });
    let client = upstream::Upstream::default_client().unwrap();
    let timeout = Duration::from_secs(3);
    let endpoint = Endpoint::replicas(vec![stalled_url, services.inventory_url.clone()], timeout);
    let stock = HttpStock::new(
        Subgraph::connect("inventory", &endpoint, client)
            .await
            .unwrap(),
    );
    let product = given_stock(&services, 10).await;
    for _ in 0..10 {
        let started = std::time::Instant::now();
        let held_units = stock.reserve(&new_order(), &[(product.clone(), 1)]).await;
        assert_eq!(held_units.unwrap(), ReservationStatus::Reserved);
        assert!(started.elapsed() < timeout, "took {:?}", started.elapsed());
    }
    held.abort();
}

subgraph_kit::both_backends!(
    a_stalled_replica_costs_a_try_not_the_call,
    calls_go_to_a_replica_that_answers,
    stock_calls_hold_sell_free_and_return_units,
    billing_calls_charge_once_and_undo,
);
