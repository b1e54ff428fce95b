//! After checkout, orders move CONFIRMED → SHIPPED → DELIVERED, or end
//! CANCELLED; every change is recorded, anything else is refused. (How an
//! order gets to CONFIRMED or PAYMENT_FAILED is in `checkout`.)

use serde_json::{Value, json};
use subgraph_kit::both_backends;
use subgraph_kit::testing::Backend;

use crate::helpers::{ORDER_FIELDS, spawn_app};

both_backends!(
    an_order_goes_from_placed_to_delivered_with_its_history,
    repeating_a_change_returns_the_order_unchanged,
    cancellation_records_its_reason,
    invalid_transitions_leave_the_order_unchanged,
    bad_shipments_and_unknown_orders_are_rejected,
    concurrent_cancellations_record_one_change,
);

fn statuses(order: &Value) -> Vec<String> {
    order["statusHistory"]
        .as_array()
        .expect("history")
        .iter()
        .map(|c| c["status"].as_str().unwrap_or_default().to_owned())
        .collect()
}

const SHIP: &str = r#"shipOrder(id: $id, carrier: " DHL ", trackingNumber: " JD0123 ")"#;

async fn an_order_goes_from_placed_to_delivered_with_its_history(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.given_confirmed_order().await;
    let placed = app.order(&id).await;
    assert_eq!(placed["status"], "CONFIRMED");

    let shipped = app.change(SHIP, &id).await;
    let shipped = &shipped.data()["shipOrder"];
    assert_eq!(shipped["status"], "SHIPPED");
    assert_eq!(shipped["carrier"], "DHL");
    assert_eq!(shipped["trackingNumber"], "JD0123");

    let delivered = app.change("markDelivered(id: $id)", &id).await;
    assert_eq!(delivered.data()["markDelivered"]["status"], "DELIVERED");

    let order = app.order(&id).await;
    assert_eq!(order["status"], "DELIVERED");
    assert_eq!(order["carrier"], "DHL");
    assert_eq!(order["trackingNumber"], "JD0123");
    assert_eq!(order["total"], placed["total"]);
    assert_eq!(order["items"], placed["items"]);
    assert_eq!(order["createdAt"], placed["createdAt"]);
    assert_ne!(order["updatedAt"], placed["updatedAt"]);
    assert_eq!(
        statuses(&order),
        ["PENDING", "CONFIRMED", "SHIPPED", "DELIVERED"]
    );
    let times: Vec<&str> = order["statusHistory"]
        .as_array()
        .expect("history")
        .iter()
        .map(|c| c["at"].as_str().unwrap_or_default())
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "oldest first");
}

async fn repeating_a_change_returns_the_order_unchanged(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.given_confirmed_order().await;
    app.change(SHIP, &id).await.data();
    let shipped = app.order(&id).await;
    let other_carrier = app
        .change(
            r#"shipOrder(id: $id, carrier: "UPS", trackingNumber: "1Z")"#,
            &id,
        )
        .await;
    assert_eq!(
        other_carrier.data()["shipOrder"],
        shipped,
        "the first shipment stays"
    );
    assert_eq!(
        statuses(&app.order(&id).await),
        ["PENDING", "CONFIRMED", "SHIPPED"]
    );
    app.change("markDelivered(id: $id)", &id).await.data();
    let delivered = app.order(&id).await;
    let again = app.change("markDelivered(id: $id)", &id).await;
    assert_eq!(again.data()["markDelivered"], delivered);
    assert_eq!(
        statuses(&app.order(&id).await),
        ["PENDING", "CONFIRMED", "SHIPPED", "DELIVERED"]
    );
}

