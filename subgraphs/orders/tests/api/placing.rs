//! `placeOrder`: prices come from the real products service and are kept.

use serde_json::{Value, json};
use subgraph_kit::both_backends;
use subgraph_kit::testing::Backend;

use crate::helpers::spawn_app;

both_backends!(
    places_and_pays_an_order_at_current_prices,
    later_price_changes_do_not_touch_placed_orders,
    duplicate_products_are_merged_into_one_line,
    unknown_and_archived_products_are_refused_and_nothing_is_created,
    invalid_input_is_rejected_with_codes_and_nothing_is_created,
    mixed_currencies_and_overflowing_totals_are_refused,
);

async fn places_and_pays_an_order_at_current_prices(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let book = app.given_product("book-1", 1999, "USD").await;
    let pen = app.given_product("pen-1", 250, "USD").await;
    let response = app
        .place_order(" Ann@Example.com ", &[(&book, 3), (&pen, 2)], None)
        .await;
    let order = &response.data()["placeOrder"];
    assert_eq!(order["customerEmail"], "ann@example.com");
    assert_eq!(order["status"], "CONFIRMED");
    assert_eq!(order["failure"], Value::Null);
    assert_eq!(order["total"], json!({ "amount": 6497, "currency": "USD" }));
    assert_eq!(
        order["items"],
        json!([
            {
                "product": { "id": book, "sku": "BOOK-1" },
                "quantity": 3,
                "unitPrice": { "amount": 1999, "currency": "USD" },
                "lineTotal": { "amount": 5997, "currency": "USD" },
            },
            {
                "product": { "id": pen, "sku": "PEN-1" },
                "quantity": 2,
                "unitPrice": { "amount": 250, "currency": "USD" },
                "lineTotal": { "amount": 500, "currency": "USD" },
            },
        ])
    );
    assert_eq!(
        order["statusHistory"],
        json!([
            { "status": "PENDING", "note": "order placed" },
            { "status": "CONFIRMED", "note": "paid; stock committed" },
        ])
    );

    let id = order["id"].as_str().expect("id");
    let read = app.order(id).await;
    assert_eq!(read["total"], order["total"]);
    assert_eq!(read["items"], order["items"]);
    assert_eq!(read["carrier"], Value::Null);
    assert_eq!(app.order_count().await, 1);
    // The total was charged once, and the units left the shelf.
    assert_eq!(app.payments_of(id).await, [("CAPTURED".to_owned(), 6497)]);
    assert_eq!(app.stock_level(&book).await, (997, 0));
    assert_eq!(app.stock_level(&pen).await, (998, 0));
}

async fn later_price_changes_do_not_touch_placed_orders(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let book = app.given_product("book-1", 1000, "USD").await;
    let first = app.given_order("ann@example.com", &[(&book, 2)]).await;
    app.set_price(&book, 1500).await;
    let second = app.given_order("ann@example.com", &[(&book, 2)]).await;

    let first = app.order(&first).await;
    assert_eq!(first["items"][0]["unitPrice"]["amount"], 1000);
    assert_eq!(first["total"]["amount"], 2000, "captured when ordered");
    let second = app.order(&second).await;
    assert_eq!(second["items"][0]["unitPrice"]["amount"], 1500);
    assert_eq!(second["total"]["amount"], 3000);
}

