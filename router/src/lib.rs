//! A general Apollo Federation v2 router: it loads any supergraph, plans each
//! operation into subgraph fetches, executes them and assembles the response.
//!
//! - `auth`: JWT authentication against JWKS keys (polled).
//! - `authorization`: `@authenticated`, `@requiresScopes`, `@policy`: what of
//!   an operation a client may see.
//! - `compose`: subgraph SDLs to a validated, standard Apollo supergraph.
//! - `introspect`: fetching a running subgraph's SDL through `_service { sdl }`.
//! - `graphql`: GraphQL-over-HTTP wire types (requests, responses, errors).
//! - `supergraph`: the supergraph's federation metadata (subgraphs, keys, field
//!   sources, `@requires`/`@provides`), read once at start-up.
//! - `api_schema`: the public API schema derived from the supergraph.
//! - `pipeline`: the stages a request passes (parse, validate, limits, ...),
//!   each with its own errors and codes; documents prepared once per text.
//! - `introspection`: answering `__schema`/`__type` from the API schema.
//! - `schema_diff`: breaking, dangerous and safe changes between two schemas.
//! - `plan`: the query planner; pure, no I/O. Plans print as readable text.
//! - `plan_extension`: `extensions.queryPlan`, the plan and the fetches as
//!   they ran, for clients that ask where the config allows it.
//! - `execute`: runs a plan against subgraphs and shapes the client response.
//! - `transport`: sending subgraph requests (a trait; HTTP in production).
//! - `request`: the request context (headers, method, deadline) every stage sees.
//! - `inflight`: identical requests in flight sharing one execution.
//! - `engine`: runs the pipeline's stages, plan (cached) and execute per request.
//! - `reload`: hot reload; the engine in force, swapped when the files change.
//! - `metrics`: the Prometheus metrics, declared in one place.
//! - `server`: the HTTP endpoint.
//! - `workers`: serving on one single-threaded runtime per core.
//! - `playground`: the GraphiQL page (built from `playground/`, embedded),
//!   its assets and its security headers.
//! - `cors`: which other sites may call the router from a browser.
//! - `config`: router settings from a file.
//! - `cli`: the `router` binary's command line.

pub mod api_schema;
pub mod auth;
pub mod authorization;
pub mod cli;
pub mod compose;
pub mod config;
pub mod cors;
pub mod engine;
pub mod execute;
pub mod graphql;
pub mod inflight;
pub mod introspect;
pub mod introspection;
pub mod metrics;
pub mod pipeline;
pub mod plan;
pub mod plan_extension;
pub mod playground;
pub mod reload;
pub mod request;
pub mod schema_diff;
pub mod server;
pub mod supergraph;
pub mod transport;
pub mod workers;
