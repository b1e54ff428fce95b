//! The federation authorization directives our resolvers carry, for the
//! router to enforce: `@authenticated` and `@policy` as type directives
//! (async-graphql's federation link cannot import them; composition adopts
//! these definitions as the federation's). `@requiresScopes` is built into
//! async-graphql: `#[graphql(requires_scopes = "admin")]`.
//!
//! The router decides; each service checks what concerns it again with
//! `crate::caller::Caller` (defence in depth).

use async_graphql::TypeDirective;

/// Only a signed-in client may see this field.
#[TypeDirective(name = "authenticated", location = "FieldDefinition")]
pub fn authenticated() {}

/// A client may see this field when the router grants it one of the sets
/// of policies (each set all together); the router's config says what
/// grants each policy.
#[TypeDirective(name = "policy", location = "FieldDefinition")]
pub fn policy(policies: Vec<Vec<String>>) {}
