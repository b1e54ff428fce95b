//! The playground: the router's `extensions.queryPlan` over the four
//! services, and the playground itself in a real (headless) browser that
//! can reach nothing but 127.0.0.1: GraphiQL loads from the router, its docs,
//! explorer, headers, variables and history work, and an operation across
//! the four services shows its data and its plan. The browser test leaves a
//! screenshot at `target/playground-screenshot.png`.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use subgraph_kit::testing::GraphqlClient;

use crate::browser::Browser;
use crate::helpers::TestSystem;

const PLAN_HEADER: &str = router::plan_extension::QUERY_PLAN_HEADER;

/// The README's "see it across the services" query: orders, products,
/// inventory and payments.
const ACROSS: &str = "query Order($id: ID!) {
  order(id: $id) {
    status
    items { quantity product { name inventory { onHand available } } }
    payments { status amount { amount currency } cardLast4 }
  }
}";

const FOUR: [&str; 4] = ["inventory", "orders", "payments", "products"];

/// A paid order of Dune for ada, placed through the router with her token.
async fn ada_orders_dune(system: &TestSystem) -> Value {
    let ada = system.router_as(&system.system().tokens.customer);
    let product = ada
        .query(r#"{ productBySku(sku: "BOOK-DUNE") { id } }"#)
        .await
        .data()["productBySku"]["id"]
        .clone();
    let placed = ada
        .query_with(
            "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }",
            json!({ "input": {
                "customerEmail": "ada@example.com",
                "items": [{ "productId": product, "quantity": 1 }],
                "payment": { "gateway": "TEST_CARD", "card": { "number": "4242424242424242", "expMonth": 12, "expYear": 2040, "cvc": "123" } },
            } }),
        )
        .await;
    assert_eq!(
        placed.data()["placeOrder"]["status"],
        "CONFIRMED",
        "{:?}",
        placed.body
    );
    placed.data()["placeOrder"]["id"].clone()
}

fn subgraphs_of(node: &Value, out: &mut BTreeSet<String>) {
    match node["kind"].as_str() {
        Some("Fetch") => {
            out.insert(node["subgraph"].as_str().unwrap_or_default().to_owned());
        }
        Some("Condition") => subgraphs_of(&node["node"], out),
        _ => {
            for child in node["nodes"].as_array().into_iter().flatten() {
                subgraphs_of(child, out);
            }
        }
    }
}

#[tokio::test]
async fn the_plan_extension_shows_an_order_across_the_four_services() {
    let system = TestSystem::start(true).await;
    let order = ada_orders_dune(&system).await;
    let ada = system.router_as(&system.system().tokens.customer);

    let plain = ada.query_with(ACROSS, json!({ "id": order })).await;
    assert_eq!(plain.data()["order"]["status"], "CONFIRMED");
    assert!(
        plain.body.get("extensions").is_none(),
        "only when asked: {}",
        plain.body
    );

    let asked: GraphqlClient = ada.with_header(PLAN_HEADER, "true");
    let response = asked.query_with(ACROSS, json!({ "id": order })).await;
    assert_eq!(response.data(), plain.data(), "the same data");
    let extension = &response.body["extensions"]["queryPlan"];
    let mut planned = BTreeSet::new();
    subgraphs_of(&extension["plan"], &mut planned);
    assert_eq!(planned, FOUR.map(String::from).into(), "{extension:#}");
    let fetches = extension["fetches"].as_array().expect("fetches");
    let ran: BTreeSet<String> = fetches
        .iter()
        .map(|f| f["subgraph"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ran, FOUR.map(String::from).into(), "{extension:#}");
    for fetch in fetches {
        assert_eq!(fetch["errors"], 0, "{fetch}");
        assert_eq!(fetch["status"], 200, "{fetch}");
        assert!(fetch["durationMs"].as_f64().unwrap() > 0.0, "{fetch}");
        assert!(fetch["responseBytes"].as_u64().unwrap() > 0, "{fetch}");
        assert_eq!(fetch["fetchIds"].as_array().unwrap().len(), 1, "{fetch}");
    }
    // Orders answers first; the others need its keys.
    let orders = fetches.iter().find(|f| f["subgraph"] == "orders").unwrap();
    let orders_end = orders["startMs"].as_f64().unwrap() + orders["durationMs"].as_f64().unwrap();
    for fetch in fetches.iter().filter(|f| f["subgraph"] != "orders") {
        assert!(
            fetch["startMs"].as_f64().unwrap() >= orders_end,
            "{extension:#}"
        );
    }
}

/// Where the screenshot goes: the workspace's `target/`.
fn screenshot_path() -> std::path::PathBuf {
    let tmp = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent()
        .unwrap_or(tmp)
        .join("playground-screenshot.png")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_playground_runs_an_operation_across_the_four_services_in_a_browser() {
    let Some(browser) = Browser::launch("the playground in a browser").await else {
        return;
    };
    let system = TestSystem::start(true).await;
    let order = ada_orders_dune(&system).await;
    let graphql = system.system().router_url();
    let origin = graphql.trim_end_matches("/graphql").to_owned();

    // As a user opens it: the router's /graphql in a browser.
    browser.open(&graphql).await;
    browser
        .wait_for("document.querySelector('.graphiql-container')", "GraphiQL")
        .await;
    // The docs (the schema came through the router).
    browser
        .click("[aria-label='Show Documentation Explorer']")
        .await;
    browser
        .wait_for(
            "document.querySelector('.graphiql-plugin').innerText.includes('Root Types')",
            "the docs",
        )
        .await;
    // The explorer, over the same schema.
    browser.click("[aria-label='Show GraphiQL Explorer']").await;
    browser
        .wait_for(
            "document.querySelector('.graphiql-plugin').innerText.includes('productBySku')",
            "the explorer",
        )
        .await;

    // An operation with its variables and ada's token in the headers.
    let headers = json!({ "Authorization": format!("Bearer {}", system.system().tokens.customer) });
    let url = reqwest::Url::parse_with_params(
        &format!("{origin}/playground"),
        [
            ("query", ACROSS.to_owned()),
            ("variables", json!({ "id": order }).to_string()),
            ("headers", headers.to_string()),
        ],
    )
    .expect("a URL");
    browser.open(url.as_str()).await;
    browser
        .wait_for("document.querySelector('.graphiql-container')", "GraphiQL")
        .await;
    browser
        .wait_for(
            "[...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')].some(e => e.CodeMirror.getValue().includes('Bearer'))",
            "the token in the headers editor",
        )
        .await;
    browser.click(".graphiql-execute-button").await;
    let shown = browser
        .wait_for(
            "(() => { const text = document.querySelector('.result-window .CodeMirror').CodeMirror.getValue(); return text.includes('data') ? JSON.parse(text) : null; })()",
            "the response",
        )
        .await;
    let data = &shown["data"]["order"];
    assert_eq!(data["status"], "CONFIRMED", "{shown}");
    assert_eq!(data["items"][0]["product"]["name"], "Dune", "{shown}");
    assert!(
        data["items"][0]["product"]["inventory"]["available"].is_number(),
        "{shown}"
    );
    assert_eq!(data["payments"][0]["status"], "CAPTURED", "{shown}");
    assert!(
        shown.get("extensions").is_none(),
        "the plan is in its panel, not in the response: {shown}"
    );

    // The plan panel: four subgraphs, a fetch and a waterfall row for each.
    browser.click("[aria-label='Show Query plan']").await;
    let chips = browser
        .wait_for(
            "document.querySelector('.shop-plan[data-plan=present]') && [...document.querySelectorAll('.shop-plan-subgraph')].map(e => e.dataset.subgraph)",
            "the plan panel",
        )
        .await;
    let chips: BTreeSet<String> = serde_json::from_value(chips).unwrap();
    assert_eq!(chips, FOUR.map(String::from).into());
    let fetches: Vec<String> = serde_json::from_value(
        browser
            .eval("[...document.querySelectorAll('.shop-plan-fetch')].map(e => e.dataset.subgraph)")
            .await,
    )
    .unwrap();
    assert_eq!(fetches.len(), 4, "{fetches:?}");
    let rows: BTreeSet<String> = serde_json::from_value(
        browser
            .eval("[...document.querySelectorAll('.shop-plan-row')].map(e => e.dataset.subgraph)")
            .await,
    )
    .unwrap();
    assert_eq!(rows, FOUR.map(String::from).into());
    let operations = browser
        .eval("[...document.querySelectorAll('.shop-plan-operation')].map(e => e.textContent).join('\\n')")
        .await;
    assert!(
        operations.as_str().unwrap().contains("_entities"),
        "each fetch shows its operation: {operations}"
    );

    // History remembers the operation.
    browser.click("[aria-label='Show History']").await;
    browser
        .wait_for(
            "document.querySelector('.graphiql-history').innerText.includes('Order')",
            "the operation in the history",
        )
        .await;

    browser.click("[aria-label='Show Query plan']").await;
    browser
        .wait_for(
            "document.querySelector('.shop-plan-waterfall')",
            "the plan again",
        )
        .await;
    let png = browser.screenshot().await;
    let path = screenshot_path();
    std::fs::write(&path, &png).expect("the screenshot is written");
    eprintln!("playground screenshot: {}", path.display());

    // Nothing but the router was asked for anything, and nothing broke.
    let urls = browser.requested_urls();
    assert!(
        urls.iter().any(|u| u.contains("/playground/assets/")),
        "{urls:#?}"
    );
    let elsewhere: Vec<&String> = urls
        .iter()
        .filter(|u| !u.starts_with(&format!("{origin}/")) && !u.starts_with("data:"))
        .collect();
    assert!(
        elsewhere.is_empty(),
        "requests beyond the router: {elsewhere:#?}"
    );
    let violations = browser.eval("window.__violations").await;
    assert_eq!(violations, json!([]), "Content-Security-Policy violations");
    assert_eq!(
        browser.exceptions(),
        Vec::<Value>::new(),
        "uncaught exceptions"
    );
}
