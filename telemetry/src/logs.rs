//! Log set-up for the binaries: `RUST_LOG` filters, `info` by default,
//! written to stderr.

use tracing_subscriber::EnvFilter;

/// Installs the process's subscriber; a second call (several services in
/// one process) is harmless.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
