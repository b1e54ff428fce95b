//! Shapes from the federation gateway audit, each re-expressed with our own
//! types, fields, subgraphs and data. Every test names the audit suite whose
//! federation feature it keeps (same directives, same key / requires /
//! provides / interfaceObject / shareable / override structure, same kind of
//! operation). Suites about `@defer` and subscriptions are not covered.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::kit::{Fixture, Outcome, Subgraph, Supergraph};

/// Asserts the exact data; errors may or may not be there.
#[track_caller]
fn assert_data_any_errors(outcome: &Outcome, expected: Value) {
    assert_eq!(
        outcome.data(),
        &expected,
        "full response: {:#}\nplan:\n{}",
        outcome.value,
        outcome.plan
    );
}

/// Asserts there are errors and no data (`data` null or absent).
#[track_caller]
fn assert_errors_without_data(outcome: &Outcome) {
    assert!(
        !outcome.errors().is_empty(),
        "expected errors: {:#}\nplan:\n{}",
        outcome.value,
        outcome.plan
    );
    assert_eq!(
        outcome.data(),
        &Value::Null,
        "expected no data: {:#}\nplan:\n{}",
        outcome.value,
        outcome.plan
    );
}

// ---------------------------------------------------------------------------
// abstract-types
// ---------------------------------------------------------------------------

const LIBRARY_TYPES: &str = r#"
type Query @join__type(graph: JOURNALS) @join__type(graph: NOVELS) @join__type(graph: RATINGS)
  @join__type(graph: SHIPPING) @join__type(graph: SHOP) @join__type(graph: STUDIOS) {
  items: [Item] @join__field(graph: SHOP)
  similarTo(id: ID!): [Item] @join__field(graph: SHOP)
  novels: [Novel] @join__field(graph: NOVELS)
  journals: [Journal] @join__field(graph: JOURNALS)
  rating(id: Int!): Rating @join__field(graph: RATINGS)
}
interface Item @join__type(graph: RATINGS) @join__type(graph: SHIPPING) @join__type(graph: SHOP) {
  id: ID!
  code: String @join__field(graph: SHOP)
  size: Size @join__field(graph: SHIPPING) @join__field(graph: SHOP)
  creator: Person @join__field(graph: SHOP)
  secret: Boolean @join__field(graph: SHOP) @inaccessible
  delivery(zip: String): Eta @join__field(graph: SHIPPING)
  ratingCount: Int! @join__field(graph: RATINGS)
  ratingAvg: Float! @join__field(graph: RATINGS)
  ratings: [Rating!]! @join__field(graph: RATINGS)
}
interface Related @join__type(graph: RATINGS) @join__type(graph: SHOP) {
  related: [Item]
}
type Size @join__type(graph: SHIPPING) @join__type(graph: SHOP) {
  label: String
  mass: Float
}
type Novel implements Item & Related
  @join__implements(graph: RATINGS, interface: "Item") @join__implements(graph: RATINGS, interface: "Related")
  @join__implements(graph: SHIPPING, interface: "Item")
  @join__implements(graph: SHOP, interface: "Item") @join__implements(graph: SHOP, interface: "Related")
  @join__type(graph: NOVELS, key: "id") @join__type(graph: RATINGS, key: "id")
  @join__type(graph: SHIPPING, key: "id") @join__type(graph: SHOP, key: "id") {
  id: ID!
  code: String @join__field(graph: SHOP)
  size: Size @join__field(graph: SHIPPING, external: true) @join__field(graph: SHOP)
  creator: Person @join__field(graph: SHOP)
  related: [Novel] @join__field(graph: RATINGS, external: true) @join__field(graph: SHOP)
  secret: Boolean @join__field(graph: SHOP)
  origin: Origin @join__field(graph: SHOP)
  title: String @join__field(graph: NOVELS)
  delivery(zip: String): Eta @join__field(graph: SHIPPING, requires: "size { label mass }")
  ratingCount: Int! @join__field(graph: RATINGS)
  ratingAvg: Float! @join__field(graph: RATINGS)
  ratings: [Rating!]! @join__field(graph: RATINGS)
  ratingsOfRelated: [Rating!]! @join__field(graph: RATINGS, requires: "related { id }")
}
type Journal implements Item & Related
  @join__implements(graph: RATINGS, interface: "Item") @join__implements(graph: RATINGS, interface: "Related")
  @join__implements(graph: SHIPPING, interface: "Item")
  @join__implements(graph: SHOP, interface: "Item") @join__implements(graph: SHOP, interface: "Related")
  @join__type(graph: JOURNALS, key: "id") @join__type(graph: RATINGS, key: "id")
  @join__type(graph: SHIPPING, key: "id") @join__type(graph: SHOP, key: "id") {
  id: ID!
  code: String @join__field(graph: SHOP)
  size: Size @join__field(graph: SHIPPING, external: true) @join__field(graph: SHOP)
  creator: Person @join__field(graph: SHOP)
  related: [Journal] @join__field(graph: RATINGS, external: true) @join__field(graph: SHOP)
  secret: Boolean @join__field(graph: SHOP)
  origin: Origin @join__field(graph: SHOP)
  title: String @join__field(graph: JOURNALS)
  delivery(zip: String): Eta @join__field(graph: SHIPPING, requires: "size { label mass }")
  ratingCount: Int! @join__field(graph: RATINGS)
  ratingAvg: Float! @join__field(graph: RATINGS)
  ratings: [Rating!]! @join__field(graph: RATINGS)
  ratingsOfRelated: [Rating!]! @join__field(graph: RATINGS, requires: "related { id }")
}
union Origin @join__type(graph: SHOP) @join__type(graph: STUDIOS)
  @join__unionMember(graph: SHOP, member: "Studio") @join__unionMember(graph: SHOP, member: "Solo")
  @join__unionMember(graph: STUDIOS, member: "Studio") @join__unionMember(graph: STUDIOS, member: "Group")
  = Studio | Solo | Group
type Studio @join__type(graph: SHOP) @join__type(graph: STUDIOS, key: "id") {
  id: ID!
  companyName: String @join__field(graph: STUDIOS)
  mail: Mailbox @join__field(graph: STUDIOS)
}
type Solo @join__type(graph: SHOP) {
  mail: String
}
type Group @join__type(graph: STUDIOS, key: "id") {
  id: ID!
  name: String
  mail: String
}
type Mailbox @join__type(graph: STUDIOS) {
  address: String
}
type Person @join__type(graph: SHOP, key: "handle") {
  handle: ID!
  made: Int
}
type Eta @join__type(graph: SHIPPING) {
  typical: String
  earliest: String
}
type Rating @join__type(graph: RATINGS) {
  id: Int!
  text: String!
  item: Item
}
"#;

struct Library {
    _fixtures: Vec<Fixture>,
    supergraph: Supergraph,
}

fn novel(id: &str, code: &str, creator: &str, mass: f64, origin: Value) -> Value {
    json!({ "__typename": "Novel", "id": id, "code": code, "creator": { "handle": creator },
            "size": { "label": "small", "mass": mass }, "origin": origin, "secret": false })
}

fn journal(id: &str, code: &str, creator: &str, mass: f64, origin: Value, secret: bool) -> Value {
    json!({ "__typename": "Journal", "id": id, "code": code, "creator": { "handle": creator },
            "size": { "label": "small", "mass": mass }, "origin": origin, "secret": secret })
}

async fn library() -> Library {
    let solo = json!({ "__typename": "Solo", "mail": "ann@lib" });
    let studio = json!({ "__typename": "Studio", "id": "s1" });
    let n1 = novel("n1", "N-1", "ann@lib", 0.5, solo.clone());
    let n3 = novel("n3", "N-3", "bob@lib", 0.6, studio.clone());
    let j2 = journal("j2", "J-2", "ann@lib", 0.2, studio.clone(), false);
    let j4 = journal("j4", "J-4", "bob@lib", 0.3, solo.clone(), true);
    let made = |ctx: &crate::kit::FieldCtx<'_>| -> Result<Value, String> {
        Ok(json!(match ctx.get("handle").as_str() {
            Some("ann@lib") | Some("bob@lib") => 2,
            _ => 0,
        }))
    };
    let shop = Subgraph::new(
        "shop",
        r#"
        type Query { items: [Item] similarTo(id: ID!): [Item] }
        interface Item {
          id: ID!
          code: String
          size: Size
          creator: Person
          secret: Boolean @inaccessible
        }
        interface Related { related: [Item] }
        type Size @shareable { label: String mass: Float }
        type Novel implements Item & Related @key(fields: "id") {
          id: ID!
          code: String
          size: Size @shareable
          creator: Person
          related: [Novel]
          secret: Boolean
          origin: Origin
        }
        type Journal implements Item & Related @key(fields: "id") {
          id: ID!
          code: String
          size: Size @shareable
          creator: Person
          related: [Journal]
          secret: Boolean
          origin: Origin
        }
        union Origin = Studio | Solo
        type Studio { id: ID! @shareable }
        type Solo { mail: String }
        type Person @key(fields: "handle") { handle: ID! made: Int @shareable }
        "#,
    )
    .root("items", json!([n1, n3, j2, j4]))
    .root_with_args("similarTo", json!({ "id": "n1" }), json!([n3]))
    .root_with_args("similarTo", json!({ "id": "j2" }), json!([j4]))
    .entities("Novel", json!([n1, n3]))
    .entities("Journal", json!([j2, j4]))
    .echo_entities("Person")
    .resolve("Person", "made", made)
    .start()
    .await;
    let novels = Subgraph::new(
        "novels",
        r#"
        type Novel @key(fields: "id") { id: ID! title: String }
        type Query { novels: [Novel] }
        "#,
    )
    .entities(
        "Novel",
        json!([{ "id": "n1", "title": "Dune" }, { "id": "n3", "title": "Emma" }]),
    )
    .start()
    .await;
    let journals = Subgraph::new(
        "journals",
        r#"
        type Journal @key(fields: "id") { id: ID! title: String }
        type Query { journals: [Journal] }
        "#,
    )
    .entities(
        "Journal",
        json!([{ "id": "j2", "title": "Wired" }, { "id": "j4", "title": "Byte" }]),
    )
    .start()
    .await;
    let studios = Subgraph::new(
        "studios",
        r#"
        type Studio @key(fields: "id") { id: ID! companyName: String mail: Mailbox }
        type Mailbox { address: String }
        type Group @key(fields: "id") { id: ID! name: String mail: String }
        union Origin = Studio | Group
        "#,
    )
    .entities(
        "Studio",
        json!([{ "id": "s1", "companyName": "Acme Studio", "mail": { "address": "desk@acme" } }]),
    )
    .start()
    .await;
    let eta = |ctx: &crate::kit::FieldCtx<'_>| -> Result<Value, String> {
        if ctx.arg("zip").is_null() {
            return Ok(Value::Null);
        }
        let size = ctx.get("size");
        if size.is_null() {
            return Err(format!("size was not sent: {}", ctx.parent));
        }
        let small = size["label"] == json!("small") && size["mass"].as_f64().unwrap_or(9.0) < 1.0;
        Ok(if small {
            json!({ "typical": "1 day", "earliest": "same day" })
        } else {
            Value::Null
        })
    };
    let shipping = Subgraph::new(
        "shipping",
        r#"
        interface Item { id: ID! size: Size delivery(zip: String): Eta }
        type Novel implements Item @key(fields: "id") {
          id: ID!
          size: Size @external
          delivery(zip: String): Eta @requires(fields: "size { label mass }")
        }
        type Journal implements Item @key(fields: "id") {
          id: ID!
          size: Size @external
          delivery(zip: String): Eta @requires(fields: "size { label mass }")
        }
        type Size @shareable { label: String mass: Float }
        type Eta { typical: String earliest: String }
        "#,
    )
    .echo_entities("Novel")
    .echo_entities("Journal")
    .resolve("Novel", "delivery", eta)
    .resolve("Journal", "delivery", eta)
    .start()
    .await;
    let rating =
        |id: i64, item: Value| json!({ "id": id, "text": format!("rating {id}"), "item": item });
    let n1_ref = json!({ "__typename": "Novel", "id": "n1" });
    let j2_ref = json!({ "__typename": "Journal", "id": "j2" });
    let rating_count = |ctx: &crate::kit::FieldCtx<'_>| -> Result<Value, String> {
        Ok(json!(match ctx.get("id").as_str() {
            Some("n1") => 2,
            Some("j2") => 1,
            _ => 0,
        }))
    };
    let ratings = Subgraph::new(
        "ratings",
        r#"
        type Novel implements Item & Related @key(fields: "id") {
          id: ID!
          ratingCount: Int!
          ratingAvg: Float! @shareable
          ratings: [Rating!]!
          related: [Novel] @external
          ratingsOfRelated: [Rating!]! @requires(fields: "related { id }")
        }
        type Journal implements Item & Related @key(fields: "id") {
          id: ID!
          ratingCount: Int!
          ratingAvg: Float! @shareable
          ratings: [Rating!]!
          related: [Journal] @external
          ratingsOfRelated: [Rating!]! @requires(fields: "related { id }")
        }
        interface Item { id: ID! ratingCount: Int! ratingAvg: Float! ratings: [Rating!]! }
        interface Related { related: [Item] }
        type Query { rating(id: Int!): Rating }
        type Rating { id: Int! text: String! item: Item }
        "#,
    )
    .entities(
        "Novel",
        json!([
            { "id": "n1", "ratingCount": 2, "ratingAvg": 3.5,
              "ratings": [rating(1, n1_ref.clone()), rating(2, n1_ref.clone())] },
            { "id": "n3", "ratingCount": 0, "ratingAvg": 0.0, "ratings": [] }
        ]),
    )
    .entities(
        "Journal",
        json!([
            { "id": "j2", "ratingCount": 1, "ratingAvg": 5.0, "ratings": [rating(3, j2_ref.clone())] },
            { "id": "j4", "ratingCount": 0, "ratingAvg": 0.0, "ratings": [] }
        ]),
    )
    .resolve("Novel", "ratingCount", rating_count)
    .resolve("Journal", "ratingCount", rating_count)
    .start()
    .await;
    // `Studio` is an entity in `studios` only: Apollo composes that, ours refuses.
    let supergraph = Supergraph::from_apollo(
        &[&shop, &novels, &journals, &studios, &shipping, &ratings],
        LIBRARY_TYPES,
    )
    .await;
    Library {
        _fixtures: vec![shop, novels, journals, studios, shipping, ratings],
        supergraph,
    }
}

/// The `items { id ratings { item { ... } } }` answer where each rated item
/// carries `inner` (n1 twice, j2 once; n3 and j4 have no ratings).
fn rated(n1: Value, j2: Value) -> Value {
    json!({ "items": [
        { "id": "n1", "ratings": [{ "item": n1.clone() }, { "item": n1 }] },
        { "id": "n3", "ratings": [] },
        { "id": "j2", "ratings": [{ "item": j2 }] },
        { "id": "j4", "ratings": [] }
    ] })
}

/// abstract-types
#[tokio::test]
async fn a_shared_value_type_under_an_interface_list_is_answered_by_the_owning_subgraph() {
    let lib = library().await;
    lib.supergraph
        .query("{ items { id size { label mass } } }")
        .await
        .assert_data(json!({ "items": [
            { "id": "n1", "size": { "label": "small", "mass": 0.5 } },
            { "id": "n3", "size": { "label": "small", "mass": 0.6 } },
            { "id": "j2", "size": { "label": "small", "mass": 0.2 } },
            { "id": "j4", "size": { "label": "small", "mass": 0.3 } }
        ] }));
}

/// abstract-types
#[tokio::test]
async fn an_interface_root_field_with_an_argument_returns_its_implementations() {
    let lib = library().await;
    lib.supergraph
        .query(r#"{ similarTo(id: "n1") { id code } }"#)
        .await
        .assert_data(json!({ "similarTo": [{ "id": "n3", "code": "N-3" }] }));
}

/// abstract-types
#[tokio::test]
async fn an_interface_field_with_requires_on_each_implementation_under_two_aliases() {
    let lib = library().await;
    lib.supergraph
        .query(
            r#"{
              novel: similarTo(id: "n1") { id code delivery(zip: "1234") { earliest typical } }
              journal: similarTo(id: "j2") { id code delivery(zip: "1234") { earliest typical } }
            }"#,
        )
        .await
        .assert_data(json!({
            "novel": [{ "id": "n3", "code": "N-3", "delivery": { "earliest": "same day", "typical": "1 day" } }],
            "journal": [{ "id": "j4", "code": "J-4", "delivery": { "earliest": "same day", "typical": "1 day" } }]
        }));
}

/// abstract-types
#[tokio::test]
async fn one_field_selected_through_the_interface_each_implementation_and_another_interface() {
    let lib = library().await;
    lib.supergraph
        .query(
            "{ items { code ... on Item { code } ... on Novel { code } ... on Journal { code } \
               ... on Related { __typename kind: __typename } } }",
        )
        .await
        .assert_data(json!({ "items": [
            { "code": "N-1", "__typename": "Novel", "kind": "Novel" },
            { "code": "N-3", "__typename": "Novel", "kind": "Novel" },
            { "code": "J-2", "__typename": "Journal", "kind": "Journal" },
            { "code": "J-4", "__typename": "Journal", "kind": "Journal" }
        ] }));
}

/// abstract-types
#[tokio::test]
async fn an_aliased_entity_field_and_a_type_condition_reaching_another_subgraph() {
    let lib = library().await;
    lib.supergraph
        .query("{ items { maker: creator { handle made } ... on Journal { title } } }")
        .await
        .assert_data(json!({ "items": [
            { "maker": { "handle": "ann@lib", "made": 2 } },
            { "maker": { "handle": "bob@lib", "made": 2 } },
            { "maker": { "handle": "ann@lib", "made": 2 }, "title": "Wired" },
            { "maker": { "handle": "bob@lib", "made": 2 }, "title": "Byte" }
        ] }));
}

/// abstract-types
#[tokio::test]
async fn an_interface_returned_by_a_second_subgraph_is_completed_per_concrete_type() {
    let lib = library().await;
    lib.supergraph
        .query(
            "{ items { id ratings { item { code ... on Journal { title } ... on Novel { ratingCount } } } } }",
        )
        .await
        .assert_data(rated(
            json!({ "code": "N-1", "ratingCount": 2 }),
            json!({ "code": "J-2", "title": "Wired" }),
        ));
}

/// abstract-types
#[tokio::test]
async fn an_interface_list_reaches_each_implementations_entity_fields() {
    let lib = library().await;
    lib.supergraph
        .query("{ items { id ratings { id } } }")
        .await
        .assert_data(json!({ "items": [
            { "id": "n1", "ratings": [{ "id": 1 }, { "id": 2 }] },
            { "id": "n3", "ratings": [] },
            { "id": "j2", "ratings": [{ "id": 3 }] },
            { "id": "j4", "ratings": [] }
        ] }));
}

async fn library_case(query: &str, n1: Value, j2: Value) {
    let lib = library().await;
    lib.supergraph.query(query).await.assert_data(rated(n1, j2));
}

/// abstract-types
#[tokio::test]
async fn an_included_type_condition_on_an_entity_behind_an_interface() {
    library_case(
        "query ($on: Boolean = true) { items { id ratings { item { id \
           ... on Novel @include(if: $on) { title } ... on Journal { code } } } } }",
        json!({ "id": "n1", "title": "Dune" }),
        json!({ "id": "j2", "code": "J-2" }),
    )
    .await;
}

