//! `schema/` is a contract other teams read: it must match the code.

use std::path::{Path, PathBuf};

use apollo_compiler::Schema;
use shop::schema_files::{self, REFRESH_COMMAND};

use crate::helpers::TestSystem;

fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schema")
}

fn assert_no_drift(files: &[schema_files::SchemaFile]) {
    let dir = schema_dir();
    // Before anything is rewritten: clients of the checked-in API schema
    // must not break unless the team said so.
    let breaking = schema_files::unacknowledged_breaking_changes(&dir, files);
    assert!(
        breaking.is_empty(),
        "the code changes schema/api.graphql in ways that break its clients:\n{}\n\n\
         If that is intended, add these lines to schema/{} and commit them with the change.",
        breaking.join("\n"),
        schema_files::ACKNOWLEDGED_FILE
    );
    if std::env::var("UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        schema_files::write(&dir, files).expect("write schema/");
    }
    let drift = schema_files::drift(&dir, files);
    let report: String = drift.iter().map(|(_, diff)| diff.as_str()).collect();
    assert!(
        drift.is_empty(),
        "schema/ is stale: {} file(s) differ from what the code renders.\n\
         Refresh with `{REFRESH_COMMAND}` (or UPDATE_SCHEMA=1 cargo test) and commit the result.\n\n{report}",
        drift.len()
    );
}

#[test]
fn breaking_api_changes_fail_until_acknowledged() {
    let dir = std::env::temp_dir().join(format!("schema-ack-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("api.graphql"),
        "type Query { product(id: ID!): Product }\ntype Product { id: ID! name: String! }\n",
    )
    .expect("write");
    let rendered = [schema_files::SchemaFile {
        path: "api.graphql".into(),
        content: "type Query { product(id: ID!, locale: String!): Product }\ntype Product { id: ID! name: String }\n".into(),
    }];
    let breaking = schema_files::unacknowledged_breaking_changes(&dir, &rendered);
    assert_eq!(
        breaking,
        [
            "BREAKING  Product.name: type changed from String! to String",
            "BREAKING  Query.product(locale:): required argument added",
        ]
    );
    std::fs::write(
        dir.join(schema_files::ACKNOWLEDGED_FILE),
        "# agreed with the app team\nBREAKING Product.name: type changed from String! to String\n",
    )
    .expect("write");
    assert_eq!(
        schema_files::unacknowledged_breaking_changes(&dir, &rendered),
        ["BREAKING  Query.product(locale:): required argument added"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn checked_in_schema_matches_the_code() {
    let files = schema_files::render(&schema_files::subgraphs()).expect("the subgraphs compose");
    assert_no_drift(&files);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_services_serve_the_checked_in_sdl() {
    let system = TestSystem::start(false).await;
    let client = reqwest::Client::new();
    let mut live = schema_files::subgraphs();
    for subgraph in &mut live {
        let (_, url) = system
            .system()
            .endpoints()
            .into_iter()
            .find(|(name, _)| *name == subgraph.name)
            .expect("endpoint");
        // Routing URLs stay the defaults; only the SDL comes from the wire.
        subgraph.sdl = router::introspect::fetch_sdl(&client, &url)
            .await
            .expect("live SDL");
    }
    let files = schema_files::render(&live).expect("the live subgraphs compose");
    assert_no_drift(&files);
}

#[test]
fn supergraph_is_a_valid_standard_supergraph_of_all_four_subgraphs() {
    let sdl = std::fs::read_to_string(schema_dir().join("supergraph.graphql"))
        .expect("supergraph.graphql");
    let schema = Schema::parse_and_validate(&sdl, "supergraph.graphql").expect("valid supergraph");
    let graphs: Vec<String> = schema
        .get_enum("join__Graph")
        .expect("join__Graph")
        .values
        .keys()
        .map(|k| k.to_string())
        .collect();
    assert_eq!(graphs, ["PRODUCTS", "INVENTORY", "ORDERS", "PAYMENTS"]);
    for root in ["Query", "Mutation"] {
        let object = schema.get_object(root).expect("root type");
        let declared: Vec<String> = object
            .directives
            .get_all("join__type")
            .map(|d| {
                d.specified_argument_by_name("graph")
                    .expect("graph")
                    .to_string()
            })
            .collect();
        let mut contributing: Vec<String> = object
            .fields
            .values()
            .flat_map(|f| f.directives.get_all("join__field"))
            .filter_map(|d| d.specified_argument_by_name("graph").map(|g| g.to_string()))
            .collect();
        contributing.sort();
        contributing.dedup();
        let mut sorted = declared.clone();
        sorted.sort();
        assert_eq!(
            sorted, contributing,
            "{root} carries a @join__type for each subgraph with {root} fields"
        );
    }
    for link in ["link/v1.0", "join/v0.3", "inaccessible/v0.2"] {
        assert!(
            sdl.contains(&format!("https://specs.apollo.dev/{link}")),
            "missing @link for {link}"
        );
    }
    // Federation features the graph is meant to exercise.
    for feature in [
        "requires:",
        "provides:",
        "external: true",
        "@inaccessible",
        "key: \"sku\"",
    ] {
        assert!(sdl.contains(feature), "supergraph does not use {feature}");
    }
}

#[test]
fn api_schema_is_the_public_contract_without_federation_machinery() {
    let api = std::fs::read_to_string(schema_dir().join("api.graphql")).expect("api.graphql");
    Schema::parse_and_validate(&api, "api.graphql").expect("valid API schema");
    for hidden in [
        "join__",
        "link__",
        "@link",
        "@inaccessible",
        "reserveStock",
        "authorizePayment",
        "confirmOrder",
        "_entities",
        "_service",
    ] {
        assert!(!api.contains(hidden), "api.graphql shows {hidden}");
    }
    for public in [
        "placeOrder",
        "adjustStock",
        "createProduct",
        "stockValue",
        "payments: [Payment!]!",
    ] {
        assert!(api.contains(public), "api.graphql lacks {public}");
    }
}
