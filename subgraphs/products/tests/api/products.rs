use serde_json::json;
use subgraph_kit::both_backends;
use subgraph_kit::testing::Backend;

use crate::helpers::{PRODUCT_FIELDS, product_input, spawn_app};

both_backends!(
    creates_and_reads_a_product_by_id_and_sku,
    duplicate_sku_is_rejected_and_changes_nothing,
    invalid_input_is_rejected_with_codes_and_changes_nothing,
    idempotency_key_returns_the_first_product,
    update_changes_only_given_fields,
    unknown_ids_are_not_found,
    archived_products_leave_the_listing_and_cannot_change,
    pages_through_the_catalog_with_cursors,
    searches_and_filters_by_category,
);

async fn creates_and_reads_a_product_by_id_and_sku(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let created = app.given_product("book-1", "Dune", "Books", 1299).await;
    assert_eq!(created["sku"], "BOOK-1");
    assert_eq!(
        created["price"],
        json!({ "amount": 1299, "currency": "USD" })
    );
    assert_eq!(created["status"], "ACTIVE");

    let by_id = app
        .query(
            &format!("query($id: ID!) {{ product(id: $id) {{ {PRODUCT_FIELDS} }} }}"),
            json!({ "id": created["id"] }),
        )
        .await;
    assert_eq!(by_id.data()["product"], created);
    let by_sku = app
        .query(
            &format!("{{ productBySku(sku: \"Book-1\") {{ {PRODUCT_FIELDS} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(by_sku.data()["productBySku"], created);
}

async fn duplicate_sku_is_rejected_and_changes_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.given_product("SKU-1", "First", "Books", 100).await;
    let response = app
        .create_product(product_input("sku-1", "Second", "Games", 200))
        .await;
    assert_eq!(response.error_code(), "DUPLICATE_SKU");
    assert_eq!(response.body["data"], serde_json::Value::Null);
    assert_eq!(app.product_count().await, 1);
}

async fn invalid_input_is_rejected_with_codes_and_changes_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let cases = [
        (
            json!({ "price": { "amount": -1, "currency": "USD" } }),
            "INVALID_PRICE",
        ),
        (
            json!({ "price": { "amount": 1, "currency": "DOGE" } }),
            "INVALID_CURRENCY",
        ),
        (json!({ "name": "   " }), "INVALID_NAME"),
        (json!({ "sku": "has space" }), "INVALID_SKU"),
        (json!({ "category": "" }), "INVALID_CATEGORY"),
    ];
    for (overrides, code) in cases {
        let mut input = product_input("OK-1", "Fine", "Books", 100);
        for (key, value) in overrides.as_object().expect("object") {
            input[key] = value.clone();
        }
        let response = app.create_product(input).await;
        assert_eq!(response.error_code(), code, "{}", response.body);
    }
    assert_eq!(app.product_count().await, 0);

    let created = app.given_product("OK-1", "Fine", "Books", 100).await;
    let response = app
        .query(
            "mutation($id: ID!) { updateProduct(id: $id, input: { price: { amount: -5, currency: \"USD\" } }) { id } }",
            json!({ "id": created["id"] }),
        )
        .await;
    assert_eq!(response.error_code(), "INVALID_PRICE");
    let after = app
        .query(
            "query($id: ID!) { product(id: $id) { price { amount } } }",
            json!({ "id": created["id"] }),
        )
        .await;
    assert_eq!(after.data()["product"]["price"]["amount"], 100);
}

