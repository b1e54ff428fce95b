use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use shop::schema_files;
use shop::system::{self, SystemSettings};

/// The federated e-commerce backend, all services in one process.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Directory for the services' SQLite databases.
    #[arg(long, env = "SHOP_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// Do not seed the demo catalog into an empty catalog.
    #[arg(long)]
    no_seed: bool,
    /// Where the router serves the whole graph.
    #[arg(long, env = "ROUTER_LISTEN", default_value = system::DEFAULT_ROUTER_LISTEN)]
    router_listen: std::net::SocketAddr,
    /// Where the router's admin view (`GET /status`) listens.
    #[arg(long, env = "ROUTER_ADMIN_LISTEN", default_value = system::DEFAULT_ADMIN_LISTEN)]
    admin_listen: std::net::SocketAddr,
    #[arg(long, env = "PRODUCTS_LISTEN", default_value = products::app::DEFAULT_LISTEN)]
    products_listen: std::net::SocketAddr,
    #[arg(long, env = "INVENTORY_LISTEN", default_value = inventory::app::DEFAULT_LISTEN)]
    inventory_listen: std::net::SocketAddr,
    #[arg(long, env = "ORDERS_LISTEN", default_value = orders::app::DEFAULT_LISTEN)]
    orders_listen: std::net::SocketAddr,
    #[arg(long, env = "PAYMENTS_LISTEN", default_value = payments::app::DEFAULT_LISTEN)]
    payments_listen: std::net::SocketAddr,
    /// Database URLs default to SQLite files in --data-dir.
    #[arg(long, env = "PRODUCTS_DATABASE_URL")]
    products_database_url: Option<String>,
    #[arg(long, env = "INVENTORY_DATABASE_URL")]
    inventory_database_url: Option<String>,
    #[arg(long, env = "ORDERS_DATABASE_URL")]
    orders_database_url: Option<String>,
    #[arg(long, env = "PAYMENTS_DATABASE_URL")]
    payments_database_url: Option<String>,
    /// NATS JetStream for the services' events; without it they share a bus
    /// inside this process.
    #[arg(long, env = "NATS_URL")]
    nats_url: Option<String>,
    /// Instances of each service, each on its own port over the service's
    /// one database; the router and the services balance across them.
    #[arg(long, env = "SHOP_REPLICAS", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    replicas: u16,
}

// Parsed once at start-up: the size of a variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run every service (the default).
    Run,
    /// Run one service on its own, as its own binary would (one process per
    /// replica when deploying several; see the README).
    #[command(subcommand)]
    Service(Service),
    /// Write the development keys to --dir (the signing key, its JWKS, the
    /// secret the router signs identities with), unless there already, and
    /// print a customer's and an admin's token. For trying out a deployment
    /// (compose.yaml's `keys` service); production uses its own keys.
    DevKeys {
        /// Directory to write into.
        #[arg(long, default_value = "data")]
        dir: PathBuf,
    },
    /// Render schema/ (subgraph SDLs and the composed supergraph) from the code.
    Compose {
        /// Directory to write into.
        #[arg(long, default_value = "schema")]
        dir: PathBuf,
    },
}

#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Service {
    Products(products::cli::Cli),
    Inventory(inventory::cli::Cli),
    Orders(orders::cli::Cli),
    Payments(payments::cli::Cli),
}

