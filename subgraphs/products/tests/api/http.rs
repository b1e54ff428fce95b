use subgraph_kit::both_backends;
use subgraph_kit::testing::Backend;

use crate::helpers::spawn_app;

both_backends!(
    health_and_readiness_answer,
    graphiql_is_served_to_browsers,
    service_sdl_declares_both_keys
);

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

async fn graphiql_is_served_to_browsers(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let response = reqwest::Client::new()
        .get(format!("http://{}/graphql", app.addr))
        .header("accept", "text/html")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let body = response.text().await.expect("body");
    assert!(
        body.contains("graphiql"),
        "expected GraphiQL, got {body:.200}"
    );
}

async fn service_sdl_declares_both_keys(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let response = app.client.query("{ _service { sdl } }").await;
    let sdl = response.data()["_service"]["sdl"]
        .as_str()
        .expect("sdl")
        .to_owned();
    assert!(
        sdl.contains(r#"type Product @key(fields: "id") @key(fields: "sku")"#),
        "{sdl}"
    );
    assert!(
        sdl.contains("@link(") && sdl.contains("https://specs.apollo.dev/federation/v2"),
        "{sdl}"
    );
    assert_eq!(
        sdl.trim_end(),
        products::graphql::sdl().trim_end(),
        "served SDL differs from the exported SDL"
    );
}