/// abstract-types
#[tokio::test]
async fn an_excluded_type_condition_on_an_entity_behind_an_interface() {
    library_case(
        "query ($on: Boolean = false) { items { id ratings { item { id \
           ... on Novel @include(if: $on) { title } ... on Journal { code } } } } }",
        json!({ "id": "n1" }),
        json!({ "id": "j2", "code": "J-2" }),
    )
    .await;
}

/// abstract-types
#[tokio::test]
async fn a_type_condition_not_skipped_on_an_entity_behind_an_interface() {
    library_case(
        "query ($off: Boolean = false) { items { id ratings { item { id \
           ... on Novel @skip(if: $off) { title } ... on Journal { code } } } } }",
        json!({ "id": "n1", "title": "Dune" }),
        json!({ "id": "j2", "code": "J-2" }),
    )
    .await;
}

/// abstract-types
#[tokio::test]
async fn a_skipped_type_condition_on_an_entity_behind_an_interface() {
    library_case(
        "query ($off: Boolean = true) { items { id ratings { item { id \
           ... on Novel @skip(if: $off) { title } ... on Journal { code } } } } }",
        json!({ "id": "n1" }),
        json!({ "id": "j2", "code": "J-2" }),
    )
    .await;
}

/// abstract-types
#[tokio::test]
async fn a_skipped_condition_beside_an_unconditional_one_on_the_same_type() {
    library_case(
        "query ($off: Boolean = true) { items { id ratings { item { id \
           ... on Novel @skip(if: $off) { title } ... on Novel { code } ... on Journal { code } } } } }",
        json!({ "id": "n1", "code": "N-1" }),
        json!({ "id": "j2", "code": "J-2" }),
    )
    .await;
}

/// abstract-types
#[tokio::test]
async fn a_kept_condition_beside_an_unconditional_one_on_the_same_type() {
    library_case(
        "query ($off: Boolean = false) { items { id ratings { item { id \
           ... on Novel @skip(if: $off) { title } ... on Novel { code } ... on Journal { code } } } } }",
        json!({ "id": "n1", "title": "Dune", "code": "N-1" }),
        json!({ "id": "j2", "code": "J-2" }),
    )
    .await;
}

/// abstract-types
#[tokio::test]
async fn a_nested_fragment_inside_an_included_type_condition() {
    library_case(
        "query ($on: Boolean = true) { items { id ratings { item { id \
           ... on Novel @include(if: $on) { title ... on Novel { code } } ... on Journal { code } } } } }",
        json!({ "id": "n1", "title": "Dune", "code": "N-1" }),
        json!({ "id": "j2", "code": "J-2" }),
    )
    .await;
}

/// abstract-types
#[tokio::test]
async fn a_skipped_fragment_nested_in_an_included_one_with_the_same_variable() {
    library_case(
        "query ($on: Boolean = true) { items { id ratings { item { id \
           ... on Novel @include(if: $on) { title ... on Novel @skip(if: $on) { code } } \
           ... on Journal { code } } } } }",
        json!({ "id": "n1", "title": "Dune" }),
        json!({ "id": "j2", "code": "J-2" }),
    )
    .await;
}

/// abstract-types
#[tokio::test]
async fn a_named_fragment_on_a_union_spread_under_two_entity_types() {
    library_case(
        "{ items { id ratings { item { id \
           ... on Journal { origin { ...O } } ... on Novel { origin { ...O } } } } } } \
         fragment O on Origin { ... on Studio { id companyName } ... on Solo { mail } }",
        json!({ "id": "n1", "origin": { "mail": "ann@lib" } }),
        json!({ "id": "j2", "origin": { "id": "s1", "companyName": "Acme Studio" } }),
    )
    .await;
}

/// abstract-types
#[tokio::test]
async fn a_union_fragment_naming_a_member_only_another_subgraph_adds() {
    library_case(
        "{ items { id ratings { item { id \
           ... on Journal { origin { ...O } } ... on Novel { origin { ...O } } } } } } \
         fragment O on Origin { ... on Studio { id companyName } ... on Solo { mail } ... on Group { name } }",
        json!({ "id": "n1", "origin": { "mail": "ann@lib" } }),
        json!({ "id": "j2", "origin": { "id": "s1", "companyName": "Acme Studio" } }),
    )
    .await;
}

/// abstract-types
#[tokio::test]
async fn union_members_with_one_field_name_of_different_types_under_aliases() {
    library_case(
        "{ items { id ratings { item { id \
           ... on Journal { origin { ...O } } ... on Novel { origin { ...O } } } } } } \
         fragment O on Origin { ... on Studio { mailBox: mail { address } } \
           ... on Solo { mailText: mail } ... on Group { mailText: mail } }",
        json!({ "id": "n1", "origin": { "mailText": "ann@lib" } }),
        json!({ "id": "j2", "origin": { "mailBox": { "address": "desk@acme" } } }),
    )
    .await;
}

// ---------------------------------------------------------------------------
// child-type-mismatch
// ---------------------------------------------------------------------------

const ROSTER_TYPES: &str = r#"
type Query @join__type(graph: ACCTS) @join__type(graph: ROSTER) {
  members: [Member!]! @join__field(graph: ROSTER)
  principals: [Principal!]! @join__field(graph: ACCTS)
}
union Principal @join__type(graph: ACCTS)
  @join__unionMember(graph: ACCTS, member: "Member") @join__unionMember(graph: ACCTS, member: "Operator")
  = Member | Operator
type Member @join__type(graph: ACCTS, key: "id") @join__type(graph: ROSTER) {
  id: ID @join__field(graph: ACCTS, type: "ID!") @join__field(graph: ROSTER, type: "ID")
  name: String @join__field(graph: ACCTS)
  peers: [Principal!]! @join__field(graph: ACCTS)
}
type Operator @join__type(graph: ACCTS) {
  id: ID
  name: String
  peers: [Principal!]!
}
"#;

/// `Member.id` is `ID!` and `Operator.id` is `ID` in `accts`: one response
/// name with two types in one selection set there.
async fn roster() -> (Fixture, Fixture, Supergraph) {
    fn principals(depth: usize) -> Value {
        let peers = |d: usize| if d == 0 { json!([]) } else { principals(d - 1) };
        json!([
            { "__typename": "Member", "id": "m1", "name": "Mia", "peers": peers(depth) },
            { "__typename": "Operator", "id": "o1", "name": "Oz", "peers": peers(depth) }
        ])
    }
    let roster = Subgraph::new(
        "roster",
        r#"
        type Member { id: ID @shareable }
        type Query { members: [Member!]! }
        "#,
    )
    .root("members", json!([{ "id": "m1" }]))
    .start()
    .await;
    let accts = Subgraph::new(
        "accts",
        r#"
        union Principal = Member | Operator
        type Member @key(fields: "id") { id: ID! name: String peers: [Principal!]! }
        type Operator { id: ID name: String @shareable peers: [Principal!]! }
        type Query { principals: [Principal!]! }
        "#,
    )
    .root("principals", principals(3))
    .entities(
        "Member",
        json!([{ "id": "m1", "name": "Mia", "peers": principals(2) }]),
    )
    .start()
    .await;
    let supergraph = Supergraph::from_apollo(&[&roster, &accts], ROSTER_TYPES).await;
    (roster, accts, supergraph)
}

/// child-type-mismatch
#[tokio::test]
async fn union_members_whose_same_named_fields_differ_in_nullability_are_both_answered() {
    let (_r, _a, supergraph) = roster().await;
    supergraph
        .query(
            "{ members { id name } principals { ... on Member { id name } ... on Operator { id name } } }",
        )
        .await
        .assert_data(json!({
            "members": [{ "id": "m1", "name": "Mia" }],
            "principals": [{ "id": "m1", "name": "Mia" }, { "id": "o1", "name": "Oz" }]
        }));
}

/// child-type-mismatch
#[tokio::test]
async fn fields_of_differing_nullability_one_level_down_are_aliased_apart() {
    let (_r, _a, supergraph) = roster().await;
    let both = "... on Member { id name } ... on Operator { id name }";
    supergraph
        .query(&format!(
            "query Nested {{ members {{ id name }} principals {{ \
               ... on Member {{ id name peers {{ {both} }} }} \
               ... on Operator {{ id name peers {{ {both} }} }} }} }}"
        ))
        .await
        .assert_data(json!({
            "members": [{ "id": "m1", "name": "Mia" }],
            "principals": [
                { "id": "m1", "name": "Mia", "peers": [{ "id": "m1", "name": "Mia" }, { "id": "o1", "name": "Oz" }] },
                { "id": "o1", "name": "Oz", "peers": [{ "id": "m1", "name": "Mia" }, { "id": "o1", "name": "Oz" }] }
            ]
        }));
}

/// child-type-mismatch
#[tokio::test]
async fn fields_of_differing_nullability_two_levels_down_are_aliased_apart() {
    let (_r, _a, supergraph) = roster().await;
    let both = "... on Member { id name } ... on Operator { id name }";
    let mid = format!(
        "... on Member {{ id name peers {{ {both} }} }} ... on Operator {{ id name peers {{ {both} }} }}"
    );
    let pair = json!([{ "id": "m1", "name": "Mia" }, { "id": "o1", "name": "Oz" }]);
    let level = json!([
        { "id": "m1", "name": "Mia", "peers": pair.clone() },
        { "id": "o1", "name": "Oz", "peers": pair.clone() }
    ]);
    supergraph
        .query(&format!(
            "query DeepNested {{ members {{ id name }} principals {{ \
               ... on Member {{ id name peers {{ {mid} }} }} \
               ... on Operator {{ id name peers {{ {mid} }} }} }} }}"
        ))
        .await
        .assert_data(json!({
            "members": [{ "id": "m1", "name": "Mia" }],
            "principals": [
                { "id": "m1", "name": "Mia", "peers": level.clone() },
                { "id": "o1", "name": "Oz", "peers": level }
            ]
        }));
}

/// child-type-mismatch
#[tokio::test]
async fn the_same_shape_nested_without_the_conflicting_field_is_answered() {
    let (_r, _a, supergraph) = roster().await;
    let both = "... on Member { name } ... on Operator { name }";
    let mid = format!(
        "... on Member {{ name peers {{ {both} }} }} ... on Operator {{ name peers {{ {both} }} }}"
    );
    let pair = json!([{ "name": "Mia" }, { "name": "Oz" }]);
    let level = json!([{ "name": "Mia", "peers": pair.clone() }, { "name": "Oz", "peers": pair }]);
    supergraph
        .query(&format!(
            "query Deep {{ principals {{ ... on Member {{ name peers {{ {mid} }} }} \
               ... on Operator {{ name peers {{ {mid} }} }} }} }}"
        ))
        .await
        .assert_data(json!({ "principals": [
            { "name": "Mia", "peers": level.clone() },
            { "name": "Oz", "peers": level }
        ] }));
}

// ---------------------------------------------------------------------------
// circular-reference-interface
// ---------------------------------------------------------------------------

async fn tomes() -> (Fixture, Fixture, Supergraph) {
    // t1 and t3 cost the same; `sameCost` leads from one to the other.
    fn chain(id: &str, depth: usize) -> Value {
        let other = if id == "t1" { "t3" } else { "t1" };
        let mut v = json!({ "__typename": "Tome", "id": id, "cost": 10.99 });
        if depth > 0 {
            v["sameCost"] = chain(other, depth - 1);
        }
        v
    }
    let mut root = chain("t1", 4);
    // Not provided at the root: only `costs` may answer it there.
    root["cost"] = Value::Null;
    let shelf = Subgraph::new(
        "shelf",
        r#"
        type Query { item: Item }
        interface Item { sameCost: Item }
        type Tome implements Item @key(fields: "id") {
          id: ID!
          sameCost: Tome @provides(fields: "cost")
          cost: Float @external
        }
        "#,
    )
    .root("item", root)
    .start()
    .await;
    let costs = Subgraph::new(
        "costs",
        r#"
        type Tome @key(fields: "id") { id: ID! cost: Float @shareable }
        "#,
    )
    .entities(
        "Tome",
        json!([{ "id": "t1", "cost": 10.99 }, { "id": "t2", "cost": 5.99 }, { "id": "t3", "cost": 10.99 }]),
    )
    .start()
    .await;
    let supergraph = Supergraph::new(&[&shelf, &costs]).await;
    (shelf, costs, supergraph)
}

/// circular-reference-interface
#[tokio::test]
async fn an_interface_field_returning_the_interface_is_followed_twice() {
    let (_s, _c, supergraph) = tomes().await;
    supergraph
        .query("{ item { sameCost { ... on Item { sameCost { __typename } } } } }")
        .await
        .assert_data(json!({ "item": { "sameCost": { "sameCost": { "__typename": "Tome" } } } }));
}

/// circular-reference-interface
#[tokio::test]
async fn a_provided_field_on_a_narrowed_self_reference_and_the_unprovided_root_one() {
    let (_s, _c, supergraph) = tomes().await;
    supergraph
        .query(
            "{ item { __typename sameCost { __typename ... on Tome { id } \
               sameCost { __typename ... on Tome { id } } } \
               ... on Tome { __typename id cost sameCost { id cost } } } }",
        )
        .await
        .assert_data(json!({ "item": {
            "__typename": "Tome",
            "sameCost": {
                "__typename": "Tome", "id": "t3",
                "sameCost": { "__typename": "Tome", "id": "t1" },
                "cost": 10.99
            },
            "id": "t1",
            "cost": 10.99
        } }));
}

// ---------------------------------------------------------------------------
// complex-entity-call
// ---------------------------------------------------------------------------

/// complex-entity-call
#[tokio::test]
async fn keys_with_nested_lists_and_objects_are_built_from_several_subgraphs() {
    let item = |id: &str, cat: &str, tag: &str| json!({ "id": id, "category": { "id": cat, "tag": tag, "mainItem": { "id": id } } });
    let catalog = Subgraph::new(
        "catalog",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.0", import: ["@key", "@external", "@extends", "@shareable"])
        type Query { topBundle: Bundle! }
        type Bundle @key(fields: "items { id }") { items: [Item!]! }
        type Item @extends @key(fields: "id") { id: String! @external category: Category @shareable }
        type Category @key(fields: "id") { mainItem: Item! @shareable id: String! tag: String @shareable }
        "#,
    )
    .root("topBundle", json!({ "items": [item("1", "c1", "t1"), item("2", "c2", "t2")] }))
    .entities("Item", json!([item("1", "c1", "t1"), item("2", "c2", "t2")]))
    .start()
    .await;
    let linker = Subgraph::new(
        "linker",
        r#"
        type Item @key(fields: "id") @key(fields: "id pid") { id: String! pid: String! }
        "#,
    )
    .entities(
        "Item",
        json!([{ "id": "1", "pid": "p1" }, { "id": "2", "pid": "p2" }]),
    )
    .start()
    .await;
    let nth = |n: usize| {
        move |ctx: &crate::kit::FieldCtx<'_>| -> Result<Value, String> {
            Ok(ctx.get("items").get(n).cloned().unwrap_or(Value::Null))
        }
    };
    let lists = Subgraph::new(
        "lists",
        r#"
        type Bundle @key(fields: "items { id pid }") {
          items: [Item!]!
          first: Item @shareable
          selected: Item @shareable
        }
        type Item @key(fields: "id pid") { id: String! pid: String }
        "#,
    )
    .echo_entities("Bundle")
    .echo_entities("Item")
    .resolve("Bundle", "first", nth(0))
    .resolve("Bundle", "selected", nth(1))
    .start()
    .await;
    let pricing = Subgraph::new(
        "pricing",
        r#"
        type Bundle @key(fields: "items { id pid category { id tag } } selected { id }") {
          items: [Item!]!
          first: Item @shareable
          selected: Item @shareable
        }
        type Item @key(fields: "id pid category { id tag }") {
          id: String!
          cost: Cost
          pid: String
          category: Category
        }
        type Category @key(fields: "id tag") { id: String! tag: String }
        type Cost { amount: Float! }
        "#,
    )
    .echo_entities("Bundle")
    .echo_entities("Item")
    .echo_entities("Category")
    .resolve("Bundle", "first", nth(0))
    .resolve("Item", "cost", |ctx| match ctx.get("id").as_str() {
        Some("1") => Ok(json!({ "amount": 100.0 })),
        Some("2") => Ok(json!({ "amount": 200.0 })),
        other => Err(format!("unknown item {other:?}")),
    })
    .start()
    .await;
    let supergraph = Supergraph::new(&[&catalog, &linker, &lists, &pricing]).await;
    supergraph
        .query(
            "{ topBundle { items { id pid cost { amount } category { mainItem { id } id tag } } \
               selected { id } first { id } } }",
        )
        .await
        .assert_data(json!({ "topBundle": {
            "items": [
                { "id": "1", "pid": "p1", "cost": { "amount": 100.0 },
                  "category": { "mainItem": { "id": "1" }, "id": "c1", "tag": "t1" } },
                { "id": "2", "pid": "p2", "cost": { "amount": 200.0 },
                  "category": { "mainItem": { "id": "2" }, "id": "c2", "tag": "t2" } }
            ],
            "selected": { "id": "2" },
            "first": { "id": "1" }
        } }));
}

// ---------------------------------------------------------------------------
// corrupted-supergraph-node-id
// ---------------------------------------------------------------------------

/// `Query.node` is shared, but each subgraph holds one `Node` type's `id`
/// only as `@external`.
async fn threads() -> (Fixture, Fixture, Supergraph) {
    let profile = json!({ "__typename": "Profile", "id": "pr1", "handle": "pr1-handle" });
    let thread = json!({ "__typename": "Thread", "id": "th1", "body": "th1-body" });
    let profiles = Subgraph::new(
        "profiles",
        r#"
        type Query { node(id: ID!): Node @shareable profile(id: String!): Profile }
        interface Node { id: ID! }
        type Profile implements Node @key(fields: "id") { id: ID! handle: String! }
        type Thread implements Node @key(fields: "id") { id: ID! @external owner: Profile! }
        "#,
    )
    .root_with_args("node", json!({ "id": "pr1" }), profile.clone())
    .root_with_args(
        "node",
        json!({ "id": "th1" }),
        json!({ "__typename": "Thread", "id": "never", "owner": profile.clone() }),
    )
    .root_with_args("profile", json!({ "id": "pr1" }), profile.clone())
    .entities("Profile", json!([profile.clone()]))
    .entities("Thread", json!([{ "id": "th1", "owner": profile.clone() }]))
    .start()
    .await;
    let threads = Subgraph::new(
        "threads",
        r#"
        type Query { node(id: ID!): Node @shareable thread(id: String!): Thread }
        interface Node { id: ID! }
        type Profile implements Node @key(fields: "id") { id: ID! @external threads: [Thread!]! }
        type Thread implements Node @key(fields: "id") { id: ID! body: String! }
        "#,
    )
    .root_with_args(
        "node",
        json!({ "id": "pr1" }),
        json!({ "__typename": "Profile", "id": "never", "threads": [thread.clone()] }),
    )
    .root_with_args("node", json!({ "id": "th1" }), thread.clone())
    .root_with_args("thread", json!({ "id": "th1" }), thread.clone())
    .entities(
        "Profile",
        json!([{ "id": "pr1", "threads": [thread.clone()] }]),
    )
    .entities("Thread", json!([thread.clone()]))
    .start()
    .await;
    let supergraph = Supergraph::new(&[&profiles, &threads]).await;
    (profiles, threads, supergraph)
}

