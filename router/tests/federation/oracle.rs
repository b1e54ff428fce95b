//! A differential oracle: one data set served twice, once as a single
//! schema that is not federated (the monolith) and once split into four
//! subgraphs behind the router. For generated operations (random
//! selections, aliases, inline and named fragments, type conditions on a
//! union and on an entity interface whose implementations are spread over
//! subgraphs, `__typename`, `@skip`/`@include` on variables with defaults) the
//! router's answer must be exactly the monolith's, field order included.
//!
//! CI runs a fixed seed. For a longer run by hand:
//! `ORACLE_SEED=7 ORACLE_OPERATIONS=5000 cargo test -p router --test federation oracle -- --nocapture`

use std::fmt::Write as _;

use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::kit::{Fixture, Subgraph, Supergraph};

const MONOLITH_SDL: &str = r#"
type User { id: ID! name: String! age: Int reviews: [Review!]! favorite: Media }
type Product { upc: String! title: String! price: Money! inStock: Boolean! reviews: [Review!]! }
type Money { amount: Int! currency: String! }
type Review { id: ID! body: String! rating: Int! author: User! product: Product! }
union Thing = User | Product
interface Media { id: ID! title: String! }
type Book implements Media { id: ID! title: String! pages: Int! }
type Film implements Media { id: ID! title: String! minutes: Int! }
type Query { users: [User!]! topProducts: [Product!]! things: [Thing!]! media: [Media!]! }
"#;

/// How deep the monolith's data is written out; generated operations stay
/// above it.
const DATA_DEPTH: usize = 6;
const MAX_OPERATION_DEPTH: usize = 4;

struct Data {
    users: Vec<Value>,
    products: Vec<Value>,
    /// (id, body, rating, author id, product upc)
    reviews: Vec<(String, String, i64, String, String)>,
    /// Books and films, each with its `__typename`.
    media: Vec<Value>,
    /// (user id, media id)
    favorites: Vec<(&'static str, &'static str)>,
}

fn data() -> Data {
    let users = vec![
        json!({ "id": "u1", "name": "Ada", "age": 36 }),
        json!({ "id": "u2", "name": "Bob", "age": null }),
        json!({ "id": "u3", "name": "Cy", "age": 51 }),
    ];
    let products = vec![
        json!({ "upc": "p1", "title": "Lamp", "price": { "amount": 1999, "currency": "EUR" }, "inStock": true }),
        json!({ "upc": "p2", "title": "Desk", "price": { "amount": 15000, "currency": "EUR" }, "inStock": false }),
        json!({ "upc": "p3", "title": "Pen", "price": { "amount": 250, "currency": "USD" }, "inStock": true }),
    ];
    let review = |id: &str, body: &str, rating, author: &str, product: &str| {
        (
            id.into(),
            body.into(),
            rating,
            author.into(),
            product.into(),
        )
    };
    let reviews = vec![
        review("r1", "Bright", 5, "u1", "p1"),
        review("r2", "Wobbly", 2, "u2", "p2"),
        review("r3", "Fine", 4, "u1", "p3"),
        review("r4", "Dim", 3, "u3", "p1"),
        review("r5", "Solid", 5, "u2", "p2"),
    ];
    let media = vec![
        json!({ "__typename": "Book", "id": "b1", "title": "Dune", "pages": 412 }),
        json!({ "__typename": "Film", "id": "f1", "title": "Alien", "minutes": 117 }),
        json!({ "__typename": "Book", "id": "b2", "title": "Emma", "pages": 300 }),
    ];
    Data {
        users,
        products,
        reviews,
        media,
        favorites: vec![("u1", "f1"), ("u3", "b2")],
    }
}

impl Data {
    fn user(&self, id: &str) -> &Value {
        self.users.iter().find(|u| u["id"] == id).expect("user")
    }

    fn medium(&self, id: &str) -> &Value {
        self.media.iter().find(|m| m["id"] == id).expect("medium")
    }

