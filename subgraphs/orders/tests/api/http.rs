use subgraph_kit::both_backends;
use subgraph_kit::testing::Backend;

use crate::helpers::spawn_app;

both_backends!(health_and_readiness_answer, service_sdl_is_the_exported_sdl);

async fn health_and_readiness_answer(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    for path in ["health", "ready"] {
        let response = reqwest::get(format!("http://{}/{path}", app.addr))
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "/{path}");
    }
}

async fn service_sdl_is_the_exported_sdl(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let response = app.client.query("{ _service { sdl } }").await;
    let sdl = response.data()["_service"]["sdl"]
        .as_str()
        .expect("sdl")
        .to_owned();
    for expected in [
        r#"type Order @key(fields: "id")"#,
        r#"type Product @key(fields: "id", resolvable: false)"#,
        "sku: String! @external",
        r#"product: Product! @provides(fields: "sku")"#,
        "placeOrder(input: PlaceOrderInput!, idempotencyKey: String): Order!",
        "payment: CheckoutPaymentInput!",
    ] {
        assert!(sdl.contains(expected), "missing {expected:?} in {sdl}");
    }
    assert_eq!(sdl.trim_end(), orders::graphql::sdl().trim_end());
}