/// corrupted-supergraph-node-id
#[tokio::test]
async fn an_interface_field_no_subgraph_can_answer_for_every_type_is_an_error() {
    let (_p, _t, supergraph) = threads().await;
    let outcome = supergraph.query(r#"{ node(id: "pr1") { id } }"#).await;
    assert_errors_without_data(&outcome);
}

/// corrupted-supergraph-node-id
#[tokio::test]
async fn typenames_alone_from_a_shared_interface_root_field() {
    let (_p, _t, supergraph) = threads().await;
    supergraph
        .query(r#"{ p: node(id: "pr1") { __typename } t: node(id: "th1") { __typename } }"#)
        .await
        .assert_data(json!({ "p": { "__typename": "Profile" }, "t": { "__typename": "Thread" } }));
}

/// corrupted-supergraph-node-id
#[tokio::test]
async fn each_type_condition_goes_to_the_subgraph_that_owns_its_fields() {
    let (_p, _t, supergraph) = threads().await;
    supergraph
        .query(
            r#"{ p: node(id: "pr1") { ... on Profile { id handle } }
                 t: node(id: "th1") { ... on Thread { id body } } }"#,
        )
        .await
        .assert_data(json!({
            "p": { "id": "pr1", "handle": "pr1-handle" },
            "t": { "id": "th1", "body": "th1-body" }
        }));
}

/// corrupted-supergraph-node-id
#[tokio::test]
async fn type_conditions_that_do_not_match_leave_empty_objects() {
    let (_p, _t, supergraph) = threads().await;
    supergraph
        .query(
            r#"{ p: node(id: "pr1") { ... on Thread { id } } t: node(id: "th1") { ... on Profile { id } } }"#,
        )
        .await
        .assert_data(json!({ "p": {}, "t": {} }));
}

/// corrupted-supergraph-node-id
#[tokio::test]
async fn type_conditions_that_do_not_match_beside_the_typename() {
    let (_p, _t, supergraph) = threads().await;
    supergraph
        .query(
            r#"{ p: node(id: "pr1") { __typename ... on Thread { id } }
                 t: node(id: "th1") { __typename ... on Profile { id } } }"#,
        )
        .await
        .assert_data(json!({ "p": { "__typename": "Profile" }, "t": { "__typename": "Thread" } }));
}

/// corrupted-supergraph-node-id
#[tokio::test]
async fn an_unanswerable_interface_field_beside_a_type_condition_is_an_error() {
    let (_p, _t, supergraph) = threads().await;
    let outcome = supergraph
        .query(
            r#"{ p: node(id: "pr1") { id ... on Thread { id } }
                 t: node(id: "th1") { __typename ... on Profile { id } } }"#,
        )
        .await;
    assert_errors_without_data(&outcome);
}

