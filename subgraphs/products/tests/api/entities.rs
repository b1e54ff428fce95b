//! `_entities` resolves a whole batch of representations with one statement.

use serde_json::{Value, json};
use subgraph_kit::both_backends;
use subgraph_kit::testing::Backend;

use crate::helpers::spawn_app;

both_backends!(
    hundred_representations_cost_one_statement,
    ids_and_skus_mixed_still_cost_one_statement
);

const ENTITIES: &str =
    "query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id sku name } } }";

async fn hundred_representations_cost_one_statement(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut ids = Vec::new();
    for i in 0..100 {
        ids.push(
            app.given_product(&format!("E-{i}"), &format!("Entity {i}"), "Books", 100)
                .await["id"]
                .clone(),
        );
    }
    let missing = json!("0192f0c4-0000-7000-8000-000000000000");
    let mut reps: Vec<Value> = ids
        .iter()
        .map(|id| json!({ "__typename": "Product", "id": id }))
        .collect();
    reps.insert(50, json!({ "__typename": "Product", "id": missing }));
    reps.push(json!({ "__typename": "Product", "id": "not-even-a-uuid" }));

    app.statements.reset();
    let response = app.query(ENTITIES, json!({ "r": reps })).await;
    let entities = response.data()["_entities"]
        .as_array()
        .expect("entities")
        .clone();
    assert_eq!(
        app.statements.get(),
        1,
        "expected one statement, got {:#?}",
        app.statements.statements()
    );
    assert_eq!(entities.len(), 102);
    assert_eq!(
        entities[50],
        Value::Null,
        "a missing entity is null, not an error"
    );
    assert_eq!(entities[101], Value::Null);
    let resolved: Vec<&Value> = entities
        .iter()
        .filter(|e| !e.is_null())
        .map(|e| &e["id"])
        .collect();
    assert_eq!(
        resolved,
        ids.iter().collect::<Vec<_>>(),
        "entities come back in representation order"
    );
}

async fn ids_and_skus_mixed_still_cost_one_statement(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let a = app.given_product("MIX-A", "A", "Books", 100).await;
    let b = app.given_product("MIX-B", "B", "Books", 100).await;
    app.statements.reset();
    let response = app
        .query(
            ENTITIES,
            json!({ "r": [
                { "__typename": "Product", "id": a["id"] },
                { "__typename": "Product", "sku": "mix-b" },
                { "__typename": "Product", "sku": "NOPE" },
            ] }),
        )
        .await;
    let entities = &response.data()["_entities"];
    assert_eq!(
        app.statements.get(),
        1,
        "{:#?}",
        app.statements.statements()
    );
    assert_eq!(entities[0]["name"], "A");
    assert_eq!(entities[1]["id"], b["id"]);
    assert_eq!(entities[2], Value::Null);
}
