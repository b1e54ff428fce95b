use super::*;

const HEADER: &str = r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible", "@tag"])"#;

fn subgraph(name: &str, body: &str) -> SubgraphSource {
    SubgraphSource {
        name: name.into(),
        url: format!("http://127.0.0.1:1/{name}"),
        sdl: format!("{HEADER}\n{body}"),
    }
}

fn two_subgraphs() -> Vec<SubgraphSource> {
    vec![
        subgraph(
            "products",
            r#"type Money @shareable { amount: Int! currency: String! }
               type Product @key(fields: "id") @key(fields: "sku") { id: ID! sku: String! price: Money! }
               type Query { product(id: ID!): Product }
               type Mutation { reset: Boolean! @inaccessible }"#,
        ),
        subgraph(
            "inventory",
            r#"type Money @shareable { amount: Int! currency: String! }
               type Product @key(fields: "id") { id: ID! price: Money! @external stockValue: Money! @requires(fields: "price { amount currency }") }
               type Query { lowStock: [Product!]! }
               type Mutation { adjust(id: ID!): Int! }"#,
        ),
    ]
}

#[test]
fn composes_a_standard_valid_supergraph() {
    let composed = compose(&two_subgraphs()).expect("composes");
    let sdl = &composed.supergraph_sdl;
    let schema = Schema::parse_and_validate(sdl, "s.graphql").expect("valid");
    let query = schema.get_object("Query").expect("Query");
    let graphs: Vec<String> = query
        .directives
        .get_all("join__type")
        .map(|d| {
            d.specified_argument_by_name("graph")
                .expect("graph")
                .to_string()
        })
        .collect();
    assert_eq!(
        graphs,
        ["PRODUCTS", "INVENTORY"],
        "root types name every contributing subgraph"
    );
    assert!(
        sdl.contains(r#"@join__type(graph: PRODUCTS, key: "sku")"#),
        "{sdl}"
    );
    assert!(
        sdl.contains(r#"requires: "price { amount currency }""#),
        "{sdl}"
    );
    assert!(
        sdl.contains("@link(url: \"https://specs.apollo.dev/join/v0.3\", for: EXECUTION)"),
        "{sdl}"
    );
    assert!(sdl.contains("repeatable on OBJECT"), "{sdl}");
    assert!(sdl.contains("reset: Boolean! @inaccessible"), "{sdl}");
}

#[test]
fn reports_conflicts_by_name() {
    let mut subgraphs = two_subgraphs();
    subgraphs[1].sdl = subgraphs[1].sdl.replace("amount: Int!", "amount: Float!");
    match compose(&subgraphs) {
        Err(ComposeError::Composition(errors)) => {
            assert!(
                errors.iter().any(|e| e.contains("Money.amount")),
                "{errors:?}"
            )
        }
        other => panic!("expected a composition error, got {other:?}"),
    }
}

#[test]
fn reports_unparseable_subgraphs() {
    let mut subgraphs = two_subgraphs();
    subgraphs[0].sdl.push_str("type {");
    assert!(
        matches!(compose(&subgraphs), Err(ComposeError::Parse { name, .. }) if name == "products")
    );
    assert!(matches!(compose(&[]), Err(ComposeError::Empty)));
}

#[test]
fn demand_control_and_authorization_directives_are_kept_with_their_specs() {
    let sdl = r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@cost", "@listSize", "@authenticated", "@requiresScopes", "@policy"])
        type Query {
          products(first: Int = 10): [Product!]! @listSize(slicingArguments: ["first"])
          me: String @authenticated
          admin: String @requiresScopes(scopes: [["admin"]])
          mine: String @policy(policies: [["own"]])
        }
        type Product @key(fields: "id") { id: ID! heavy: Int @cost(weight: 7) }"#;
    let composed = compose(&[SubgraphSource {
        name: "shop".into(),
        url: "http://127.0.0.1:1/shop".into(),
        sdl: sdl.into(),
    }])
    .expect("composes");
    assert!(
        composed
            .warnings
            .iter()
            .all(|w| !w.contains("Unknown directive")),
        "{:?}",
        composed.warnings
    );
    let schema = Schema::parse_and_validate(&composed.supergraph_sdl, "s.graphql").expect("valid");
    let links: Vec<&str> = schema
        .schema_definition
        .directives
        .get_all("link")
        .filter_map(|l| l.specified_argument_by_name("url")?.as_str())
        .collect();
    for spec in [
        "cost/v0.1",
        "authenticated/v0.1",
        "requiresScopes/v0.1",
        "policy/v0.1",
    ] {
        assert!(
            links.contains(&format!("https://specs.apollo.dev/{spec}").as_str()),
            "{links:?}"
        );
    }
    let query = schema.get_object("Query").unwrap();
    assert!(query.fields["products"].directives.has("listSize"));
    assert!(query.fields["me"].directives.has("authenticated"));
    assert!(query.fields["admin"].directives.has("requiresScopes"));
    assert!(query.fields["mine"].directives.has("policy"));
    let product = schema.get_object("Product").unwrap();
    assert!(product.fields["heavy"].directives.has("cost"));

    // Clients see none of it.
    let api = crate::api_schema::print(&crate::api_schema::derive(&schema).unwrap());
    for hidden in [
        "@cost",
        "@listSize",
        "@authenticated",
        "@requiresScopes",
        "@policy",
        "__Scope",
    ] {
        assert!(!api.contains(hidden), "{hidden} in\n{api}");
    }
}
