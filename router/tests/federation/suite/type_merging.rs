//! Types defined differently in several subgraphs: enums, input objects, value types.

use serde_json::json;

use crate::kit::{Subgraph, Supergraph};

#[tokio::test]
async fn output_enum_values_from_each_subgraph_are_all_accepted() {
    // Output-only enum: the supergraph has the union of the values.
    let radio = Subgraph::new(
        "radio",
        r#"
        enum Genre { ROCK JAZZ }
        type Query { onAir: Genre! }
        "#,
    )
    .root("onAir", json!("JAZZ"))
    .start()
    .await;
    let store = Subgraph::new(
        "store",
        r#"
        enum Genre { ROCK POP }
        type Query { bestSeller: Genre! }
        "#,
    )
    .root("bestSeller", json!("POP"))
    .start()
    .await;
    let supergraph = Supergraph::new(&[&radio, &store]).await;
    let outcome = supergraph.query("{ onAir bestSeller }").await;
    outcome.assert_data(json!({ "onAir": "JAZZ", "bestSeller": "POP" }));
}

#[tokio::test]
async fn input_enum_keeps_only_the_values_every_subgraph_accepts() {
    // Input enum: the supergraph has the intersection of the values.
    let radio = Subgraph::new(
        "radio",
        r#"
        enum Order { ASC DESC }
        type Query { stations(order: Order!): [String!]! }
        "#,
    )
    .root_with_args("stations", json!({ "order": "DESC" }), json!(["z", "a"]))
    .start()
    .await;
    let store = Subgraph::new(
        "store",
        r#"
        enum Order { ASC DESC RANDOM }
        type Query { shops(order: Order!): [String!]! }
        "#,
    )
    .root_with_args("shops", json!({ "order": "DESC" }), json!(["y", "b"]))
    .start()
    .await;
    let supergraph = Supergraph::new(&[&radio, &store]).await;
    let outcome = supergraph
        .request(
            "query($o: Order!) { stations(order: $o) shops(order: DESC) }",
            json!({ "o": "DESC" }),
        )
        .await;
    outcome.assert_data(json!({ "stations": ["z", "a"], "shops": ["y", "b"] }));

    let outcome = supergraph.query("{ shops(order: RANDOM) }").await;
    assert!(
        !outcome.has_data_key(),
        "RANDOM is not in the supergraph: {:#}",
        outcome.value
    );
    assert_eq!(outcome.errors().len(), 1, "{:#}", outcome.value);
    assert_eq!(
        store.request_count(),
        1,
        "an invalid operation reaches no subgraph"
    );
}

#[tokio::test]
async fn input_object_keeps_only_the_fields_every_subgraph_accepts() {
    let events = Subgraph::new(
        "events",
        r#"
        input Window { from: Int! to: Int! timezone: String }
        type Query { events(window: Window!): [String!]! }
        "#,
    )
    .resolve("Query", "events", |ctx| {
        let w = ctx.arg("window");
        Ok(json!([format!(
            "events {}..{} tz={}",
            w["from"], w["to"], w["timezone"]
        )]))
    })
    .start()
    .await;
    let tickets = Subgraph::new(
        "tickets",
        r#"
        input Window { from: Int! to: Int! }
        type Query { tickets(window: Window!): Int! }
        "#,
    )
    .resolve("Query", "tickets", |ctx| {
        let w = ctx.arg("window");
        Ok(json!(
            w["to"].as_i64().unwrap() - w["from"].as_i64().unwrap()
        ))
    })
    .start()
    .await;
    let supergraph = Supergraph::new(&[&events, &tickets]).await;
    let outcome = supergraph
        .request(
            "query($w: Window!) { events(window: $w) tickets(window: { from: 3, to: 10 }) }",
            json!({ "w": { "from": 1, "to": 2 } }),
        )
        .await;
    outcome.assert_data(json!({ "events": ["events 1..2 tz=null"], "tickets": 7 }));

    let outcome = supergraph
        .query(r#"{ events(window: { from: 1, to: 2, timezone: "UTC" }) }"#)
        .await;
    assert!(
        !outcome.has_data_key(),
        "timezone is not in the supergraph: {:#}",
        outcome.value
    );
    assert_eq!(events.request_count(), 1);
}

#[tokio::test]
async fn value_type_shared_by_several_subgraphs_is_resolved_where_it_is_returned() {
    let locations = Subgraph::new(
        "locations",
        r#"
        type Coordinates @shareable { lat: Float! lng: Float! }
        type Query { office: Coordinates! }
        "#,
    )
    .root("office", json!({ "lat": 38.7, "lng": -9.1 }))
    .start()
    .await;
    let weather = Subgraph::new(
        "weather",
        r#"
        type Coordinates @shareable { lat: Float! lng: Float! }
        type Storm { name: String! eye: Coordinates! }
        type Query { storms: [Storm!]! }
        "#,
    )
    .root(
        "storms",
        json!([{ "name": "Ana", "eye": { "lat": 30.5, "lng": -40.25 } }]),
    )
    .start()
    .await;
    let supergraph = Supergraph::new(&[&locations, &weather]).await;
    let outcome = supergraph
        .query("{ office { lat lng } storms { name eye { lat lng } } }")
        .await;
    outcome.assert_data(json!({ "office": { "lat": 38.7, "lng": -9.1 }, "storms": [{ "name": "Ana", "eye": { "lat": 30.5, "lng": -40.25 } }] }));
    assert_eq!(locations.request_count(), 1);
    assert_eq!(weather.request_count(), 1);
}
