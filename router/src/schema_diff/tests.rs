use super::*;

fn changes(old: &str, new: &str) -> Vec<String> {
    let old = load(old, "old").expect("old schema");
    let new = load(new, "new").expect("new schema");
    diff(&old, &new).iter().map(ToString::to_string).collect()
}

const BASE: &str = r#"
    type Query { product(id: ID!, currency: String = "EUR"): Product products(first: Int): [Product!]! search: [Result] }
    type Product implements Node { id: ID! name: String price: Int! status: Status tags: [String!] }
    interface Node { id: ID! }
    type Review { body: String }
    union Result = Product | Review
    enum Status { ACTIVE RETIRED }
    input Filter { name: String min: Int! }
    type Mutation { add(filter: Filter): Product }
"#;

#[test]
fn an_unchanged_schema_has_no_changes() {
    assert_eq!(changes(BASE, BASE), Vec::<String>::new());
}

#[test]
fn removals_nullability_and_new_required_inputs_are_breaking() {
    let new = r#"
        type Query { product(id: ID!, currency: String = "EUR", locale: String!): Product products(first: Int!): [Product!]! search: [Result] }
        type Product { id: ID! name: String price: Int tags: [String] }
        interface Node { id: ID! }
        type Review { body: String }
        union Result = Review
        enum Status { ACTIVE }
        input Filter { name: String! min: Int! max: Int! }
        type Mutation { add(filter: Filter): Product }
    "#;
    assert_eq!(
        changes(BASE, new),
        [
            "BREAKING  Filter.max: required input field added",
            "BREAKING  Filter.name: type changed from String to String!",
            "BREAKING  Product: no longer implements Node",
            "BREAKING  Product.price: type changed from Int! to Int",
            "BREAKING  Product.status: field removed",
            "BREAKING  Product.tags: type changed from [String!] to [String]",
            "BREAKING  Query.product(locale:): required argument added",
            "BREAKING  Query.products(first:): type changed from Int to Int!",
            "BREAKING  Result: member Product removed",
            "BREAKING  Status.RETIRED: enum value removed",
        ]
    );
}

#[test]
fn additions_are_safe_and_new_possibilities_dangerous() {
    let new = r#"
        type Query { product(id: ID, currency: String = "USD", locale: String): Product products(first: Int): [Product!]! search: [Result] review: Review }
        type Product implements Node { id: ID! name: String! price: Int! status: Status tags: [String!] @deprecated }
        interface Node { id: ID! }
        type Review implements Node { id: ID! body: String }
        type Video { url: String }
        union Result = Product | Review | Video
        enum Status { ACTIVE RETIRED HIDDEN }
        input Filter { name: String min: Int max: Int }
        type Mutation { add(filter: Filter): Product }
    "#;
    assert_eq!(
        changes(BASE, new),
        [
            "DANGEROUS Query.product(currency:): default changed from \"EUR\" to \"USD\"",
            "DANGEROUS Result: member Video added",
            "DANGEROUS Review: now implements Node",
            "DANGEROUS Status.HIDDEN: enum value added",
            "SAFE      Filter.max: optional input field added",
            "SAFE      Filter.min: type changed from Int! to Int",
            "SAFE      Product.name: type changed from String to String!",
            "SAFE      Product.tags: deprecated",
            "SAFE      Query.product(id:): type changed from ID! to ID",
            "SAFE      Query.product(locale:): optional argument added",
            "SAFE      Query.review: field added",
            "SAFE      Review.id: field added",
            "SAFE      Video: object type added",
        ]
    );
}

#[test]
fn removed_types_roots_and_changed_kinds_are_breaking() {
    let new = r#"
        type Query { product(id: ID!, currency: String = "EUR"): Product products(first: Int): [Product!]! search: [Result] }
        type Product implements Node { id: ID! name: String price: Int! status: Status tags: [String!] }
        interface Node { id: ID! }
        interface Review { body: String }
        union Result = Product
        scalar Status
    "#;
    assert_eq!(
        changes(BASE, new),
        [
            "BREAKING  Filter: input object removed",
            "BREAKING  Mutation: object type removed",
            "BREAKING  Result: member Review removed",
            "BREAKING  Review: changed from object type to interface",
            "BREAKING  Status: changed from enum to scalar",
            "BREAKING  schema: mutation root Mutation removed",
        ]
    );
}

#[test]
fn a_supergraph_is_compared_by_its_api_schema() {
    let sdl = crate::api_schema::tests::supergraph_sdl();
    let supergraph = load(&sdl, "old").expect("supergraph");
    assert!(!supergraph.types.contains_key("join__Graph"));
    let api = crate::api_schema::print(&supergraph);
    // The supergraph and its own API schema: nothing a client can see differs.
    assert_eq!(changes(&sdl, &api), Vec::<String>::new());
}

#[test]
fn invalid_input_is_an_error_naming_the_side() {
    let error = load("type Query { a: Missing }", "new").unwrap_err();
    assert!(
        error.to_string().starts_with("new schema is not valid"),
        "{error}"
    );
}
