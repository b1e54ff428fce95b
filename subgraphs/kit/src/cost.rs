//! The demand-control directive our lists carry (`@listSize`, from the
//! GraphQL cost directive spec): the router estimates what an operation
//! costs from it and refuses ones past its `max_cost`.

use async_graphql::TypeDirective;

// A list's size is the largest slicing argument given, else `assumedSize`;
// with `sizedFields`, that size is the size of those child lists (a
// connection's `edges`). async-graphql writes this definition into the
// subgraph SDL; composition replaces it with the spec's. Applied as
// `#[graphql(directive = subgraph_kit::cost::list_size::apply(..))]`.
/// The size of a list, for the router's cost estimate (the GraphQL cost
/// directive spec).
#[TypeDirective(name = "listSize", location = "FieldDefinition")]
pub fn list_size(
    assumed_size: Option<i32>,
    slicing_arguments: Vec<String>,
    sized_fields: Vec<String>,
    require_one_slicing_argument: bool,
) {
}
