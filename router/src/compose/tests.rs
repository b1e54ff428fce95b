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
