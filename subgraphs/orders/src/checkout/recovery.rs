//! Recovery: a background sweep that finds checkouts nobody is running
//! (their runner died, or a service was unreachable) and runs them on, at
//! start-up and then every `sweep_every`; it also asks the payments service
//! about orders that have waited longer than `recheck_payment_after` for
//! their payment's outcome event. Without the payment details it
//! never makes a new authorization: it completes what was authorized and
//! undoes the rest.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;

use super::Checkout;
use crate::store::Lease;

/// How many unfinished checkouts one sweep takes on.
const BATCH: u64 = 100;
/// How many of them run at once.
const CONCURRENCY: usize = 8;

impl Checkout {
    /// One pass: runs every unfinished checkout whose lease is free, a few
    /// at a time, and asks payments about orders that have waited long for
    /// their payment. Returns how many it ran.
    pub async fn recover(&self) -> usize {
        if self.settings.faults.is_dead() {
            return 0;
        }
        let waiting_since = Lease::expiry(Duration::ZERO)
            - chrono::Duration::from_std(self.settings.recheck_payment_after)
                .unwrap_or(chrono::Duration::MAX);
        let ids = match self.store.unfinished(waiting_since, BATCH).await {
            Ok(ids) => ids,
            Err(err) => {
                tracing::warn!(error = %err, "cannot look for unfinished checkouts");
                return 0;
            }
        };
        let ran = AtomicUsize::new(0);
        futures::stream::iter(ids)
            .for_each_concurrent(CONCURRENCY, |id| {
                let ran = &ran;
                async move {
                    let lease = self.new_lease();
                    match self.store.claim(&id, &lease).await {
                        Ok(Some(order)) => match self.run_from(order, lease, None, true).await {
                            Ok(order) => {
                                ran.fetch_add(1, Ordering::Relaxed);
                                tracing::info!(order = id.as_str(), status = %order.status, step = ?order.checkout_step, "recovered checkout");
                            }
                            Err(err) => {
                                tracing::warn!(order = id.as_str(), error = %err, "recovery failed; will retry");
                            }
                        },
                        Ok(None) => {}
                        Err(err) => tracing::warn!(order = id.as_str(), error = %err, "cannot claim"),
                    }
                }
            })
            .await;
        ran.into_inner()
    }

    /// Sweeps until `stopping` completes.
    pub async fn run_recovery(self, stopping: impl Future<Output = ()>) {
        tokio::pin!(stopping);
        loop {
            self.recover().await;
            tokio::select! {
                _ = &mut stopping => return,
                _ = tokio::time::sleep(self.settings.sweep_every) => {}
            }
        }
    }
}
