use clap::{Parser, Subcommand};
use events::settings::BrokerSettings;
use inventory::app::{self, Settings};

/// The inventory subgraph service.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// Address to listen on.
    #[arg(long, env = "INVENTORY_LISTEN", default_value = app::DEFAULT_LISTEN)]
    listen: std::net::SocketAddr,
    /// sqlite:// or postgres:// URL of this service's own database.
    #[arg(long, env = "INVENTORY_DATABASE_URL", default_value_t = subgraph_kit::database::default_sqlite_url(app::NAME))]
    database_url: String,
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
        broker: BrokerSettings::from_nats_url(cli.nats_url),
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Sdl => print!("{}", inventory::graphql::sdl()),
        Command::Migrate => {
            app::open_database(&settings.database_url).await?;
            println!("inventory: migrations applied");
        }
        Command::Serve => {
            let server = app::start(&settings).await?;
            println!(
                "inventory subgraph on http://{}/graphql",
                server.local_addr()
            );
            server
                .run_until(subgraph_kit::server::shutdown_signal())
                .await?;
        }
    }
    Ok(())
}
