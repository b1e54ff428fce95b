//! `orders(...)`: newest first, filtered by customer and status, in pages.

use serde_json::{Value, json};
use subgraph_kit::both_backends;
use subgraph_kit::testing::Backend;

use crate::helpers::spawn_app;

both_backends!(
    lists_newest_first_filtered_by_customer_and_status,
    pages_through_orders_with_cursors,
);

const LIST: &str = "query($email: String, $status: OrderStatus, $first: Int, $after: String) { orders(customerEmail: $email, status: $status, first: $first, after: $after) { edges { cursor node { id customerEmail status } } pageInfo { hasNextPage endCursor } } }";

fn ids(response: &subgraph_kit::testing::GraphqlResponse) -> Vec<Value> {
    response.data()["orders"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["id"].clone())
        .collect()
}

async fn lists_newest_first_filtered_by_customer_and_status(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let book = app.given_product("book-1", 100, "USD").await;
    let ann_1 = app.given_order("ann@example.com", &[(&book, 1)]).await;
    let bob_1 = app.given_order("bob@example.com", &[(&book, 1)]).await;
    let ann_2 = app.given_order("ann@example.com", &[(&book, 2)]).await;
    app.change("cancelOrder(id: $id)", &ann_2).await.data();

    let all = app.query(LIST, json!({})).await;
    assert_eq!(ids(&all), [json!(ann_2), json!(bob_1), json!(ann_1)]);

    let ann = app
        .query(LIST, json!({ "email": " ANN@example.com" }))
        .await;
    assert_eq!(ids(&ann), [json!(ann_2), json!(ann_1)]);

    let confirmed = app.query(LIST, json!({ "status": "CONFIRMED" })).await;
    assert_eq!(ids(&confirmed), [json!(bob_1), json!(ann_1)]);

    let ann_cancelled = app
        .query(
            LIST,
            json!({ "email": "ann@example.com", "status": "CANCELLED" }),
        )
        .await;
    assert_eq!(ids(&ann_cancelled), [json!(ann_2)]);

    let nobody = app.query(LIST, json!({ "email": "eve@example.com" })).await;
    assert!(ids(&nobody).is_empty());
    let bad = app.query(LIST, json!({ "email": "eve" })).await;
    assert_eq!(bad.error_code(), "INVALID_EMAIL");
}

async fn pages_through_orders_with_cursors(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let book = app.given_product("book-1", 100, "USD").await;
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(json!(
            app.given_order("ann@example.com", &[(&book, 1)]).await
        ));
    }
    created.reverse();

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let response = app
            .query(
                LIST,
                json!({ "first": 2, "after": after, "email": "ann@example.com" }),
            )
            .await;
        pages += 1;
        seen.extend(ids(&response));
        let info = &response.data()["orders"]["pageInfo"];
        if info["hasNextPage"] == json!(false) {
            break;
        }
        after = info["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, created, "every order once, newest first");

    let bad = app.query(LIST, json!({ "after": "garbage" })).await;
    assert_eq!(bad.error_code(), "INVALID_PAGINATION");
    let too_many = app.query(LIST, json!({ "first": 101 })).await;
    assert_eq!(too_many.error_code(), "INVALID_PAGINATION");
}
