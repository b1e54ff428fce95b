use subgraph_kit::both_backends;
use subgraph_kit::testing::Backend;

use crate::helpers::spawn_app;

both_backends!(
    health_and_readiness_answer,
    service_sdl_extends_product_and_hides_reservations
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

async fn service_sdl_extends_product_and_hides_reservations(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let response = app.client.query("{ _service { sdl } }").await;
    let sdl = response.data()["_service"]["sdl"]
        .as_str()
        .expect("sdl")
        .to_owned();
    for expected in [
        r#"type Product @key(fields: "id")"#,
        "price: Money! @external",
        r#"stockValue: Money! @requires(fields: "price { amount currency }")"#,
        "reservation(orderId: ID!): Reservation @inaccessible",
        "reserveStock(orderId: ID!, items: [ReservationItemInput!]!): Reservation! @inaccessible",
        "releaseReservation(orderId: ID!): Reservation! @inaccessible",
        "commitReservation(orderId: ID!): Reservation! @inaccessible",
        "restockReservation(orderId: ID!): Reservation! @inaccessible",
    ] {
        assert!(sdl.contains(expected), "missing {expected:?} in\n{sdl}");
    }
    assert_eq!(
        sdl.trim_end(),
        inventory::graphql::sdl().trim_end(),
        "served SDL differs from the exported SDL"
    );
}
