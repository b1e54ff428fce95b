//! SIGHUP, the conventional "re-read your files": a reload on demand, for
//! deploys that cannot rely on file events (network file systems, or a
//! router started with `--no-watch`).

use tokio::sync::mpsc::UnboundedSender;

use super::debounce::Trigger;

/// Starts listening for SIGHUP now (so one sent from here on is never the
/// default action, which ends the process) and sends a trigger for each.
#[cfg(unix)]
pub fn forward(triggers: UnboundedSender<Trigger>) -> std::io::Result<tokio::task::JoinHandle<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangups = signal(SignalKind::hangup())?;
    Ok(tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading the supergraph and config");
            if triggers.send(Trigger::Hangup).is_err() {
                return;
            }
        }
    }))
}

/// No SIGHUP off Unix: nothing to forward.
#[cfg(not(unix))]
pub fn forward(
    _triggers: UnboundedSender<Trigger>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    Ok(tokio::spawn(async {}))
}