    fn favorite(&self, user: &str) -> Option<&Value> {
        self.favorites
            .iter()
            .find(|(u, _)| *u == user)
            .map(|(_, m)| self.medium(m))
    }

    fn product(&self, upc: &str) -> &Value {
        self.products
            .iter()
            .find(|p| p["upc"] == upc)
            .expect("product")
    }

    /// A user with everything below it, `depth` objects deep.
    fn full_user(&self, id: &str, depth: usize) -> Value {
        let mut user = self.user(id).clone();
        user["__typename"] = json!("User");
        user["favorite"] = self.favorite(id).cloned().unwrap_or(Value::Null);
        if depth > 0 {
            let reviews: Vec<Value> = self
                .reviews
                .iter()
                .filter(|r| r.3 == id)
                .map(|r| self.full_review(&r.0, depth - 1))
                .collect();
            user["reviews"] = json!(reviews);
        }
        user
    }

    fn full_product(&self, upc: &str, depth: usize) -> Value {
        let mut product = self.product(upc).clone();
        product["__typename"] = json!("Product");
        if depth > 0 {
            let reviews: Vec<Value> = self
                .reviews
                .iter()
                .filter(|r| r.4 == upc)
                .map(|r| self.full_review(&r.0, depth - 1))
                .collect();
            product["reviews"] = json!(reviews);
        }
        product
    }

    fn full_review(&self, id: &str, depth: usize) -> Value {
        let (id, body, rating, author, product) =
            self.reviews.iter().find(|r| r.0 == id).expect("review");
        let mut review =
            json!({ "__typename": "Review", "id": id, "body": body, "rating": rating });
        if depth > 0 {
            review["author"] = self.full_user(author, depth - 1);
            review["product"] = self.full_product(product, depth - 1);
        }
        review
    }

    /// A review as the reviews subgraph holds it: its own fields, keys of the rest.
    fn review_row(&self, r: &(String, String, i64, String, String)) -> Value {
        json!({ "id": r.0, "body": r.1, "rating": r.2, "author": { "id": r.3 }, "product": { "upc": r.4 } })
    }
}

async fn monolith(data: &Data) -> Fixture {
    let users: Vec<Value> = data
        .users
        .iter()
        .map(|u| data.full_user(u["id"].as_str().unwrap_or_default(), DATA_DEPTH))
        .collect();
    let products: Vec<Value> = data
        .products
        .iter()
        .map(|p| data.full_product(p["upc"].as_str().unwrap_or_default(), DATA_DEPTH))
        .collect();
    let things = vec![
        data.full_product("p2", DATA_DEPTH),
        data.full_user("u3", DATA_DEPTH),
        data.full_product("p1", DATA_DEPTH),
    ];
    Subgraph::new("monolith", MONOLITH_SDL)
        .root("users", json!(users))
        .root("topProducts", json!(products))
        .root("things", json!(things))
        .root("media", json!(data.media))
        .start()
        .await
}

