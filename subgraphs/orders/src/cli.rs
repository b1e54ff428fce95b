//! The orders service's command line: its flags (each with an environment
//! variable) and what it runs. Used by its own binary and by
//! `shop service orders`.

use std::time::Duration;

use events::settings::BrokerSettings;
use subgraph_kit::cli::{self, Command, RunError};
use upstream::{DnsDiscovery, TrafficPolicy};

use crate::app::{self, CheckoutSettings, Endpoint, Services, Settings};
use crate::catalog::DEFAULT_PRODUCTS_URL;
use crate::remote::{DEFAULT_INVENTORY_URL, DEFAULT_PAYMENTS_URL};

/// The orders subgraph service.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "orders", version)]
pub struct Cli {
    /// Address to listen on.
    #[arg(long, env = "ORDERS_LISTEN", default_value = app::DEFAULT_LISTEN)]
    pub listen: std::net::SocketAddr,
    /// sqlite:// or postgres:// URL of this service's own database.
    #[arg(long, env = "ORDERS_DATABASE_URL", default_value_t = subgraph_kit::database::default_sqlite_url(app::NAME))]
    pub database_url: String,
    /// The most PostgreSQL connections this process opens (replicas x this
    /// must stay below the server's limit).
    #[arg(long, env = "ORDERS_DATABASE_MAX_CONNECTIONS", default_value_t = subgraph_kit::database::DEFAULT_MAX_CONNECTIONS)]
    pub database_max_connections: u32,
    /// GraphQL endpoint(s) of the products subgraph, asked for current prices
    /// (comma-separated for several replicas).
    #[arg(long, env = "ORDERS_PRODUCTS_URL", default_value = DEFAULT_PRODUCTS_URL, value_delimiter = ',')]
    pub products_url: Vec<String>,
    /// The products replicas from DNS instead: NAME:PORT (its A/AAAA
    /// records) or an SRV name (_graphql._tcp.NAME), followed as it changes.
    #[arg(long, env = "ORDERS_PRODUCTS_DNS", conflicts_with = "products_url")]
    pub products_dns: Option<DnsDiscovery>,
    /// How long to wait for the products subgraph, in milliseconds.
    #[arg(long, env = "ORDERS_PRODUCTS_TIMEOUT_MS", default_value_t = 5000)]
    pub products_timeout_ms: u64,
    /// GraphQL endpoint(s) of the inventory subgraph, where the checkout holds
    /// stock (comma-separated for several replicas).
    #[arg(long, env = "ORDERS_INVENTORY_URL", default_value = DEFAULT_INVENTORY_URL, value_delimiter = ',')]
    pub inventory_url: Vec<String>,
    /// The inventory replicas from DNS instead (as --products-dns).
    #[arg(long, env = "ORDERS_INVENTORY_DNS", conflicts_with = "inventory_url")]
    pub inventory_dns: Option<DnsDiscovery>,
    /// GraphQL endpoint(s) of the payments subgraph, where the checkout charges
    /// (comma-separated for several replicas).
    #[arg(long, env = "ORDERS_PAYMENTS_URL", default_value = DEFAULT_PAYMENTS_URL, value_delimiter = ',')]
    pub payments_url: Vec<String>,
    /// The payments replicas from DNS instead (as --products-dns).
    #[arg(long, env = "ORDERS_PAYMENTS_DNS", conflicts_with = "payments_url")]
    pub payments_dns: Option<DnsDiscovery>,
    /// How often names given by --*-dns are resolved again, in milliseconds.
    #[arg(long, env = "ORDERS_DNS_INTERVAL_MS", default_value_t = 5000)]
    pub dns_interval_ms: u64,
    /// The name server those names are asked of (IP:PORT); by default the
    /// system's (/etc/resolv.conf).
    #[arg(long, env = "ORDERS_DNS_NAMESERVER")]
    pub dns_nameserver: Option<std::net::SocketAddr>,
    /// A TOML file with the policies of the calls to products, inventory and
    /// payments: the tables of the router's `[traffic]` (`[retry]`,
    /// `[breaker]`, `[outlier]`, `[health_check]`), each key optional,
    /// unknown keys refused; without it, the defaults.
    #[arg(long, env = "ORDERS_TRAFFIC_FILE", value_parser = read_traffic_file)]
    pub traffic_file: Option<TrafficPolicy>,
    /// How long one call to inventory or payments may take, in milliseconds.
    #[arg(long, env = "ORDERS_CALL_TIMEOUT_MS", default_value_t = 10000)]
    pub call_timeout_ms: u64,
    /// How long a checkout's runner owns its order without renewing: how
    /// soon another replica's recovery takes over the checkouts of a replica
    /// that died, in milliseconds.
    #[arg(long, env = "ORDERS_CHECKOUT_LEASE_MS", default_value_t = 30_000)]
    pub checkout_lease_ms: u64,
    /// How often recovery looks for checkouts nobody is running, in milliseconds.
    #[arg(long, env = "ORDERS_RECOVERY_SWEEP_MS", default_value_t = 5_000)]
    pub recovery_sweep_ms: u64,
    /// How long a checkout that could not reach a service waits before
    /// recovery tries it again, in milliseconds.
    #[arg(long, env = "ORDERS_STALL_PAUSE_MS", default_value_t = 5_000)]
    pub stall_pause_ms: u64,
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

/// Reads and checks the policies `--traffic-file` names.
fn read_traffic_file(path: &str) -> Result<TrafficPolicy, String> {
    let text = std::fs::read_to_string(path).map_err(|err| format!("cannot read {path}: {err}"))?;
    let policy: TrafficPolicy = toml::from_str(&text).map_err(|err| format!("{path}: {err}"))?;
    policy
        .check()
        .map_err(|message| format!("{path}: {message}"))?;
    Ok(policy)
}

impl Cli {
    /// Another service's replicas: listed, or from DNS when a name is given.
    fn endpoint(&self, urls: &[String], dns: &Option<DnsDiscovery>, timeout_ms: u64) -> Endpoint {
        let timeout = Duration::from_millis(timeout_ms);
        match dns {
            Some(dns) => Endpoint::dns(
                DnsDiscovery {
                    interval_ms: self.dns_interval_ms,
                    nameserver: self.dns_nameserver,
                    ..dns.clone()
                },
                timeout,
            ),
            None => Endpoint::replicas(urls.to_vec(), timeout),
        }
        .with_policy(self.traffic_file.clone().unwrap_or_default())
    }

