use subgraph_kit::both_backends;
use subgraph_kit::testing::Backend;

use crate::helpers::spawn_app;

both_backends!(
    health_and_readiness_answer,
    service_sdl_declares_entities_and_hides_checkout_mutations
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

async fn service_sdl_declares_entities_and_hides_checkout_mutations(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let response = app.client.query("{ _service { sdl } }").await;
    let sdl = response.data()["_service"]["sdl"]
        .as_str()
        .expect("sdl")
        .to_owned();
    assert!(sdl.contains(r#"type Payment @key(fields: "id")"#), "{sdl}");
    assert!(sdl.contains(r#"type Order @key(fields: "id")"#), "{sdl}");
    for internal in [
        "authorizePayment(",
        "capturePayment(",
        "refundPayment(",
        "voidPayment(",
    ] {
        let line = sdl
            .lines()
            .find(|l| l.contains(internal))
            .unwrap_or_else(|| panic!("{internal} missing"));
        assert!(line.ends_with("@inaccessible"), "{line}");
    }
    let public = sdl
        .lines()
        .find(|l| l.contains("markInvoicePaid("))
        .expect("markInvoicePaid");
    assert!(!public.contains("@inaccessible"), "{public}");
    assert_eq!(
        sdl.trim_end(),
        payments::graphql::sdl().trim_end(),
        "served SDL differs from the exported SDL"
    );
}