async fn idempotency_key_returns_the_first_product(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mutation = "mutation($input: CreateProductInput!, $key: String) { createProduct(input: $input, idempotencyKey: $key) { id } }";
    let vars = json!({ "input": product_input("IDEM-1", "Once", "Books", 100), "key": "k-1" });
    let first = app.query(mutation, vars.clone()).await;
    let again = app.query(mutation, vars).await;
    assert_eq!(
        first.data()["createProduct"]["id"],
        again.data()["createProduct"]["id"]
    );
    let other = app
        .query(
            mutation,
            json!({ "input": product_input("IDEM-2", "Other", "Books", 100), "key": "k-1" }),
        )
        .await;
    assert_eq!(other.error_code(), "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(app.product_count().await, 1);
}

async fn update_changes_only_given_fields(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let created = app.given_product("UPD-1", "Old name", "Books", 100).await;
    let response = app
        .query(
            &format!("mutation($id: ID!) {{ updateProduct(id: $id, input: {{ name: \"New name\", price: {{ amount: 250, currency: \"EUR\" }} }}) {{ {PRODUCT_FIELDS} }} }}"),
            json!({ "id": created["id"] }),
        )
        .await;
    let updated = &response.data()["updateProduct"];
    assert_eq!(updated["name"], "New name");
    assert_eq!(
        updated["price"],
        json!({ "amount": 250, "currency": "EUR" })
    );
    assert_eq!(updated["description"], created["description"]);
    assert_eq!(updated["category"], created["category"]);
    assert_eq!(updated["sku"], created["sku"]);
    assert_eq!(updated["createdAt"], created["createdAt"]);
}

async fn unknown_ids_are_not_found(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let missing = "0192f0c4-0000-7000-8000-000000000000";
    for id in [missing, "not-a-uuid"] {
        let update = app
            .query(
                "mutation($id: ID!) { updateProduct(id: $id, input: { name: \"x\" }) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(update.error_code(), "PRODUCT_NOT_FOUND");
        let archive = app
            .query(
                "mutation($id: ID!) { archiveProduct(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(archive.error_code(), "PRODUCT_NOT_FOUND");
        let read = app
            .query(
                "query($id: ID!) { product(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(read.data()["product"], serde_json::Value::Null);
    }
}

async fn archived_products_leave_the_listing_and_cannot_change(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let kept = app.given_product("KEEP", "Kept", "Books", 100).await;
    let gone = app.given_product("GONE", "Gone", "Books", 100).await;
    let archive = "mutation($id: ID!) { archiveProduct(id: $id) { status } }";
    for _ in 0..2 {
        let response = app.query(archive, json!({ "id": gone["id"] })).await;
        assert_eq!(response.data()["archiveProduct"]["status"], "ARCHIVED");
    }
    let listing = app
        .query("{ products { edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(
        listing.data()["products"]["edges"],
        json!([{ "node": { "id": kept["id"] } }])
    );
    let update = app
        .query(
            "mutation($id: ID!) { updateProduct(id: $id, input: { name: \"x\" }) { id } }",
            json!({ "id": gone["id"] }),
        )
        .await;
    assert_eq!(update.error_code(), "PRODUCT_ARCHIVED");
    let still = app
        .query(
            "query($id: ID!) { product(id: $id) { name status } }",
            json!({ "id": gone["id"] }),
        )
        .await;
    assert_eq!(
        still.data()["product"],
        json!({ "name": "Gone", "status": "ARCHIVED" })
    );
}

async fn pages_through_the_catalog_with_cursors(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(
            app.given_product(&format!("P-{i}"), &format!("Product {i}"), "Books", 100)
                .await["id"]
                .clone(),
        );
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let response = app
            .query(
                "query($after: String) { products(first: 2, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }",
                json!({ "after": after }),
            )
            .await;
        let data = &response.data()["products"];
        pages += 1;
        for edge in data["edges"].as_array().expect("edges") {
            seen.push(edge["node"]["id"].clone());
        }
        if data["pageInfo"]["hasNextPage"] == json!(false) {
            break;
        }
        after = data["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen, created,
        "pages return every product once, in creation order"
    );

    let bad = app
        .query(
            "{ products(first: 2, after: \"garbage\") { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(bad.error_code(), "INVALID_PAGINATION");
    let too_many = app
        .query("{ products(first: 1000) { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(too_many.error_code(), "INVALID_PAGINATION");
}

async fn searches_and_filters_by_category(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.given_product("B-1", "Dune", "Books", 100).await;
    app.given_product("B-2", "Dune Messiah", "Books", 100).await;
    app.given_product("G-1", "Dune: the board game", "Games", 100)
        .await;
    app.given_product("G-2", "Chess 100% wood", "Games", 100)
        .await;
    let names = |response: &subgraph_kit::testing::GraphqlResponse| -> Vec<String> {
        response.data()["products"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"]["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let q = "query($s: String, $c: String) { products(search: $s, category: $c) { edges { node { name } } } }";
    assert_eq!(
        names(&app.query(q, json!({ "s": "DUNE" })).await),
        ["Dune", "Dune Messiah", "Dune: the board game"]
    );
    assert_eq!(
        names(&app.query(q, json!({ "s": "dune", "c": "Games" })).await),
        ["Dune: the board game"]
    );
    assert_eq!(
        names(&app.query(q, json!({ "s": "100%" })).await),
        ["Chess 100% wood"]
    );
    assert_eq!(
        names(&app.query(q, json!({ "s": "%" })).await),
        ["Chess 100% wood"],
        "% is literal"
    );
}