/// corrupted-supergraph-node-id
#[tokio::test]
async fn root_fields_of_one_subgraph_each_beside_the_shared_interface_field() {
    let (_p, _t, supergraph) = threads().await;
    supergraph
        .query(r#"{ thread(id: "th1") { id } }"#)
        .await
        .assert_data(json!({ "thread": { "id": "th1" } }));
    supergraph
        .query(r#"{ profile(id: "pr1") { id } }"#)
        .await
        .assert_data(json!({ "profile": { "id": "pr1" } }));
}

/// corrupted-supergraph-node-id
#[tokio::test]
async fn entity_fields_across_subgraphs_that_hold_each_others_ids_as_external() {
    let (_p, _t, supergraph) = threads().await;
    supergraph
        .query(r#"{ thread(id: "th1") { id body owner { id } } }"#)
        .await
        .assert_data(
            json!({ "thread": { "id": "th1", "body": "th1-body", "owner": { "id": "pr1" } } }),
        );
    supergraph
        .query(r#"{ profile(id: "pr1") { id handle threads { id } } }"#)
        .await
        .assert_data(json!({ "profile": { "id": "pr1", "handle": "pr1-handle", "threads": [{ "id": "th1" }] } }));
}

// ---------------------------------------------------------------------------
// enum-intersection
// ---------------------------------------------------------------------------

async fn member_kinds() -> (Fixture, Fixture, Supergraph) {
    let a = Subgraph::new(
        "kinds-a",
        r#"
        type Query { members: [Member] }
        type Member @key(fields: "id") { id: ID kind: MemberKind @shareable }
        enum MemberKind { STANDARD }
        "#,
    )
    // `GUEST` is not a value of this subgraph's enum: it fails to answer it.
    .root(
        "members",
        json!([
            { "id": "m1", "kind": "STANDARD" },
            { "id": "m2", "kind": { "__error": "MemberKind cannot represent value GUEST" } }
        ]),
    )
    .start()
    .await;
    let b = Subgraph::new(
        "kinds-b",
        r#"
        type Query { membersByKind(kind: MemberKind!): [Member!] membersB: [Member!] }
        extend type Member @key(fields: "id") { id: ID kind: MemberKind @shareable }
        enum MemberKind { GUEST @inaccessible STANDARD }
        "#,
    )
    .root_with_args(
        "membersByKind",
        json!({ "kind": "STANDARD" }),
        json!([{ "id": "m1", "kind": "STANDARD" }]),
    )
    .root_with_args(
        "membersByKind",
        json!({ "kind": "GUEST" }),
        json!([{ "id": "m2", "kind": "GUEST" }]),
    )
    .root(
        "membersB",
        json!([{ "id": "m1", "kind": "STANDARD" }, { "id": "m2", "kind": "GUEST" }]),
    )
    .start()
    .await;
    // Ours refuses an enum used as input and output whose values differ.
    let supergraph = Supergraph::from_apollo(
        &[&a, &b],
        r#"
        type Query @join__type(graph: KINDS_A) @join__type(graph: KINDS_B) {
          members: [Member] @join__field(graph: KINDS_A)
          membersByKind(kind: MemberKind!): [Member!] @join__field(graph: KINDS_B)
          membersB: [Member!] @join__field(graph: KINDS_B)
        }
        type Member @join__type(graph: KINDS_A, key: "id") @join__type(graph: KINDS_B, key: "id", extension: true) {
          id: ID
          kind: MemberKind
        }
        enum MemberKind @join__type(graph: KINDS_A) @join__type(graph: KINDS_B) {
          GUEST @join__enumValue(graph: KINDS_B) @inaccessible
          STANDARD @join__enumValue(graph: KINDS_A) @join__enumValue(graph: KINDS_B)
        }
        "#,
    )
    .await;
    (a, b, supergraph)
}

/// enum-intersection
#[tokio::test]
async fn an_enum_shared_with_an_inaccessible_value_answers_its_other_values() {
    let (_a, _b, supergraph) = member_kinds().await;
    supergraph
        .query("{ members { id } }")
        .await
        .assert_data(json!({ "members": [{ "id": "m1" }, { "id": "m2" }] }));
    supergraph
        .query("{ members { id kind } }")
        .await
        .assert_data_with_errors(json!({ "members": [
            { "id": "m1", "kind": "STANDARD" }, { "id": "m2", "kind": null }
        ] }));
    assert_data_any_errors(
        &supergraph.query("{ membersB { id kind } }").await,
        json!({ "membersB": [{ "id": "m1", "kind": "STANDARD" }, { "id": "m2", "kind": null }] }),
    );
    supergraph
        .query("{ membersByKind(kind: STANDARD) { id kind } }")
        .await
        .assert_data(json!({ "membersByKind": [{ "id": "m1", "kind": "STANDARD" }] }));
    assert_errors_without_data(
        &supergraph
            .query("{ membersByKind(kind: GUEST) { id kind } }")
            .await,
    );
}

// ---------------------------------------------------------------------------
// fed2-external-extends, fed2-external-extension, mysterious-external
// ---------------------------------------------------------------------------

async fn names_subgraph(shareable: bool) -> Fixture {
    let sdl = format!(
        r#"
        type Query {{ personById(id: ID): Person }}
        type Person @key(fields: "id") {{ id: ID! fullName: String! {} nick: String }}
        "#,
        if shareable { "@shareable" } else { "" }
    );
    let people = json!([
        { "id": "u1", "fullName": "Una One", "nick": "u1-nick" },
        { "id": "u2", "fullName": "Ugo Two", "nick": "u2-nick" }
    ]);
    Subgraph::new("names", &sdl)
        .root_with_args("personById", json!({ "id": "u2" }), people[1].clone())
        .entities("Person", people)
        .start()
        .await
}

async fn check_person_extension(supergraph: &Supergraph) {
    supergraph
        .query(r#"{ someone { id fullName } personById(id: "u2") { id fullName nick } }"#)
        .await
        .assert_data(json!({
            "someone": { "id": "u1", "fullName": "Una One" },
            "personById": { "id": "u2", "fullName": "Ugo Two", "nick": "u2-nick" }
        }));
    supergraph
        .query("{ someone { id rid } }")
        .await
        .assert_data(json!({ "someone": { "id": "u1", "rid": "u1-rid" } }));
}

/// fed2-external-extends
#[tokio::test]
async fn a_type_marked_extends_with_an_external_key_resolves_its_key_locally() {
    let ids = Subgraph::new(
        "ids",
        r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@extends", "@provides"])
        type Query { someone: Person providedSomeone: Person @provides(fields: "fullName") }
        type Person @key(fields: "id") @extends { id: ID! @external fullName: String! @external rid: ID }
        "#,
    )
    .root("someone", json!({ "id": "u1", "rid": "u1-rid", "fullName": "never" }))
    .entities("Person", json!([{ "id": "u1", "rid": "u1-rid" }]))
    .start()
    .await;
    let names = names_subgraph(true).await;
    let supergraph = Supergraph::new(&[&ids, &names]).await;
    check_person_extension(&supergraph).await;
}

/// fed2-external-extension
#[tokio::test]
async fn a_type_extension_with_an_external_key_resolves_its_key_locally() {
    let ids = Subgraph::new(
        "ids",
        r#"
        type Query { someone: Person }
        extend type Person @key(fields: "id") { id: ID! @external rid: ID }
        "#,
    )
    .root("someone", json!({ "id": "u1", "rid": "u1-rid" }))
    .entities("Person", json!([{ "id": "u1", "rid": "u1-rid" }]))
    .start()
    .await;
    let names = names_subgraph(false).await;
    let supergraph = Supergraph::new(&[&ids, &names]).await;
    check_person_extension(&supergraph).await;
}

/// mysterious-external
#[tokio::test]
async fn an_external_key_of_an_extension_is_sent_as_the_key_both_ways() {
    let costs = Subgraph::new(
        "costs",
        r#"
        extend type Gadget @key(fields: "id") { id: ID! @external cost: Float }
        type Query { cheapest: Gadget }
        "#,
    )
    .root("cheapest", json!({ "id": "1", "cost": 100.0 }))
    .entities(
        "Gadget",
        json!([{ "id": "1", "cost": 100.0 }, { "id": "2", "cost": 200.0 }]),
    )
    .start()
    .await;
    let gadgets = Subgraph::new(
        "gadgets",
        r#"
        type Gadget @key(fields: "id") { id: ID! label: String! }
        type Query { gadgets: [Gadget!]! }
        "#,
    )
    .root(
        "gadgets",
        json!([{ "id": "1", "label": "one" }, { "id": "2", "label": "two" }]),
    )
    .entities(
        "Gadget",
        json!([{ "id": "1", "label": "one" }, { "id": "2", "label": "two" }]),
    )
    .start()
    .await;
    let supergraph = Supergraph::new(&[&costs, &gadgets]).await;
    supergraph
        .query("{ cheapest { id cost label } }")
        .await
        .assert_data(json!({ "cheapest": { "id": "1", "cost": 100.0, "label": "one" } }));
    supergraph
        .query("{ gadgets { label cost id } }")
        .await
        .assert_data(json!({ "gadgets": [
            { "label": "one", "cost": 100.0, "id": "1" },
            { "label": "two", "cost": 200.0, "id": "2" }
        ] }));
}

// ---------------------------------------------------------------------------
// fed1-external-extends, fed1-external-extension, fed1-external-extends-resolvable
// (Federation 1 subgraphs: the supergraph is written as Apollo composes them)
// ---------------------------------------------------------------------------

async fn fed1_ids() -> Fixture {
    Subgraph::new(
        "ids1",
        r#"
        type Query { someone: Person providedSomeone: Person @provides(fields: "fullName") }
        type Person @key(fields: "id") { id: ID! fullName: String! @external rid: ID }
        "#,
    )
    .root(
        "someone",
        json!({ "id": "u1", "rid": "u1-rid", "fullName": "never" }),
    )
    .entities("Person", json!([{ "id": "u1", "rid": "u1-rid" }]))
    .start()
    .await
}

/// fed1-external-extends
#[tokio::test]
async fn a_federation_1_extends_type_with_an_external_key_resolves_its_key_locally() {
    let ids = fed1_ids().await;
    let names = names_subgraph(true).await;
    let supergraph = Supergraph::from_apollo(
        &[&ids, &names],
        r#"
        type Query @join__type(graph: IDS1) @join__type(graph: NAMES) {
          someone: Person @join__field(graph: IDS1)
          providedSomeone: Person @join__field(graph: IDS1, provides: "fullName")
          personById(id: ID): Person @join__field(graph: NAMES)
        }
        type Person @join__type(graph: IDS1, key: "id", extension: true) @join__type(graph: NAMES, key: "id") {
          id: ID!
          fullName: String! @join__field(graph: IDS1, external: true) @join__field(graph: NAMES)
          rid: ID @join__field(graph: IDS1)
          nick: String @join__field(graph: NAMES)
        }
        "#,
    )
    .await;
    check_person_extension(&supergraph).await;
}

/// fed1-external-extension
#[tokio::test]
async fn a_federation_1_type_extension_with_an_external_key_resolves_its_key_locally() {
    let ids = fed1_ids().await;
    let names = names_subgraph(true).await;
    let supergraph = Supergraph::from_apollo(
        &[&ids, &names],
        r#"
        type Query @join__type(graph: IDS1) @join__type(graph: NAMES) {
          someone: Person @join__field(graph: IDS1)
          personById(id: ID): Person @join__field(graph: NAMES)
        }
        type Person @join__type(graph: IDS1, key: "id", extension: true) @join__type(graph: NAMES, key: "id") {
          id: ID!
          rid: ID @join__field(graph: IDS1)
          fullName: String! @join__field(graph: NAMES)
          nick: String @join__field(graph: NAMES)
        }
        "#,
    )
    .await;
    check_person_extension(&supergraph).await;
}

/// fed1-external-extends-resolvable
#[tokio::test]
async fn a_field_of_another_key_is_fetched_through_the_key_the_first_subgraph_can_send() {
    let goods_a = Subgraph::new(
        "goods-a",
        r#"
        type Query { goodInA: Good }
        type Good @key(fields: "id") { id: ID! label: String pid: ID }
        "#,
    )
    .root(
        "goodInA",
        json!({ "id": "g1", "label": "g1-label", "pid": "g1-pid" }),
    )
    .entities(
        "Good",
        json!([{ "id": "g1", "label": "g1-label", "pid": "g1-pid" }]),
    )
    .start()
    .await;
    let goods_b = Subgraph::new(
        "goods-b",
        r#"
        type Query { goodInB: Good }
        type Good @key(fields: "id label") @key(fields: "sku") { id: ID label: String sku: String cost: Float! }
        "#,
    )
    .entities("Good", json!([{ "id": "g1", "label": "g1-label", "sku": "sku1", "cost": 12.3 }]))
    .start()
    .await;
    let supergraph = Supergraph::from_apollo(
        &[&goods_a, &goods_b],
        r#"
        type Query @join__type(graph: GOODS_A) @join__type(graph: GOODS_B) {
          goodInA: Good @join__field(graph: GOODS_A)
          goodInB: Good @join__field(graph: GOODS_B)
        }
        type Good @join__type(graph: GOODS_A, key: "id")
          @join__type(graph: GOODS_B, key: "id label", extension: true)
          @join__type(graph: GOODS_B, key: "sku", extension: true) {
          id: ID @join__field(graph: GOODS_A, type: "ID!") @join__field(graph: GOODS_B, type: "ID")
          label: String
          pid: ID @join__field(graph: GOODS_A)
          sku: String @join__field(graph: GOODS_B)
          cost: Float! @join__field(graph: GOODS_B)
        }
        "#,
    )
    .await;
    supergraph
        .query("{ goodInA { id pid cost sku label } }")
        .await
        .assert_data(json!({ "goodInA": {
            "id": "g1", "pid": "g1-pid", "cost": 12.3, "sku": "sku1", "label": "g1-label"
        } }));
}

// ---------------------------------------------------------------------------
// include-skip
// ---------------------------------------------------------------------------

async fn flagged() -> (Vec<Fixture>, Supergraph) {
    let goods = Subgraph::new(
        "flag-goods",
        r#"
        type Item @key(fields: "id") { id: ID! cost: Float! }
        type Query { item: Item }
        "#,
    )
    .root("item", json!({ "id": "i1", "cost": 699.99 }))
    .entities("Item", json!([{ "id": "i1", "cost": 699.99 }]))
    .start()
    .await;
    let pricey = Subgraph::new(
        "flag-pricey",
        r#"
        type Item @key(fields: "id") { id: ID! cost: Float! @external isPricey: Boolean! @requires(fields: "cost") }
        "#,
    )
    .echo_entities("Item")
    .resolve("Item", "isPricey", |ctx| {
        ctx.get("cost").as_f64().map(|c| json!(c > 500.0)).ok_or_else(|| "cost is missing".to_owned())
    })
    .start()
    .await;
    let needs_pricey = |ctx: &crate::kit::FieldCtx<'_>| -> Result<Value, String> {
        if ctx.get("isPricey").is_boolean() {
            Ok(json!(true))
        } else {
            Err("isPricey is missing".into())
        }
    };
    let flags = Subgraph::new(
        "flag-flags",
        r#"
        type Item @key(fields: "id") {
          id: ID!
          isPricey: Boolean! @external
          shown: Boolean! @requires(fields: "isPricey")
          kept: Boolean! @requires(fields: "isPricey")
          trapInclude: Boolean! @requires(fields: "isPricey")
          trapSkip: Boolean! @requires(fields: "isPricey")
        }
        "#,
    )
    .echo_entities("Item")
    .resolve("Item", "shown", needs_pricey)
    .resolve("Item", "kept", needs_pricey)
    .resolve("Item", "trapInclude", |_| {
        Err("must never be asked for".into())
    })
    .resolve(
        "Item",
        "trapSkip",
        |_| Err("must never be asked for".into()),
    )
    .start()
    .await;
    let supergraph = Supergraph::new(&[&goods, &pricey, &flags]).await;
    (vec![goods, pricey, flags], supergraph)
}

/// include-skip
#[tokio::test]
async fn an_excluded_field_with_a_requires_chain_is_never_fetched() {
    let (f, supergraph) = flagged().await;
    supergraph
        .query("query ($bool: Boolean = false) { item { cost trapInclude @include(if: $bool) } }")
        .await
        .assert_data(json!({ "item": { "cost": 699.99 } }));
    assert_eq!(f[2].request_count(), 0, "nothing is asked of flag-flags");
}

/// include-skip
#[tokio::test]
async fn a_skipped_field_with_a_requires_chain_is_never_fetched() {
    let (f, supergraph) = flagged().await;
    supergraph
        .query("query ($bool: Boolean = true) { item { cost trapSkip @skip(if: $bool) } }")
        .await
        .assert_data(json!({ "item": { "cost": 699.99 } }));
    assert_eq!(f[2].request_count(), 0, "nothing is asked of flag-flags");
}

/// include-skip
#[tokio::test]
async fn an_included_field_with_a_requires_chain_gets_its_requirements() {
    let (_f, supergraph) = flagged().await;
    supergraph
        .query("query ($bool: Boolean = true) { item { cost shown @include(if: $bool) } }")
        .await
        .assert_data(json!({ "item": { "cost": 699.99, "shown": true } }));
}

/// include-skip
#[tokio::test]
async fn a_field_not_skipped_with_a_requires_chain_gets_its_requirements() {
    let (_f, supergraph) = flagged().await;
    supergraph
        .query("query ($bool: Boolean = false) { item { cost kept @skip(if: $bool) } }")
        .await
        .assert_data(json!({ "item": { "cost": 699.99, "kept": true } }));
}

// ---------------------------------------------------------------------------
// input-object-intersection
// ---------------------------------------------------------------------------

/// input-object-intersection
#[tokio::test]
async fn an_input_field_one_subgraph_lacks_is_refused_for_both_subgraphs_fields() {
    let a = Subgraph::new(
        "filter-a",
        r#"
        input PageFilter { first: Int! }
        type Reader @key(fields: "id") { id: ID! name: String! @shareable }
        type Query { readersInA(filter: PageFilter!): [Reader!] }
        "#,
    )
    .root(
        "readersInA",
        json!([{ "id": "r1", "name": "Rae" }, { "id": "r2", "name": "Rex" }]),
    )
    .start()
    .await;
    let b = Subgraph::new(
        "filter-b",
        r#"
        input PageFilter { offset: Int first: Int! }
        type Reader @key(fields: "id") { id: ID! name: String! @shareable }
        type Query { readersInB(filter: PageFilter!): [Reader!] }
        "#,
    )
    .root("readersInB", json!([]))
    .start()
    .await;
    let supergraph = Supergraph::new(&[&a, &b]).await;
    supergraph
        .query("{ readersInA(filter: { first: 1 }) { id } }")
        .await
        .assert_data(json!({ "readersInA": [{ "id": "r1" }, { "id": "r2" }] }));
    for query in [
        "{ readersInA(filter: { first: 1, offset: 2 }) { id } }",
        "{ readersInB(filter: { first: 1, offset: 2 }) { id } }",
    ] {
        let outcome = supergraph.query(query).await;
        assert!(!outcome.errors().is_empty(), "{query}: {:#}", outcome.value);
        assert_eq!(
            a.request_count() + b.request_count(),
            1,
            "{query} reaches no subgraph"
        );
    }
}

// ---------------------------------------------------------------------------
// interface-object-with-requires
// ---------------------------------------------------------------------------

async fn named_people() -> (Fixture, Fixture, Supergraph) {
    let humans = json!([
        { "__typename": "Human", "id": "h1", "label": "h1-label", "years": 11 },
        { "__typename": "Human", "id": "h2", "label": "h2-label", "years": 22 }
    ]);
    let a = Subgraph::new(
        "named-a",
        r#"
        type Query { people: [Named!]! }
        interface Named @key(fields: "id") { id: ID! label: String }
        type Human implements Named @key(fields: "id") { id: ID! label: String years: Int }
        "#,
    )
    .root("people", humans.clone())
    .entities("Human", humans)
    .start()
    .await;
    let b = Subgraph::new(
        "named-b",
        r#"
        type Query { otherPeople: [Named] }
        type Named @key(fields: "id") @interfaceObject {
          id: ID!
          label: String @external
          handle: String @requires(fields: "label")
        }
        "#,
    )
    .root("otherPeople", json!([{ "id": "h1" }, { "id": "h2" }]))
    .echo_entities("Named")
    .resolve("Named", "handle", |ctx| match ctx.get("label").as_str() {
        Some(label) => Ok(json!(label.replace("label", "handle"))),
        None => Err("the required label was not sent".into()),
    })
    .start()
    .await;
    let supergraph = Supergraph::new(&[&a, &b]).await;
    (a, b, supergraph)
}

/// interface-object-with-requires
#[tokio::test]
async fn an_interface_object_field_with_requires_from_either_root() {
    let (_a, _b, supergraph) = named_people().await;
    let both = json!([
        { "id": "h1", "label": "h1-label", "handle": "h1-handle" },
        { "id": "h2", "label": "h2-label", "handle": "h2-handle" }
    ]);
    supergraph
        .query("{ otherPeople { id label handle } }")
        .await
        .assert_data(json!({ "otherPeople": both.clone() }));
    supergraph
        .query("{ people { id label handle } }")
        .await
        .assert_data(json!({ "people": both }));
}

/// interface-object-with-requires
#[tokio::test]
async fn a_concrete_type_condition_under_an_interface_object_root_field() {
    let (_a, _b, supergraph) = named_people().await;
    let years = json!([{ "years": 11 }, { "years": 22 }]);
    supergraph
        .query("{ otherPeople { ... on Human { years } } }")
        .await
        .assert_data(json!({ "otherPeople": years.clone() }));
    supergraph
        .query("{ people { ... on Human { years } } }")
        .await
        .assert_data(json!({ "people": years }));
}

/// interface-object-with-requires
#[tokio::test]
async fn a_required_field_inside_and_outside_a_concrete_type_condition() {
    let (_a, _b, supergraph) = named_people().await;
    let all = json!([
        { "years": 11, "id": "h1", "label": "h1-label", "handle": "h1-handle" },
        { "years": 22, "id": "h2", "label": "h2-label", "handle": "h2-handle" }
    ]);
    supergraph
        .query("{ otherPeople { ... on Human { years id label handle } id label } }")
        .await
        .assert_data(json!({ "otherPeople": all.clone() }));
    supergraph
        .query("{ people { ... on Human { years id label handle } id label } }")
        .await
        .assert_data(json!({ "people": all }));
}

// ---------------------------------------------------------------------------
// keys-mashup
// ---------------------------------------------------------------------------

/// keys-mashup
#[tokio::test]
async fn requires_through_the_only_resolvable_one_of_many_keys() {
    let alpha1 = json!({ "id": "1", "pId": "a.1.p", "name": "a.1",
        "parts": { "one": "a.1.one", "two": "a.1.two", "three": "a.1.three" } });
    let alpha = Subgraph::new(
        "alpha",
        r#"
        type Alpha
          @key(fields: "id", resolvable: true)
          @key(fields: "pId", resolvable: false)
          @key(fields: "parts { one two }", resolvable: false)
          @key(fields: "id parts { two three }", resolvable: false) {
          id: ID!
          pId: ID!
          parts: Composite!
          name: String!
        }
        type Composite { one: ID! two: ID! three: ID! }
        "#,
    )
    .entities("Alpha", json!([alpha1.clone()]))
    .start()
    .await;
    let mut in_beta = alpha1.clone();
    in_beta.as_object_mut().unwrap().remove("name");
    let beta = Subgraph::new(
        "beta",
        r#"
        type Query { beta: Beta }
        type Beta @key(fields: "id") { id: ID! alphas: [Alpha!]! }
        type Alpha
          @key(fields: "parts { one two }", resolvable: false)
          @key(fields: "id parts { two three }", resolvable: true)
          @key(fields: "pId", resolvable: false)
          @key(fields: "id", resolvable: false) {
          id: ID!
          pId: ID!
          parts: Composite!
          name: String! @external
          nameInBeta: String! @requires(fields: "name")
        }
        type Composite { one: ID! two: ID! three: ID! }
        "#,
    )
    .root("beta", json!({ "id": "100", "alphas": [in_beta] }))
    .echo_entities("Alpha")
    .resolve("Alpha", "nameInBeta", |ctx| {
        match ctx.get("name").as_str() {
            Some(name) => Ok(json!(format!("beta:{name}"))),
            None => Err("Alpha.name was not sent".into()),
        }
    })
    .start()
    .await;
    // Ours wants `@shareable` on the key's nested fields; Apollo does not.
    let supergraph = Supergraph::from_apollo(
        &[&alpha, &beta],
        r#"
        type Query @join__type(graph: ALPHA) @join__type(graph: BETA) {
          beta: Beta @join__field(graph: BETA)
        }
        type Beta @join__type(graph: BETA, key: "id") {
          id: ID!
          alphas: [Alpha!]!
        }
        type Alpha
          @join__type(graph: ALPHA, key: "id")
          @join__type(graph: ALPHA, key: "pId", resolvable: false)
          @join__type(graph: ALPHA, key: "parts { one two }", resolvable: false)
          @join__type(graph: ALPHA, key: "id parts { two three }", resolvable: false)
          @join__type(graph: BETA, key: "parts { one two }", resolvable: false)
          @join__type(graph: BETA, key: "id parts { two three }")
          @join__type(graph: BETA, key: "pId", resolvable: false)
          @join__type(graph: BETA, key: "id", resolvable: false) {
          id: ID!
          pId: ID!
          parts: Composite!
          name: String! @join__field(graph: ALPHA) @join__field(graph: BETA, external: true)
          nameInBeta: String! @join__field(graph: BETA, requires: "name")
        }
        type Composite @join__type(graph: ALPHA) @join__type(graph: BETA) {
          one: ID!
          two: ID!
          three: ID!
        }
        "#,
    )
    .await;
    supergraph
        .query("{ beta { id alphas { id name nameInBeta } } }")
        .await
        .assert_data(json!({ "beta": { "id": "100", "alphas": [
            { "id": "1", "name": "a.1", "nameInBeta": "beta:a.1" }
        ] } }));
}

// ---------------------------------------------------------------------------
// mutations
// ---------------------------------------------------------------------------

/// mutations
#[tokio::test]
async fn a_mutation_result_entity_is_completed_with_a_requires_field() {
    let store = Subgraph::new(
        "store",
        r#"
        type Mutation { addItem(input: NewItem!): Item! }
        type Query { item(id: ID!): Item! items: [Item!]! }
        input NewItem { name: String! cost: Float! }
        type Item @key(fields: "id") { id: ID! name: String! cost: Float! }
        "#,
    )
    .resolve("Mutation", "addItem", |ctx| {
        let input = ctx.arg("input");
        Ok(json!({ "id": "i9", "name": input["name"], "cost": input["cost"] }))
    })
    .root_with_args(
        "item",
        json!({ "id": "i1" }),
        json!({ "id": "i1", "name": "i1-name", "cost": 9.99 }),
    )
    .entities(
        "Item",
        json!([{ "id": "i1", "name": "i1-name", "cost": 9.99 }]),
    )
    .start()
    .await;
    let stock = Subgraph::new(
        "stock",
        r#"
        type Item @key(fields: "id") {
          id: ID!
          cost: Float! @external
          isPricey: Boolean! @requires(fields: "cost")
          inStore: Boolean!
        }
        "#,
    )
    .echo_entities("Item")
    .resolve("Item", "inStore", |_| Ok(json!(true)))
    .resolve("Item", "isPricey", |ctx| {
        ctx.get("cost")
            .as_f64()
            .map(|c| json!(c > 100.0))
            .ok_or_else(|| "cost was not sent".to_owned())
    })
    .start()
    .await;
    let supergraph = Supergraph::new(&[&store, &stock]).await;
    supergraph
        .query(r#"mutation { addItem(input: { name: "new", cost: 599.99 }) { name cost isPricey inStore } }"#)
        .await
        .assert_data(json!({ "addItem": { "name": "new", "cost": 599.99, "isPricey": true, "inStore": true } }));
    supergraph
        .query(r#"{ item(id: "i1") { id name cost isPricey inStore } }"#)
        .await
        .assert_data(json!({ "item": {
            "id": "i1", "name": "i1-name", "cost": 9.99, "isPricey": false, "inStore": true
        } }));
}

/// mutations
#[tokio::test]
async fn aliased_mutation_fields_alternating_between_three_subgraphs_run_in_order() {
    let total = Arc::new(Mutex::new(0i64));
    let (t1, t2, t3) = (total.clone(), total.clone(), total.clone());
    let calc_a = Subgraph::new(
        "calc-a",
        r#"
        type Mutation { times(by: Int!, runId: String!): Int! }
        type Query { ping: Int }
        "#,
    )
    .resolve("Mutation", "times", move |ctx| {
        let mut t = t1.lock().unwrap();
        *t *= ctx.arg("by").as_i64().unwrap_or(1);
        Ok(json!(*t))
    })
    .start()
    .await;
    let calc_b = Subgraph::new(
        "calc-b",
        r#"
        type Mutation { reset(runId: String!): Int! }
        "#,
    )
    .resolve("Mutation", "reset", move |_| {
        let mut t = t2.lock().unwrap();
        let was = *t;
        *t = 0;
        Ok(json!(was))
    })
    .start()
    .await;
    let calc_c = Subgraph::new(
        "calc-c",
        r#"
        type Mutation { plus(num: Int!, runId: String!): Int! }
        "#,
    )
    .resolve("Mutation", "plus", move |ctx| {
        let mut t = t3.lock().unwrap();
        *t += ctx.arg("num").as_i64().unwrap_or(0);
        Ok(json!(*t))
    })
    .start()
    .await;
    let supergraph = Supergraph::new(&[&calc_a, &calc_b, &calc_c]).await;
    supergraph
        .query(
            r#"mutation {
              five: plus(num: 5, runId: "r1")
              ten: times(by: 2, runId: "r1")
              twelve: plus(num: 2, runId: "r1")
              final: reset(runId: "r1")
            }"#,
        )
        .await
        .assert_data(json!({ "five": 5, "ten": 10, "twelve": 12, "final": 12 }));
}

// ---------------------------------------------------------------------------
// nested-provides
// ---------------------------------------------------------------------------

/// nested-provides
#[tokio::test]
async fn a_nested_provides_through_lists_answers_everything_from_one_subgraph() {
    let group =
        |id: &str, name: &str, subs: Value| json!({ "id": id, "name": name, "subGroups": subs });
    let g = |id: &str, name: &str| json!({ "id": id, "name": name });
    let every = Subgraph::new(
        "every-item",
        r#"
        type Item @key(fields: "id") { id: ID! }
        "#,
    )
    .entities("Item", json!([{ "id": "i1" }, { "id": "i2" }]))
    .start()
    .await;
    let groups = Subgraph::new(
        "groups",
        r#"
        type Query {
          items: [Item] @shareable @provides(fields: "groups { id name subGroups { id name } }")
        }
        type Item @key(fields: "id") { id: ID! groups: [Group] @external }
        type Group @key(fields: "id") { id: ID! name: String subGroups: [Group] @external }
        "#,
    )
    .root(
        "items",
        json!([
            { "id": "i1", "groups": [group("g1", "Group 1", json!([g("g2", "Group 2")])),
                                     group("g2", "Group 2", json!([g("g3", "Group 3")]))] },
            { "id": "i2", "groups": [group("g3", "Group 3", json!([g("g1", "Group 1")])),
                                     group("g2", "Group 2", json!([g("g3", "Group 3")]))] }
        ]),
    )
    .start()
    .await;
    let subgroups = Subgraph::new(
        "subgroups",
        r#"
        type Item @key(fields: "id") { id: ID! groups: [Group] @shareable }
        type Group @key(fields: "id") { id: ID! subGroups: [Group] @shareable }
        "#,
    )
    .start()
    .await;
    let supergraph = Supergraph::new(&[&every, &groups, &subgroups]).await;
    supergraph
        .query("{ items { id groups { id name } } }")
        .await
        .assert_data(json!({ "items": [
            { "id": "i1", "groups": [g("g1", "Group 1"), g("g2", "Group 2")] },
            { "id": "i2", "groups": [g("g3", "Group 3"), g("g2", "Group 2")] }
        ] }));
    supergraph
        .query("{ items { id groups { id name subGroups { id name } } } }")
        .await
        .assert_data(json!({ "items": [
            { "id": "i1", "groups": [group("g1", "Group 1", json!([g("g2", "Group 2")])),
                                     group("g2", "Group 2", json!([g("g3", "Group 3")]))] },
            { "id": "i2", "groups": [group("g3", "Group 3", json!([g("g1", "Group 1")])),
                                     group("g2", "Group 2", json!([g("g3", "Group 3")]))] }
        ] }));
    assert_eq!(every.request_count(), 0, "provided: no entity fetch");
    assert_eq!(subgroups.request_count(), 0, "provided: no entity fetch");
}

// ---------------------------------------------------------------------------
// nested-requires
// ---------------------------------------------------------------------------

/// nested-requires
#[tokio::test]
async fn two_fields_require_a_field_that_itself_requires_a_field() {
    let users1 = Subgraph::new(
        "users1",
        r#"
        type Account @key(fields: "id") { id: ID! first: String! last: String! address: String }
        type Query { account: Account }
        "#,
    )
    .root(
        "account",
        json!({ "id": "1", "first": "Jo", "last": "Doe", "address": "here" }),
    )
    .entities(
        "Account",
        json!([{ "id": "1", "first": "Jo", "last": "Doe", "address": "here" }]),
    )
    .start()
    .await;
    let needs_orders = |value: i64| {
        move |ctx: &crate::kit::FieldCtx<'_>| -> Result<Value, String> {
            if ctx.get("orders").is_array() {
                Ok(json!(value))
            } else {
                Err("orders were not sent".into())
            }
        }
    };
    let users2 = Subgraph::new(
        "users2",
        r#"
        type Order @key(fields: "id", resolvable: false) { id: ID! }
        type Account @key(fields: "id") {
          id: ID!
          orders: [Order!] @external
          totalPrices: Int @requires(fields: "orders { id }")
          byStatus: Int @requires(fields: "orders { id }")
        }
        "#,
    )
    .echo_entities("Account")
    .resolve("Account", "totalPrices", needs_orders(0))
    .resolve("Account", "byStatus", needs_orders(1))
    .start()
    .await;
    let users3 = Subgraph::new(
        "users3",
        r#"
        type Order @key(fields: "id") { id: ID! }
        type Account @key(fields: "id") { id: ID! last: String! @external orders: [Order!] @requires(fields: "last") }
        "#,
    )
    .echo_entities("Account")
    .resolve("Account", "orders", |ctx| match ctx.get("last").as_str() {
        Some(last) => Ok(json!([{ "id": format!("{last}1") }])),
        None => Err("last was not sent".into()),
    })
    .start()
    .await;
    let supergraph = Supergraph::new(&[&users1, &users2, &users3]).await;
    supergraph
        .query("{ account { byStatus totalPrices } }")
        .await
        .assert_data(json!({ "account": { "byStatus": 1, "totalPrices": 0 } }));
}

// ---------------------------------------------------------------------------
// node
// ---------------------------------------------------------------------------

/// node
#[tokio::test]
async fn an_interface_root_field_is_completed_from_a_third_subgraph_with_a_shareable_type() {
    let nodes = Subgraph::new(
        "nodes",
        r#"
        type Query { gadgetNode: Node shelfNode: Node }
        interface Node { id: ID! }
        type Gadget implements Node @key(fields: "id") { id: ID! }
        type Shelf implements Node @key(fields: "id") { id: ID! }
        "#,
    )
    .root("gadgetNode", json!({ "__typename": "Gadget", "id": "g-1" }))
    .root("shelfNode", json!({ "__typename": "Shelf", "id": "s-1" }))
    .start()
    .await;
    let nodes_two = Subgraph::new(
        "nodes-two",
        r#"
        interface Node { id: ID! }
        type Gadget implements Node @key(fields: "id") { id: ID! }
        type Shelf implements Node @key(fields: "id") { id: ID! }
        "#,
    )
    .entities("Gadget", json!([{ "id": "g-1" }]))
    .start()
    .await;
    let types = Subgraph::new(
        "types",
        r#"
        interface Node { id: ID! }
        type Gadget implements Node @key(fields: "id") @shareable { id: ID! name: String! price: Float! }
        type Shelf implements Node @key(fields: "id") { id: ID! name: String! }
        "#,
    )
    .entities("Gadget", json!([{ "id": "g-1", "name": "Gadget 1", "price": 10.0 }]))
    .entities("Shelf", json!([{ "id": "s-1", "name": "Shelf 1" }]))
    .start()
    .await;
    // Ours wants every subgraph's `Gadget` to have the shareable fields.
    let supergraph = Supergraph::from_apollo(
        &[&nodes, &nodes_two, &types],
        r#"
        type Query @join__type(graph: NODES) @join__type(graph: NODES_TWO) @join__type(graph: TYPES) {
          gadgetNode: Node @join__field(graph: NODES)
          shelfNode: Node @join__field(graph: NODES)
        }
        interface Node @join__type(graph: NODES) @join__type(graph: NODES_TWO) @join__type(graph: TYPES) {
          id: ID!
        }
        type Gadget implements Node
          @join__implements(graph: NODES, interface: "Node") @join__implements(graph: NODES_TWO, interface: "Node")
          @join__implements(graph: TYPES, interface: "Node")
          @join__type(graph: NODES, key: "id") @join__type(graph: NODES_TWO, key: "id") @join__type(graph: TYPES, key: "id") {
          id: ID!
          name: String! @join__field(graph: TYPES)
          price: Float! @join__field(graph: TYPES)
        }
        type Shelf implements Node
          @join__implements(graph: NODES, interface: "Node") @join__implements(graph: NODES_TWO, interface: "Node")
          @join__implements(graph: TYPES, interface: "Node")
          @join__type(graph: NODES, key: "id") @join__type(graph: NODES_TWO, key: "id") @join__type(graph: TYPES, key: "id") {
          id: ID!
          name: String! @join__field(graph: TYPES)
        }
        "#,
    )
    .await;
    supergraph
        .query("{ gadgetNode { ... on Gadget { id name __typename price } } }")
        .await
        .assert_data(json!({ "gadgetNode": {
            "id": "g-1", "name": "Gadget 1", "__typename": "Gadget", "price": 10.0
        } }));
}

// ---------------------------------------------------------------------------
// non-resolvable-interface-object
// ---------------------------------------------------------------------------

async fn unresolvable_things() -> (Fixture, Fixture, Supergraph) {
    let a = Subgraph::new(
        "things-a",
        r#"
        interface Thing @key(fields: "id") { id: ID! }
        type Goods @key(fields: "id", resolvable: false) @interfaceObject { id: ID! }
        type Query { thingA: Thing goods: Goods! }
        "#,
    )
    .root(
        "thingA",
        json!({ "__error": "no type in this subgraph implements Thing" }),
    )
    .root("goods", json!({ "id": "p1" }))
    .start()
    .await;
    let b = Subgraph::new(
        "things-b",
        r#"
        type Thing @key(fields: "id", resolvable: false) @interfaceObject { id: ID! field: String }
        interface Goods @key(fields: "id") { id: ID! }
        type Bun implements Goods @key(fields: "id") { id: ID! name: String! }
        type Query { thingB: Thing }
        "#,
    )
    .root("thingB", json!({ "id": "n1", "field": "foo" }))
    .entities("Bun", json!([{ "id": "p1", "name": "Bun" }]))
    .start()
    .await;
    let supergraph = Supergraph::new(&[&a, &b]).await;
    (a, b, supergraph)
}

/// non-resolvable-interface-object
#[tokio::test]
async fn fields_of_a_non_resolvable_interface_object_without_type_conditions_come_from_it() {
    let (_a, _b, supergraph) = unresolvable_things().await;
    supergraph
        .query("{ thingB { id field } }")
        .await
        .assert_data(json!({ "thingB": { "id": "n1", "field": "foo" } }));
    supergraph
        .query("{ thingB { id } }")
        .await
        .assert_data(json!({ "thingB": { "id": "n1" } }));
}

/// non-resolvable-interface-object
#[tokio::test]
async fn a_field_only_a_non_resolvable_interface_object_has_cannot_be_planned() {
    let (_a, _b, supergraph) = unresolvable_things().await;
    assert_errors_without_data(&supergraph.query("{ thingA { field } }").await);
}

/// non-resolvable-interface-object
#[tokio::test]
async fn an_interface_without_implementations_in_its_subgraph_cannot_be_completed() {
    let (_a, _b, supergraph) = unresolvable_things().await;
    supergraph
        .query("{ thingA { id } }")
        .await
        .assert_data_with_errors(json!({ "thingA": null }));
}

/// non-resolvable-interface-object
#[tokio::test]
async fn a_non_resolvable_interface_object_root_field_answers_its_own_key() {
    let (_a, _b, supergraph) = unresolvable_things().await;
    supergraph
        .query("{ goods { id } }")
        .await
        .assert_data(json!({ "goods": { "id": "p1" } }));
    let outcome = supergraph.query("{ goods { id name } }").await;
    assert!(!outcome.errors().is_empty(), "{:#}", outcome.value);
}

/// non-resolvable-interface-object
#[tokio::test]
async fn a_type_condition_under_a_non_resolvable_interface_object_asks_the_interfaces_subgraph() {
    let (_a, _b, supergraph) = unresolvable_things().await;
    let outcome = supergraph.query("{ goods { ... on Bun { id } } }").await;
    outcome.assert_data(json!({ "goods": { "id": "p1" } }));
    // things-a knows only the interface's name: things-b says what type it is.
    insta::assert_snapshot!(
        "type_condition_under_a_non_resolvable_interface_object",
        outcome.plan
    );
}

// ---------------------------------------------------------------------------
// null-keys
// ---------------------------------------------------------------------------

/// null-keys
#[tokio::test]
async fn an_intermediate_entity_fetch_answering_null_stops_the_chain_for_that_item() {
    let a = Subgraph::new(
        "crates",
        r#"
        type Query { crates: [Crate] }
        type Crate { tome: Tome }
        type Tome @key(fields: "code") { code: ID! }
        "#,
    )
    .root(
        "crates",
        json!([{ "tome": { "code": "c1" } }, { "tome": { "code": "c2" } }, { "tome": { "code": "c3" } }]),
    )
    .start()
    .await;
    // c3 is unknown here: its entity is null, so its `id` never exists.
    let b = Subgraph::new(
        "tome-ids",
        r#"
        type Tome @key(fields: "id") @key(fields: "code") { id: ID! code: ID! }
        "#,
    )
    .entities(
        "Tome",
        json!([{ "id": "1", "code": "c1" }, { "id": "2", "code": "c2" }]),
    )
    .start()
    .await;
    let c = Subgraph::new(
        "tome-writers",
        r#"
        type Tome @key(fields: "id") { id: ID! writer: Writer }
        type Writer { id: ID! name: String }
        "#,
    )
    .entities(
        "Tome",
        json!([
            { "id": "1", "writer": { "id": "w1", "name": "Alice" } },
            { "id": "2", "writer": { "id": "w2", "name": "Bob" } },
            { "id": "3", "writer": { "id": "w3", "name": "Jack" } }
        ]),
    )
    .start()
    .await;
    let supergraph = Supergraph::new(&[&a, &b, &c]).await;
    assert_data_any_errors(
        &supergraph
            .query("{ crates { tome { code writer { name } } } }")
            .await,
        json!({ "crates": [
            { "tome": { "code": "c1", "writer": { "name": "Alice" } } },
            { "tome": { "code": "c2", "writer": { "name": "Bob" } } },
            { "tome": { "code": "c3", "writer": null } }
        ] }),
    );
}

// ---------------------------------------------------------------------------
// override-type-interface
// ---------------------------------------------------------------------------

async fn posts_with_override() -> (Fixture, Fixture, Supergraph) {
    let a = Subgraph::new(
        "posts-a",
        r#"
        interface Post { id: ID! createdAt: String! }
        type PhotoPost implements Post @key(fields: "id") { id: ID! createdAt: String! }
        type Query { feed: [Post] }
        "#,
    )
    .root(
        "feed",
        json!([
            { "__typename": "PhotoPost", "id": "i1", "createdAt": "STALE" },
            { "__typename": "PhotoPost", "id": "i2", "createdAt": "STALE" }
        ]),
    )
    .start()
    .await;
    let b = Subgraph::new(
        "posts-b",
        r#"
        interface Post { id: ID! createdAt: String! }
        type TextPost implements Post @key(fields: "id") { id: ID! createdAt: String! body: String! }
        interface OtherPost { id: ID! createdAt: String! }
        type PhotoPost implements OtherPost @key(fields: "id") { id: ID! createdAt: String! @override(from: "posts-a") }
        type Query { otherFeed: [OtherPost] }
        "#,
    )
    .root(
        "otherFeed",
        json!([
            { "__typename": "PhotoPost", "id": "i1", "createdAt": "i1-createdAt" },
            { "__typename": "PhotoPost", "id": "i2", "createdAt": "i2-createdAt" }
        ]),
    )
    .entities(
        "PhotoPost",
        json!([{ "id": "i1", "createdAt": "i1-createdAt" }, { "id": "i2", "createdAt": "i2-createdAt" }]),
    )
    .start()
    .await;
    let supergraph = Supergraph::new(&[&a, &b]).await;
    (a, b, supergraph)
}

/// override-type-interface
#[tokio::test]
async fn an_interface_field_overridden_on_an_implementation_is_fetched_from_the_new_owner() {
    let (_a, _b, supergraph) = posts_with_override().await;
    supergraph
        .query("{ feed { id createdAt } }")
        .await
        .assert_data(json!({ "feed": [
            { "id": "i1", "createdAt": "i1-createdAt" }, { "id": "i2", "createdAt": "i2-createdAt" }
        ] }));
}

/// override-type-interface
#[tokio::test]
async fn a_type_condition_on_an_implementation_the_root_subgraph_lacks_gives_empty_objects() {
    let (_a, _b, supergraph) = posts_with_override().await;
    supergraph
        .query("{ feed { ... on TextPost { id body } } }")
        .await
        .assert_data(json!({ "feed": [{}, {}] }));
}

/// override-type-interface
#[tokio::test]
async fn an_overridden_field_through_another_interface_in_the_new_owner() {
    let (_a, _b, supergraph) = posts_with_override().await;
    supergraph
        .query("{ otherFeed { createdAt } }")
        .await
        .assert_data(json!({ "otherFeed": [{ "createdAt": "i1-createdAt" }, { "createdAt": "i2-createdAt" }] }));
    supergraph
        .query("{ otherFeed { createdAt id ... on PhotoPost { createdAt id } } }")
        .await
        .assert_data(json!({ "otherFeed": [
            { "createdAt": "i1-createdAt", "id": "i1" }, { "createdAt": "i2-createdAt", "id": "i2" }
        ] }));
}

// ---------------------------------------------------------------------------
// override-with-requires
// ---------------------------------------------------------------------------

async fn overridden_names() -> (Vec<Fixture>, Supergraph) {
    let names = json!([
        { "id": "u1", "name": "u1-name" }, { "id": "u2", "name": "u2-name" }, { "id": "u3", "name": "u3-name" }
    ]);
    let prefixed = |prefix: &'static str| {
        move |ctx: &crate::kit::FieldCtx<'_>| -> Result<Value, String> {
            match ctx.get("name").as_str() {
                Some(name) if name != "NEVER" => Ok(json!(format!("{prefix}__{name}"))),
                other => Err(format!("name was not sent: {other:?}")),
            }
        }
    };
    let a = Subgraph::new(
        "ow-a",
        r#"
        type User @key(fields: "id") { id: ID! name: String! @external aName: String! @requires(fields: "name") }
        type Query { userInA: User }
        "#,
    )
    .root("userInA", json!({ "id": "u1", "name": "NEVER" }))
    .echo_entities("User")
    .resolve("User", "aName", prefixed("a"))
    .start()
    .await;
    let b = Subgraph::new(
        "ow-b",
        r#"
        type User @key(fields: "id") { id: ID! name: String! @override(from: "ow-c") }
        type Query { userInB: User }
        "#,
    )
    .root("userInB", names[1].clone())
    .entities("User", names.clone())
    .start()
    .await;
    let c = Subgraph::new(
        "ow-c",
        r#"
        type User @key(fields: "id") { id: ID! name: String! @external cName: String! @requires(fields: "name") }
        type Query { userInC: User }
        "#,
    )
    .root("userInC", json!({ "id": "u3", "name": "NEVER" }))
    .echo_entities("User")
    .resolve("User", "cName", prefixed("c"))
    .start()
    .await;
    let supergraph = Supergraph::new(&[&a, &b, &c]).await;
    (vec![a, b, c], supergraph)
}

/// override-with-requires
#[tokio::test]
async fn a_field_overridden_from_a_subgraph_that_only_requires_it_is_fetched_from_the_owner() {
    let (_f, supergraph) = overridden_names().await;
    let user = |n: u8| {
        json!({ "id": format!("u{n}"), "name": format!("u{n}-name"),
        "aName": format!("a__u{n}-name"), "cName": format!("c__u{n}-name") })
    };
    supergraph
        .query("{ userInA { id name aName cName } userInB { id name aName cName } userInC { id name aName cName } }")
        .await
        .assert_data(json!({ "userInA": user(1), "userInB": user(2), "userInC": user(3) }));
    supergraph
        .query("{ userInC { cName } }")
        .await
        .assert_data(json!({ "userInC": { "cName": "c__u3-name" } }));
    supergraph
        .query("{ userInA { cName } }")
        .await
        .assert_data(json!({ "userInA": { "cName": "c__u1-name" } }));
    supergraph
        .query("{ userInA { aName } }")
        .await
        .assert_data(json!({ "userInA": { "aName": "a__u1-name" } }));
}

// ---------------------------------------------------------------------------
// parent-entity-call
// ---------------------------------------------------------------------------

/// parent-entity-call
#[tokio::test]
async fn a_value_type_field_only_one_subgraph_has_is_fetched_through_the_parent_entity() {
    let articles = json!([
        { "id": "p1", "pid": "p1-pid", "section": { "id": "c1", "name": "c1-name" } },
        { "id": "p2", "pid": "p2-pid", "section": { "id": "c2", "name": "c2-name" } },
        { "id": "p3", "pid": "p3-pid", "section": { "id": "c1", "name": "c1-name" } }
    ]);
    let a = Subgraph::new(
        "pe-a",
        r#"
        type Query { articles: [Article!]! }
        type Article @key(fields: "id") @key(fields: "id pid") { id: ID! pid: ID! section: Section @shareable }
        type Section @key(fields: "id") { id: ID! name: String! @shareable }
        "#,
    )
    .root("articles", articles.clone())
    .entities("Article", articles.clone())
    .start()
    .await;
    let b = Subgraph::new(
        "pe-b",
        r#"
        type Article @key(fields: "id pid") { id: ID! pid: ID! section: Section @shareable }
        type Section @key(fields: "id") { id: ID! name: String! @shareable }
        "#,
    )
    .entities("Article", articles.clone())
    .start()
    .await;
    let stats = |n: i64| json!({ "stats": { "articles": n } });
    let c = Subgraph::new(
        "pe-c",
        r#"
        type Section { stats: SectionStats }
        type Article @key(fields: "id pid") { id: ID! pid: ID! section: Section @shareable }
        type SectionStats { articles: Int }
        "#,
    )
    .entities(
        "Article",
        json!([
            { "id": "p1", "pid": "p1-pid", "section": stats(2) },
            { "id": "p2", "pid": "p2-pid", "section": stats(1) },
            { "id": "p3", "pid": "p3-pid", "section": stats(2) }
        ]),
    )
    .start()
    .await;
    // `Section` is an entity in two subgraphs and a value type in the third.
    let supergraph = Supergraph::from_apollo(
        &[&a, &b, &c],
        r#"
        type Query @join__type(graph: PE_A) @join__type(graph: PE_B) @join__type(graph: PE_C) {
          articles: [Article!]! @join__field(graph: PE_A)
        }
        type Article @join__type(graph: PE_A, key: "id") @join__type(graph: PE_A, key: "id pid")
          @join__type(graph: PE_B, key: "id pid") @join__type(graph: PE_C, key: "id pid") {
          id: ID!
          pid: ID!
          section: Section
        }
        type Section @join__type(graph: PE_A, key: "id") @join__type(graph: PE_B, key: "id") @join__type(graph: PE_C) {
          id: ID! @join__field(graph: PE_A) @join__field(graph: PE_B)
          name: String! @join__field(graph: PE_A) @join__field(graph: PE_B)
          stats: SectionStats @join__field(graph: PE_C)
        }
        type SectionStats @join__type(graph: PE_C) {
          articles: Int
        }
        "#,
    )
    .await;
    supergraph
        .query("{ articles { id section { id stats { articles } } } }")
        .await
        .assert_data(json!({ "articles": [
            { "id": "p1", "section": { "id": "c1", "stats": { "articles": 2 } } },
            { "id": "p2", "section": { "id": "c2", "stats": { "articles": 1 } } },
            { "id": "p3", "section": { "id": "c1", "stats": { "articles": 2 } } }
        ] }));
}

// ---------------------------------------------------------------------------
// parent-entity-call-complex
// ---------------------------------------------------------------------------

/// parent-entity-call-complex
#[tokio::test]
async fn value_type_fields_from_two_parents_and_an_entity_behind_one_of_them() {
    let d = Subgraph::new(
        "pcx-d",
        r#"
        type Query { articleFromD(id: ID!): Article }
        type Article @key(fields: "id") { id: ID name: String }
        "#,
    )
    .root_with_args(
        "articleFromD",
        json!({ "id": "1" }),
        json!({ "id": "1", "name": "Article#1" }),
    )
    .entities("Article", json!([{ "id": "1", "name": "Article#1" }]))
    .start()
    .await;
    let a = Subgraph::new(
        "pcx-a",
        r#"
        type Article @key(fields: "id") { id: ID @external section: Section @shareable }
        type Section { details: String }
        "#,
    )
    .echo_entities("Article")
    .resolve("Article", "section", |ctx| {
        Ok(json!({ "details": format!("Details for Article#{}", ctx.get("id").as_str().unwrap_or("?")) }))
    })
    .start()
    .await;
    let b = Subgraph::new(
        "pcx-b",
        r#"
        type Article @key(fields: "id") { id: ID @external section: Section @shareable }
        type Section { id: ID @shareable }
        "#,
    )
    .echo_entities("Article")
    .resolve("Article", "section", |_| Ok(json!({ "id": "3" })))
    .start()
    .await;
    let c = Subgraph::new(
        "pcx-c",
        r#"
        type Section @key(fields: "id") { id: ID name: String }
        "#,
    )
    .entities("Section", json!([{ "id": "3", "name": "Section#3" }]))
    .start()
    .await;
    let supergraph = Supergraph::from_apollo(
        &[&a, &b, &c, &d],
        r#"
        type Query @join__type(graph: PCX_A) @join__type(graph: PCX_B) @join__type(graph: PCX_C) @join__type(graph: PCX_D) {
          articleFromD(id: ID!): Article @join__field(graph: PCX_D)
        }
        type Article @join__type(graph: PCX_A, key: "id") @join__type(graph: PCX_B, key: "id") @join__type(graph: PCX_D, key: "id") {
          id: ID @join__field(graph: PCX_A, external: true) @join__field(graph: PCX_B, external: true) @join__field(graph: PCX_D)
          section: Section @join__field(graph: PCX_A) @join__field(graph: PCX_B)
          name: String @join__field(graph: PCX_D)
        }
        type Section @join__type(graph: PCX_A) @join__type(graph: PCX_B) @join__type(graph: PCX_C, key: "id") {
          details: String @join__field(graph: PCX_A)
          id: ID @join__field(graph: PCX_B) @join__field(graph: PCX_C)
          name: String @join__field(graph: PCX_C)
        }
        "#,
    )
    .await;
    let outcome = supergraph
        .query(r#"{ articleFromD(id: "1") { id name section { id name details } } }"#)
        .await;
    outcome.assert_data(json!({ "articleFromD": {
        "id": "1", "name": "Article#1",
        "section": { "id": "3", "name": "Section#3", "details": "Details for Article#1" }
    } }));
    // `section` from pcx-b, whose `Section.id` keys pcx-c; `details` from
    // pcx-a through the Article beside it, not after it.
    insta::assert_snapshot!("value_type_fields_from_two_parents", outcome.plan);
}

// ---------------------------------------------------------------------------
// provides-on-interface
// ---------------------------------------------------------------------------

async fn albums() -> (Vec<Fixture>, Supergraph) {
    let a = Subgraph::new(
        "albums-a",
        r#"
        type Query { title: Title @shareable album: Album @provides(fields: "pets { ... on Hound { name } }") }
        interface Title { id: ID! }
        interface Pet { id: ID! }
        type Album implements Title @key(fields: "id") { id: ID! pets: [Pet] @shareable }
        type Hound implements Pet @key(fields: "id") { id: ID! @external name: String @external }
        type Kitty implements Pet @key(fields: "id") { id: ID! @external }
        "#,
    )
    .root("title", json!({ "__error": "the plan should use albums-b" }))
    .start()
    .await;
    let b = Subgraph::new(
        "albums-b",
        r#"
        type Query { title: Title @shareable @provides(fields: "pets { id name }") }
        interface Title { id: ID! pets: [Pet] }
        interface Pet { id: ID! name: String }
        type Album implements Title { id: ID! @shareable pets: [Pet] @external }
        type Hound implements Pet { id: ID! @external name: String @external }
        type Kitty implements Pet { id: ID! @external name: String @external }
        "#,
    )
    .root(
        "title",
        json!({ "__typename": "Album", "id": "m1", "pets": [
            { "__typename": "Hound", "id": "a1", "name": "Fido" },
            { "__typename": "Kitty", "id": "a2", "name": "Whiskers" }
        ] }),
    )
    .start()
    .await;
    let c = Subgraph::new(
        "albums-c",
        r#"
        interface Title { id: ID! pets: [Pet] }
        interface Pet { id: ID! name: String }
        type Album implements Title @key(fields: "id") { id: ID! pets: [Pet] @shareable }
        type Hound implements Pet @key(fields: "id") { id: ID! name: String @shareable years: Int }
        type Kitty implements Pet @key(fields: "id") { id: ID! name: String @shareable years: Int }
        "#,
    )
    .entities(
        "Album",
        json!([{ "id": "m1", "pets": [
            { "__typename": "Hound", "id": "a1", "name": "Fido", "years": 3 },
            { "__typename": "Kitty", "id": "a2", "name": "Whiskers", "years": 6 }
        ] }]),
    )
    .entities(
        "Kitty",
        json!([{ "id": "a2", "name": "Whiskers", "years": 6 }]),
    )
    .start()
    .await;
    // Ours refuses types that are entities in some subgraphs only.
    let supergraph = Supergraph::from_apollo(
        &[&a, &b, &c],
        r#"
        type Query @join__type(graph: ALBUMS_A) @join__type(graph: ALBUMS_B) @join__type(graph: ALBUMS_C) {
          title: Title @join__field(graph: ALBUMS_A) @join__field(graph: ALBUMS_B, provides: "pets { id name }")
          album: Album @join__field(graph: ALBUMS_A, provides: "pets { ... on Hound { name } }")
        }
        interface Title @join__type(graph: ALBUMS_A) @join__type(graph: ALBUMS_B) @join__type(graph: ALBUMS_C) {
          id: ID!
          pets: [Pet] @join__field(graph: ALBUMS_B) @join__field(graph: ALBUMS_C)
        }
        interface Pet @join__type(graph: ALBUMS_A) @join__type(graph: ALBUMS_B) @join__type(graph: ALBUMS_C) {
          id: ID!
          name: String @join__field(graph: ALBUMS_B) @join__field(graph: ALBUMS_C)
        }
        type Album implements Title
          @join__implements(graph: ALBUMS_A, interface: "Title") @join__implements(graph: ALBUMS_B, interface: "Title")
          @join__implements(graph: ALBUMS_C, interface: "Title")
          @join__type(graph: ALBUMS_A, key: "id") @join__type(graph: ALBUMS_B) @join__type(graph: ALBUMS_C, key: "id") {
          id: ID!
          pets: [Pet] @join__field(graph: ALBUMS_A) @join__field(graph: ALBUMS_B, external: true) @join__field(graph: ALBUMS_C)
        }
        type Hound implements Pet
          @join__implements(graph: ALBUMS_A, interface: "Pet") @join__implements(graph: ALBUMS_B, interface: "Pet")
          @join__implements(graph: ALBUMS_C, interface: "Pet")
          @join__type(graph: ALBUMS_A, key: "id") @join__type(graph: ALBUMS_B) @join__type(graph: ALBUMS_C, key: "id") {
          id: ID! @join__field(graph: ALBUMS_A, external: true) @join__field(graph: ALBUMS_B, external: true) @join__field(graph: ALBUMS_C)
          name: String @join__field(graph: ALBUMS_A, external: true) @join__field(graph: ALBUMS_B, external: true) @join__field(graph: ALBUMS_C)
          years: Int @join__field(graph: ALBUMS_C)
        }
        type Kitty implements Pet
          @join__implements(graph: ALBUMS_A, interface: "Pet") @join__implements(graph: ALBUMS_B, interface: "Pet")
          @join__implements(graph: ALBUMS_C, interface: "Pet")
          @join__type(graph: ALBUMS_A, key: "id") @join__type(graph: ALBUMS_B) @join__type(graph: ALBUMS_C, key: "id") {
          id: ID! @join__field(graph: ALBUMS_A, external: true) @join__field(graph: ALBUMS_B, external: true) @join__field(graph: ALBUMS_C)
          name: String @join__field(graph: ALBUMS_B, external: true) @join__field(graph: ALBUMS_C)
          years: Int @join__field(graph: ALBUMS_C)
        }
        "#,
    )
    .await;
    (vec![a, b, c], supergraph)
}

/// provides-on-interface
#[tokio::test]
async fn a_provides_on_an_interface_field_answers_from_the_providing_subgraph() {
    let (f, supergraph) = albums().await;
    supergraph
        .query("{ title { id pets { id name } } }")
        .await
        .assert_data(json!({ "title": { "id": "m1", "pets": [
            { "id": "a1", "name": "Fido" }, { "id": "a2", "name": "Whiskers" }
        ] } }));
    assert_eq!(f[2].request_count(), 0, "everything was provided");
}

/// provides-on-interface
#[tokio::test]
async fn a_field_beyond_the_provided_ones_is_fetched_through_the_parent_entity() {
    let (_f, supergraph) = albums().await;
    let outcome = supergraph
        .query("{ title { id pets { id name ... on Kitty { years } } } }")
        .await;
    outcome.assert_data(json!({ "title": { "id": "m1", "pets": [
        { "id": "a1", "name": "Fido" }, { "id": "a2", "name": "Whiskers", "years": 6 }
    ] } }));
    // albums-a cannot reach a Hound's id (external there, its own key);
    // albums-b provides it.
    insta::assert_snapshot!(
        "shared_root_field_started_where_the_provides_are",
        outcome.plan
    );
}

// ---------------------------------------------------------------------------
// provides-on-union
// ---------------------------------------------------------------------------

/// provides-on-union
#[tokio::test]
async fn a_provides_with_a_type_condition_on_a_union_member() {
    let a = Subgraph::new(
        "shows-a",
        r#"
        type Query { shows: [Show] @shareable }
        union Show = Play | Film
        type Play @key(fields: "id") { id: ID! }
        type Film @key(fields: "id") { id: ID! }
        "#,
    )
    .root(
        "shows",
        json!([{ "__typename": "Play", "id": "m1" }, { "__typename": "Film", "id": "m2" }]),
    )
    .start()
    .await;
    let b = Subgraph::new(
        "shows-b",
        r#"
        type Query { shows: [Show] @shareable @provides(fields: "... on Play { title }") }
        union Show = Play | Film
        type Play @key(fields: "id") { id: ID! title: String @external }
        type Film @key(fields: "id") { id: ID! }
        "#,
    )
    .root(
        "shows",
        json!([{ "__typename": "Play", "id": "m1", "title": "Hamlet" }, { "__typename": "Film", "id": "m2" }]),
    )
    .start()
    .await;
    let c = Subgraph::new(
        "shows-c",
        r#"
        type Play @key(fields: "id") { id: ID! title: String @shareable }
        type Film @key(fields: "id") { id: ID! title: String @shareable }
        "#,
    )
    .entities("Play", json!([{ "id": "m1", "title": "Hamlet" }]))
    .entities("Film", json!([{ "id": "m2", "title": "Heat" }]))
    .start()
    .await;
    let supergraph = Supergraph::new(&[&a, &b, &c]).await;
    supergraph
        .query("{ shows { ... on Play { id title } ... on Film { id } } }")
        .await
        .assert_data(json!({ "shows": [{ "id": "m1", "title": "Hamlet" }, { "id": "m2" }] }));
    supergraph
        .query("{ shows { ... on Play { id title } ... on Film { id title } } }")
        .await
        .assert_data(json!({ "shows": [{ "id": "m1", "title": "Hamlet" }, { "id": "m2", "title": "Heat" }] }));
}

// ---------------------------------------------------------------------------
// requires-interface
// ---------------------------------------------------------------------------

async fn placed_people() -> (Fixture, Fixture, Supergraph) {
    let places = json!({
        "a1": { "__typename": "Home", "id": "a1", "city": "a1-city", "country": "a1-country" },
        "a2": { "__typename": "Office", "id": "a2", "city": "a2-city", "country": "a2-country" }
    });
    let lookup = |field: &'static str, places: Value| {
        move |ctx: &crate::kit::FieldCtx<'_>| -> Result<Value, String> {
            Ok(match ctx.get("place").get("id").and_then(Value::as_str) {
                Some(id) => places[id][field].clone(),
                None => Value::Null,
            })
        }
    };
    let a = Subgraph::new(
        "ri-a",
        r#"
        type Query { ra: Person }
        interface Place { id: ID! }
        type Home implements Place @key(fields: "id") { id: ID! city: String @shareable }
        type Office implements Place @key(fields: "id") { id: ID! city: String @shareable }
        type Person @key(fields: "id") {
          id: ID!
          name: String! @shareable
          place: Place @external
          city: String @requires(fields: "place { id }")
          country: String @requires(fields: "place { ... on Office { id } }")
        }
        "#,
    )
    .root("ra", json!({ "id": "u1", "name": "u1-name" }))
    .echo_entities("Person")
    .resolve("Person", "city", lookup("city", places.clone()))
    .resolve("Person", "country", lookup("country", places.clone()))
    .start()
    .await;
    let b = Subgraph::new(
        "ri-b",
        r#"
        type Query { rb: Person }
        interface Place { id: ID! }
        type Home implements Place @key(fields: "id") { id: ID! city: String @shareable }
        type Office implements Place @key(fields: "id") { id: ID! city: String @shareable }
        type Annex implements Place @key(fields: "id") { id: ID! city: String @shareable }
        type Person @key(fields: "id") { id: ID! name: String! @shareable place: Place @shareable }
        "#,
    )
    .root(
        "rb",
        json!({ "id": "u2", "name": "u2-name", "place": places["a2"].clone() }),
    )
    .entities(
        "Person",
        json!([
            { "id": "u1", "name": "u1-name", "place": places["a1"].clone() },
            { "id": "u2", "name": "u2-name", "place": places["a2"].clone() }
        ]),
    )
    .start()
    .await;
    let supergraph = Supergraph::new(&[&a, &b]).await;
    (a, b, supergraph)
}

/// requires-interface
#[tokio::test]
async fn requires_of_an_interface_fields_key_from_either_root() {
    let (_a, _b, supergraph) = placed_people().await;
    supergraph
        .query("{ ra { city } }")
        .await
        .assert_data(json!({ "ra": { "city": "a1-city" } }));
    supergraph
        .query("{ rb { city } }")
        .await
        .assert_data(json!({ "rb": { "city": "a2-city" } }));
}

/// requires-interface
#[tokio::test]
async fn requires_with_a_type_condition_that_does_not_match_sends_an_empty_object() {
    let (_a, _b, supergraph) = placed_people().await;
    supergraph
        .query("{ ra { country } }")
        .await
        .assert_data(json!({ "ra": { "country": null } }));
}

/// requires-interface
#[tokio::test]
async fn an_interface_typed_field_read_from_the_other_subgraph_keeps_its_concrete_type() {
    let (_a, _b, supergraph) = placed_people().await;
    supergraph
        .query("{ ra { place { __typename id } } }")
        .await
        .assert_data(json!({ "ra": { "place": { "__typename": "Home", "id": "a1" } } }));
    supergraph
        .query("{ rb { place { __typename id } } }")
        .await
        .assert_data(json!({ "rb": { "place": { "__typename": "Office", "id": "a2" } } }));
}

// ---------------------------------------------------------------------------
// requires-requires
// ---------------------------------------------------------------------------

async fn gizmos() -> (Vec<Fixture>, Supergraph) {
    let a = Subgraph::new(
        "rr-a",
        r#"
        type Gizmo @key(fields: "id") { id: ID! cost: Float! @inaccessible }
        "#,
    )
    .entities("Gizmo", json!([{ "id": "g1", "cost": 699.99 }]))
    .start()
    .await;
    let b = Subgraph::new(
        "rr-b",
        r#"
        type Query { gizmo: Gizmo }
        type Gizmo @key(fields: "id") { id: ID! discounted: Boolean! }
        "#,
    )
    .root("gizmo", json!({ "id": "g1", "discounted": true }))
    .entities("Gizmo", json!([{ "id": "g1", "discounted": true }]))
    .start()
    .await;
    let from = |field: &'static str, f: fn(&Value) -> Option<bool>| {
        move |ctx: &crate::kit::FieldCtx<'_>| -> Result<Value, String> {
            f(ctx.get(field))
                .map(|v| json!(v))
                .ok_or_else(|| format!("{field} was not sent"))
        }
    };
    let c = Subgraph::new(
        "rr-c",
        r#"
        type Gizmo @key(fields: "id") {
          id: ID!
          cost: Float! @external
          pricey: Boolean! @requires(fields: "cost")
          discounted: Boolean! @external
          priceyAfterDiscount: Boolean! @requires(fields: "discounted")
        }
        "#,
    )
    .echo_entities("Gizmo")
    .resolve(
        "Gizmo",
        "pricey",
        from("cost", |v| v.as_f64().map(|c| c > 500.0)),
    )
    .resolve(
        "Gizmo",
        "priceyAfterDiscount",
        from("discounted", |v| v.as_bool().map(|d| !d)),
    )
    .start()
    .await;
    let d = Subgraph::new(
        "rr-d",
        r#"
        type Gizmo @key(fields: "id") {
          id: ID!
          pricey: Boolean! @external
          affordable: Boolean! @requires(fields: "pricey")
          priceyAfterDiscount: Boolean! @external
          affordableAfterDiscount: Boolean! @requires(fields: "priceyAfterDiscount")
        }
        "#,
    )
    .echo_entities("Gizmo")
    .resolve(
        "Gizmo",
        "affordable",
        from("pricey", |v| v.as_bool().map(|p| !p)),
    )
    .resolve(
        "Gizmo",
        "affordableAfterDiscount",
        from("priceyAfterDiscount", |v| v.as_bool().map(|p| !p)),
    )
    .start()
    .await;
    let supergraph = Supergraph::new(&[&a, &b, &c, &d]).await;
    (vec![a, b, c, d], supergraph)
}

