//! Reservations for the orders service: all or nothing, idempotent per
//! order, and never more held than is available, however many race.

use serde_json::{Value, json};
use subgraph_kit::both_backends;
use subgraph_kit::testing::Backend;

use crate::helpers::{new_id, reserve, spawn_app};

both_backends!(
    a_reservation_holds_every_line_or_none,
    reserving_again_for_the_same_order_returns_the_first_reservation,
    duplicate_lines_are_merged,
    invalid_reservations_are_rejected_with_codes_and_change_nothing,
    released_stock_becomes_available_again,
    committed_stock_is_sold_and_can_be_restocked,
    changes_to_unknown_reservations_are_not_found,
    a_reservation_after_its_release_holds_nothing,
    forty_orders_race_for_ten_units,
    concurrent_requests_for_one_order_reserve_once,
);

async fn a_reservation_holds_every_line_or_none(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let a = app.given_stock(5).await;
    let b = app.given_stock(2).await;
    let never_stocked = new_id();
    let order = new_id();

    let short = app.reserve(&order, &[(&a, 3), (&b, 3)]).await;
    assert_eq!(short.error_code(), "INSUFFICIENT_STOCK");
    assert!(
        short.error_message().contains(&b),
        "{}",
        short.error_message()
    );
    let unknown = app.reserve(&order, &[(&a, 1), (&never_stocked, 1)]).await;
    assert_eq!(unknown.error_code(), "INSUFFICIENT_STOCK");
    assert_eq!(app.level(&a).await["reserved"], 0, "nothing held");
    assert_eq!(app.reservation(&order).await, Value::Null);

    let held = app.reserve(&order, &[(&a, 3), (&b, 2)]).await;
    let reservation = &held.data()["reserveStock"];
    assert_eq!(reservation["status"], "RESERVED");
    assert_eq!(reservation["orderId"], order.as_str());
    let a_level = app.level(&a).await;
    assert_eq!(
        (
            &a_level["onHand"],
            &a_level["reserved"],
            &a_level["available"]
        ),
        (&json!(5), &json!(3), &json!(2))
    );
    assert_eq!(app.level(&b).await["available"], 0);
    assert_eq!(app.reservation(&order).await, *reservation);
    assert_eq!(app.movements(&a).await.len(), 1, "reserving moves nothing");
}

async fn reserving_again_for_the_same_order_returns_the_first_reservation(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.given_stock(10).await;
    let order = new_id();
    let first = app.reserve(&order, &[(&product, 4)]).await;
    let again = app.reserve(&order, &[(&product, 4)]).await;
    let different = app.reserve(&order, &[(&product, 6)]).await;
    assert_eq!(first.data(), again.data());
    assert_eq!(first.data(), different.data());
    assert_eq!(app.level(&product).await["reserved"], 4);
}

async fn duplicate_lines_are_merged(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.given_stock(10).await;
    let response = app
        .reserve(&new_id(), &[(&product, 1), (&product.to_uppercase(), 2)])
        .await;
    assert_eq!(
        response.data()["reserveStock"]["items"],
        json!([{ "productId": product, "quantity": 3 }])
    );
    assert_eq!(app.level(&product).await["reserved"], 3);
}

async fn invalid_reservations_are_rejected_with_codes_and_change_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.given_stock(10).await;
    let order = new_id();
    type Case<'a> = (&'a str, Vec<(&'a str, i64)>, &'static str);
    let cases: [Case; 5] = [
        (&order, vec![], "EMPTY_RESERVATION"),
        (&order, vec![(&product, 0)], "INVALID_QUANTITY"),
        (
            &order,
            vec![(&product, 1), (&product, -1)],
            "INVALID_QUANTITY",
        ),
        (&order, vec![("sku-1", 1)], "INVALID_PRODUCT_ID"),
        ("order-1", vec![(&product, 1)], "INVALID_ORDER_ID"),
    ];
    for (order, items, code) in cases {
        let response = app.reserve(order, &items).await;
        assert_eq!(response.error_code(), code, "{}", response.body);
    }
    assert_eq!(app.level(&product).await["reserved"], 0);
    assert_eq!(app.reservation(&order).await, Value::Null);
}

async fn released_stock_becomes_available_again(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.given_stock(5).await;
    let order = new_id();
    app.reserve(&order, &[(&product, 3)]).await.data();

    let released = app.change_reservation("releaseReservation", &order).await;
    let released = released.data()["releaseReservation"].clone();
    assert_eq!(released["status"], "RELEASED");
    let again = app.change_reservation("releaseReservation", &order).await;
    assert_eq!(again.data()["releaseReservation"], released);
    let level = app.level(&product).await;
    assert_eq!(
        (&level["onHand"], &level["reserved"]),
        (&json!(5), &json!(0))
    );

    for (mutation, code) in [
        ("commitReservation", "RESERVATION_RELEASED"),
        ("restockReservation", "RESERVATION_RELEASED"),
    ] {
        let response = app.change_reservation(mutation, &order).await;
        assert_eq!(response.error_code(), code, "{mutation}");
    }
    assert_eq!(app.level(&product).await, level);
    assert_eq!(app.movements(&product).await.len(), 1);
}