async fn cancellation_records_its_reason(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let pending = app.given_pending_order().await;
    let cancelled = app
        .change(
            r#"cancelOrder(id: $id, reason: " changed my mind ")"#,
            &pending,
        )
        .await;
    let history = &cancelled.data()["cancelOrder"]["statusHistory"];
    assert_eq!(history[1]["status"], "CANCELLED");
    assert_eq!(history[1]["note"], "changed my mind");

    let confirmed = app.given_confirmed_order().await;
    let cancelled = app.change("cancelOrder(id: $id)", &confirmed).await;
    let order = &cancelled.data()["cancelOrder"];
    assert_eq!(statuses(order), ["PENDING", "CONFIRMED", "CANCELLED"]);
    assert_eq!(order["statusHistory"][2]["note"], Value::Null);

    let long = "x".repeat(501);
    let too_long = app
        .change(
            &format!(r#"cancelOrder(id: $id, reason: "{long}")"#),
            &confirmed,
        )
        .await;
    assert_eq!(too_long.error_code(), "INVALID_REASON");
}

async fn invalid_transitions_leave_the_order_unchanged(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.given_pending_order().await;
    let refused_while_pending = [SHIP, "markDelivered(id: $id)"];
    for call in refused_while_pending {
        let before = app.order(&id).await;
        let response = app.change(call, &id).await;
        assert_eq!(response.error_code(), "INVALID_TRANSITION", "{call}");
        assert_eq!(response.body["data"], Value::Null);
        assert_eq!(app.order(&id).await, before, "{call} changed nothing");
    }
    let response = app.change("markDelivered(id: $id)", &id).await;
    assert_eq!(
        response.error_message(),
        "order cannot go from PENDING to DELIVERED"
    );

    let id = app.given_confirmed_order().await;
    app.change(SHIP, &id).await.data();
    let before = app.order(&id).await;
    for call in ["cancelOrder(id: $id)"] {
        let response = app.change(call, &id).await;
        assert_eq!(response.error_code(), "INVALID_TRANSITION", "{call}");
        assert!(response.error_message().contains("from SHIPPED to"));
    }
    assert_eq!(app.order(&id).await, before);

    let cancelled = app.given_pending_order().await;
    app.change("cancelOrder(id: $id)", &cancelled).await.data();
    let before = app.order(&cancelled).await;
    for call in [SHIP, "markDelivered(id: $id)"] {
        let response = app.change(call, &cancelled).await;
        assert_eq!(response.error_code(), "INVALID_TRANSITION", "{call}");
    }
    assert_eq!(app.order(&cancelled).await, before);
}

async fn bad_shipments_and_unknown_orders_are_rejected(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.given_confirmed_order().await;
    let before = app.order(&id).await;
    let long = "x".repeat(101);
    for (carrier, tracking) in [
        ("  ", "1"),
        ("DHL", ""),
        (long.as_str(), "1"),
        ("DHL", long.as_str()),
    ] {
        let response = app
            .query(
                "mutation($id: ID!, $c: String!, $t: String!) { shipOrder(id: $id, carrier: $c, trackingNumber: $t) { id } }",
                json!({ "id": id, "c": carrier, "t": tracking }),
            )
            .await;
        assert_eq!(response.error_code(), "INVALID_SHIPMENT");
    }
    assert_eq!(app.order(&id).await, before);

    for unknown in ["0192f0c4-0000-7000-8000-000000000000", "not-a-uuid"] {
        for call in ["cancelOrder(id: $id)", SHIP, "markDelivered(id: $id)"] {
            let response = app.change(call, unknown).await;
            assert_eq!(response.error_code(), "ORDER_NOT_FOUND", "{call}");
        }
        assert_eq!(app.order(unknown).await, Value::Null);
    }
}

async fn concurrent_cancellations_record_one_change(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.given_pending_order().await;
    let mutation = format!("mutation($id: ID!) {{ cancelOrder(id: $id) {{ {ORDER_FIELDS} }} }}");
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let client = app.client.clone();
            let mutation = mutation.clone();
            let id = id.clone();
            tokio::spawn(async move { client.query_with(&mutation, json!({ "id": id })).await })
        })
        .collect();
    for call in calls {
        let response = call.await.expect("request task");
        assert_eq!(response.data()["cancelOrder"]["status"], "CANCELLED");
    }
    assert_eq!(statuses(&app.order(&id).await), ["PENDING", "CANCELLED"]);
}
