//! Observability every binary of the system shares. The router and the four
//! services can run in one process (the all-in-one run), and the `metrics`
//! facade and `tracing` each have one global sink per process, so installing
//! them lives here, once, rather than in each crate.
//!
//! - `metrics`: the process's Prometheus recorder and bounded label values;
//!   each crate declares its own metrics in its own `metrics` module.
//! - `logs`: the `tracing` subscriber (filter from `RUST_LOG`).
#![forbid(unsafe_code)]

pub mod logs;
pub mod metrics;
