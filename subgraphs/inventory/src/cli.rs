//! The inventory service's command line: its flags (each with an environment
//! variable) and what it runs. Used by its own binary and by
//! `shop service inventory`.

use events::settings::BrokerSettings;
use subgraph_kit::cli::{self, Command, RunError};

use crate::app::{self, Settings};

/// The inventory subgraph service.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "inventory", version)]
pub struct Cli {
    /// Address to listen on.
    #[arg(long, env = "INVENTORY_LISTEN", default_value = app::DEFAULT_LISTEN)]
    pub listen: std::net::SocketAddr,
    /// sqlite:// or postgres:// URL of this service's own database.
    #[arg(long, env = "INVENTORY_DATABASE_URL", default_value_t = subgraph_kit::database::default_sqlite_url(app::NAME))]
    pub database_url: String,
    /// The most PostgreSQL connections this process opens (replicas x this
    /// must stay below the server's limit).
    #[arg(long, env = "INVENTORY_DATABASE_MAX_CONNECTIONS", default_value_t = subgraph_kit::database::DEFAULT_MAX_CONNECTIONS)]
    pub database_max_connections: u32,
    /// NATS JetStream for the service's events; without it they stay in
    /// this process.
    #[arg(long, env = "NATS_URL")]
    pub nats_url: Option<String>,
    #[command(flatten)]
    pub access: cli::AccessArgs,
    #[command(flatten)]
    pub metrics: cli::MetricsArgs,
    #[command(flatten)]
    pub migrations: cli::MigrationArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    pub fn settings(&self) -> Settings {
        Settings {
            listen: self.listen,
            database_url: self.database_url.clone(),
            database_max_connections: self.database_max_connections,
            broker: BrokerSettings::from_nats_url(self.nats_url.clone()),
        }
    }

    pub async fn run(self) -> Result<(), RunError> {
        let settings = self.settings();
        let shared = cli::Shared {
            access: &self.access,
            migrations: &self.migrations,
            metrics: &self.metrics,
            database_url: &settings.database_url,
        };
        cli::run::<migrations::inventory::Migrator, _, _>(
            app::NAME,
            self.command.unwrap_or_default(),
            shared,
            crate::graphql::sdl,
            || app::start(&settings),
        )
        .await
    }
}