impl Service {
    fn name(&self) -> &'static str {
        match self {
            Service::Products(_) => products::app::NAME,
            Service::Inventory(_) => inventory::app::NAME,
            Service::Orders(_) => orders::app::NAME,
            Service::Payments(_) => payments::app::NAME,
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // One process, one trace exporter: its `service.name` is the service
    // run alone, or `shop` for everything (each span names its service).
    let service = match &cli.command {
        Some(Command::Service(service)) => service.name(),
        _ => "shop",
    };
    let traces = subgraph_kit::telemetry::TraceSettings::from_env()?;
    let _telemetry = subgraph_kit::telemetry::init(service, &traces)?;
    match cli.command.unwrap_or(Command::Run) {
        Command::Compose { dir } => {
            let files = schema_files::render(&schema_files::subgraphs())?;
            schema_files::write(&dir, &files)
                .with_context(|| format!("writing {}", dir.display()))?;
            for file in &files {
                println!("wrote {}", dir.join(&file.path).display());
            }
        }
        Command::DevKeys { dir } => {
            let auth = shop::dev_auth::DevAuth::load_or_create(&dir)?;
            println!(
                "Development keys under {}. Tokens (valid 30 days; set the header in GraphiQL's Headers tab):",
                dir.display()
            );
            println!(
                "  customer {} (places orders, reads her own):\n    {{\"Authorization\": \"Bearer {}\"}}",
                shop::dev_auth::CUSTOMER_EMAIL,
                auth.customer_token()
            );
            println!(
                "  admin (scopes {}):\n    {{\"Authorization\": \"Bearer {}\"}}",
                shop::dev_auth::ADMIN_SCOPES,
                auth.admin_token()
            );
        }
        Command::Run => run(cli.run).await?,
        Command::Service(service) => match service {
            Service::Products(cli) => cli.run().await?,
            Service::Inventory(cli) => cli.run().await?,
            Service::Orders(cli) => cli.run().await?,
            Service::Payments(cli) => cli.run().await?,
        },
    }
    Ok(())
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let mut settings = SystemSettings::local(&args.data_dir);
    settings.seed = !args.no_seed;
    settings.router_listen = args.router_listen;
    settings.admin_listen = args.admin_listen;
    let services = [
        (
            &mut settings.products,
            args.products_listen,
            args.products_database_url,
        ),
        (
            &mut settings.inventory,
            args.inventory_listen,
            args.inventory_database_url,
        ),
        (
            &mut settings.orders,
            args.orders_listen,
            args.orders_database_url,
        ),
        (
            &mut settings.payments,
            args.payments_listen,
            args.payments_database_url,
        ),
    ];
    for (service, listen, database_url) in services {
        service.listen = listen;
        if let Some(url) = database_url {
            service.database_url = url;
        }
    }
    settings.broker = events::settings::BrokerSettings::from_nats_url(args.nats_url);
    settings.replicas = usize::from(args.replicas);
    let running = system::start(&settings).await?;
    if running.seeded > 0 {
        println!(
            "Seeded the demo catalog: {} products with stock.",
            running.seeded
        );
    }
    println!(
        "The whole graph (GraphiQL in a browser): {}",
        running.router_url()
    );
    println!(
        "The router's admin view (each subgraph's endpoints, health, breaker): http://{}/status",
        running.admin
    );
    println!(
        "Tokens (development keys under {}; set the header in GraphiQL's Headers tab):",
        settings.keys_dir.display()
    );
    println!(
        "  customer {} (places orders, reads her own):\n    {{\"Authorization\": \"Bearer {}\"}}",
        shop::dev_auth::CUSTOMER_EMAIL,
        running.tokens.customer
    );
    println!(
        "  admin (scopes {}):\n    {{\"Authorization\": \"Bearer {}\"}}",
        shop::dev_auth::ADMIN_SCOPES,
        running.tokens.admin
    );
    println!("Subgraph services:");
    for (name, addrs) in &running.replicas {
        for addr in addrs {
            println!("  {name:<10} {}", system::graphql_url(*addr));
        }
    }
    match &settings.broker {
        events::settings::BrokerSettings::Nats { url } => {
            println!(
                "Events: NATS JetStream at {url}, stream {}",
                events::settings::STREAM
            )
        }
        events::settings::BrokerSettings::InProcess => {
            println!("Events: an in-process bus (set NATS_URL for NATS JetStream)")
        }
    }
    println!("Press Ctrl-C to stop.");
    running
        .run_until(subgraph_kit::server::shutdown_signal())
        .await?;
    Ok(())
}
