//! The federation router. So far it composes supergraphs; query planning and
//! execution come next and will live beside `compose`.
//!
//! - `compose`: subgraph SDLs to a validated, standard Apollo supergraph.
//! - `introspect`: fetching a running subgraph's SDL through `_service { sdl }`.

pub mod compose;
pub mod introspect;