async fn committed_stock_is_sold_and_can_be_restocked(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let a = app.given_stock(5).await;
    let b = app.given_stock(4).await;
    let order = new_id();
    app.reserve(&order, &[(&a, 2), (&b, 4)]).await.data();
    let early = app.change_reservation("restockReservation", &order).await;
    assert_eq!(early.error_code(), "RESERVATION_NOT_COMMITTED");

    let committed = app.change_reservation("commitReservation", &order).await;
    let committed = committed.data()["commitReservation"].clone();
    assert_eq!(committed["status"], "COMMITTED");
    let again = app.change_reservation("commitReservation", &order).await;
    assert_eq!(again.data()["commitReservation"], committed);
    let level = app.level(&a).await;
    assert_eq!(
        (&level["onHand"], &level["reserved"]),
        (&json!(3), &json!(0))
    );
    assert_eq!(app.level(&b).await["onHand"], 0);
    assert_eq!(
        app.movements(&a).await[0],
        ("SALE".to_owned(), -2, json!(order))
    );
    let release = app.change_reservation("releaseReservation", &order).await;
    assert_eq!(release.error_code(), "RESERVATION_COMMITTED");

    let restocked = app.change_reservation("restockReservation", &order).await;
    let restocked = restocked.data()["restockReservation"].clone();
    assert_eq!(restocked["status"], "RETURNED");
    let again = app.change_reservation("restockReservation", &order).await;
    assert_eq!(again.data()["restockReservation"], restocked);
    assert_eq!(app.level(&a).await["onHand"], 5);
    assert_eq!(app.level(&b).await["onHand"], 4);
    assert_eq!(
        app.movements(&b).await,
        [
            ("RETURN".to_owned(), 4, json!(order)),
            ("SALE".to_owned(), -4, json!(order)),
            ("ADJUSTMENT".to_owned(), 4, Value::Null),
        ]
    );
}

async fn changes_to_unknown_reservations_are_not_found(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    for order in [new_id(), "garbage".to_owned()] {
        for mutation in ["commitReservation", "restockReservation"] {
            let response = app.change_reservation(mutation, &order).await;
            assert_eq!(response.error_code(), "RESERVATION_NOT_FOUND", "{mutation}");
        }
        assert_eq!(app.reservation(&order).await, Value::Null);
    }
    let response = app
        .change_reservation("releaseReservation", "garbage")
        .await;
    assert_eq!(
        response.error_code(),
        "RESERVATION_NOT_FOUND",
        "no such order can exist"
    );
}

/// Releasing an order that holds nothing (a checkout undone before its
/// reservation arrived) records it, so the late reservation holds nothing.
async fn a_reservation_after_its_release_holds_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.given_stock(3).await;
    let order = new_id();
    let released = app.change_reservation("releaseReservation", &order).await;
    assert_eq!(released.data()["releaseReservation"]["status"], "RELEASED");
    let late = reserve(&app.client, &order, &[(&product, 2)]).await;
    assert_eq!(late.data()["reserveStock"]["status"], "RELEASED");
    assert_eq!(app.level(&product).await["reserved"], 0);
    let again = app.change_reservation("releaseReservation", &order).await;
    assert_eq!(again.data()["releaseReservation"]["status"], "RELEASED");
}

async fn forty_orders_race_for_ten_units(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.given_stock(10).await;
    app.set_policy(&product, 2, 50).await.data();
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let client = app.client.clone();
        let product = product.clone();
        tasks.push(tokio::spawn(async move {
            reserve(&client, &new_id(), &[(&product, 1)]).await
        }));
    }
    let mut reserved = 0;
    let mut refused = 0;
    for task in tasks {
        let response = task.await.expect("task");
        if response.body.get("errors").is_some() {
            assert_eq!(
                response.error_code(),
                "INSUFFICIENT_STOCK",
                "{}",
                response.body
            );
            refused += 1;
        } else {
            assert_eq!(response.data()["reserveStock"]["status"], "RESERVED");
            reserved += 1;
        }
    }
    assert_eq!((reserved, refused), (10, 30));
    let level = app.level(&product).await;
    assert_eq!(
        (&level["onHand"], &level["reserved"], &level["available"]),
        (&json!(10), &json!(10), &json!(0))
    );
    assert_eq!(app.replenishments_of(&product).await.len(), 1);
}

async fn concurrent_requests_for_one_order_reserve_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.given_stock(10).await;
    let order = new_id();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = app.client.clone();
        let (product, order) = (product.clone(), order.clone());
        tasks.push(tokio::spawn(async move {
            reserve(&client, &order, &[(&product, 3)]).await
        }));
    }
    for task in tasks {
        let response = task.await.expect("task");
        assert_eq!(
            response.data()["reserveStock"]["items"],
            json!([{ "productId": product, "quantity": 3 }])
        );
    }
    assert_eq!(app.level(&product).await["reserved"], 3);
}
