//! The loop behind every event consumer: subscribe, handle each delivery
//! through the inbox, acknowledge; on a failed handler, deliver again later;
//! on a lost subscription, subscribe again.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tracing::Instrument;

use crate::Event;
use crate::broker::Broker;

/// How long a failed event waits before it is delivered again.
const RETRY_DELAY: Duration = Duration::from_secs(1);

/// Feeds `consumer`'s subscription to `filter` through `handle` until
/// `shutdown` completes. `handle` should be idempotent (see `inbox`): an
/// event may arrive more than once.
pub async fn run<H, Fut, E>(
    broker: Arc<dyn Broker>,
    consumer: &str,
    filter: &str,
    handle: H,
    shutdown: impl Future<Output = ()>,
) where
    H: Fn(Event) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    tokio::pin!(shutdown);
    let metrics = crate::metrics::ConsumerMetrics::new(consumer);
    let mut backoff = Duration::from_millis(100);
    loop {
        let subscription = tokio::select! {
            _ = &mut shutdown => return,
            subscription = broker.subscribe(consumer, filter) => subscription,
        };
        let mut deliveries = match subscription {
            Ok(deliveries) => {
                backoff = Duration::from_millis(100);
                deliveries
            }
            Err(err) => {
                tracing::warn!(consumer, error = %err, "cannot subscribe; retrying");
                tokio::select! {
                    _ = &mut shutdown => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        loop {
            let next = tokio::select! {
                _ = &mut shutdown => return,
                next = deliveries.next() => next,
            };
            let delivery = match next {
                Some(Ok(delivery)) => delivery,
                Some(Err(err)) => {
                    tracing::warn!(consumer, error = %err, "unreadable delivery");
                    continue;
                }
                None => break,
            };
            let event = delivery.event.clone();
            let (id, subject) = (event.id, event.subject.clone());
            metrics.delivered(&delivery.meta);
            // A child of the span that wrote the event (its stored trace
            // context), so a reaction is part of the trace of its cause.
            let span = tracing::info_span!(
                "event.consume",
                otel.name = %format_args!("{consumer} consume"),
                otel.kind = "consumer",
                consumer,
                messaging.destination.name = %subject,
                messaging.message.id = %id,
            );
            telemetry::propagation::set_parent(&span, event.traceparent.as_deref());
            let started = std::time::Instant::now();
            let handled = handle(event).instrument(span).await;
            metrics.handled(handled.is_ok(), started.elapsed());
            match handled {
                Ok(()) => {
                    if let Err(err) = delivery.ack().await {
                        tracing::warn!(consumer, %id, error = %err, "ack failed; the event will come again");
                    }
                }
                Err(err) => {
                    tracing::warn!(consumer, %id, subject, error = %err, "handler failed; will retry");
                    let _ = delivery.nak(RETRY_DELAY).await;
                }
            }
        }
        tracing::info!(consumer, "subscription ended; subscribing again");
    }
}