/// requires-requires
#[tokio::test]
async fn a_requires_on_a_field_that_requires_an_inaccessible_field() {
    let (_f, supergraph) = gizmos().await;
    supergraph
        .query("{ gizmo { affordable } }")
        .await
        .assert_data(json!({ "gizmo": { "affordable": false } }));
    supergraph
        .query("{ gizmo { pricey } }")
        .await
        .assert_data(json!({ "gizmo": { "pricey": true } }));
    supergraph
        .query("{ gizmo { pricey affordable } }")
        .await
        .assert_data(json!({ "gizmo": { "pricey": true, "affordable": false } }));
}

/// requires-requires
#[tokio::test]
async fn two_requires_chains_through_the_same_subgraphs_in_one_operation() {
    let (_f, supergraph) = gizmos().await;
    supergraph
        .query("{ gizmo { affordableAfterDiscount } }")
        .await
        .assert_data(json!({ "gizmo": { "affordableAfterDiscount": true } }));
    supergraph
        .query("{ gizmo { affordable affordableAfterDiscount } }")
        .await
        .assert_data(json!({ "gizmo": { "affordable": false, "affordableAfterDiscount": true } }));
}

// ---------------------------------------------------------------------------
// requires-with-argument
// ---------------------------------------------------------------------------

/// requires-with-argument
#[tokio::test]
async fn requires_a_field_with_an_argument_and_a_plain_field_together() {
    let crates = json!([
        { "upc": "p1", "name": "p-name-1", "weight": 1 }, { "upc": "p2", "name": "p-name-2", "weight": 2 }
    ]);
    let price = |ctx: &crate::kit::FieldCtx<'_>| -> Result<Value, String> {
        let base = match ctx.get("upc").as_str() {
            Some("p1") => 11,
            Some("p2") => 22,
            _ => 0,
        };
        match ctx.arg("currency").as_str() {
            Some("USD") => Ok(json!(base)),
            Some("EUR") => Ok(json!(base * 2)),
            other => Err(format!("unknown currency {other:?}")),
        }
    };
    let b = Subgraph::new(
        "rwa-b",
        r#"
        type Query { crates: [Crate] }
        type Crate @key(fields: "upc") { upc: String! name: String price(currency: String!): Int weight: Int }
        "#,
    )
    .root("crates", crates.clone())
    .entities("Crate", crates)
    .resolve("Crate", "price", price)
    .start()
    .await;
    let a = Subgraph::new(
        "rwa-a",
        r#"
        type Crate @key(fields: "upc") {
          upc: String!
          weight: Int @external
          price(currency: String!): Int @external
          freight: Int @requires(fields: "price(currency: \"USD\") weight")
        }
        "#,
    )
    .echo_entities("Crate")
    .resolve("Crate", "freight", |ctx| {
        match (ctx.get("price").as_i64(), ctx.get("weight").as_i64()) {
            (Some(p), Some(w)) => Ok(json!(p * w * 10)),
            _ => Err(format!("requirements missing: {}", ctx.parent)),
        }
    })
    .start()
    .await;
    let supergraph = Supergraph::new(&[&a, &b]).await;
    supergraph
        .query("{ crates { upc name freight } }")
        .await
        .assert_data(json!({ "crates": [
            { "upc": "p1", "name": "p-name-1", "freight": 110 },
            { "upc": "p2", "name": "p-name-2", "freight": 440 }
        ] }));
}

