//! The reorder rule and receiving replenishments.

use serde_json::{Value, json};
use subgraph_kit::both_backends;
use subgraph_kit::testing::Backend;

use crate::helpers::{REPLENISHMENT_FIELDS, new_id, spawn_app};

both_backends!(
    falling_to_the_reorder_point_opens_exactly_one_request,
    a_policy_set_below_the_point_opens_a_request_at_once,
    concurrent_drops_still_open_one_request,
    receiving_puts_the_goods_on_hand_once,
    receiving_validates_its_input_and_changes_nothing,
    lists_requests_oldest_first_and_filters_by_status,
);

async fn falling_to_the_reorder_point_opens_exactly_one_request(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.given_stock(20).await;
    app.set_policy(&product, 5, 30).await.data();
    app.adjust(&product, -14, "sold").await.data();
    assert!(app.replenishments_of(&product).await.is_empty(), "6 > 5");

    app.adjust(&product, -1, "sold").await.data();
    app.adjust(&product, -2, "sold").await.data();
    app.reserve(&new_id(), &[(&product, 1)]).await.data();
    let order = new_id();
    app.reserve(&order, &[(&product, 1)]).await.data();
    app.change_reservation("commitReservation", &order)
        .await
        .data();
    let requests = app.replenishments_of(&product).await;
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_eq!(requests[0]["status"], "OPEN");
    assert_eq!(requests[0]["quantity"], 30);

    // Once received, the next drop may open a new one.
    app.receive(&requests[0]["id"], None).await.data();
    assert_eq!(app.level(&product).await["available"], 31);
    app.adjust(&product, -26, "sold").await.data();
    let requests = app.replenishments_of(&product).await;
    let statuses: Vec<&Value> = requests.iter().map(|r| &r["status"]).collect();
    assert_eq!(statuses, [&json!("RECEIVED"), &json!("OPEN")]);
}

async fn a_policy_set_below_the_point_opens_a_request_at_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.given_stock(2).await;
    app.set_policy(&product, 5, 10).await.data();
    app.set_policy(&product, 5, 10).await.data();
    app.set_policy(&product, 6, 12).await.data();
    let requests = app.replenishments_of(&product).await;
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0]["quantity"], 10,
        "the open request stays as it was"
    );

    let never_stocked = new_id();
    app.set_policy(&never_stocked, 0, 7).await.data();
    assert_eq!(app.replenishments_of(&never_stocked).await.len(), 1);
    let off = new_id();
    app.set_policy(&off, 0, 0).await.data();
    assert!(app.replenishments_of(&off).await.is_empty());
}

async fn concurrent_drops_still_open_one_request(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.given_stock(100).await;
    app.set_policy(&product, 50, 10).await.data();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let client = app.client.clone();
        let product = product.clone();
        tasks.push(tokio::spawn(async move {
            client
                .query_with(
                    "mutation($p: ID!) { adjustStock(productId: $p, delta: -5, reason: \"sold\") { onHand } }",
                    json!({ "p": product }),
                )
                .await
        }));
    }
    for task in tasks {
        task.await.expect("task").data();
    }
    assert_eq!(app.level(&product).await["onHand"], 0);
    assert_eq!(app.replenishments_of(&product).await.len(), 1);
}

async fn receiving_puts_the_goods_on_hand_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.given_stock(1).await;
    app.set_policy(&product, 1, 20).await.data();
    let request = app.replenishments_of(&product).await.remove(0);
    assert_eq!(request["receivedAt"], Value::Null);

    let received = app.receive(&request["id"], Some(25)).await;
    let received = received.data()["receiveReplenishment"].clone();
    assert_eq!(received["status"], "RECEIVED");
    assert_eq!(received["quantity"], 20, "the request keeps what was asked");
    assert_eq!(received["receivedQuantity"], 25);
    assert!(received["receivedAt"].is_string());
    assert_eq!(app.level(&product).await["onHand"], 26);
    assert_eq!(
        app.movements(&product).await[0],
        ("REPLENISHMENT".to_owned(), 25, request["id"].clone())
    );

    let again = app.receive(&request["id"], Some(5)).await;
    assert_eq!(again.data()["receiveReplenishment"], received);
    assert_eq!(app.level(&product).await["onHand"], 26);
    assert_eq!(app.movements(&product).await.len(), 2);
}

async fn receiving_validates_its_input_and_changes_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.given_stock(1).await;
    app.set_policy(&product, 1, 20).await.data();
    let request = app.replenishments_of(&product).await.remove(0);
    for quantity in [0, -5] {
        let response = app.receive(&request["id"], Some(quantity)).await;
        assert_eq!(response.error_code(), "INVALID_QUANTITY");
    }
    for id in [json!(new_id()), json!("garbage")] {
        let response = app.receive(&id, None).await;
        assert_eq!(response.error_code(), "REPLENISHMENT_NOT_FOUND");
    }
    assert_eq!(app.replenishments_of(&product).await[0], request);
    assert_eq!(app.level(&product).await["onHand"], 1);
}

async fn lists_requests_oldest_first_and_filters_by_status(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut products = Vec::new();
    for _ in 0..3 {
        let product = new_id();
        app.set_policy(&product, 0, 5).await.data();
        products.push(product);
    }
    app.settle().await;
    let all = app
        .query(
            &format!("{{ replenishments {{ {REPLENISHMENT_FIELDS} }} }}"),
            json!({}),
        )
        .await;
    let all = all.data()["replenishments"]
        .as_array()
        .expect("list")
        .clone();
    let order: Vec<&str> = all
        .iter()
        .filter_map(|r| r["product"]["id"].as_str())
        .collect();
    assert_eq!(order, products);

    app.receive(&all[1]["id"], None).await.data();
    let by_status = |status: &'static str| {
        let app = &app;
        async move {
            let response = app
                .query(
                    "query($s: ReplenishmentStatus) { replenishments(status: $s) { id } }",
                    json!({ "s": status }),
                )
                .await;
            response.data()["replenishments"].clone()
        }
    };
    assert_eq!(
        by_status("OPEN").await,
        json!([{ "id": all[0]["id"] }, { "id": all[2]["id"] }])
    );
    assert_eq!(by_status("RECEIVED").await, json!([{ "id": all[1]["id"] }]));
}
