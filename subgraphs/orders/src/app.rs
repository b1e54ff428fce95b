//! Building the orders service from its settings.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use events::relay::Relay;
use events::settings::BrokerSettings;
use events::{Broker, BrokerError};
use sea_orm::DatabaseConnection;
use subgraph_kit::database::{self, DatabaseError};
use subgraph_kit::server::{self, Server};

use crate::billing::HttpBilling;
use crate::catalog::HttpCatalog;
use crate::checkout::Checkout;
pub use crate::checkout::CheckoutSettings;
use crate::feed::StatusFeed;
use crate::graphql;
pub use crate::remote::Endpoint;
use crate::remote::{DEFAULT_INVENTORY_URL, DEFAULT_PAYMENTS_URL, Subgraph};
use crate::service::OrderService;
use crate::stock::HttpStock;
use crate::store::OrderStore;

pub const NAME: &str = "orders";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4003";

#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub database_url: String,
    /// The most PostgreSQL connections this process opens.
    pub database_max_connections: u32,
    pub services: Services,
    /// Where the outbox relay publishes and payment outcomes come from.
    pub broker: BrokerSettings,
}

/// The other services orders calls, and how the checkout paces itself.
#[derive(Debug, Clone)]
pub struct Services {
    /// The products subgraph, asked for current prices.
    pub catalog: Endpoint,
    pub inventory: Endpoint,
    pub payments: Endpoint,
    pub checkout: CheckoutSettings,
}

impl Default for Services {
    fn default() -> Self {
        Services {
            catalog: crate::catalog::default_endpoint(),
            inventory: Endpoint::new(DEFAULT_INVENTORY_URL, Duration::from_secs(5)),
            payments: Endpoint::new(DEFAULT_PAYMENTS_URL, Duration::from_secs(10)),
            checkout: CheckoutSettings::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error("cannot reach the message broker")]
    Broker(#[from] BrokerError),
    #[error("cannot build an HTTP client for the other services")]
    HttpClient(#[source] reqwest::Error),
    #[error("cannot set up a client for another service")]
    Upstream(#[from] upstream::BuildError),
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
    let db = database::open_migrated::<migrations::orders::Migrator>(url).await?;
    Ok(subgraph_kit::metrics::observe_database(NAME, db))
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DatabaseError> {
    database::migrate::<migrations::orders::Migrator>(db).await
}

/// Binds the listener over an open, migrated database, calling the other
/// `services`. Beside it run the outbox relay (publishing to `broker`), the
/// consumer of payment outcomes (from `broker`), the status feed of this
/// replica's subscribers (watching `broker`) and checkout recovery.
pub async fn build(
    listen: SocketAddr,
    db: DatabaseConnection,
    services: &Services,
    broker: Arc<dyn Broker>,
) -> Result<Server, StartError> {
    crate::metrics::register();
    // One connection pool for every call to the other services.
    let client = upstream::Upstream::default_client().map_err(StartError::HttpClient)?;
    let catalog =
        HttpCatalog::new(Subgraph::connect("products", &services.catalog, client.clone()).await?);
    let inventory = Subgraph::connect("inventory", &services.inventory, client.clone()).await?;
    let payments = Subgraph::connect("payments", &services.payments, client).await?;
    let relay = Relay::new(db.clone(), broker.clone()).reporting_as(NAME);
    let store = OrderStore::with_relay(db.clone(), relay.waker());
    let checkout = Checkout::new(
        store.clone(),
        Arc::new(HttpStock::new(inventory)),
        Arc::new(HttpBilling::new(payments)),
        services.checkout.clone(),
    );
    let feed = StatusFeed::new();
    let service = OrderService::new(store, Arc::new(catalog), checkout.clone(), feed.clone());
    let routes = server::routes(NAME, graphql::schema(service), db.clone());
    let server = Server::bind(NAME, listen, routes)
        .await
        .map_err(|source| StartError::Bind {
            addr: listen,
            source,
        })?;
    let recovery = checkout.clone();
    let watched = broker.clone();
    Ok(server
        .with_background(move |stopping| relay.run(stopping))
        .with_background(move |stopping| feed.run(watched, stopping))
        .with_background(move |stopping| checkout.run_outcomes(db, broker, stopping))
        .with_background(move |stopping| recovery.run_recovery(stopping)))
}

/// Opens the database and binds the listener.
pub async fn start(settings: &Settings) -> Result<Server, StartError> {
    let db = database::open_migrated_with::<migrations::orders::Migrator>(
        &settings.database_url,
        settings.database_max_connections,
    )
    .await?;
    let db = subgraph_kit::metrics::observe_database(NAME, db);
    let broker = settings.broker.connect().await?;
    build(settings.listen, db, &settings.services, broker).await
}
