//! All four services in one process: the all-in-one run and the end-to-end
//! tests both start the system through here.
//!
//! Each service still gets its own listener and its own database, and they
//! reach each other only over HTTP, exactly as when run as separate binaries.
//! With `replicas` above one, each service runs that many times, each replica
//! on its own port over the service's one database (and one connection
//! pool), and the router and orders balance across them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use events::Broker;
use events::settings::BrokerSettings;

use subgraph_kit::database::DatabaseError;
use subgraph_kit::server::Server;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::dev_auth::DevAuth;
use crate::seed::{self, SeedError, SeedTargets};

/// Where one service listens and which database it owns.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    pub listen: SocketAddr,
    pub database_url: String,
}

#[derive(Debug, Clone)]
pub struct SystemSettings {
    pub products: ServiceSettings,
    pub inventory: ServiceSettings,
    pub orders: ServiceSettings,
    pub payments: ServiceSettings,
    /// Where the router serves the whole graph.
    pub router_listen: SocketAddr,
    /// Where the router's admin view (`GET /status`) listens.
    pub admin_listen: SocketAddr,
    /// Seed the demo catalog when the catalog is empty.
    pub seed: bool,
    /// How long orders waits for the products service.
    pub catalog_timeout: Duration,
    /// How long orders waits for one call to inventory or payments.
    pub call_timeout: Duration,
    /// How the checkout paces itself (leases, retries, recovery sweeps).
    pub checkout: orders::app::CheckoutSettings,
    /// How long the test-card gateway's "slow" card takes.
    pub slow_card_delay: Duration,
    /// The broker every service's events go to: in-process (shared by the
    /// services, which all run here) unless NATS is configured.
    pub broker: BrokerSettings,
    /// Instances of each service; the first listens where its settings say,
    /// the others on free ports of the same address.
    pub replicas: usize,
    /// Where the development keys live (`crate::dev_auth`).
    pub keys_dir: PathBuf,
    /// The services check the router's signed identity (on by default;
    /// off only for benchmarking routers that cannot forward it).
    pub check_identities: bool,
}

impl SystemSettings {
    /// The default ports, with SQLite files under `data_dir`.
    pub fn local(data_dir: &Path) -> Self {
        let service = |listen: &str, name: &str| ServiceSettings {
            listen: listen.parse().expect("default listen addresses are valid"),
            database_url: sqlite_url(data_dir, name),
        };
        SystemSettings {
            products: service(products::app::DEFAULT_LISTEN, products::app::NAME),
            inventory: service(inventory::app::DEFAULT_LISTEN, inventory::app::NAME),
            orders: service(orders::app::DEFAULT_LISTEN, orders::app::NAME),
            payments: service(payments::app::DEFAULT_LISTEN, payments::app::NAME),
            router_listen: DEFAULT_ROUTER_LISTEN
                .parse()
                .expect("valid default router address"),
            admin_listen: DEFAULT_ADMIN_LISTEN
                .parse()
                .expect("valid default admin address"),
            seed: true,
            catalog_timeout: Duration::from_secs(5),
            call_timeout: Duration::from_secs(10),
            checkout: orders::app::CheckoutSettings::default(),
            slow_card_delay: Duration::from_secs(3),
            broker: BrokerSettings::InProcess,
            replicas: 1,
            keys_dir: data_dir.to_owned(),
            check_identities: true,
        }
    }

    /// Every service on a free port of 127.0.0.1, for tests.
    pub fn ephemeral(data_dir: &Path) -> Self {
        let mut settings = SystemSettings::local(data_dir);
        for service in [
            &mut settings.products,
            &mut settings.inventory,
            &mut settings.orders,
            &mut settings.payments,
        ] {
            service.listen.set_port(0);
        }
        settings.router_listen.set_port(0);
        settings.admin_listen.set_port(0);
        settings
    }
}

/// The router's default address: the one URL that serves the whole graph.
pub const DEFAULT_ROUTER_LISTEN: &str = "127.0.0.1:4000";
/// The admin view's default address: loopback, as it shows the inside.
pub const DEFAULT_ADMIN_LISTEN: &str = "127.0.0.1:4100";

pub fn sqlite_url(data_dir: &Path, service: &str) -> String {
    format!("sqlite://{}/{service}.db", data_dir.display())
}

