//! Tasks that live as long as their upstream (health checks, DNS
//! discovery). Each holds the upstream only weakly, so it never keeps it
//! alive, and is aborted when the upstream is dropped, so it ends at once
//! rather than at its next tick.

use std::future::Future;

use tokio::task::AbortHandle;

use crate::error::BuildError;

pub(crate) struct Background(AbortHandle);

impl Background {
    /// Runs `task` on the current tokio runtime; `what` names it in the
    /// error when there is none.
    pub(crate) fn spawn(
        upstream: &str,
        what: &'static str,
        task: impl Future<Output = ()> + Send + 'static,
    ) -> Result<Background, BuildError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| BuildError::NoRuntime {
            upstream: upstream.to_owned(),
            what,
        })?;
        Ok(Background(runtime.spawn(task).abort_handle()))
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.0.abort();
    }
}
