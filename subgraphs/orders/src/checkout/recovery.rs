//! Recovery: a background sweep that finds checkouts nobody is running
//! (their runner died, or a service was unreachable) and runs them on, at
//! start-up and then every `sweep_every`; it also asks the payments service
//! about orders that have waited longer than `recheck_payment_after` for
//! their payment's outcome event. Without the payment details it
//! never makes a new authorization: it completes what was authorized and
//! undoes the rest.

use std::future::Future;
use std::time::Duration;

use super::Checkout;
use crate::store::Lease;

/// How many unfinished checkouts one sweep looks at.
const BATCH: u64 = 100;
/// How many recovery runs go on at once.
pub(super) const CONCURRENCY: usize = 8;

impl Checkout {
    /// One pass: claims unfinished checkouts whose lease is free (and
    /// orders that have waited long for their payment) and runs each in a
    /// task of its own, at most `CONCURRENCY` at once. The sweep does not
    /// wait for the runs: one slow run cannot hold back an order that
    /// stalled after it (see `CheckoutSettings::settle_bound`). Returns
    /// how many runs it started.
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
                crate::metrics::recovery_sweep(false, 0);
                return 0;
            }
        };
        let mut started = 0;
        for id in ids {
            // All slots busy: the rest wait for the next sweep.
            let Ok(slot) = self.recovering.clone().try_acquire_owned() else {
                break;
            };
            let lease = self.new_lease();
            let order = match self.store.claim(&id, &lease).await {
                Ok(Some(order)) => order,
                Ok(None) => continue,
                Err(err) => {
                    tracing::warn!(order = id.as_str(), error = %err, "cannot claim");
                    continue;
                }
            };
            started += 1;
            let checkout = self.clone();
            tokio::spawn(async move {
                let _slot = slot;
                match checkout.run_from(order, lease, None, true).await {
                    Ok(order) => {
                        tracing::info!(order = id.as_str(), status = %order.status, step = ?order.checkout_step, "recovered checkout");
                    }
                    Err(err) => {
                        tracing::warn!(order = id.as_str(), error = %err, "recovery failed; will retry");
                    }
                }
            });
        }
        crate::metrics::recovery_sweep(true, started);
        started
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