async fn split(data: &Data) -> Vec<Fixture> {
    let accounts = Subgraph::new(
        "accounts",
        r#"
        type User @key(fields: "id") { id: ID! name: String! age: Int }
        type Query { users: [User!]! }
        "#,
    )
    .root("users", json!(data.users))
    .entities("User", json!(data.users))
    .start()
    .await;
    let catalog: Vec<Value> = data
        .products
        .iter()
        .map(|p| json!({ "upc": p["upc"], "title": p["title"], "price": p["price"] }))
        .collect();
    let products = Subgraph::new(
        "products",
        r#"
        type Product @key(fields: "upc") { upc: String! title: String! price: Money! }
        type Money { amount: Int! currency: String! }
        type Query { topProducts: [Product!]! }
        "#,
    )
    .root("topProducts", json!(catalog))
    .entities("Product", json!(catalog))
    .start()
    .await;
    let review_rows: Vec<Value> = data.reviews.iter().map(|r| data.review_row(r)).collect();
    // `reviews` resolves `User.reviews` and `Product.reviews` at any depth
    // (under `Review.author` too), so they are computed from the table.
    let by_author = review_rows.clone();
    let by_product = review_rows.clone();
    let users: Vec<Value> = data
        .users
        .iter()
        .map(|u| json!({ "id": u["id"] }))
        .collect();
    let product_keys: Vec<Value> = data
        .products
        .iter()
        .map(|p| json!({ "upc": p["upc"] }))
        .collect();
    let reviews = Subgraph::new(
        "reviews",
        r#"
        type Review @key(fields: "id") { id: ID! body: String! rating: Int! author: User! product: Product! }
        type User @key(fields: "id") { id: ID! reviews: [Review!]! }
        type Product @key(fields: "upc") { upc: String! reviews: [Review!]! }
        "#,
    )
    .entities("Review", json!(review_rows))
    .entities("User", json!(users))
    .entities("Product", json!(product_keys))
    .resolve("User", "reviews", move |ctx| {
        let id = &ctx.parent["id"];
        Ok(json!(by_author.iter().filter(|r| r["author"]["id"] == *id).collect::<Vec<_>>()))
    })
    .resolve("Product", "reviews", move |ctx| {
        let upc = &ctx.parent["upc"];
        Ok(json!(by_product.iter().filter(|r| r["product"]["upc"] == *upc).collect::<Vec<_>>()))
    })
    .start()
    .await;
    let stock: Vec<Value> = data
        .products
        .iter()
        .map(|p| json!({ "upc": p["upc"], "inStock": p["inStock"] }))
        .collect();
    let inventory = Subgraph::new(
        "inventory",
        r#"
        type Product @key(fields: "upc") { upc: String! inStock: Boolean! }
        type User @key(fields: "id", resolvable: false) { id: ID! }
        union Thing = User | Product
        type Query { things: [Thing!]! }
        "#,
    )
    .root(
        "things",
        json!([
            { "__typename": "Product", "upc": "p2", "inStock": false },
            { "__typename": "User", "id": "u3" },
            { "__typename": "Product", "upc": "p1", "inStock": true }
        ]),
    )
    .entities("Product", json!(stock))
    .start()
    .await;
    // Films' running times live apart from the rest of the media.
    let without_minutes = |m: &Value| {
        let mut m = m.clone();
        if let Some(fields) = m.as_object_mut() {
            fields.remove("minutes");
        }
        m
    };
    let media_rows: Vec<Value> = data.media.iter().map(without_minutes).collect();
    let favorites: Vec<Value> = data
        .users
        .iter()
        .map(|u| {
            let id = u["id"].as_str().unwrap_or_default();
            json!({ "id": id, "favorite": data.favorite(id).map(without_minutes) })
        })
        .collect();
    let of_type = |ty: &str| -> Vec<Value> {
        media_rows
            .iter()
            .filter(|m| m["__typename"] == ty)
            .cloned()
            .collect()
    };
    let media = Subgraph::new(
        "media",
        r#"
        interface Media @key(fields: "id") { id: ID! title: String! }
        type Book implements Media @key(fields: "id") { id: ID! title: String! pages: Int! }
        type Film implements Media @key(fields: "id") { id: ID! title: String! }
        type User @key(fields: "id") { id: ID! favorite: Media }
        type Query { media: [Media!]! }
        "#,
    )
    .root("media", json!(media_rows))
    .entities("Media", json!(media_rows))
    .entities("Book", json!(of_type("Book")))
    .entities("Film", json!(of_type("Film")))
    .entities("User", json!(favorites))
    .start()
    .await;
    let minutes: Vec<Value> = data
        .media
        .iter()
        .filter(|m| m["__typename"] == "Film")
        .map(|m| json!({ "id": m["id"], "minutes": m["minutes"] }))
        .collect();
    let films = Subgraph::new(
        "films",
        r#"type Film @key(fields: "id") { id: ID! minutes: Int! }"#,
    )
    .entities("Film", json!(minutes))
    .start()
    .await;
    vec![accounts, products, reviews, inventory, media, films]
}

