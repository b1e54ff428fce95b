//! Building the products service from its settings.

use std::net::SocketAddr;

use sea_orm::DatabaseConnection;
use subgraph_kit::database::{self, DatabaseError};
use subgraph_kit::server::{self, Server};

use crate::graphql;
use crate::store::ProductStore;

pub const NAME: &str = "products";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4001";

#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub database_url: String,
    /// The most PostgreSQL connections this process opens.
    pub database_max_connections: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] DatabaseError),
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
    let db = database::open_migrated::<migrations::products::Migrator>(url).await?;
    Ok(subgraph_kit::metrics::observe_database(NAME, db))
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DatabaseError> {
    database::migrate::<migrations::products::Migrator>(db).await
}

/// Binds the listener over an open, migrated database.
pub async fn build(listen: SocketAddr, db: DatabaseConnection) -> Result<Server, StartError> {
    let schema = graphql::schema(ProductStore::new(db.clone()));
    let routes = server::routes(NAME, schema, db);
    Server::bind(NAME, listen, routes)
        .await
        .map_err(|source| StartError::Bind {
            addr: listen,
            source,
        })
}

/// Opens the database and binds the listener.
pub async fn start(settings: &Settings) -> Result<Server, StartError> {
    let db = database::open_migrated_with::<migrations::products::Migrator>(
        &settings.database_url,
        settings.database_max_connections,
    )
    .await?;
    let db = subgraph_kit::metrics::observe_database(NAME, db);
    build(settings.listen, db).await
}