/// requires-with-argument (the suite's comments subgraphs)
#[tokio::test]
async fn requires_a_local_list_field_with_an_argument_whose_items_need_an_external_field() {
    let comments = json!([
        { "id": "k1", "authorId": "a1", "body": "one" },
        { "id": "k2", "authorId": "a2", "body": "two" },
        { "id": "k3", "authorId": "a3", "body": "three" },
        { "id": "k4", "authorId": "a1", "body": "four" }
    ]);
    let c = Subgraph::new(
        "rwa-c",
        r#"
        type Query { feed: [Post] }
        type Post @key(fields: "id") { id: ID! }
        type Comment @key(fields: "id") { id: ID! authorId: ID body: String! }
        "#,
    )
    .root("feed", json!([{ "id": "post1" }]))
    .entities("Comment", comments.clone())
    .start()
    .await;
    let d = Subgraph::new(
        "rwa-d",
        r#"
        type Post @key(fields: "id") {
          id: ID!
          author: Author @requires(fields: "comments(limit: 3) { authorId }")
          comments(limit: Int!): [Comment]
        }
        type Comment @key(fields: "id") { id: ID! date: String authorId: ID @external }
        type Author { id: ID! name: String }
        "#,
    )
    .echo_entities("Post")
    .resolve("Post", "comments", |ctx| {
        let limit = ctx.arg("limit").as_u64().unwrap_or(0) as usize;
        Ok(json!(
            ["k1", "k2", "k3", "k4"]
                .iter()
                .take(limit)
                .map(|id| json!({ "id": id }))
                .collect::<Vec<_>>()
        ))
    })
    .resolve("Post", "author", |ctx| {
        let sent = ctx.get("comments").as_array().cloned().unwrap_or_default();
        if sent.len() != 3 {
            return Err(format!("expected 3 comments, got {}", ctx.parent));
        }
        match sent[2]["authorId"].as_str() {
            Some("a3") => Ok(json!({ "id": "a3", "name": "Cy" })),
            other => Err(format!("unexpected author {other:?}")),
        }
    })
    .start()
    .await;
    let supergraph = Supergraph::new(&[&c, &d]).await;
    supergraph
        .query("{ feed { id author { name } } }")
        .await
        .assert_data(json!({ "feed": [{ "id": "post1", "author": { "name": "Cy" } }] }));
}

