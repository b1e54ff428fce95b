//! Status changes as they commit, for the `orderStatusChanged` subscribers
//! connected to this process. The outbox carries the same changes to other
//! services through the broker; this is the short path to live clients.

use tokio::sync::broadcast;

use crate::domain_events::OrderStatusChanged;

/// How many changes a slow subscriber may fall behind before it skips some
/// (it then reads the order's current state with the next one it gets).
const BACKLOG: usize = 1024;

#[derive(Clone)]
pub struct StatusFeed {
    changes: broadcast::Sender<OrderStatusChanged>,
}

impl StatusFeed {
    pub fn new() -> Self {
        StatusFeed {
            changes: broadcast::channel(BACKLOG).0,
        }
    }

    /// Tells every current subscriber; nobody listening is fine.
    pub fn publish(&self, change: OrderStatusChanged) {
        let _ = self.changes.send(change);
    }

    /// Changes committed from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<OrderStatusChanged> {
        self.changes.subscribe()
    }
}

impl Default for StatusFeed {
    fn default() -> Self {
        Self::new()
    }
}
