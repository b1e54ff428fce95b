use apollo_compiler::Schema;

use super::requirements::{Requirement, Requirements};

fn requirements(types: &str) -> Requirements {
    let sdl = format!(
        r#"
        schema
          @link(url: "https://specs.apollo.dev/link/v1.0")
          @link(url: "https://specs.apollo.dev/authenticated/v0.1", as: "signedIn", for: SECURITY)
          @link(url: "https://specs.apollo.dev/requiresScopes/v0.1", import: [{{ name: "@requiresScopes", as: "@scoped" }}], for: SECURITY)
          @link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)
        {{ query: Query }}
        directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
        scalar link__Import
        enum link__Purpose {{ SECURITY EXECUTION }}
        directive @signedIn on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
        directive @scoped(scopes: [[String!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
        directive @policy(policies: [[String!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
        {types}
        "#
    );
    let schema = Schema::parse_and_validate(sdl, "supergraph.graphql").expect("valid");
    Requirements::of(&schema)
}

fn scopes(sets: &[&[&str]]) -> Vec<Vec<String>> {
    sets.iter()
        .map(|set| set.iter().map(|s| s.to_string()).collect())
        .collect()
}

#[test]
fn directives_are_found_under_the_names_the_links_give_them() {
    let requirements = requirements(
        r#"type Query { me: User @signedIn open: String mine: String @policy(policies: [["own"]]) }
           type User @scoped(scopes: [["a", "b"], ["c"]]) { id: ID! }"#,
    );
    assert_eq!(
        **requirements.field("Query", "me").unwrap(),
        Requirement {
            authenticated: true,
            // the type it returns asks for scopes too
            scopes: vec![scopes(&[&["a", "b"], &["c"]])],
            policies: vec![],
        }
    );
    assert!(requirements.field("Query", "open").is_none());
    assert_eq!(
        requirements.field("Query", "mine").unwrap().policies,
        vec![scopes(&[&["own"]])]
    );
    assert!(requirements.type_condition("User").is_some());
    assert_eq!(requirements.policy_names().collect::<Vec<_>>(), vec!["own"]);
}

#[test]
fn a_supergraph_without_the_specs_guards_nothing() {
    let schema = Schema::parse_and_validate(
        "type Query { me: String @deprecated }",
        "supergraph.graphql",
    )
    .unwrap();
    assert!(Requirements::of(&schema).is_empty());
}

#[test]
fn an_interface_field_takes_its_implementations_guards_and_fields_their_parents() {
    let requirements = requirements(
        r#"type Query { items: [Item!]! admin: Admin }
           interface Item { id: ID! price: Int }
           type Book implements Item { id: ID! price: Int }
           type Draft implements Item { id: ID! price: Int @scoped(scopes: [["editor"]]) }
           type Admin @signedIn { name: String }"#,
    );
    assert_eq!(
        requirements.field("Item", "price").unwrap().scopes,
        vec![scopes(&[&["editor"]])]
    );
    assert!(requirements.field("Book", "price").is_none());
    assert!(requirements.field("Item", "id").is_none());
    assert!(requirements.field("Admin", "name").unwrap().authenticated);
    assert!(requirements.field("Query", "admin").unwrap().authenticated);
}
