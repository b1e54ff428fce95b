//! The stages a client request passes, in order. Each is its own module
//! with its own error enum and `extensions.code`s; a stage that refuses
//! the request answers with GraphQL errors and an HTTP status before any
//! subgraph is called.
//!
//! 1. body (`body`): read within `max_request_bytes` (413), one JSON
//!    request or a batch (or, for GET, the server reads the parameters);
//! 2. authenticate (`crate::auth`): the bearer token verified (401 when it
//!    does not verify), its claims kept in the request context;
//! 3. rate limit (`rate_limit`): the client's token bucket (429);
//! 4. persisted documents (`persisted`, `trusted`): the text the request
//!    runs, from the APQ cache or the trusted documents when it sends only
//!    a hash;
//! 5. parse (`parse`): the document within the parser's token and nesting
//!    limits;
//! 6. validate (`validate`): against the API schema, the operation the
//!    request names, its variables coerced;
//!    — 5 and 6, and the measuring for 8, run once per query text
//!    (`document`, a cache);
//! 7. safelist (`trusted`): in `safelist` mode only trusted documents go
//!    on (compared normalized, so after parsing); an APQ text is stored
//!    once it has come this far;
//! 8. limits and cost (`limits`, `cost`): depth, height, aliases, root
//!    fields, directives, the estimated cost;
//! 9. introspection (`introspection`): `__schema`/`__type` refused when
//!    introspection is off (then answered from the API schema);
//! 10. authorization (`crate::authorization`): what the client may not see
//!     is planned away and answered null with an error;
//! 11. plan (`crate::plan`, cached per operation in the engine), shared
//!     with identical requests in flight (`crate::inflight`);
//! 12. execute (`crate::execute`).
//!
//! `Engine::execute` runs them; this module says how each refusal is
//! reported.

pub mod body;
pub mod cost;
pub mod csrf;
pub mod document;
pub mod introspection;
pub mod limits;
pub mod parse;
pub mod persisted;
pub mod rate_limit;
pub mod trusted;
pub mod validate;

use std::sync::Arc;

use apollo_compiler::ast::OperationType;

use crate::graphql;
use document::DocumentError;
use limits::Exceeded;
use validate::ValidateError;

pub const MISSING_QUERY: &str = "MISSING_QUERY_STRING";
pub const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";
pub const SUBSCRIPTION_NOT_SUPPORTED: &str = "SUBSCRIPTION_NOT_SUPPORTED";
pub const QUERY_PLANNING_FAILED: &str = "QUERY_PLANNING_FAILED";

/// A request a stage refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Rejection {
    #[error("Must provide query string.")]
    MissingQuery,
    #[error(transparent)]
    Unauthenticated(crate::auth::AuthError),
    #[error(transparent)]
    RateLimited(#[from] rate_limit::RateLimited),
    #[error(transparent)]
    Persisted(#[from] persisted::PersistedError),
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error(transparent)]
    Variables(ValidateError),
    #[error("the operation is past its limits")]
    Limits(Vec<Exceeded>),
    #[error(transparent)]
    Introspection(#[from] introspection::IntrospectionDisabled),
    #[error("{0} operations cannot be sent with GET; use POST.")]
    MethodNotAllowed(OperationType),
    #[error("Subscriptions are not supported.")]
    SubscriptionNotSupported,
    #[error("{0}")]
    PlanningFailed(Arc<str>),
}

/// A document whose `levels` fragments each spread the one below twice:
/// `2^levels` copies of `leaf` (on `type_name`) if written out, under
/// `root` (`query { products { ...FN } }`, with `FN` the top fragment).
#[cfg(test)]
pub(crate) fn fragment_bomb(root: &str, type_name: &str, levels: u32, leaf: &str) -> String {
    let mut bomb = format!("{}\n", root.replace("FN", &format!("F{levels}")));
    for level in 1..=levels {
        bomb.push_str(&format!(
            "fragment F{level} on {type_name} {{ ...F{p} ...F{p} }}\n",
            p = level - 1
        ));
    }
    bomb.push_str(&format!("fragment F0 on {type_name} {{ {leaf} }}\n"));
    bomb
}

/// How a refusal is sent over HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A GraphQL request error: 400 with `application/graphql-response+json`,
    /// 200 for legacy `application/json` clients (GraphQL over HTTP).
    RequestError,
    /// This status whatever the media type.
    Status(http::StatusCode),
}

impl Rejection {
    pub fn refusal(&self) -> Refusal {
        match self {
            Rejection::MethodNotAllowed(_) => Refusal::Status(http::StatusCode::METHOD_NOT_ALLOWED),
            Rejection::Unauthenticated(_) => Refusal::Status(http::StatusCode::UNAUTHORIZED),
            Rejection::RateLimited(_) => Refusal::Status(http::StatusCode::TOO_MANY_REQUESTS),
            _ => Refusal::RequestError,
        }
    }

    pub fn to_graphql_errors(&self) -> Vec<graphql::Error> {
        match self {
            Rejection::MissingQuery => vec![graphql::Error::coded(self.to_string(), MISSING_QUERY)],
            Rejection::Unauthenticated(err) => vec![err.to_graphql_error()],
            Rejection::RateLimited(err) => {
                vec![graphql::Error::coded(
                    err.to_string(),
                    rate_limit::RATE_LIMITED,
                )]
            }
            Rejection::Persisted(err) => vec![err.to_graphql_error()],
            Rejection::Document(err) => err.to_graphql_errors(),
            Rejection::Variables(err) => err.to_graphql_errors(),
            Rejection::Limits(exceeded) => {
                exceeded.iter().map(Exceeded::to_graphql_error).collect()
            }
            Rejection::Introspection(err) => vec![err.to_graphql_error()],
            Rejection::MethodNotAllowed(_) => {
                vec![graphql::Error::coded(self.to_string(), METHOD_NOT_ALLOWED)]
            }
            Rejection::SubscriptionNotSupported => {
                vec![graphql::Error::coded(
                    self.to_string(),
                    SUBSCRIPTION_NOT_SUPPORTED,
                )]
            }
            Rejection::PlanningFailed(message) => {
                vec![graphql::Error::coded(&**message, QUERY_PLANNING_FAILED)]
            }
        }
    }

    /// A request-error response (no `data`).
    pub fn to_response(&self) -> graphql::Response {
        graphql::Response {
            errors: self.to_graphql_errors(),
            ..Default::default()
        }
    }
}
