//! NATS JetStream: one file-backed stream holds every event; each consumer is
//! a durable pull consumer with explicit acknowledgement. Publications carry
//! the event id as `Nats-Msg-Id`, so a re-publication inside the stream's
//! duplicate window (the relay retrying after a lost ack) is stored once,
//! and the event's trace context, when it has one, as a `traceparent`
//! header (W3C trace context, as over HTTP).
//! Only features of nats-server 2.9 are used.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{
    self, AckKind,
    consumer::{AckPolicy, DeliverPolicy, pull},
    message::PublishMessage,
    stream,
};
use futures::StreamExt;
use tokio::sync::OnceCell;

use super::{Acker, Broker, BrokerError, Delivery, DeliveryMeta, Subscription, Watch};
use crate::Event;

/// How long an unacknowledged delivery waits before JetStream sends it again.
const ACK_WAIT: Duration = Duration::from_secs(30);
/// How far apart two publications of one event id are still recognised.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
/// A publication not acknowledged within this is an error (the relay retries).
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(3);

/// The stream every broker on `stream` creates if it is missing: on file,
/// with the duplicate window that makes re-publication harmless. (Tools
/// and tests that create it first must create it the same.)
pub fn stream_config(stream: &str, subjects: &str) -> stream::Config {
    stream::Config {
        name: stream.to_owned(),
        subjects: vec![subjects.to_owned()],
        storage: stream::StorageType::File,
        duplicate_window: DUPLICATE_WINDOW,
        ..Default::default()
    }
}

#[derive(Clone)]
pub struct NatsBroker {
    jetstream: jetstream::Context,
    config: stream::Config,
    /// Set once the stream is known to exist.
    ready: Arc<OnceCell<()>>,
}

impl NatsBroker {
    /// A broker on the server at `url`, whose stream `stream` captures
    /// `subjects` (e.g. `shop.>`). Returns at once, even while the server is
    /// down: the client connects and reconnects in the background, and the
    /// stream is created on first use, so a service starts without the
    /// broker and its events wait in the outbox until the broker is there.
    pub async fn connect(url: &str, stream: &str, subjects: &str) -> Result<Self, BrokerError> {
        let client = async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .connect(url)
            .await
            .map_err(|err| BrokerError::Unavailable(format!("connecting to {url}: {err}")))?;
        let mut jetstream = jetstream::new(client);
        jetstream.set_timeout(PUBLISH_TIMEOUT);
        Ok(NatsBroker {
            jetstream,
            config: stream_config(stream, subjects),
            ready: Arc::new(OnceCell::new()),
        })
    }

    /// Creates the stream if it does not exist yet (once per broker).
    async fn ensure_stream(&self) -> Result<(), BrokerError> {
        self.ready
            .get_or_try_init(|| async {
                self.jetstream
                    .get_or_create_stream(self.config.clone())
                    .await
                    .map(|_| ())
                    .map_err(|err| {
                        BrokerError::Unavailable(format!("stream {}: {err}", self.config.name))
                    })
            })
            .await
            .map(|_| ())
    }
}

/// The header an event's trace context travels in.
const TRACEPARENT: &str = "traceparent";

/// The event a message carries, with the trace context of its header.
fn read(message: &async_nats::Message) -> Result<Event, serde_json::Error> {
    let mut event = Event::from_json(&message.payload)?;
    event.traceparent = message
        .headers
        .as_ref()
        .and_then(|headers| headers.get(TRACEPARENT))
        .map(|value| value.as_str().to_owned());
    Ok(event)
}

struct NatsAcker(jetstream::Message);

#[async_trait::async_trait]
impl Acker for NatsAcker {
    async fn ack(self: Box<Self>) -> Result<(), BrokerError> {
        // Double ack: wait for the server to confirm, so an acknowledged
        // event is not delivered again after a reconnect.
        self.0
            .double_ack()
            .await
            .map_err(|err| BrokerError::Unavailable(err.to_string()))
    }

