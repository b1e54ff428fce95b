//! Logging set-up for the binaries: `RUST_LOG` filters, `info` by default.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // A second init (several services in one process) is harmless.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}
