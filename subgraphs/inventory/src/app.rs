//! Building the inventory service from its settings.

use std::net::SocketAddr;
use std::sync::Arc;

use events::relay::Relay;
use events::settings::BrokerSettings;
use events::{Broker, BrokerError};
use sea_orm::DatabaseConnection;
use subgraph_kit::database::{self, DatabaseError};
use subgraph_kit::server::{self, Server};

use crate::graphql;
use crate::reorder;
use crate::store::InventoryStore;

pub const NAME: &str = "inventory";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4002";

#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub database_url: String,
    /// The most PostgreSQL connections this process opens.
    pub database_max_connections: u32,
    /// Where the outbox relay publishes.
    pub broker: BrokerSettings,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error("cannot reach the message broker")]
    Broker(#[from] BrokerError),
    #[error("cannot listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Opens and migrates the database, its statements timed for `/metrics`
/// (a connection handed to `build` some other way keeps its own callback).
pub async fn open_database(url: &str) -> Result<DatabaseConnection, DatabaseError> {
    let db = database::open_migrated::<migrations::inventory::Migrator>(url).await?;
    Ok(subgraph_kit::metrics::observe_database(NAME, db))
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DatabaseError> {
    database::migrate::<migrations::inventory::Migrator>(db).await
}

/// Binds the listener over an open, migrated database. Beside it run the
/// outbox relay, publishing the service's events to `broker`, and the
/// `reorder` consumer, opening replenishment requests on `stock.low`.
pub async fn build(
    listen: SocketAddr,
    db: DatabaseConnection,
    broker: Arc<dyn Broker>,
) -> Result<Server, StartError> {
    let relay = Relay::new(db.clone(), broker.clone()).reporting_as(NAME);
    let store = InventoryStore::with_relay(db.clone(), relay.waker());
    let schema = graphql::schema(store.clone());
    crate::metrics::register();
    let sampled = store.clone();
    let sample: server::Sample = Arc::new(move || {
        let store = sampled.clone();
        Box::pin(async move {
            match store.open_replenishments().await {
                Ok(open) => crate::metrics::open_replenishments(open),
                Err(err) => tracing::debug!(error = %err, "cannot count open replenishments"),
            }
        })
    });
    let routes = server::routes_sampling(NAME, schema, db, Some(sample));
    let server = Server::bind(NAME, listen, routes)
        .await
        .map_err(|source| StartError::Bind {
            addr: listen,
            source,
        })?;
    Ok(server
        .with_background(move |stopping| relay.run(stopping))
        .with_background(move |stopping| reorder::run(store, broker, stopping)))
}

/// Opens the database and binds the listener.
pub async fn start(settings: &Settings) -> Result<Server, StartError> {
    let db = database::open_migrated_with::<migrations::inventory::Migrator>(
        &settings.database_url,
        settings.database_max_connections,
    )
    .await?;
    let db = subgraph_kit::metrics::observe_database(NAME, db);
    let broker = settings.broker.connect().await?;
    build(settings.listen, db, broker).await
}
