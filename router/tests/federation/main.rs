//! Federation conformance suite: small supergraphs of fixture subgraphs served
//! over HTTP in-process, queried through the router, with exact responses.
//!
//! `kit` is the fixture kit; `kit_selftest` checks it without the router;
//! `suite` holds the conformance tests, one module per topic.

mod kit;
mod kit_selftest;
mod oracle;
mod suite;