    async fn nak(self: Box<Self>, delay: Duration) -> Result<(), BrokerError> {
        self.0
            .ack_with(AckKind::Nak(Some(delay)))
            .await
            .map_err(|err| BrokerError::Unavailable(err.to_string()))
    }
}

#[async_trait::async_trait]
impl Broker for NatsBroker {
    async fn publish(&self, event: &Event) -> Result<(), BrokerError> {
        self.ensure_stream().await?;
        let mut message = PublishMessage::build()
            .payload(event.to_json().into())
            .message_id(event.id.to_string());
        if let Some(traceparent) = &event.traceparent {
            message = message.header(TRACEPARENT, traceparent.as_str());
        }
        let ack = self
            .jetstream
            .send_publish(event.subject.clone(), message)
            .await
            .map_err(|err| BrokerError::Unavailable(format!("publishing: {err}")))?;
        ack.await
            .map_err(|err| BrokerError::Unavailable(format!("publish not acknowledged: {err}")))?;
        Ok(())
    }

    async fn subscribe(&self, consumer: &str, filter: &str) -> Result<Subscription, BrokerError> {
        let unavailable = |what: &str, err: &dyn std::fmt::Display| {
            BrokerError::Unavailable(format!("{what} {consumer}: {err}"))
        };
        self.ensure_stream().await?;
        let stream = self
            .jetstream
            .get_stream(&self.config.name)
            .await
            .map_err(|err| unavailable("stream for", &err))?;
        let consumer_handle: jetstream::consumer::PullConsumer = stream
            .get_or_create_consumer(
                consumer,
                pull::Config {
                    durable_name: Some(consumer.to_owned()),
                    filter_subject: filter.to_owned(),
                    deliver_policy: DeliverPolicy::All,
                    ack_policy: AckPolicy::Explicit,
                    ack_wait: ACK_WAIT,
                    ..Default::default()
                },
            )
            .await
            .map_err(|err| unavailable("consumer", &err))?;
        let messages = consumer_handle
            .messages()
            .await
            .map_err(|err| unavailable("messages of", &err))?;
        let deliveries = messages.then(|message| async move {
            let message = message.map_err(|err| BrokerError::Unavailable(err.to_string()))?;
            match read(&message) {
                Ok(event) => {
                    let meta = match message.info() {
                        Ok(info) => DeliveryMeta {
                            delivered: u64::try_from(info.delivered).unwrap_or(1),
                            pending: Some(info.pending),
                        },
                        Err(_) => DeliveryMeta::default(),
                    };
                    Ok(Delivery::new(event, NatsAcker(message)).with_meta(meta))
                }
                Err(err) => {
                    // Never readable, so never redelivered.
                    let _ = message.ack_with(AckKind::Term).await;
                    Err(BrokerError::Malformed(err.to_string()))
                }
            }
        });
        Ok(deliveries.boxed())
    }

    /// An ordered consumer (ephemeral, unacknowledged, recreated by the
    /// client after a gap) from the next message on: it reads the stream,
    /// so a publication JetStream dropped as a duplicate is not seen twice.
    async fn watch(&self, filter: &str) -> Result<Watch, BrokerError> {
        let unavailable = |err: &dyn std::fmt::Display| {
            BrokerError::Unavailable(format!("watching {filter}: {err}"))
        };
        self.ensure_stream().await?;
        let stream = self
            .jetstream
            .get_stream(&self.config.name)
            .await
            .map_err(|err| unavailable(&err))?;
        let messages = stream
            .create_consumer(pull::OrderedConfig {
                filter_subject: filter.to_owned(),
                deliver_policy: DeliverPolicy::New,
                ..Default::default()
            })
            .await
            .map_err(|err| unavailable(&err))?
            .messages()
            .await
            .map_err(|err| unavailable(&err))?;
        Ok(messages
            .map(|message| {
                let message = message.map_err(|err| BrokerError::Unavailable(err.to_string()))?;
                read(&message).map_err(|err| BrokerError::Malformed(err.to_string()))
            })
            .boxed())
    }
}