// ---------------------------------------------------------------------------
// requires-with-fragments
// ---------------------------------------------------------------------------

async fn holders() -> (Fixture, Fixture, Supergraph) {
    let circle =
        json!({ "__typename": "Circle", "foo": "c1-foo", "bar": "c1-bar", "baz": "c1-baz" });
    let oval = json!({ "__typename": "Oval", "foo": "o1-foo", "bar": "o1-bar", "qux": "o1-qux" });
    let shapes = r#"
        interface Shape { foo: String! }
        interface Rounded implements Shape { foo: String! bar: String! }
    "#;
    let a = Subgraph::new(
        "rf-a",
        &format!(
            r#"
            type Query @shareable {{ rfA: Holder }}
            type Holder @key(fields: "id") {{ id: ID! content: Shape }}
            {shapes}
            type Circle implements Shape & Rounded @shareable {{ foo: String! bar: String! baz: String! }}
            type Oval implements Shape & Rounded @shareable {{ foo: String! bar: String! qux: String! }}
            "#
        ),
    )
    .root("rfA", json!({ "id": "h2", "content": oval.clone() }))
    .entities(
        "Holder",
        json!([{ "id": "h1", "content": circle.clone() }, { "id": "h2", "content": oval.clone() }]),
    )
    .start()
    .await;
    let summary = |suffix: &'static str| {
        move |ctx: &crate::kit::FieldCtx<'_>| -> Result<Value, String> {
            match ctx.get("content").get("foo").and_then(Value::as_str) {
                Some(foo) => Ok(json!(format!("{foo}_{suffix}"))),
                None => Err(format!("content was not sent: {}", ctx.parent)),
            }
        }
    };
    let b = Subgraph::new(
        "rf-b",
        &format!(
            r#"
            type Query @shareable {{ rfB: Holder rfBB: Holder }}
            type Holder @key(fields: "id") {{
              id: ID!
              content: Shape @external
              summary: String! @requires(fields: "content {{ foo ... on Rounded {{ bar ... on Circle {{ baz }} ... on Oval {{ qux }} }} }}")
              summary2: String! @requires(fields: "content {{ ... on Shape {{ foo }} }}")
            }}
            {shapes}
            type Circle implements Shape & Rounded @shareable @inaccessible {{ foo: String! bar: String! baz: String! }}
            type Oval implements Shape & Rounded @shareable {{ foo: String! bar: String! qux: String! }}
            "#
        ),
    )
    .root("rfB", json!({ "id": "h1" }))
    .root("rfBB", json!({ "id": "h2" }))
    .echo_entities("Holder")
    .resolve("Holder", "summary", summary("summary"))
    .resolve("Holder", "summary2", summary("summary2"))
    .start()
    .await;
    let supergraph = Supergraph::new(&[&a, &b]).await;
    (a, b, supergraph)
}

/// requires-with-fragments
#[tokio::test]
async fn an_object_of_an_inaccessible_type_is_null_beside_an_accessible_one() {
    let (_a, _b, supergraph) = holders().await;
    assert_data_any_errors(
        &supergraph
            .query("{ rfB { id content { __typename } } rfBB { id content { __typename } } }")
            .await,
        json!({
            "rfB": { "id": "h1", "content": null },
            "rfBB": { "id": "h2", "content": { "__typename": "Oval" } }
        }),
    );
}

/// requires-with-fragments
#[tokio::test]
async fn requires_with_nested_abstract_fragments_from_the_owning_subgraphs_root() {
    let (_a, _b, supergraph) = holders().await;
    supergraph
        .query("{ rfA { summary } }")
        .await
        .assert_data(json!({ "rfA": { "summary": "o1-foo_summary" } }));
    supergraph
        .query("{ rfA { content { __typename } summary } }")
        .await
        .assert_data(
            json!({ "rfA": { "content": { "__typename": "Oval" }, "summary": "o1-foo_summary" } }),
        );
}

/// requires-with-fragments
#[tokio::test]
async fn requires_with_nested_abstract_fragments_from_the_requiring_subgraphs_root() {
    let (_a, _b, supergraph) = holders().await;
    supergraph
        .query("{ rfBB { content { __typename } summary } }")
        .await
        .assert_data(
            json!({ "rfBB": { "content": { "__typename": "Oval" }, "summary": "o1-foo_summary" } }),
        );
}

/// requires-with-fragments
#[tokio::test]
async fn a_requirement_under_an_interface_condition_is_sent_for_an_implementing_object() {
    let (_a, _b, supergraph) = holders().await;
    supergraph
        .query("{ rfBB { content { __typename } summary2 } }")
        .await
        .assert_data(json!({ "rfBB": { "content": { "__typename": "Oval" }, "summary2": "o1-foo_summary2" } }));
}

/// requires-with-fragments
#[tokio::test]
async fn a_requirement_holding_an_inaccessible_type_is_still_sent_whole() {
    let (_a, _b, supergraph) = holders().await;
    assert_data_any_errors(
        &supergraph
            .query("{ rfB { content { __typename } summary } }")
            .await,
        json!({ "rfB": { "content": null, "summary": "c1-foo_summary" } }),
    );
}

// ---------------------------------------------------------------------------
// shared-root
// ---------------------------------------------------------------------------

/// shared-root
#[tokio::test]
async fn a_shared_root_field_of_a_value_type_is_split_over_three_subgraphs() {
    let part = |name: &str, field: &str, value: Value| {
        let sdl = format!(
            r#"
            type Query {{ item: Item! @shareable items: [Item!]! @shareable }}
            type Item {{ id: ID! @shareable {field}: {} }}
            "#,
            if field == "cost" { "Int!" } else { "String!" }
        );
        let mut one = json!({ "id": "1" });
        one[field] = value;
        Subgraph::new(name, &sdl)
            .root("item", one.clone())
            .root("items", json!([one]))
    };
    let names = part("sr-name", "name", json!("Item 1")).start().await;
    let kinds = part("sr-kind", "kind", json!("Kind 1")).start().await;
    let costs = part("sr-cost", "cost", json!(100)).start().await;
    let supergraph = Supergraph::new(&[&names, &kinds, &costs]).await;
    let one = json!({ "id": "1", "name": "Item 1", "cost": 100, "kind": "Kind 1" });
    supergraph
        .query("{ item { id name kind cost } }")
        .await
        .assert_data(json!({ "item": one.clone() }));
    supergraph
        .query("{ items { id name kind cost } }")
        .await
        .assert_data(json!({ "items": [one] }));
    for f in [&names, &kinds, &costs] {
        assert_eq!(
            f.request_count(),
            2,
            "one fetch per operation from {}",
            f.name()
        );
    }
}

// ---------------------------------------------------------------------------
// simple-inaccessible
// ---------------------------------------------------------------------------

async fn pals() -> (Fixture, Fixture, Supergraph) {
    let ages = Subgraph::new(
        "ages",
        r#"
        type Query { peopleInAges: [Pal!]! @shareable }
        type Pal @key(fields: "id") { id: ID age: Int }
        "#,
    )
    .root(
        "peopleInAges",
        json!([{ "id": "u1", "age": 11 }, { "id": "u2", "age": 22 }]),
    )
    .start()
    .await;
    let rows = json!([
        { "id": "u1", "pals": [{ "id": "u2", "kind": "FAMILY" }], "kind": "FAMILY" },
        { "id": "u2", "pals": [{ "id": "u1", "kind": "FAMILY" }], "kind": "FAMILY" }
    ]);
    let pals = Subgraph::new(
        "pals",
        r#"
        type Query { peopleInPals: [Pal!]! }
        type Pal @key(fields: "id") {
          id: ID
          pals(kind: PalKind = FAMILY @inaccessible): [Pal!]!
          kind: PalKind
        }
        enum PalKind { FAMILY @inaccessible FRIEND }
        "#,
    )
    .root("peopleInPals", rows.clone())
    .entities("Pal", rows)
    .start()
    .await;
    let supergraph = Supergraph::new(&[&ages, &pals]).await;
    (ages, pals, supergraph)
}

/// simple-inaccessible
#[tokio::test]
async fn a_field_with_an_inaccessible_argument_is_queried_without_it() {
    let (_a, _p, supergraph) = pals().await;
    let answer =
        json!([{ "id": "u1", "pals": [{ "id": "u2" }] }, { "id": "u2", "pals": [{ "id": "u1" }] }]);
    supergraph
        .query("{ peopleInAges { id pals { id } } }")
        .await
        .assert_data(json!({ "peopleInAges": answer.clone() }));
    supergraph
        .query("{ peopleInPals { id pals { id } } }")
        .await
        .assert_data(json!({ "peopleInPals": answer }));
}

/// simple-inaccessible
#[tokio::test]
async fn an_inaccessible_argument_is_refused_and_an_inaccessible_enum_value_is_null() {
    let (_a, _p, supergraph) = pals().await;
    let outcome = supergraph
        .query("{ peopleInPals { id pals(kind: FRIEND) { id } } }")
        .await;
    assert!(!outcome.errors().is_empty(), "{:#}", outcome.value);
    assert_data_any_errors(
        &supergraph
            .query("{ peopleInPals { id pals { id kind } } }")
            .await,
        json!({ "peopleInPals": [
            { "id": "u1", "pals": [{ "id": "u2", "kind": null }] },
            { "id": "u2", "pals": [{ "id": "u1", "kind": null }] }
        ] }),
    );
}

// ---------------------------------------------------------------------------
// simple-interface-object
// ---------------------------------------------------------------------------

async fn members_and_people() -> (Vec<Fixture>, Supergraph) {
    let humans = json!([
        { "__typename": "Human", "id": "h1", "label": "h1-label", "years": 11 },
        { "__typename": "Human", "id": "h2", "label": "h2-label", "years": 22 }
    ]);
    let a = Subgraph::new(
        "sio-a",
        r#"
        type Query { people: [Named!]! }
        interface Named @key(fields: "id") { id: ID! label: String }
        type Human implements Named @key(fields: "id") { id: ID! label: String years: Int }
        interface Member @key(fields: "id") { id: ID! }
        type Owner implements Member @key(fields: "id") { id: ID! isMain: Boolean! isActive: Boolean! @shareable }
        type Guest implements Member @key(fields: "id") { id: ID! isMain: Boolean! }
        "#,
    )
    .root("people", humans.clone())
    .entities("Human", humans)
    .entities(
        "Owner",
        json!([{ "id": "o1", "isMain": false, "isActive": true }, { "id": "o2", "isMain": true, "isActive": true }]),
    )
    .entities("Guest", json!([{ "id": "g3", "isMain": false }]))
    .start()
    .await;
    let handles =
        json!([{ "id": "h1", "handle": "h1-handle" }, { "id": "h2", "handle": "h2-handle" }]);
    let names = json!([
        { "id": "o1", "name": "Alice" }, { "id": "o2", "name": "Bob" }, { "id": "g3", "name": "Carl" }
    ]);
    let b = Subgraph::new(
        "sio-b",
        r#"
        type Query { otherPeople: [Named] members: [Member] @shareable }
        type Member @key(fields: "id") @interfaceObject { id: ID! name: String! }
        type Named @key(fields: "id") @interfaceObject { id: ID! handle: String }
        "#,
    )
    .root("otherPeople", handles.clone())
    .root("members", names.clone())
    .entities("Named", handles)
    .entities("Member", names)
    .start()
    .await;
    let c = Subgraph::new(
        "sio-c",
        r#"
        type Member @key(fields: "id") @interfaceObject { id: ID! isActive: Boolean! @shareable }
        "#,
    )
    .echo_entities("Member")
    .resolve("Member", "isActive", |_| Ok(json!(false)))
    .start()
    .await;
    let supergraph = Supergraph::new(&[&a, &b, &c]).await;
    (vec![a, b, c], supergraph)
}

/// simple-interface-object
#[tokio::test]
async fn interface_and_interface_object_fields_from_either_root_field() {
    let (_f, supergraph) = members_and_people().await;
    let all = json!([
        { "id": "h1", "label": "h1-label", "handle": "h1-handle" },
        { "id": "h2", "label": "h2-label", "handle": "h2-handle" }
    ]);
    supergraph
        .query("{ otherPeople { id label handle } }")
        .await
        .assert_data(json!({ "otherPeople": all.clone() }));
    supergraph
        .query("{ people { id label handle } }")
        .await
        .assert_data(json!({ "people": all }));
}

/// simple-interface-object
#[tokio::test]
async fn concrete_type_conditions_under_interface_object_and_interface_root_fields() {
    let (_f, supergraph) = members_and_people().await;
    let years = json!([{ "years": 11 }, { "years": 22 }]);
    supergraph
        .query("{ otherPeople { ... on Human { years } } }")
        .await
        .assert_data(json!({ "otherPeople": years.clone() }));
    supergraph
        .query("{ people { ... on Human { years } } }")
        .await
        .assert_data(json!({ "people": years }));
    let all = json!([
        { "years": 11, "id": "h1", "label": "h1-label", "handle": "h1-handle" },
        { "years": 22, "id": "h2", "label": "h2-label", "handle": "h2-handle" }
    ]);
    supergraph
        .query("{ otherPeople { ... on Human { years id label handle } id label } }")
        .await
        .assert_data(json!({ "otherPeople": all.clone() }));
    supergraph
        .query("{ people { ... on Human { years id label handle } id label } }")
        .await
        .assert_data(json!({ "people": all }));
}

/// simple-interface-object
#[tokio::test]
async fn an_interface_object_root_field_answers_its_own_fields_directly() {
    let (f, supergraph) = members_and_people().await;
    supergraph.query("{ members { name } }").await.assert_data(
        json!({ "members": [{ "name": "Alice" }, { "name": "Bob" }, { "name": "Carl" }] }),
    );
    assert_eq!(f[0].request_count(), 0, "no type resolution needed");
}

/// simple-interface-object
#[tokio::test]
async fn a_type_condition_on_an_interface_object_root_field_resolves_the_type_first() {
    let (_f, supergraph) = members_and_people().await;
    supergraph
        .query("{ members { ... on Owner { name } } }")
        .await
        .assert_data(json!({ "members": [{ "name": "Alice" }, { "name": "Bob" }, {}] }));
    supergraph
        .query("{ members { ... on Owner { __typename } } }")
        .await
        .assert_data(
            json!({ "members": [{ "__typename": "Owner" }, { "__typename": "Owner" }, {}] }),
        );
}

/// simple-interface-object
#[tokio::test]
async fn the_typename_of_an_interface_object_root_field_is_the_concrete_type() {
    let (_f, supergraph) = members_and_people().await;
    supergraph
        .query("{ members { name __typename } }")
        .await
        .assert_data(json!({ "members": [
            { "name": "Alice", "__typename": "Owner" },
            { "name": "Bob", "__typename": "Owner" },
            { "name": "Carl", "__typename": "Guest" }
        ] }));
}

/// simple-interface-object
#[tokio::test]
async fn a_shared_field_comes_from_the_interface_object_or_the_implementation_by_type_condition() {
    let (_f, supergraph) = members_and_people().await;
    supergraph
        .query("{ members { id isActive } }")
        .await
        .assert_data(json!({ "members": [
            { "id": "o1", "isActive": false }, { "id": "o2", "isActive": false }, { "id": "g3", "isActive": false }
        ] }));
    supergraph
        .query("{ members { id ... on Owner { isActive } } }")
        .await
        .assert_data(json!({ "members": [
            { "id": "o1", "isActive": true }, { "id": "o2", "isActive": true }, { "id": "g3" }
        ] }));
}

// ---------------------------------------------------------------------------
// simple-override, unavailable-override
// ---------------------------------------------------------------------------

async fn overridden_posts(from: &str, stale_in_a: bool) -> (Fixture, Fixture, Supergraph) {
    let date = |id: &str| {
        if stale_in_a {
            "STALE".to_owned()
        } else {
            format!("{id}-createdAt")
        }
    };
    let a = Subgraph::new(
        "so-a",
        r#"
        type Post @key(fields: "id") { id: ID! createdAt: String! @shareable }
        type Query { feed: [Post] @shareable aFeed: [Post] }
        "#,
    )
    .root(
        "feed",
        json!([{ "id": "p1", "createdAt": date("p1") }, { "id": "p2", "createdAt": date("p2") }]),
    )
    .root("aFeed", json!([{ "id": "p2", "createdAt": date("p2") }]))
    .entities(
        "Post",
        json!([{ "id": "p1", "createdAt": date("p1") }, { "id": "p2", "createdAt": date("p2") }]),
    )
    .start()
    .await;
    let posts = json!([{ "id": "p1", "createdAt": "p1-createdAt" }, { "id": "p2", "createdAt": "p2-createdAt" }]);
    let b = Subgraph::new(
        "so-b",
        &format!(
            r#"
            type Post @key(fields: "id") {{ id: ID! createdAt: String! @override(from: "{from}") @shareable }}
            type Query {{ feed: [Post] @shareable bFeed: [Post] }}
            "#
        ),
    )
    .root("feed", posts.clone())
    .root("bFeed", json!([posts[0].clone()]))
    .entities("Post", posts)
    .start()
    .await;
    let supergraph = Supergraph::new(&[&a, &b]).await;
    (a, b, supergraph)
}

/// simple-override
#[tokio::test]
async fn a_shared_root_field_and_an_overridden_field_are_taken_from_the_overriding_subgraph() {
    let (_a, _b, supergraph) = overridden_posts("so-a", true).await;
    supergraph
        .query("{ feed { createdAt } }")
        .await
        .assert_data(
            json!({ "feed": [{ "createdAt": "p1-createdAt" }, { "createdAt": "p2-createdAt" }] }),
        );
    supergraph
        .query("{ aFeed { createdAt } bFeed { createdAt } }")
        .await
        .assert_data(json!({ "aFeed": [{ "createdAt": "p2-createdAt" }], "bFeed": [{ "createdAt": "p1-createdAt" }] }));
}