async fn duplicate_products_are_merged_into_one_line(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let book = app.given_product("book-1", 100, "USD").await;
    let pen = app.given_product("pen-1", 10, "USD").await;
    let response = app
        .place_order(
            "ann@example.com",
            &[(&book, 1), (&pen, 1), (&book, 4)],
            None,
        )
        .await;
    let order = &response.data()["placeOrder"];
    let lines: Vec<(Value, Value)> = order["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| (i["product"]["id"].clone(), i["quantity"].clone()))
        .collect();
    assert_eq!(lines, [(json!(book), json!(5)), (json!(pen), json!(1))]);
    assert_eq!(order["total"]["amount"], 510);
}

async fn unknown_and_archived_products_are_refused_and_nothing_is_created(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let book = app.given_product("book-1", 100, "USD").await;
    let old = app.given_product("old-1", 100, "USD").await;
    app.archive_product(&old).await;
    let unknown = "0192f0c4-0000-7000-8000-000000000000";

    let response = app
        .place_order("ann@example.com", &[(&book, 1), (unknown, 1)], None)
        .await;
    assert_eq!(response.error_code(), "PRODUCT_NOT_FOUND");
    assert!(
        response.error_message().contains(unknown),
        "names the product: {}",
        response.error_message()
    );
    assert_eq!(response.body["data"], Value::Null);

    let response = app
        .place_order("ann@example.com", &[(&book, 1), ("not-a-uuid", 1)], None)
        .await;
    assert_eq!(response.error_code(), "PRODUCT_NOT_FOUND");

    let response = app
        .place_order("ann@example.com", &[(&old, 1), (&book, 1)], None)
        .await;
    assert_eq!(response.error_code(), "PRODUCT_UNAVAILABLE");
    assert!(response.error_message().contains(&old));

    assert_eq!(app.order_count().await, 0);
}

async fn invalid_input_is_rejected_with_codes_and_nothing_is_created(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let book = app.given_product("book-1", 100, "USD").await;
    let many: Vec<(&str, i64)> = vec![(book.as_str(), 1); 101];
    type Case<'a> = (&'a str, &'a [(&'a str, i64)], Option<&'a str>, &'a str);
    let cases: [Case; 9] = [
        ("not-an-email", &[(&book, 1)], None, "INVALID_EMAIL"),
        ("ann@localhost", &[(&book, 1)], None, "INVALID_EMAIL"),
        ("", &[(&book, 1)], None, "INVALID_EMAIL"),
        ("ann@example.com", &[], None, "EMPTY_ORDER"),
        ("ann@example.com", &[(&book, 0)], None, "INVALID_QUANTITY"),
        ("ann@example.com", &[(&book, -3)], None, "INVALID_QUANTITY"),
        (
            "ann@example.com",
            &[(&book, 1001)],
            None,
            "INVALID_QUANTITY",
        ),
        ("ann@example.com", &many, None, "TOO_MANY_ITEMS"),
        (
            "ann@example.com",
            &[(&book, 1)],
            Some(""),
            "INVALID_IDEMPOTENCY_KEY",
        ),
    ];
    for (email, items, key, code) in cases {
        let response = app.place_order(email, items, key).await;
        assert_eq!(response.error_code(), code, "{}", response.body);
        assert_eq!(response.body["data"], Value::Null);
    }
    let merged_too_many = app
        .place_order("ann@example.com", &[(&book, 600), (&book, 401)], None)
        .await;
    assert_eq!(merged_too_many.error_code(), "INVALID_QUANTITY");
    assert_eq!(app.order_count().await, 0);

    let limits = app
        .place_order("ann@example.com", &vec![(book.as_str(), 10); 100], None)
        .await;
    assert_eq!(
        limits.data()["placeOrder"]["items"][0]["quantity"],
        1000,
        "100 lines and a quantity of 1000 are allowed"
    );
}

async fn mixed_currencies_and_overflowing_totals_are_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let dollars = app.given_product("usd-1", 100, "USD").await;
    let euros = app.given_product("eur-1", 100, "EUR").await;
    let response = app
        .place_order("ann@example.com", &[(&dollars, 1), (&euros, 1)], None)
        .await;
    assert_eq!(response.error_code(), "CURRENCY_MISMATCH");

    let pricey = app.given_product("gold-1", 2_000_000_000, "USD").await;
    let response = app
        .place_order("ann@example.com", &[(&pricey, 2)], None)
        .await;
    assert_eq!(response.error_code(), "AMOUNT_OUT_OF_RANGE");
    let silver = app.given_product("silver-1", 200_000_000, "USD").await;
    let response = app
        .place_order("ann@example.com", &[(&pricey, 1), (&silver, 1)], None)
        .await;
    assert_eq!(response.error_code(), "AMOUNT_OUT_OF_RANGE");

    assert_eq!(app.order_count().await, 0);
    let response = app
        .place_order("ann@example.com", &[(&pricey, 1)], None)
        .await;
    assert_eq!(
        response.data()["placeOrder"]["total"]["amount"],
        2_000_000_000
    );
}
