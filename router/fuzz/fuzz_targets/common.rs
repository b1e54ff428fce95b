#![allow(dead_code)] // each target uses a part of it
//! What both targets share: a transport that answers every fetch at once,
//! and the supergraphs the request target runs against.

use std::sync::Arc;

use router::request::RequestContext;
use router::transport::{
    RawResponse, SubgraphEndpoint, SubgraphRequest, Transport, TransportError,
};

/// Every subgraph answers `{"data": null}`: the router's own code runs,
/// no network.
pub struct Quiet;

#[async_trait::async_trait]
impl Transport for Quiet {
    async fn fetch(
        &self,
        _: &SubgraphEndpoint,
        _: SubgraphRequest,
        _: &RequestContext,
    ) -> Result<RawResponse, TransportError> {
        Ok(RawResponse::ok(bytes::Bytes::from_static(
            b"{\"data\":null}",
        )))
    }
}

pub fn transport() -> Arc<dyn Transport> {
    Arc::new(Quiet)
}

/// Our own graph, as checked in.
pub const SHOP: &str = include_str!("../../../schema/supergraph.graphql");

/// A fixture graph unlike ours: an interface and a union, `@requires`,
/// `@provides`, shared value types, `@inaccessible` and authorization
/// directives.
pub fn fixture_subgraphs() -> Vec<router::compose::SubgraphSource> {
    let link = r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible", "@interfaceObject", "@authenticated", "@requiresScopes", "@policy"])"#;
    let sources = [
        (
            "accounts",
            r#"
            interface Node { id: ID! }
            type User implements Node @key(fields: "id") { id: ID! name: String! secret: String @inaccessible email: String @authenticated }
            type Query { me: User node(id: ID!): Node search(text: String!, first: Int = 5): [Result!]! }
            union Result = User | Review
            type Review implements Node @key(fields: "id") { id: ID! body: String! }
            type Money @shareable { amount: Int! currency: String! }
            "#,
        ),
        (
            "reviews",
            r#"
            type User @key(fields: "id") { id: ID! name: String! @external reviews(first: Int): [Review!]! @requiresScopes(scopes: [["read"]]) }
            type Review @key(fields: "id") { id: ID! author: User! @provides(fields: "name") rating: Int }
            "#,
        ),
        (
            "inventory",
            r#"
            type Product @key(fields: "upc") { upc: String! price: Money! @external weight: Int @external shipping: Int @requires(fields: "price { amount } weight") }
            type Money @shareable { amount: Int! currency: String! }
            type Query { stock(upc: String!): Int @policy(policies: [["staff"]]) }
            "#,
        ),
        (
            "catalog",
            r#"
            type Product @key(fields: "upc") { upc: String! name: String price: Money! weight: Int }
            type Money @shareable { amount: Int! currency: String! }
            type Query { products(first: Int = 10): [Product!]! }
            "#,
        ),
    ];
    sources
        .iter()
        .map(|(name, sdl)| router::compose::SubgraphSource {
            name: (*name).to_owned(),
            url: format!("http://127.0.0.1:1/{name}"),
            sdl: format!("{link}\n{sdl}"),
        })
        .collect()
}