/// unavailable-override
#[tokio::test]
async fn an_override_from_a_subgraph_that_does_not_exist_changes_nothing() {
    let (a, b, supergraph) = overridden_posts("no-such-subgraph", false).await;
    supergraph
        .query("{ feed { createdAt } }")
        .await
        .assert_data(
            json!({ "feed": [{ "createdAt": "p1-createdAt" }, { "createdAt": "p2-createdAt" }] }),
        );
    a.clear_requests();
    b.clear_requests();
    supergraph
        .query("{ aFeed { createdAt } bFeed { createdAt } }")
        .await
        .assert_data(json!({ "aFeed": [{ "createdAt": "p2-createdAt" }], "bFeed": [{ "createdAt": "p1-createdAt" }] }));
    assert_eq!(
        (a.request_count(), b.request_count()),
        (1, 1),
        "each root field answers itself"
    );
}

// ---------------------------------------------------------------------------
// simple-requires-provides
// ---------------------------------------------------------------------------

async fn store_graph() -> (Vec<Fixture>, Supergraph) {
    let accounts = Subgraph::new(
        "srp-accounts",
        r#"
        type Query { me: Shopper }
        type Shopper @key(fields: "id") { id: ID! name: String nick: String @shareable }
        "#,
    )
    .root(
        "me",
        json!({ "id": "s1", "name": "Sam", "nick": "s-nick-1" }),
    )
    .entities(
        "Shopper",
        json!([{ "id": "s1", "name": "Sam", "nick": "s-nick-1" }]),
    )
    .start()
    .await;
    let goods = json!([
        { "upc": "g1", "name": "g-name-1", "price": 11, "weight": 1 },
        { "upc": "g2", "name": "g-name-2", "price": 22, "weight": 2 }
    ]);
    let products = Subgraph::new(
        "srp-products",
        r#"
        type Query { goods: [Good] }
        type Good @key(fields: "upc") { upc: String! name: String price: Int weight: Int }
        "#,
    )
    .root("goods", goods.clone())
    .entities("Good", goods)
    .start()
    .await;
    let estimate = |ctx: &crate::kit::FieldCtx<'_>| -> Result<i64, String> {
        match (ctx.get("price").as_i64(), ctx.get("weight").as_i64()) {
            (Some(p), Some(w)) => Ok(p * w * 10),
            _ => Err(format!("price and weight were not sent: {}", ctx.parent)),
        }
    };
    let inventory = Subgraph::new(
        "srp-inventory",
        r#"
        type Good @key(fields: "upc") {
          upc: String!
          weight: Int @external
          price: Int @external
          inStock: Boolean
          shipping: Int @requires(fields: "price weight")
          shippingTag: String @requires(fields: "price weight")
        }
        "#,
    )
    .echo_entities("Good")
    .resolve("Good", "inStock", |ctx| {
        Ok(json!(ctx.get("upc") == &json!("g1")))
    })
    .resolve("Good", "shipping", move |ctx| {
        estimate(ctx).map(|e| json!(e))
    })
    .resolve("Good", "shippingTag", move |ctx| {
        estimate(ctx).map(|e| json!(format!("#{}#{e}#", ctx.get("upc").as_str().unwrap_or("?"))))
    })
    .start()
    .await;
    let review = |id: &str, upc: &str| {
        json!({ "id": id, "body": format!("{id} body"),
        "author": { "id": "s1", "nick": "s-nick-1" }, "good": { "upc": upc } })
    };
    let reviews = Subgraph::new(
        "srp-reviews",
        r#"
        type Review @key(fields: "id") { id: ID! body: String author: Shopper @provides(fields: "nick") good: Good }
        type Shopper @key(fields: "id") { id: ID! nick: String @external reviews: [Review] }
        type Good @key(fields: "upc") { upc: String! reviews: [Review] }
        "#,
    )
    .entities("Shopper", json!([{ "id": "s1", "reviews": [review("r1", "g1"), review("r2", "g2")] }]))
    .resolve("Good", "reviews", move |ctx| {
        Ok(match ctx.get("upc").as_str() {
            Some("g1") => json!([review("r1", "g1")]),
            Some("g2") => json!([review("r2", "g2")]),
            _ => json!([]),
        })
    })
    .entities(
        "Good",
        json!([{ "upc": "g1", "reviews": [review("r1", "g1")] }, { "upc": "g2", "reviews": [review("r2", "g2")] }]),
    )
    .start()
    .await;
    let supergraph = Supergraph::new(&[&accounts, &products, &inventory, &reviews]).await;
    (vec![accounts, products, inventory, reviews], supergraph)
}

/// simple-requires-provides
#[tokio::test]
async fn provided_and_entity_fields_through_a_root_entity_list() {
    let (_f, supergraph) = store_graph().await;
    supergraph
        .query("{ me { id reviews { id } } }")
        .await
        .assert_data(json!({ "me": { "id": "s1", "reviews": [{ "id": "r1" }, { "id": "r2" }] } }));
    supergraph
        .query("{ me { reviews { id author { id nick } good { inStock } } } }")
        .await
        .assert_data(json!({ "me": { "reviews": [
            { "id": "r1", "author": { "id": "s1", "nick": "s-nick-1" }, "good": { "inStock": true } },
            { "id": "r2", "author": { "id": "s1", "nick": "s-nick-1" }, "good": { "inStock": false } }
        ] } }));
}

/// simple-requires-provides
#[tokio::test]
async fn requires_of_two_fields_beside_the_required_fields_themselves() {
    let (_f, supergraph) = store_graph().await;
    supergraph
        .query("{ goods { shipping } }")
        .await
        .assert_data(json!({ "goods": [{ "shipping": 110 }, { "shipping": 440 }] }));
    supergraph
        .query("{ goods { shipping weight price } }")
        .await
        .assert_data(json!({ "goods": [
            { "shipping": 110, "weight": 1, "price": 11 }, { "shipping": 440, "weight": 2, "price": 22 }
        ] }));
}

/// simple-requires-provides
#[tokio::test]
async fn requires_and_provides_deep_below_entities_of_other_subgraphs() {
    let (_f, supergraph) = store_graph().await;
    supergraph
        .query("{ goods { reviews { id author { nick } good { name shipping } } } }")
        .await
        .assert_data(json!({ "goods": [
            { "reviews": [{ "id": "r1", "author": { "nick": "s-nick-1" }, "good": { "name": "g-name-1", "shipping": 110 } }] },
            { "reviews": [{ "id": "r2", "author": { "nick": "s-nick-1" }, "good": { "name": "g-name-2", "shipping": 440 } }] }
        ] }));
    supergraph
        .query("{ me { reviews { good { reviews { id } } } } }")
        .await
        .assert_data(json!({ "me": { "reviews": [
            { "good": { "reviews": [{ "id": "r1" }] } }, { "good": { "reviews": [{ "id": "r2" }] } }
        ] } }));
    supergraph
        .query("{ me { reviews { good { shipping shippingTag } } } }")
        .await
        .assert_data(json!({ "me": { "reviews": [
            { "good": { "shipping": 110, "shippingTag": "#g1#110#" } },
            { "good": { "shipping": 440, "shippingTag": "#g2#440#" } }
        ] } }));
}

// ---------------------------------------------------------------------------
// typename
// ---------------------------------------------------------------------------

async fn appliances() -> (Fixture, Fixture, Supergraph) {
    let a = Subgraph::new(
        "tn-a",
        r#"
        type Query { union: Appliance interface: Device }
        union Appliance = Stove | Kettle
        interface Device { id: ID! }
        type Stove implements Device { id: ID! }
        type Kettle implements Device { id: ID! }
        interface Person @key(fields: "id") { id: ID! }
        type Admin implements Person @key(fields: "id") { id: ID! isMain: Boolean! }
        "#,
    )
    .root("union", json!({ "__typename": "Stove", "id": "1" }))
    .root("interface", json!({ "__typename": "Kettle", "id": "2" }))
    .entities(
        "Admin",
        json!([{ "id": "u1", "isMain": true }, { "id": "u2", "isMain": false }]),
    )
    .start()
    .await;
    let b = Subgraph::new(
        "tn-b",
        r#"
        type Query { people: [Person] }
        type Person @key(fields: "id") @interfaceObject { id: ID! name: String! }
        "#,
    )
    .root(
        "people",
        json!([{ "id": "u1", "name": "Una" }, { "id": "u2", "name": "Ugo" }]),
    )
    .start()
    .await;
    let supergraph = Supergraph::new(&[&a, &b]).await;
    (a, b, supergraph)
}

/// typename
#[tokio::test]
async fn typename_under_aliases_on_root_fields_named_union_and_interface() {
    let (_a, _b, supergraph) = appliances().await;
    supergraph
        .query("{ union { __typename typename: __typename } }")
        .await
        .assert_data(json!({ "union": { "__typename": "Stove", "typename": "Stove" } }));
    supergraph
        .query("{ interface { id __typename typename: __typename t: __typename } }")
        .await
        .assert_data(json!({ "interface": { "id": "2", "__typename": "Kettle", "typename": "Kettle", "t": "Kettle" } }));
    supergraph
        .query("{ union { __typename ... on Stove { typename: __typename } ... on Kettle { typename: __typename } } }")
        .await
        .assert_data(json!({ "union": { "__typename": "Stove", "typename": "Stove" } }));
    supergraph
        .query("{ interface { __typename ... on Stove { typename: __typename } ... on Kettle { typename: __typename } } }")
        .await
        .assert_data(json!({ "interface": { "__typename": "Kettle", "typename": "Kettle" } }));
}

/// typename
#[tokio::test]
async fn the_typename_of_an_interface_object_list_is_resolved_by_the_interfaces_subgraph() {
    let (_a, _b, supergraph) = appliances().await;
    supergraph
        .query("{ people { id } }")
        .await
        .assert_data(json!({ "people": [{ "id": "u1" }, { "id": "u2" }] }));
    supergraph
        .query("{ people { __typename } }")
        .await
        .assert_data(json!({ "people": [{ "__typename": "Admin" }, { "__typename": "Admin" }] }));
}

// ---------------------------------------------------------------------------
// union-interface-distributed
// ---------------------------------------------------------------------------

async fn kitchen() -> (Fixture, Fixture, Supergraph) {
    let stove = |id: &str| json!({ "__typename": "Stove", "id": id });
    let kettle = |id: &str, w: i64| json!({ "__typename": "Kettle", "id": id, "guarantee": w });
    let a = Subgraph::new(
        "ud-a",
        r#"
        type Query { wares: [Ware] node(id: ID!): Node nodes: [Node] kettles: [Kettle] }
        union Ware = Stove | Kettle
        interface Node { id: ID! }
        type Stove @key(fields: "id") { id: ID! }
        type Kettle implements Node @key(fields: "id") { id: ID! guarantee: Int }
        "#,
    )
    .root(
        "wares",
        json!([
            stove("stove1"),
            stove("stove2"),
            kettle("kettle1", 3),
            kettle("kettle2", 4)
        ]),
    )
    // An Stove is no Node in this subgraph: it cannot answer it as one.
    .root_with_args(
        "node",
        json!({ "id": "stove1" }),
        json!({ "__error": "Stove is not a possible type of Node" }),
    )
    .root_with_args("node", json!({ "id": "kettle1" }), kettle("kettle1", 3))
    .root("nodes", json!([kettle("kettle1", 3), kettle("kettle2", 4)]))
    .root(
        "kettles",
        json!([kettle("kettle1", 3), kettle("kettle2", 4)]),
    )
    .entities("Stove", json!([{ "id": "stove1" }, { "id": "stove2" }]))
    .start()
    .await;
    let b = Subgraph::new(
        "ud-b",
        r#"
        interface Node { id: ID! }
        type Stove implements Node @key(fields: "id") { id: ID! guarantee: Int }
        "#,
    )
    .entities(
        "Stove",
        json!([{ "id": "stove1", "guarantee": 1 }, { "id": "stove2", "guarantee": 1 }]),
    )
    .start()
    .await;
    let supergraph = Supergraph::new(&[&a, &b]).await;
    (a, b, supergraph)
}

/// union-interface-distributed
#[tokio::test]
async fn an_interface_condition_on_a_union_whose_member_implements_it_only_elsewhere() {
    let (_a, _b, supergraph) = kitchen().await;
    supergraph
        .query("{ wares { ... on Node { id } } }")
        .await
        .assert_data(json!({ "wares": [
            { "id": "stove1" }, { "id": "stove2" }, { "id": "kettle1" }, { "id": "kettle2" }
        ] }));
}

/// union-interface-distributed
#[tokio::test]
async fn an_interface_list_with_conditions_on_a_member_the_root_subgraph_cannot_return() {
    let (_a, _b, supergraph) = kitchen().await;
    supergraph
        .query("{ nodes { ... on Kettle { guarantee } ... on Stove { id } } }")
        .await
        .assert_data(json!({ "nodes": [{ "guarantee": 3 }, { "guarantee": 4 }] }));
    supergraph
        .query("{ nodes { id } }")
        .await
        .assert_data(json!({ "nodes": [{ "id": "kettle1" }, { "id": "kettle2" }] }));
}

/// union-interface-distributed
#[tokio::test]
async fn named_fragments_on_an_object_and_on_an_interface_it_implements() {
    let (_a, _b, supergraph) = kitchen().await;
    supergraph
        .query("{ kettles { ...T ...N } } fragment T on Kettle { id } fragment N on Node { id __typename }")
        .await
        .assert_data(json!({ "kettles": [
            { "id": "kettle1", "__typename": "Kettle" }, { "id": "kettle2", "__typename": "Kettle" }
        ] }));
}

/// union-interface-distributed
#[tokio::test]
async fn an_interface_root_field_keeps_the_subgraphs_error_or_answer() {
    let (_a, _b, supergraph) = kitchen().await;
    supergraph
        .query(r#"{ node(id: "stove1") { ... on Stove { guarantee } } }"#)
        .await
        .assert_data_with_errors(json!({ "node": null }));
    supergraph
        .query(r#"{ node(id: "stove1") { ... on Kettle { guarantee } } }"#)
        .await
        .assert_data_with_errors(json!({ "node": null }));
    supergraph
        .query(r#"{ node(id: "kettle1") { ... on Kettle { guarantee } } }"#)
        .await
        .assert_data(json!({ "node": { "guarantee": 3 } }));
}

// ---------------------------------------------------------------------------
// union-intersection
// ---------------------------------------------------------------------------

async fn shelves_of_content() -> (Fixture, Fixture, Supergraph) {
    let paper = json!({ "__typename": "Paper", "title": "The Hobbit" });
    let tune = json!({ "__typename": "Tune", "title": "Tune Title" });
    let a = Subgraph::new(
        "ui-a",
        r#"
        union Content = Paper | Tune
        union ViewerContent = Paper | Tune
        type Paper { title: String! @shareable }
        type Tune { title: String! @shareable }
        type Query { content: Content @shareable paper: Paper @shareable tune: Content @shareable viewer: Viewer @shareable }
        type Viewer { content: ViewerContent @shareable paper: Paper @shareable tune: ViewerContent @shareable }
        "#,
    )
    .root("content", paper.clone())
    .root("paper", paper.clone())
    .root("tune", tune.clone())
    .root("viewer", json!({ "content": paper.clone(), "paper": paper.clone(), "tune": tune.clone() }))
    .start()
    .await;
    let b = Subgraph::new(
        "ui-b",
        r#"
        type Query { content: Content @shareable paper: Content @shareable viewer: Viewer @shareable }
        union Content = Paper | Reel
        union ViewerContent = Paper | Reel
        type Reel { title: String! @shareable }
        type Paper { title: String! @shareable }
        type Viewer { content: ViewerContent @shareable paper: ViewerContent @shareable }
        "#,
    )
    .root("content", paper.clone())
    .root("paper", paper.clone())
    .root("viewer", json!({ "content": paper.clone(), "paper": paper.clone() }))
    .start()
    .await;
    // Ours refuses a field typed by a union member in one subgraph and by
    // the union in another; Apollo takes the union.
    let supergraph = Supergraph::from_apollo(
        &[&a, &b],
        r#"
        type Query @join__type(graph: UI_A) @join__type(graph: UI_B) {
          content: Content
          paper: Content @join__field(graph: UI_A, type: "Paper") @join__field(graph: UI_B, type: "Content")
          tune: Content @join__field(graph: UI_A)
          viewer: Viewer
        }
        union Content @join__type(graph: UI_A) @join__type(graph: UI_B)
          @join__unionMember(graph: UI_A, member: "Paper") @join__unionMember(graph: UI_A, member: "Tune")
          @join__unionMember(graph: UI_B, member: "Paper") @join__unionMember(graph: UI_B, member: "Reel")
          = Paper | Tune | Reel
        union ViewerContent @join__type(graph: UI_A) @join__type(graph: UI_B)
          @join__unionMember(graph: UI_A, member: "Paper") @join__unionMember(graph: UI_A, member: "Tune")
          @join__unionMember(graph: UI_B, member: "Paper") @join__unionMember(graph: UI_B, member: "Reel")
          = Paper | Tune | Reel
        type Paper @join__type(graph: UI_A) @join__type(graph: UI_B) {
          title: String!
        }
        type Tune @join__type(graph: UI_A) {
          title: String!
        }
        type Reel @join__type(graph: UI_B) {
          title: String!
        }
        type Viewer @join__type(graph: UI_A) @join__type(graph: UI_B) {
          content: ViewerContent
          paper: ViewerContent @join__field(graph: UI_A, type: "Paper") @join__field(graph: UI_B, type: "ViewerContent")
          tune: ViewerContent @join__field(graph: UI_A)
        }
        "#,
    )
    .await;
    (a, b, supergraph)
}

/// union-intersection
#[tokio::test]
async fn a_shared_union_field_with_members_differing_per_subgraph() {
    let (_a, _b, supergraph) = shelves_of_content().await;
    supergraph
        .query("{ content { ... on Reel { title } } }")
        .await
        .assert_data(json!({ "content": {} }));
    supergraph
        .query("{ content { ... on Paper { title } } }")
        .await
        .assert_data(json!({ "content": { "title": "The Hobbit" } }));
    supergraph
        .query("{ content { ... on Paper { title } ... on Reel { title } } }")
        .await
        .assert_data(json!({ "content": { "title": "The Hobbit" } }));
}

/// union-intersection
#[tokio::test]
async fn shared_union_fields_below_a_shared_object_with_members_differing_per_subgraph() {
    let (_a, _b, supergraph) = shelves_of_content().await;
    supergraph
        .query("{ viewer { content { ... on Reel { title } } } }")
        .await
        .assert_data(json!({ "viewer": { "content": {} } }));
    supergraph
        .query("{ viewer { content { ... on Paper { title } } } }")
        .await
        .assert_data(json!({ "viewer": { "content": { "title": "The Hobbit" } } }));
    supergraph
        .query("{ viewer { content { ... on Paper { title } ... on Reel { title } } } }")
        .await
        .assert_data(json!({ "viewer": { "content": { "title": "The Hobbit" } } }));
}

/// union-intersection
#[tokio::test]
async fn a_field_typed_by_a_member_in_one_subgraph_and_by_the_union_in_another() {
    let (_a, _b, supergraph) = shelves_of_content().await;
    let all = "__typename ... on Tune { title } ... on Reel { title } ... on Paper { title }";
    let outcome = supergraph
        .query(&format!(
            "{{ viewer {{ content {{ {all} }} paper {{ {all} }} tune {{ {all} }} }} }}"
        ))
        .await;
    outcome.assert_data(json!({ "viewer": {
        "content": { "__typename": "Paper", "title": "The Hobbit" },
        "paper": { "__typename": "Paper", "title": "The Hobbit" },
        "tune": { "__typename": "Tune", "title": "Tune Title" }
    } }));
    // Under `paper`, typed `Paper` in ui-a: `... on Paper` is inlined and
    // the other members are left out.
    insta::assert_snapshot!(
        "field_typed_by_a_union_member_in_one_subgraph",
        outcome.plan
    );
}