#[derive(Debug, thiserror::Error)]
pub enum SystemError {
    #[error("{service}: {source}")]
    Database {
        service: &'static str,
        #[source]
        source: DatabaseError,
    },
    #[error("{service}: cannot listen on {addr}")]
    Bind {
        service: &'static str,
        addr: SocketAddr,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("cannot reach the message broker")]
    Broker(#[from] events::BrokerError),
    #[error("seeding the demo catalog failed")]
    Seed(#[from] SeedError),
    #[error("composing the supergraph failed")]
    Compose(#[from] router::compose::ComposeError),
    #[error("the development keys")]
    Keys(#[from] crate::dev_auth::DevAuthError),
    #[error("the router cannot start: {0}")]
    Router(String),
    #[error("router: cannot listen on {addr}")]
    RouterBind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// The running system: its addresses, and the tasks serving them.
pub struct RunningSystem {
    pub products: SocketAddr,
    pub inventory: SocketAddr,
    pub orders: SocketAddr,
    pub payments: SocketAddr,
    pub router: SocketAddr,
    /// The router's admin view (`GET /status`).
    pub admin: SocketAddr,
    /// Products created by seeding at start-up.
    pub seeded: usize,
    /// Where the services' events go.
    pub broker: Arc<dyn Broker>,
    /// Ready-made tokens for the graph (`crate::dev_auth`).
    pub tokens: DevTokens,
    /// An admin's identity as the router signs it (`x-router-identity`),
    /// for calling a service directly (the seeder, tests, tools).
    pub service_identity: String,
    stop: watch::Sender<bool>,
    /// Every replica's address, per service (the fields above are the first's).
    pub replicas: Vec<(&'static str, Vec<SocketAddr>)>,
    /// One stop switch per replica, so a single service or replica can be
    /// stopped (tests use it to show partial failure).
    service_stops: Vec<(&'static str, SocketAddr, watch::Sender<bool>)>,
    stopped_on_purpose: Vec<&'static str>,
    tasks: JoinSet<(&'static str, std::io::Result<()>)>,
}

/// Bearer tokens the development keys sign.
#[derive(Debug, Clone)]
pub struct DevTokens {
    /// `ada@example.com`: places orders, reads her own.
    pub customer: String,
    /// `bob@example.com`: another customer.
    pub other_customer: String,
    /// Scopes `admin orders:read`: everything.
    pub admin: String,
}

/// Opens every database, binds every listener, starts serving, then seeds.
pub async fn start(settings: &SystemSettings) -> Result<RunningSystem, SystemError> {
    let auth = DevAuth::load_or_create(&settings.keys_dir)?;
    let access = auth.access()?;
    let guarded = |servers: Vec<Server>| -> Vec<Server> {
        if !settings.check_identities {
            return servers;
        }
        servers
            .into_iter()
            .map(|s| s.with_access(access.clone()))
            .collect()
    };
    let broker = settings.broker.connect().await?;
    let products_db = open(
        products::app::NAME,
        products::app::open_database(&settings.products.database_url),
    )
    .await?;
    let inventory_db = open(
        inventory::app::NAME,
        inventory::app::open_database(&settings.inventory.database_url),
    )
    .await?;
    let orders_db = open(
        orders::app::NAME,
        orders::app::open_database(&settings.orders.database_url),
    )
    .await?;
    let payments_db = open(
        payments::app::NAME,
        payments::app::open_database(&settings.payments.database_url),
    )
    .await?;

    let replicas = settings.replicas.max(1);
    let products = replicated(
        products::app::NAME,
        settings.products.listen,
        replicas,
        |listen| products::app::build(listen, products_db.clone()),
    )
    .await
    .map(guarded)?;
    let inventory = replicated(
        inventory::app::NAME,
        settings.inventory.listen,
        replicas,
        |listen| inventory::app::build(listen, inventory_db.clone(), broker.clone()),
    )
    .await
    .map(guarded)?;
    let gateways = payments::gateway::GatewaySettings {
        slow_card_delay: settings.slow_card_delay,
    };
    let payments = replicated(
        payments::app::NAME,
        settings.payments.listen,
        replicas,
        |listen| payments::app::build(listen, payments_db.clone(), &gateways, broker.clone()),
    )
    .await
    .map(guarded)?;
    let urls = |servers: &[Server]| -> Vec<String> {
        servers
            .iter()
            .map(|s| graphql_url(s.local_addr()))
            .collect()
    };
    let order_services = orders::app::Services {
        catalog: orders::app::Endpoint::replicas(urls(&products), settings.catalog_timeout),
        inventory: orders::app::Endpoint::replicas(urls(&inventory), settings.call_timeout),
        // Long enough for the slow test card.
        payments: orders::app::Endpoint::replicas(
            urls(&payments),
            settings.call_timeout.max(settings.slow_card_delay * 2),
        ),
        checkout: settings.checkout.clone(),
    };
    let orders = replicated(
        orders::app::NAME,
        settings.orders.listen,
        replicas,
        |listen| orders::app::build(listen, orders_db.clone(), &order_services, broker.clone()),
    )
    .await
    .map(guarded)?;
    let products_url = graphql_url(products[0].local_addr());

    // The router gets a supergraph composed from the services' own SDL and
    // the addresses they really bound, so it always matches the running code;
    // with replicas, it balances across every one of them.
    let replicas_of: Vec<(&'static str, Vec<String>)> = vec![
        (products::app::NAME, urls(&products)),
        (inventory::app::NAME, urls(&inventory)),
        (orders::app::NAME, urls(&orders)),
        (payments::app::NAME, urls(&payments)),
    ];
    let (supergraph, router_config) = router_over(&replicas_of, settings.router_listen, &auth)?;
    let engine = router::engine::Engine::over_http(&supergraph, &router_config)
        .await
        .map_err(|e| SystemError::Router(e.to_string()))?;
    let (router_listener, router_addr) = bind_router(settings.router_listen).await?;
    let (admin_listener, admin_addr) = bind_router(settings.admin_listen).await?;

    let engine = router::reload::EngineHandle::from(std::sync::Arc::new(engine));
    let admin_engine = engine.clone();
    let (stop, stopped) = watch::channel(false);
    let addrs = |servers: &[Server]| -> Vec<SocketAddr> {
        servers.iter().map(Server::local_addr).collect()
    };
    let mut system = RunningSystem {
        products: products[0].local_addr(),
        inventory: inventory[0].local_addr(),
        orders: orders[0].local_addr(),
        payments: payments[0].local_addr(),
        replicas: vec![
            (products::app::NAME, addrs(&products)),
            (inventory::app::NAME, addrs(&inventory)),
            (orders::app::NAME, addrs(&orders)),
            (payments::app::NAME, addrs(&payments)),
        ],
        router: router_addr,
        admin: admin_addr,
        seeded: 0,
        broker,
        tokens: DevTokens {
            customer: auth.customer_token(),
            other_customer: auth.other_customer_token(),
            admin: auth.admin_token(),
        },
        service_identity: auth.admin_identity()?,
        stop,
        service_stops: Vec::new(),
        stopped_on_purpose: Vec::new(),
        tasks: JoinSet::new(),
    };
    {
        let mut stopped = stopped.clone();
        system.tasks.spawn(async move {
            let shutdown = async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            };
            let result = router::server::serve(router_listener, engine, shutdown).await;
            ("router", result)
        });
    }
    {
        let mut stopped = stopped.clone();
        system.tasks.spawn(async move {
            let shutdown = async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            };
            let result = router::server::serve_admin(admin_listener, admin_engine, shutdown).await;
            ("router admin", result)
        });
    }
    for server in [products, inventory, orders, payments]
        .into_iter()
        .flatten()
    {
        let mut stopped = stopped.clone();
        let (own_stop, mut own_stopped) = watch::channel(false);
        let name = server.name();
        system
            .service_stops
            .push((name, server.local_addr(), own_stop));
        system.tasks.spawn(async move {
            let result = server
                .run_until(async move {
                    tokio::select! {
                        _ = stopped.wait_for(|stop| *stop) => {},
                        _ = own_stopped.wait_for(|stop| *stop) => {},
                    }
                })
                .await;
            (name, result)
        });
    }
    if settings.seed {
        let inventory_url = graphql_url(system.inventory);
        system.seeded = seed::seed_if_empty(&SeedTargets {
            products: &products_url,
            inventory: &inventory_url,
            identity: &system.service_identity,
        })
        .await?;
    }
    Ok(system)
}

/// A listener of the router's (the graph or the admin view) and the address it got.
async fn bind_router(
    addr: SocketAddr,
) -> Result<(tokio::net::TcpListener, SocketAddr), SystemError> {
    let bound = async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        Ok((listener, local))
    };
    bound
        .await
        .map_err(|source| SystemError::RouterBind { addr, source })
}

async fn open<T>(
    service: &'static str,
    opening: impl std::future::Future<Output = Result<T, DatabaseError>>,
) -> Result<T, SystemError> {
    opening
        .await
        .map_err(|source| SystemError::Database { service, source })
}

/// The supergraph composed from the services' own SDL with the first
/// replica's URL as each routing URL, and a router config listening on
/// `listen` that balances across every replica in `replicas_of` (service
/// name, GraphQL URLs) and trusts the development tokens of `auth`.
pub fn router_over(
    replicas_of: &[(&str, Vec<String>)],
    listen: SocketAddr,
    auth: &DevAuth,
) -> Result<(String, router::config::RouterConfig), SystemError> {
    let mut subgraphs = crate::schema_files::subgraphs();
    let mut config = router::config::RouterConfig {
        listen,
        // The development run: the playground explores the schema and
        // shows each operation's plan and fetches.
        introspection: true,
        expose_query_plan: true,
        ..router::config::RouterConfig::default()
    };
    auth.configure(&mut config);
    for subgraph in &mut subgraphs {
        let Some((name, urls)) = replicas_of.iter().find(|(name, _)| *name == subgraph.name) else {
            continue;
        };
        let Some(first) = urls.first() else {
            continue;
        };
        subgraph.url = first.clone();
        if urls.len() > 1 {
            config.subgraphs.insert(
                (*name).to_owned(),
                router::config::SubgraphConfig {
                    endpoints: urls.clone(),
                    ..Default::default()
                },
            );
        }
    }
    let supergraph = router::compose::compose(&subgraphs)?.supergraph_sdl;
    Ok((supergraph, config))
}

/// `replicas` servers of one service from `build`: the first on `listen`,
/// the others on free ports of the same address.
async fn replicated<F, Fut, E>(
    service: &'static str,
    listen: SocketAddr,
    replicas: usize,
    build: F,
) -> Result<Vec<Server>, SystemError>
where
    F: Fn(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = Result<Server, E>>,
    E: std::error::Error + Send + Sync + 'static,
{
    let mut servers = Vec::with_capacity(replicas);
    for replica in 0..replicas {
        let mut addr = listen;
        if replica > 0 {
            addr.set_port(0);
        }
        let server = build(addr).await.map_err(|source| SystemError::Bind {
            service,
            addr,
            source: Box::new(source),
        })?;
        servers.push(server);
    }
    Ok(servers)
}

pub fn graphql_url(addr: SocketAddr) -> String {
    format!("http://{addr}/graphql")
}

impl RunningSystem {
    /// The router's GraphQL URL: the whole graph behind one endpoint.
    pub fn router_url(&self) -> String {
        graphql_url(self.router)
    }

    /// Headers of a back-office client: the admin token for the router,
    /// and the admin identity the router signs for calling services
    /// directly (the router never forwards a client's copy of it).
    pub fn admin_headers(&self) -> reqwest::header::HeaderMap {
        let mut headers = reqwest::header::HeaderMap::new();
        let pairs = [
            (
                reqwest::header::AUTHORIZATION,
                format!("Bearer {}", self.tokens.admin),
            ),
            (
                reqwest::header::HeaderName::from_static(subgraph_kit::caller::IDENTITY_HEADER),
                self.service_identity.clone(),
            ),
        ];
        for (name, value) in pairs {
            if let Ok(value) = reqwest::header::HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        headers
    }

    /// (service name, GraphQL URL) for each service.
    pub fn endpoints(&self) -> [(&'static str, String); 4] {
        [
            (products::app::NAME, graphql_url(self.products)),
            (inventory::app::NAME, graphql_url(self.inventory)),
            (orders::app::NAME, graphql_url(self.orders)),
            (payments::app::NAME, graphql_url(self.payments)),
        ]
    }

    /// Stops every replica of one service (their listeners close) while the
    /// rest keep running.
    pub fn stop_service(&mut self, name: &str) {
        for (service, _, stop) in &self.service_stops {
            if *service == name {
                self.stopped_on_purpose.push(service);
                let _ = stop.send(true);
            }
        }
    }

    /// Stops the replica of a service listening on `addr`.
    pub fn stop_replica(&mut self, addr: SocketAddr) {
        for (service, at, stop) in &self.service_stops {
            if *at == addr {
                self.stopped_on_purpose.push(service);
                let _ = stop.send(true);
            }
        }
    }

    /// Serves until `shutdown` resolves or a service stops on its own, then
    /// stops every service and waits for in-flight requests to finish.
    pub async fn run_until(
        mut self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> std::io::Result<()> {
        tokio::pin!(shutdown);
        let failure = loop {
            tokio::select! {
                _ = &mut shutdown => break None,
                Some(joined) = self.tasks.join_next() => {
                    let on_purpose = matches!(&joined, Ok((name, Ok(()))) if self.stopped_on_purpose.contains(name));
                    if !on_purpose {
                        break Some(joined);
                    }
                }
                else => break None,
            }
        };
        let _ = self.stop.send(true);
        let mut result = Ok(());
        if let Some(joined) = failure {
            result = stopped_early(joined);
        }
        while let Some(joined) = self.tasks.join_next().await {
            if let Err(err) = flatten(joined) {
                result = Err(err);
            }
        }
        result
    }

    /// Stops every service and waits for them.
    pub async fn shutdown(self) -> std::io::Result<()> {
        self.run_until(std::future::ready(())).await
    }
}

fn stopped_early(
    joined: Result<(&'static str, std::io::Result<()>), tokio::task::JoinError>,
) -> std::io::Result<()> {
    match joined {
        Ok((name, Ok(()))) => Err(std::io::Error::other(format!(
            "{name} stopped unexpectedly"
        ))),
        other => flatten(other),
    }
}

fn flatten(
    joined: Result<(&'static str, std::io::Result<()>), tokio::task::JoinError>,
) -> std::io::Result<()> {
    match joined {
        Ok((_, result)) => result,
        Err(err) => Err(std::io::Error::other(err)),
    }
}

/// `./data` relative to the current directory, the default data directory.
pub fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}
