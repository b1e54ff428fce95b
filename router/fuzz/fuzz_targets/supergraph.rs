//! The supergraph loader: any text -> the federation metadata, the API
//! schema and an engine over it (what the router does at start-up and on
//! every reload). Errors are fine; a panic or a hang is not.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use router::config::RouterConfig;
use router::engine::Engine;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = router::supergraph::Supergraph::parse(text);
    if let Ok(engine) = Engine::new(text, &RouterConfig::default(), common::transport()) {
        // A loaded supergraph plans a trivial operation.
        let _ = engine.explain("{ __typename }", None);
    }
});