/// Writes random operations valid against the monolith's schema.
struct Generator<'s> {
    schema: &'s Valid<Schema>,
    rng: StdRng,
    aliases: usize,
    fragments: Vec<String>,
}

impl Generator<'_> {
    fn operation(&mut self) -> String {
        self.aliases = 0;
        self.fragments.clear();
        let mut body = self.selection("Query", 0);
        for fragment in &self.fragments {
            body.push('\n');
            body.push_str(fragment);
        }
        // Only the variables used may be declared.
        let declarations: Vec<&str> = [
            ("$inc", "$inc: Boolean = true"),
            ("$skp", "$skp: Boolean = false"),
        ]
        .into_iter()
        .filter(|(name, _)| body.contains(name))
        .map(|(_, declaration)| declaration)
        .collect();
        if declarations.is_empty() {
            format!("query Q {body}")
        } else {
            format!("query Q({}) {body}", declarations.join(", "))
        }
    }

    /// `{ … }` on `ty`, `depth` levels below the root.
    fn selection(&mut self, ty: &str, depth: usize) -> String {
        let mut out = String::from("{");
        match self.schema.types.get(ty) {
            Some(ExtendedType::Union(union)) => {
                let members: Vec<String> =
                    union.members.iter().map(|m| m.name.to_string()).collect();
                let _ = write!(out, " __typename");
                for member in members {
                    if self.rng.random_bool(0.7) {
                        let inner = self.selection(&member, depth);
                        let _ = write!(out, " ... on {member}{} {inner}", self.directive());
                    }
                }
            }
            Some(ty_def @ (ExtendedType::Object(_) | ExtendedType::Interface(_))) => {
                let (fields, implementations) = match ty_def {
                    ExtendedType::Object(object) => (&object.fields, Vec::new()),
                    ExtendedType::Interface(interface) => (
                        &interface.fields,
                        self.schema
                            .implementers_map()
                            .get(ty)
                            .map(|i| i.objects.iter().map(|o| o.to_string()).collect())
                            .unwrap_or_default(),
                    ),
                    _ => unreachable!("matched above"),
                };
                let fields: Vec<(String, String, bool)> = fields
                    .iter()
                    .map(|(name, def)| {
                        let inner = def.ty.inner_named_type().to_string();
                        let composite = matches!(
                            self.schema.types.get(inner.as_str()),
                            Some(
                                ExtendedType::Object(_)
                                    | ExtendedType::Union(_)
                                    | ExtendedType::Interface(_)
                            )
                        );
                        (name.to_string(), inner, composite)
                    })
                    .collect();
                let mut picked = 0;
                for (name, inner, composite) in &fields {
                    if *composite && depth + 1 >= MAX_OPERATION_DEPTH {
                        continue;
                    }
                    if !self.rng.random_bool(if ty == "Query" { 0.6 } else { 0.45 }) {
                        continue;
                    }
                    picked += 1;
                    let others: Vec<&str> = fields
                        .iter()
                        .map(|(other, ..)| other.as_str())
                        .filter(|other| other != name)
                        .collect();
                    let field = self.field(name, inner, *composite, depth, &others);
                    match self.rng.random_range(0..10) {
                        // On its own type, inline or named.
                        0 => {
                            let _ = write!(out, " ... on {ty}{} {{ {field} }}", self.directive());
                        }
                        1 => {
                            let fragment = format!("F{}", self.fragments.len());
                            self.fragments
                                .push(format!("fragment {fragment} on {ty} {{ {field} }}"));
                            let _ = write!(out, " ...{fragment}{}", self.directive());
                        }
                        _ => {
                            let _ = write!(out, " {field}");
                        }
                    }
                }
                for object in implementations {
                    if self.rng.random_bool(0.5) {
                        let inner = self.selection(&object, depth);
                        let _ = write!(out, " ... on {object}{} {inner}", self.directive());
                    }
                }
                if picked == 0 || self.rng.random_bool(0.15) {
                    out.push_str(" __typename");
                }
            }
            _ => out.push_str(" __typename"),
        }
        out.push_str(" }");
        out
    }

    /// `others`: the type's other fields, whose names make the most
    /// confusing aliases (`{ id: name }`, where the router needs the real `id`).
    fn field(
        &mut self,
        name: &str,
        ty: &str,
        composite: bool,
        depth: usize,
        others: &[&str],
    ) -> String {
        let mut text = String::new();
        if !others.is_empty() && self.rng.random_bool(0.1) {
            let other = others[self.rng.random_range(0..others.len())];
            let _ = write!(text, "{other}: ");
        } else if self.rng.random_bool(0.2) {
            self.aliases += 1;
            let _ = write!(text, "a{}_{name}: ", self.aliases);
        }
        text.push_str(name);
        text.push_str(&self.directive());
        if composite {
            text.push(' ');
            text.push_str(&self.selection(ty, depth + 1));
        }
        text
    }

    fn directive(&mut self) -> String {
        match self.rng.random_range(0..12) {
            0 => " @include(if: $inc)".into(),
            1 => " @skip(if: $skp)".into(),
            2 => " @include(if: $skp)".into(),
            _ => String::new(),
        }
    }

    fn variables(&mut self) -> Value {
        match self.rng.random_range(0..4) {
            0 => json!({}),
            1 => json!({ "inc": false }),
            2 => json!({ "skp": true }),
            _ => json!({ "inc": true, "skp": false }),
        }
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test]
async fn the_router_over_subgraphs_answers_exactly_like_one_schema() {
    let seed = env_number("ORACLE_SEED", 20261202);
    let operations = env_number("ORACLE_OPERATIONS", 300) as usize;
    let data = data();
    let monolith = monolith(&data).await;
    let subgraphs = split(&data).await;
    let refs: Vec<&Fixture> = subgraphs.iter().collect();
    let supergraph = Supergraph::new(&refs).await;
    let schema = Schema::parse_and_validate(MONOLITH_SDL, "monolith.graphql")
        .expect("the monolith's schema is valid");
    let mut generator = Generator {
        schema: &schema,
        rng: StdRng::seed_from_u64(seed),
        aliases: 0,
        fragments: Vec::new(),
    };
    let mut agreed = 0;
    // Drafts the generator threw away because an alias named like another
    // field clashed with that field at the same level (invalid GraphQL).
    let mut discarded = 0;
    for n in 0..operations {
        let mut operation = generator.operation();
        let mut tries = 0;
        while let Err(errors) =
            ExecutableDocument::parse_and_validate(&schema, &operation, "generated.graphql")
        {
            tries += 1;
            assert!(
                tries < 50,
                "the generator keeps writing invalid operations:\n{operation}\n{errors}"
            );
            discarded += 1;
            operation = generator.operation();
        }
        let variables = generator.variables();
        let expected = monolith.query(&operation, variables.clone()).await;
        assert!(
            expected.get("errors").is_none(),
            "the monolith failed on operation {n}: {expected:#}\n{operation}"
        );
        let outcome = supergraph.request(&operation, variables.clone()).await;
        let expected = serde_json::to_string(&expected["data"]).unwrap_or_default();
        let actual = serde_json::to_string(outcome.data()).unwrap_or_default();
        assert!(
            outcome.errors().is_empty() && expected == actual,
            "operation {n} (seed {seed}) differs\noperation: {operation}\nvariables: {variables}\nexpected: {expected}\nactual:   {actual}\nerrors: {:?}\nplan:\n{}",
            outcome.errors(),
            outcome.plan
        );
        agreed += 1;
    }
    println!(
        "oracle: {agreed} generated operations answered exactly like the monolith (seed {seed}; {discarded} invalid drafts discarded)"
    );
    assert_eq!(agreed, operations);
}
