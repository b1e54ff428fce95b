use std::time::Duration;

use clap::{Parser, Subcommand};
use events::settings::BrokerSettings;
use orders::app::{self, CheckoutSettings, Endpoint, Services, Settings};
use orders::catalog::DEFAULT_PRODUCTS_URL;
use orders::remote::{DEFAULT_INVENTORY_URL, DEFAULT_PAYMENTS_URL};

/// The orders subgraph service.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// Address to listen on.
    #[arg(long, env = "ORDERS_LISTEN", default_value = app::DEFAULT_LISTEN)]
    listen: std::net::SocketAddr,
    /// sqlite:// or postgres:// URL of this service's own database.
    #[arg(long, env = "ORDERS_DATABASE_URL", default_value_t = subgraph_kit::database::default_sqlite_url(app::NAME))]
    database_url: String,
    /// GraphQL endpoint(s) of the products subgraph, asked for current prices
    /// (comma-separated for several replicas).
    #[arg(long, env = "ORDERS_PRODUCTS_URL", default_value = DEFAULT_PRODUCTS_URL, value_delimiter = ',')]
    products_url: Vec<String>,
    /// How long to wait for the products subgraph, in milliseconds.
    #[arg(long, env = "ORDERS_PRODUCTS_TIMEOUT_MS", default_value_t = 5000)]
    products_timeout_ms: u64,
    /// GraphQL endpoint(s) of the inventory subgraph, where the checkout holds
    /// stock (comma-separated for several replicas).
    #[arg(long, env = "ORDERS_INVENTORY_URL", default_value = DEFAULT_INVENTORY_URL, value_delimiter = ',')]
    inventory_url: Vec<String>,
    /// GraphQL endpoint(s) of the payments subgraph, where the checkout charges
    /// (comma-separated for several replicas).
    #[arg(long, env = "ORDERS_PAYMENTS_URL", default_value = DEFAULT_PAYMENTS_URL, value_delimiter = ',')]
    payments_url: Vec<String>,
    /// How long one call to inventory or payments may take, in milliseconds.
    #[arg(long, env = "ORDERS_CALL_TIMEOUT_MS", default_value_t = 10000)]
    call_timeout_ms: u64,
    /// NATS JetStream for the service's events; without it they stay in
    /// this process.
    #[arg(long, env = "NATS_URL")]
    nats_url: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the subgraph (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Print the subgraph SDL and exit.
    Sdl,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    subgraph_kit::telemetry::init();
    let cli = Cli::parse();
    let settings = Settings {
        listen: cli.listen,
        database_url: cli.database_url,
        services: Services {
            catalog: Endpoint::replicas(
                cli.products_url,
                Duration::from_millis(cli.products_timeout_ms),
            ),
            inventory: Endpoint::replicas(
                cli.inventory_url,
                Duration::from_millis(cli.call_timeout_ms),
            ),
            payments: Endpoint::replicas(
                cli.payments_url,
                Duration::from_millis(cli.call_timeout_ms),
            ),
            checkout: CheckoutSettings::default(),
        },
        broker: BrokerSettings::from_nats_url(cli.nats_url),
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Sdl => print!("{}", orders::graphql::sdl()),
        Command::Migrate => {
            app::open_database(&settings.database_url).await?;
            println!("orders: migrations applied");
        }
        Command::Serve => {
            let server = app::start(&settings).await?;
            println!("orders subgraph on http://{}/graphql", server.local_addr());
            server
                .run_until(subgraph_kit::server::shutdown_signal())
                .await?;
        }
    }
    Ok(())
}
