//! Recovery: a background sweep that finds checkouts nobody is running
//! (their runner died, or a service was unreachable) and runs them on, at
//! start-up and then every `sweep_every`. Without the payment details it
//! never makes a new authorization: it completes what was authorized and
//! undoes the rest.

use std::future::Future;

use super::Checkout;

/// How many unfinished checkouts one sweep takes on.
const BATCH: u64 = 100;

impl Checkout {
    /// One pass: runs every unfinished checkout whose lease is free.
    /// Returns how many it ran.
    pub async fn recover(&self) -> usize {
        if self.settings.faults.is_dead() {
            return 0;
        }
        let ids = match self.store.unfinished(BATCH).await {
            Ok(ids) => ids,
            Err(err) => {
                tracing::warn!(error = %err, "cannot look for unfinished checkouts");
                return 0;
            }
        };
        let mut ran = 0;
        for id in ids {
            let lease = self.new_lease();
            match self.store.claim(&id, &lease).await {
                Ok(Some(order)) => match self.run(order, lease, None).await {
                    Ok(order) => {
                        ran += 1;
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
        ran
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
