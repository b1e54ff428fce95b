//! Building the payments service from its settings.

use std::net::SocketAddr;
use std::sync::Arc;

use events::relay::Relay;
use events::settings::BrokerSettings;
use events::{Broker, BrokerError};
use sea_orm::DatabaseConnection;
use subgraph_kit::database::{self, DatabaseError};
use subgraph_kit::server::{self, Server};

use crate::gateway::{GatewayRegistry, GatewaySettings};
use crate::graphql;
use crate::processor::PaymentProcessor;
use crate::store::PaymentStore;

pub const NAME: &str = "payments";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4004";

#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub database_url: String,
    /// The most PostgreSQL connections this process opens.
    pub database_max_connections: u32,
    pub gateways: GatewaySettings,
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
    let db = database::open_migrated::<migrations::payments::Migrator>(url).await?;
    Ok(subgraph_kit::metrics::observe_database(NAME, db))
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DatabaseError> {
    database::migrate::<migrations::payments::Migrator>(db).await
}

/// Binds the listener over an open, migrated database with the built-in gateways.
pub async fn build(
    listen: SocketAddr,
    db: DatabaseConnection,
    gateways: &GatewaySettings,
    broker: Arc<dyn Broker>,
) -> Result<Server, StartError> {
    build_with_gateways(listen, db, GatewayRegistry::new(gateways), broker).await
}

/// Like [`build`] with any gateways (another provider, or test doubles).
pub async fn build_with_gateways(
    listen: SocketAddr,
    db: DatabaseConnection,
    gateways: GatewayRegistry,
    broker: Arc<dyn Broker>,
) -> Result<Server, StartError> {
    let relay = Relay::new(db.clone(), broker).reporting_as(NAME);
    let store = PaymentStore::with_relay(db.clone(), relay.waker());
    let processor = PaymentProcessor::new(store, gateways);
    let routes = server::routes(NAME, graphql::schema(processor), db);
    let server = Server::bind(NAME, listen, routes)
        .await
        .map_err(|source| StartError::Bind {
            addr: listen,
            source,
        })?;
    Ok(server.with_background(move |stopping| relay.run(stopping)))
}

/// Opens the database and binds the listener.
pub async fn start(settings: &Settings) -> Result<Server, StartError> {
    let db = database::open_migrated_with::<migrations::payments::Migrator>(
        &settings.database_url,
        settings.database_max_connections,
    )
    .await?;
    let db = subgraph_kit::metrics::observe_database(NAME, db);
    let broker = settings.broker.connect().await?;
    build(settings.listen, db, &settings.gateways, broker).await
}