    pub fn settings(&self) -> Settings {
        Settings {
            listen: self.listen,
            database_url: self.database_url.clone(),
            database_max_connections: self.database_max_connections,
            services: Services {
                catalog: self.endpoint(
                    &self.products_url,
                    &self.products_dns,
                    self.products_timeout_ms,
                ),
                inventory: self.endpoint(
                    &self.inventory_url,
                    &self.inventory_dns,
                    self.call_timeout_ms,
                ),
                payments: self.endpoint(
                    &self.payments_url,
                    &self.payments_dns,
                    self.call_timeout_ms,
                ),
                checkout: CheckoutSettings {
                    lease: Duration::from_millis(self.checkout_lease_ms),
                    sweep_every: Duration::from_millis(self.recovery_sweep_ms),
                    stall_pause: Duration::from_millis(self.stall_pause_ms),
                    ..CheckoutSettings::default()
                },
            },
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
        cli::run::<migrations::orders::Migrator, _, _>(
            app::NAME,
            self.command.unwrap_or_default(),
            shared,
            crate::graphql::sdl,
            || app::start(&settings),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use upstream::Discovery;

    use super::*;

    #[test]
    fn the_calls_policies_come_from_a_traffic_file() {
        let dir = std::env::temp_dir().join(format!("orders-traffic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("traffic.toml");
        std::fs::write(&file, "[retry]\nattempts = 5\n[breaker]\nenabled = false\n").unwrap();
        let cli =
            Cli::try_parse_from(["orders", "--traffic-file", file.to_str().unwrap()]).unwrap();
        let services = cli.settings().services;
        for endpoint in [&services.catalog, &services.inventory, &services.payments] {
            assert_eq!(endpoint.policy.retry.attempts, 5);
            assert!(!endpoint.policy.breaker.enabled);
            assert_eq!(endpoint.policy.outlier, upstream::OutlierConfig::default());
        }
        let defaults = Cli::try_parse_from(["orders"]).unwrap().settings().services;
        assert_eq!(defaults.inventory.policy, TrafficPolicy::default());

        std::fs::write(&file, "[retry]\ntries = 5\n").unwrap();
        let err =
            Cli::try_parse_from(["orders", "--traffic-file", file.to_str().unwrap()]).unwrap_err();
        assert!(err.to_string().contains("tries"), "{err}");
        std::fs::write(&file, "[retry]\nattempts = 0\n").unwrap();
        let err =
            Cli::try_parse_from(["orders", "--traffic-file", file.to_str().unwrap()]).unwrap_err();
        assert!(err.to_string().contains("retry.attempts"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_service_s_replicas_can_come_from_dns() {
        let cli = Cli::try_parse_from([
            "orders",
            "--inventory-dns",
            "inventory.shop.svc:4002",
            "--payments-dns",
            "_graphql._tcp.payments.shop.svc",
            "--dns-interval-ms",
            "1000",
            "--dns-nameserver",
            "127.0.0.1:5353",
        ])
        .unwrap();
        let services = cli.settings().services;
        let nameserver = Some("127.0.0.1:5353".parse().unwrap());
        let Discovery::Dns(inventory) = services.inventory.discovery else {
            panic!("inventory from DNS");
        };
        assert_eq!(
            inventory,
            DnsDiscovery {
                interval_ms: 1000,
                nameserver,
                ..DnsDiscovery::addresses("inventory.shop.svc", 4002)
            }
        );
        let Discovery::Dns(payments) = services.payments.discovery else {
            panic!("payments from DNS");
        };
        assert_eq!(
            payments.srv.as_deref(),
            Some("_graphql._tcp.payments.shop.svc")
        );
        assert!(matches!(services.catalog.discovery, Discovery::Static(_)));
    }

    #[test]
    fn a_dns_name_and_urls_for_one_service_conflict() {
        let err = Cli::try_parse_from([
            "orders",
            "--inventory-url",
            "http://a/graphql",
            "--inventory-dns",
            "inventory:4002",
        ])
        .unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
        let err = Cli::try_parse_from(["orders", "--inventory-dns", "inventory"]).unwrap_err();
        assert!(err.to_string().contains("NAME:PORT"), "{err}");
    }
}
