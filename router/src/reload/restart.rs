//! Settings a reload cannot apply. The listeners (and the worker threads
//! serving them) are bound once, at start-up, the CORS layer is built with
//! the routes, and the trace exporter is installed once per process; changing
//! them takes a restart. Everything else
//! in the config takes effect with the next engine.

use crate::config::RouterConfig;

/// The keys of `next` whose value differs from the running one but cannot
/// change without a restart. Their running values are put back into
/// `next`, so the new engine's config says what is really in force.
pub fn keep_running_values(running: &RouterConfig, next: &mut RouterConfig) -> Vec<&'static str> {
    let mut pending = Vec::new();
    if next.listen != running.listen {
        pending.push("listen");
        next.listen = running.listen;
    }
    if next.admin_listen != running.admin_listen {
        pending.push("admin_listen");
        next.admin_listen = running.admin_listen;
    }
    if next.workers != running.workers {
        pending.push("workers");
        next.workers = running.workers;
    }
    // The CORS and load-shedding layers wrap the routes, built when the
    // server starts.
    if next.cors != running.cors {
        pending.push("cors");
        next.cors = running.cors.clone();
    }
    if next.max_concurrent_requests != running.max_concurrent_requests {
        pending.push("max_concurrent_requests");
        next.max_concurrent_requests = running.max_concurrent_requests;
    }
    // The process's trace exporter is installed once.
    if next.tracing != running.tracing {
        pending.push("tracing");
        next.tracing = running.tracing.clone();
    }
    pending
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> RouterConfig {
        RouterConfig::from_toml(text).unwrap()
    }

    #[test]
    fn only_the_listeners_need_a_restart() {
        let running = config("listen = \"127.0.0.1:4000\"\nadmin_listen = \"127.0.0.1:4100\"");
        let cases: &[(&str, &[&str])] = &[
            (
                "listen = \"127.0.0.1:4000\"\nadmin_listen = \"127.0.0.1:4100\"",
                &[],
            ),
            (
                "listen = \"0.0.0.0:8080\"\nadmin_listen = \"127.0.0.1:4100\"",
                &["listen"],
            ),
            ("admin_listen = \"127.0.0.1:9\"", &["admin_listen"]),
            (
                "listen = \"127.0.0.1:1\"\nadmin_listen = \"127.0.0.1:2\"",
                &["listen", "admin_listen"],
            ),
            (
                "listen = \"127.0.0.1:4000\"\nadmin_listen = \"127.0.0.1:4100\"\nworkers = 3",
                &["workers"],
            ),
            (
                "listen = \"127.0.0.1:4000\"\nadmin_listen = \"127.0.0.1:4100\"\n\
                 [tracing]\nsampling_ratio = 0.5",
                &["tracing"],
            ),
            (
                "timeout_ms = 5\nplan_cache_size = 3\ndedup_queries = false\nmax_request_bytes = 9\n\
                 ready_needs_subgraphs = false\n[traffic]\ndeadline_ms = 7\n\
                 [subgraphs.a]\nurl = \"http://elsewhere/graphql\"",
                &[],
            ),
        ];
        for (text, expected) in cases {
            let mut next = config(text);
            let pending = keep_running_values(&running, &mut next);
            assert_eq!(&pending, expected, "{text}");
            assert_eq!(next.listen, running.listen, "{text}");
            assert_eq!(next.admin_listen, running.admin_listen, "{text}");
            assert_eq!(next.workers, running.workers, "{text}");
        }
    }

    #[test]
    fn what_can_change_is_left_as_written() {
        let running = RouterConfig::default();
        let mut next = config("plan_cache_size = 3\n[traffic]\ndeadline_ms = 7");
        keep_running_values(&running, &mut next);
        assert_eq!(next.plan_cache_size, 3);
        assert_eq!(next.traffic.deadline_ms, 7);
    }
}
