//! Moves events from the outbox to the broker, oldest first. An event is
//! marked published only after the broker has acknowledged it; if the broker
//! is down the relay backs off and tries again, and the events wait in the
//! outbox. A crash between publishing and marking publishes that event again
//! on restart: the broker's duplicate window and the consumers' inbox absorb it.
//!
//! Every replica of a service runs a relay over the one outbox they share;
//! only the holder of the relay lease (`lease`) publishes, so events leave
//! once and in `seq` order whichever replica committed them, and a standby
//! takes over within a lease length when the holder dies. (Events of one
//! aggregate are in `seq` order because a change locks its aggregate's row
//! before appending its event, in the same transaction.)

pub mod lease;

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::Notify;
use tracing::Instrument;

use crate::broker::{Broker, BrokerError};
use crate::outbox;
use lease::RelayLease;

const BATCH: u64 = 256;

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("reading the outbox: {0}")]
    Database(#[from] DbErr),
    #[error(transparent)]
    Broker(#[from] BrokerError),
}

/// Tells the relay that a transaction with events has committed, so it need
/// not wait for its next poll.
#[derive(Clone, Default)]
pub struct Wake(Arc<Notify>);

impl Wake {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

pub struct Relay {
    db: DatabaseConnection,
    broker: Arc<dyn Broker>,
    wake: Wake,
    /// Checked this often even without a wake-up: another replica may have
    /// committed events, or given up the lease.
    poll: Duration,
    lease: RelayLease,
    /// The service its outbox metrics are reported under, if any.
    service: Option<&'static str>,
}

/// How often a relay reads its outbox's backlog for the metrics.
const SAMPLE_EVERY: Duration = Duration::from_secs(1);

impl Relay {
    pub fn new(db: DatabaseConnection, broker: Arc<dyn Broker>) -> Self {
        Relay {
            db,
            broker,
            wake: Wake::default(),
            poll: Duration::from_millis(200),
            lease: RelayLease::new(Duration::from_secs(10)),
            service: None,
        }
    }

    /// Reports the outbox's backlog, the age of its oldest event and what
    /// it publishes as `service`'s (see `crate::metrics`).
    pub fn reporting_as(mut self, service: &'static str) -> Self {
        crate::metrics::register();
        self.service = Some(service);
        self
    }

    /// How long the relay lease lasts without renewal: how long a dead
    /// holder's events wait before a standby replica publishes them.
    pub fn with_lease(mut self, length: Duration) -> Self {
        self.lease = RelayLease::new(length);
        self
    }

    pub fn with_poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// The handle services use to wake this relay after committing events.
    pub fn waker(&self) -> Wake {
        self.wake.clone()
    }

    /// Publishes every pending event in order and returns how many; stops at
    /// the first the broker does not take, leaving it and the rest pending.
    /// Publishes nothing while another relay holds the lease.
    pub async fn drain(&self) -> Result<usize, RelayError> {
        let mut published = 0;
        loop {
            if !self.lease.hold(&self.db).await? {
                return Ok(published);
            }
            let batch = outbox::pending(&self.db, BATCH).await?;
            if batch.is_empty() {
                return Ok(published);
            }
            for (seq, mut event) in batch {
                // A slow broker must not let the lease run out mid-batch.
                if !self.lease.hold(&self.db).await? {
                    return Ok(published);
                }
                let span = publish_span(&mut event);
                self.broker.publish(&event).instrument(span).await?;
                outbox::mark_published(&self.db, seq).await?;
                published += 1;
                if let Some(service) = self.service {
                    crate::metrics::published(service, 1);
                }
            }
        }
    }

    /// Drains whenever woken or every poll interval, backing off (up to 5 s)
    /// while the broker or database fails, until `shutdown` completes.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut backoff = Duration::from_millis(100);
        let mut sampled: Option<tokio::time::Instant> = None;
        loop {
            let drained = self.drain().await;
            if sampled.is_none_or(|at| at.elapsed() >= SAMPLE_EVERY) {
                sampled = Some(tokio::time::Instant::now());
                self.sample().await;
            }
            let wait = match drained {
                Ok(_) => {
                    backoff = Duration::from_millis(100);
                    self.poll
                }
                Err(err) => {
                    tracing::warn!(error = %err, retry_in_ms = backoff.as_millis() as u64, "outbox relay failed");
                    let wait = backoff;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    wait
                }
            };
            tokio::select! {
                _ = &mut shutdown => break,
                _ = self.wake.0.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
        if let Err(err) = self.lease.release(&self.db).await {
            tracing::warn!(error = %err, "cannot give up the relay lease; a peer takes over when it runs out");
        }
    }

    /// Reads the backlog and the oldest pending event's age into the
    /// metrics (a reporting relay only; a failed read keeps the last).
    async fn sample(&self) {
        let Some(service) = self.service else {
            return;
        };
        match outbox::backlog_and_oldest(&self.db).await {
            Ok((pending, oldest)) => {
                let age = oldest
                    .map(|at| (chrono::Utc::now() - at).to_std().unwrap_or_default())
                    .unwrap_or_default();
                crate::metrics::outbox(service, pending, age);
            }
            Err(err) => tracing::debug!(error = %err, "cannot read the outbox backlog"),
        }
    }
}

/// The span of one publication, a child of the transaction that wrote the
/// event; the event then carries this span's context to its consumers.
/// None for an event written outside any trace; disabled, and the event
/// untouched, while tracing is off.
fn publish_span(event: &mut crate::Event) -> tracing::Span {
    if event.traceparent.is_none() {
        return tracing::Span::none();
    }
    let span = tracing::info_span!(
        "event.publish",
        otel.name = %format_args!("{} publish", event.subject),
        otel.kind = "producer",
        messaging.destination.name = %event.subject,
        messaging.message.id = %event.id,
    );
    if !span.is_disabled() {
        telemetry::propagation::set_parent(&span, event.traceparent.as_deref());
        if let Some(traceparent) = telemetry::propagation::traceparent(&span) {
            event.traceparent = Some(traceparent);
        }
    }
    span
}
