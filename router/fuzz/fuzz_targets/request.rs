//! The request path without a network: body bytes -> decode -> parse ->
//! validate -> limits and cost -> authorization -> plan -> execute (every
//! subgraph answers null), against our supergraph and a fixture one. An
//! input whose first byte is odd is taken as the query text itself, so
//! the fuzzer reaches the GraphQL stages without having to find JSON
//! first.

#![no_main]

mod common;

use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use router::config::RouterConfig;
use router::engine::Engine;
use router::graphql::Request;
use router::pipeline::body::{self, BatchingConfig, Decoded};
use router::request::RequestContext;

struct Setup {
    runtime: tokio::runtime::Runtime,
    engines: Vec<Engine>,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime");
        let config = RouterConfig {
            introspection: true,
            ..RouterConfig::default()
        };
        let fixture = router::compose::compose(&common::fixture_subgraphs())
            .expect("the fixture composes")
            .supergraph_sdl;
        let engines = [common::SHOP, fixture.as_str()]
            .iter()
            .map(|sdl| {
                let _entered = runtime.enter();
                Engine::new(sdl, &config, common::transport()).expect("the supergraph loads")
            })
            .collect();
        Setup { runtime, engines }
    })
}

fuzz_target!(|data: &[u8]| {
    let setup = setup();
    let requests = match data.split_first() {
        Some((first, text)) if first % 2 == 1 => {
            let Ok(text) = std::str::from_utf8(text) else {
                return;
            };
            vec![Request {
                query: Some(text.to_owned()),
                ..Default::default()
            }]
        }
        _ => {
            let batching = BatchingConfig {
                enabled: true,
                max_operations: 4,
            };
            match body::decode(data, &batching) {
                Ok(Decoded::One(request)) => vec![request],
                Ok(Decoded::Batch(requests)) => requests,
                Err(_) => return,
            }
        }
    };
    for engine in &setup.engines {
        for request in &requests {
            let context = RequestContext::post_within(Duration::from_secs(5));
            let answer = setup
                .runtime
                .block_on(engine.execute(request.clone(), &context));
            // Writing the response is part of the path.
            let _ = answer.into_body();
        }
    }
});
