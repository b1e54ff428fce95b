use std::path::PathBuf;

use std::time::Duration;

use shop::system::{self, RunningSystem, SystemSettings};
use subgraph_kit::testing::{Backend, GraphqlClient, TestDatabase};

/// A running all-in-one system on free ports over SQLite files in a fresh
/// directory (or fresh PostgreSQL databases), removed when dropped.
pub struct TestSystem {
    pub system: Option<RunningSystem>,
    pub data_dir: PathBuf,
    settings: SystemSettings,
    _databases: Vec<TestDatabase>,
}

impl TestSystem {
    pub async fn start(seed: bool) -> TestSystem {
        let data_dir = std::env::temp_dir().join(format!("shop-e2e-{}", uuid_like()));
        let mut settings = SystemSettings::ephemeral(&data_dir);
        settings.seed = seed;
        Self::start_with(data_dir, settings, Vec::new()).await
    }

    /// The system over `backend`'s databases, seeded, with a checkout that
    /// recovers within seconds; `None` when the backend is unavailable here
    /// (the skip has been reported).
    pub async fn start_on(backend: Backend) -> Option<TestSystem> {
        let data_dir = std::env::temp_dir().join(format!("shop-e2e-{}", uuid_like()));
        let mut settings = SystemSettings::ephemeral(&data_dir);
        settings.checkout.lease = Duration::from_secs(2);
        settings.checkout.sweep_every = Duration::from_millis(100);
        settings.slow_card_delay = Duration::from_millis(100);
        // Outcomes must depend on stock and cards, not a busy machine's latency.
        settings.call_timeout = Duration::from_secs(30);
        let mut databases = Vec::new();
        if backend == Backend::Postgres {
            for service in [
                &mut settings.products,
                &mut settings.inventory,
                &mut settings.orders,
                &mut settings.payments,
            ] {
                let db = TestDatabase::create(backend, "e2e").await?;
                service.database_url = db.url.clone();
                databases.push(db);
            }
        }
        Some(Self::start_with(data_dir, settings, databases).await)
    }

    async fn start_with(
        data_dir: PathBuf,
        settings: SystemSettings,
        databases: Vec<TestDatabase>,
    ) -> TestSystem {
        let system = system::start(&settings).await.expect("system starts");
        TestSystem {
            system: Some(system),
            data_dir,
            settings,
            _databases: databases,
        }
    }

    /// The running orders service's fault-injection points.
    pub fn faults(&self) -> &orders::checkout::Faults {
        &self.settings.checkout.faults
    }

    /// The router as the back office uses it: with the admin token, which
    /// may do and see everything.
    pub fn router(&self) -> GraphqlClient {
        self.router_as(&self.system().tokens.admin)
    }

    /// The router with `token` (one of `system().tokens`).
    pub fn router_as(&self, token: &str) -> GraphqlClient {
        self.anonymous_router().with_bearer(token)
    }

    /// The router without a token.
    pub fn anonymous_router(&self) -> GraphqlClient {
        GraphqlClient::new(self.system().router_url())
    }

    pub fn system(&self) -> &RunningSystem {
        self.system.as_ref().expect("system is running")
    }

    /// `service` called directly, as the admin identity the router signs.
    pub fn client(&self, service: &str) -> GraphqlClient {
        self.unsigned_client(service).with_header(
            subgraph_kit::caller::IDENTITY_HEADER,
            &self.system().service_identity,
        )
    }

    /// `service` called directly without the router's identity: only what
    /// the service leaves open answers.
    pub fn unsigned_client(&self, service: &str) -> GraphqlClient {
        let (_, url) = self
            .system()
            .endpoints()
            .into_iter()
            .find(|(name, _)| *name == service)
            .unwrap_or_else(|| panic!("no service {service}"));
        GraphqlClient::new(url)
    }

    /// Stops one service; the others and the router keep running.
    pub fn stop_service(&mut self, name: &str) {
        if let Some(system) = self.system.as_mut() {
            system.stop_service(name);
        }
    }

    /// Stops the services and starts them again over the same databases
    /// (with fresh fault points).
    pub async fn restart(&mut self, seed: bool) {
        if let Some(running) = self.system.take() {
            running.shutdown().await.expect("clean shutdown");
        }
        self.settings.seed = seed;
        self.settings.checkout.faults = orders::checkout::Faults::default();
        self.system = Some(system::start(&self.settings).await.expect("system starts"));
    }
}

impl Drop for TestSystem {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{}-{nanos}", std::process::id())
}
