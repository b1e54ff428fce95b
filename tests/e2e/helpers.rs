use std::path::PathBuf;

use shop::system::{self, RunningSystem, SystemSettings};
use subgraph_kit::testing::GraphqlClient;

/// A running all-in-one system on free ports over SQLite files in a fresh
/// directory, removed when dropped.
pub struct TestSystem {
    pub system: Option<RunningSystem>,
    pub data_dir: PathBuf,
}

impl TestSystem {
    pub async fn start(seed: bool) -> TestSystem {
        let data_dir = std::env::temp_dir().join(format!("shop-e2e-{}", uuid_like()));
        let system = start_in(&data_dir, seed).await;
        TestSystem {
            system: Some(system),
            data_dir,
        }
    }

    pub fn system(&self) -> &RunningSystem {
        self.system.as_ref().expect("system is running")
    }

    pub fn client(&self, service: &str) -> GraphqlClient {
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

    /// Stops the services and starts them again over the same databases.
    pub async fn restart(&mut self, seed: bool) {
        if let Some(running) = self.system.take() {
            running.shutdown().await.expect("clean shutdown");
        }
        self.system = Some(start_in(&self.data_dir, seed).await);
    }
}

async fn start_in(data_dir: &std::path::Path, seed: bool) -> RunningSystem {
    let mut settings = SystemSettings::ephemeral(data_dir);
    settings.seed = seed;
    system::start(&settings).await.expect("system starts")
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
