//! Status changes for the `orderStatusChanged` subscribers connected to
//! this replica, whichever replica committed them: the feed watches the
//! broker's order events (`Broker::watch`) and fans them out in-process.
//! A gap in the watch (the broker was unreachable) is passed on as
//! [`FeedItem::Missed`], so subscribers read their order again instead of
//! waiting for a change they will never see.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use events::Broker;
use futures::StreamExt;
use tokio::sync::broadcast;

use crate::domain_events::OrderStatusChanged;

/// How many changes a slow subscriber may fall behind before it skips some
/// (it then reads the order's current state with the next one it gets).
const BACKLOG: usize = 1024;
/// Every order event: `placed` and each status after it.
const SUBJECTS: &str = "shop.orders.order.>";

#[derive(Debug, Clone)]
pub enum FeedItem {
    Changed(Arc<OrderStatusChanged>),
    /// Changes may have been lost: every subscriber should look again.
    Missed,
}

#[derive(Clone)]
pub struct StatusFeed {
    changes: broadcast::Sender<FeedItem>,
}

impl StatusFeed {
    pub fn new() -> Self {
        StatusFeed {
            changes: broadcast::channel(BACKLOG).0,
        }
    }

    /// Changes seen from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<FeedItem> {
        self.changes.subscribe()
    }

    /// Tells every current subscriber; nobody listening is fine.
    fn send(&self, item: FeedItem) {
        let _ = self.changes.send(item);
    }

    /// Watches `broker` until `stopping` completes, watching again (after a
    /// pause that grows to 5 s) whenever the watch fails or ends.
    pub async fn run(self, broker: Arc<dyn Broker>, stopping: impl Future<Output = ()>) {
        tokio::pin!(stopping);
        let mut backoff = Duration::from_millis(100);
        loop {
            let watched = tokio::select! {
                _ = &mut stopping => return,
                watched = broker.watch(SUBJECTS) => watched,
            };
            match watched {
                Ok(mut watch) => {
                    backoff = Duration::from_millis(100);
                    // Whatever committed before the watch began.
                    self.send(FeedItem::Missed);
                    loop {
                        let next = tokio::select! {
                            _ = &mut stopping => return,
                            next = watch.next() => next,
                        };
                        match next {
                            Some(Ok(event)) => match event.payload::<OrderStatusChanged>() {
                                Ok(change) => self.send(FeedItem::Changed(Arc::new(change))),
                                Err(err) => {
                                    tracing::warn!(id = %event.id, error = %err, "an order event the feed cannot read")
                                }
                            },
                            Some(Err(err)) => {
                                tracing::warn!(error = %err, "order events watch interrupted");
                                self.send(FeedItem::Missed);
                            }
                            None => break,
                        }
                    }
                    tracing::info!("order events watch ended; watching again");
                }
                Err(err) => {
                    tracing::warn!(error = %err, "cannot watch order events; retrying");
                    tokio::select! {
                        _ = &mut stopping => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }
}

impl Default for StatusFeed {
    fn default() -> Self {
        Self::new()
    }
}
