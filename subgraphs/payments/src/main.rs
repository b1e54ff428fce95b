use std::time::Duration;

use clap::{Parser, Subcommand};
use events::settings::BrokerSettings;
use payments::app::{self, Settings};
use payments::gateway::GatewaySettings;

/// The payments subgraph service.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// Address to listen on.
    #[arg(long, env = "PAYMENTS_LISTEN", default_value = app::DEFAULT_LISTEN)]
    listen: std::net::SocketAddr,
    /// sqlite:// or postgres:// URL of this service's own database.
    #[arg(long, env = "PAYMENTS_DATABASE_URL", default_value_t = subgraph_kit::database::default_sqlite_url(app::NAME))]
    database_url: String,
    /// How long the test-card gateway takes for its slow card, in milliseconds.
    #[arg(long, env = "PAYMENTS_SLOW_CARD_DELAY_MS", default_value_t = 3000)]
    slow_card_delay_ms: u64,
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
        gateways: GatewaySettings {
            slow_card_delay: Duration::from_millis(cli.slow_card_delay_ms),
        },
        broker: BrokerSettings::from_nats_url(cli.nats_url),
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Sdl => print!("{}", payments::graphql::sdl()),
        Command::Migrate => {
            app::open_database(&settings.database_url).await?;
            println!("payments: migrations applied");
        }
        Command::Serve => {
            let server = app::start(&settings).await?;
            println!(
                "payments subgraph on http://{}/graphql",
                server.local_addr()
            );
            server
                .run_until(subgraph_kit::server::shutdown_signal())
                .await?;
        }
    }
    Ok(())
}
