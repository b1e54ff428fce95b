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

const FEDERATION_2_5: &str = r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable", "@external", "@interfaceObject"])"#;

fn subgraph_2_5(name: &str, body: &str) -> SubgraphSource {
    SubgraphSource {
        name: name.into(),
        url: format!("http://127.0.0.1:1/{name}"),
        sdl: format!("{FEDERATION_2_5}\n{body}"),
    }
}

/// The line of `sdl` that starts (after indentation) with `start`.
fn line<'a>(sdl: &'a str, start: &str) -> &'a str {
    sdl.lines()
        .map(str::trim)
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no line starting with {start:?} in\n{sdl}"))
}

#[test]
fn key_fields_a_subgraph_marks_external_are_joined_as_external() {
    let composed = compose(&[
        subgraph_2_5(
            "profiles",
            r#"type Query { node(id: ID!): Node @shareable profile(id: String!): Profile }
               interface Node { id: ID! }
               type Profile implements Node @key(fields: "id") { id: ID! handle: String! }
               type Thread implements Node @key(fields: "id") { id: ID! @external owner: Profile! }
               type Tag @key(fields: "id") @external { id: ID! label: String }"#,
        ),
        subgraph_2_5(
            "threads",
            r#"type Query { node(id: ID!): Node @shareable thread(id: String!): Thread tag: Tag }
               interface Node { id: ID! }
               type Profile implements Node @key(fields: "id") { id: ID! @external threads: [Thread!]! }
               type Thread implements Node @key(fields: "id") { id: ID! body: String! }
               type Tag @key(fields: "id") { id: ID! label: String }"#,
        ),
    ])
    .expect("composes");
    let sdl = &composed.supergraph_sdl;
    let types = |name: &str| {
        let at = sdl.find(&format!("type {name} ")).expect(name);
        sdl[at..].split_once("\n}").unwrap().0.to_owned()
    };
    assert_eq!(
        line(&types("Profile"), "id:"),
        "id: ID! @join__field(graph: PROFILES) @join__field(graph: THREADS, external: true)"
    );
    assert_eq!(
        line(&types("Thread"), "id:"),
        "id: ID! @join__field(graph: PROFILES, external: true) @join__field(graph: THREADS)"
    );
    // `@external` on the type (federation 2) makes its key field external too.
    assert_eq!(
        line(&types("Tag"), "id:"),
        "id: ID! @join__field(graph: PROFILES, external: true) @join__field(graph: THREADS)"
    );
    assert_eq!(
        line(&types("Tag"), "label:"),
        "label: String @join__field(graph: PROFILES, external: true) @join__field(graph: THREADS)"
    );
    // The supergraph tells the planner so.
    let supergraph = crate::supergraph::Supergraph::parse(sdl).expect("supergraph");
    let profiles = 0;
    assert!(supergraph.is_external("Thread", "id", profiles));
    assert!(!supergraph.is_external("Profile", "id", profiles));
}

#[test]
fn key_fields_of_a_type_extension_are_not_external() {
    // Federation 1's way to say a subgraph does not own an entity: Apollo
    // (and the composer) do not count its `@external` key fields external.
    let composed = compose(&[
        subgraph_2_5(
            "owner",
            r#"type Query { user: User } type User @key(fields: "id") { id: ID! name: String }"#,
        ),
        SubgraphSource {
            name: "extender".into(),
            url: "http://127.0.0.1:1/extender".into(),
            sdl: r#"type Query { users: [User] }
                    extend type User @key(fields: "id") { id: ID! @external age: Int }"#
                .into(),
        },
    ])
    .expect("composes");
    let sdl = &composed.supergraph_sdl;
    assert_eq!(line(sdl, "id:"), "id: ID!");
    // And the key's `@join__type` says it is of an extension, as Apollo's does.
    assert_eq!(
        line(sdl, "type User "),
        r#"type User @join__type(graph: OWNER, key: "id") @join__type(graph: EXTENDER, key: "id", extension: true) {"#
    );
}

#[test]
fn entity_interfaces_join_every_subgraph_and_key_as_apollo_does() {
    let composed = compose(&[
        subgraph_2_5(
            "things-a",
            r#"interface Thing @key(fields: "id") { id: ID! }
               type Goods @key(fields: "id", resolvable: false) @interfaceObject { id: ID! }
               interface Media @key(fields: "id") @key(fields: "sku") { id: ID! sku: ID! }
               type Book implements Media @key(fields: "id") @key(fields: "sku") { id: ID! sku: ID! }
               type Query { thingA: Thing goods: Goods! media: Media }"#,
        ),
        subgraph_2_5(
            "things-b",
            r#"type Thing @key(fields: "id", resolvable: false) @interfaceObject { id: ID! field: String }
               interface Goods @key(fields: "id") { id: ID! }
               type Bun implements Goods @key(fields: "id") { id: ID! name: String! }
               interface Media @key(fields: "id") @key(fields: "sku") { id: ID! sku: ID! }
               type Book implements Media @key(fields: "id") @key(fields: "sku") { id: ID! sku: ID! }
               type Query { thingB: Thing }"#,
        ),
    ])
    .expect("composes");
    let sdl = &composed.supergraph_sdl;
    assert_eq!(
        line(sdl, "interface Thing "),
        r#"interface Thing @join__type(graph: THINGS_A, key: "id") @join__type(graph: THINGS_B, key: "id", resolvable: false, isInterfaceObject: true) {"#
    );
    assert_eq!(
        line(sdl, "interface Goods "),
        r#"interface Goods @join__type(graph: THINGS_A, key: "id", resolvable: false, isInterfaceObject: true) @join__type(graph: THINGS_B, key: "id") {"#
    );
    assert_eq!(
        line(sdl, "interface Media "),
        r#"interface Media @join__type(graph: THINGS_A, key: "id") @join__type(graph: THINGS_A, key: "sku") @join__type(graph: THINGS_B, key: "id") @join__type(graph: THINGS_B, key: "sku") {"#
    );
    // Fields every subgraph with the interface has need no `@join__field`.
    let thing = sdl[sdl.find("interface Thing ").unwrap()..]
        .split_once("\n}")
        .unwrap()
        .0;
    assert_eq!(line(thing, "id:"), "id: ID!");
    assert_eq!(
        line(thing, "field:"),
        "field: String @join__field(graph: THINGS_B)"
    );
    let supergraph = crate::supergraph::Supergraph::parse(sdl).expect("supergraph");
    let b = 1;
    let thing_in_b = supergraph
        .type_in_graph("Thing", b)
        .expect("things-b has Thing");
    assert!(thing_in_b.interface_object);
    assert_eq!(supergraph.resolvable_keys("Thing", b).count(), 0);
}
