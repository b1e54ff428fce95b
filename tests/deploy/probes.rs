//! The paths the deployments probe and scrape, asked of the running
//! binaries: each service over a fresh SQLite database, the router over
//! the supergraph the image holds, with the Kubernetes router config (its
//! subgraphs left at their supergraph URLs, nothing listening there).

use std::collections::BTreeSet;
use std::net::SocketAddr;

use clap::Parser;
use serde_json::Value;

use crate::{SERVICES, items, read, text, yaml_file};

/// Every (deployment, probe, path) of deploy/k8s's Deployments.
fn probed() -> BTreeSet<(String, String, String)> {
    let kustomization = yaml_file("deploy/k8s/kustomization.yaml").remove(0);
    let mut probed = BTreeSet::new();
    for file in items(&kustomization, "/resources") {
        for manifest in yaml_file(&format!("deploy/k8s/{}", file.as_str().unwrap())) {
            if manifest["kind"] != "Deployment" {
                continue;
            }
            for container in items(&manifest, "/spec/template/spec/containers") {
                for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
                    if let Some(path) = container[probe]["httpGet"]["path"].as_str() {
                        probed.insert((
                            text(&manifest, "/metadata/name").to_owned(),
                            probe.to_owned(),
                            path.to_owned(),
                        ));
                    }
                }
            }
        }
    }
    probed
}

/// Probes of one deployment, as (probe, path).
fn probes_of(deployment: &str) -> Vec<(String, String)> {
    let probes: Vec<_> = probed()
        .into_iter()
        .filter(|(d, _, _)| d == deployment)
        .map(|(_, probe, path)| (probe, path))
        .collect();
    assert!(probes.len() >= 2, "{deployment} has its probes");
    probes
}

async fn status(addr: SocketAddr, path: &str) -> u16 {
    reqwest::get(format!("http://{addr}{path}"))
        .await
        .unwrap_or_else(|err| panic!("GET {path}: {err}"))
        .status()
        .as_u16()
}

/// Liveness and start-up must pass on a healthy process; readiness may
/// also answer 503 (not ready), but must be served.
fn assert_serves(deployment: &str, probe: &str, path: &str, status: u16) {
    match probe {
        "readinessProbe" => assert!(
            status == 200 || status == 503,
            "{deployment} does not serve its readiness probe {path}: {status}"
        ),
        _ => assert_eq!(status, 200, "{deployment}'s {probe} {path}"),
    }
}

macro_rules! start_service {
    ($service:ident, $dir:expr) => {{
        let url = format!("sqlite://{}/{}.db", $dir.display(), stringify!($service));
        let cli = $service::cli::Cli::try_parse_from([
            stringify!($service),
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &url,
        ])
        .unwrap();
        let server = $service::app::start(&cli.settings()).await.unwrap();
        let addr = server.local_addr();
        tokio::spawn(server.run_until(std::future::pending()));
        addr
    }};
}

#[tokio::test]
async fn every_service_serves_the_paths_its_probes_ask_for() {
    let dir = std::env::temp_dir().join(format!("deploy-probes-{}", std::process::id()));
    let servers = [
        ("products", start_service!(products, dir)),
        ("inventory", start_service!(inventory, dir)),
        ("orders", start_service!(orders, dir)),
        ("payments", start_service!(payments, dir)),
    ];
    assert_eq!(servers.map(|(name, _)| name), SERVICES);
    for (service, addr) in servers {
        for (probe, path) in probes_of(service) {
            assert_serves(service, &probe, &path, status(addr, &path).await);
        }
        // What a wrong path would get: the probes above are not passing by
        // accident.
        assert_eq!(status(addr, "/no-such-path").await, 404);
        // Where the manifest tells Prometheus to scrape it.
        let deployment = yaml_file(&format!("deploy/k8s/{service}.yaml")).remove(0);
        let annotations = &deployment["spec"]["template"]["metadata"]["annotations"];
        let path = annotations["prometheus.io/path"].as_str().unwrap();
        assert_eq!(status(addr, path).await, 200, "{service}: GET {path}");
        let port = annotations["prometheus.io/port"].as_str().unwrap();
        let listens = deployment["spec"]["template"]["spec"]["containers"][0]["ports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| {
                p["containerPort"]
                    .as_u64()
                    .map(|n| n.to_string())
                    .as_deref()
                    == Some(port)
            });
        assert!(
            listens,
            "{service} scraped on port {port}, which it listens on"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_router_serves_its_probes_and_its_metrics_on_the_admin_listener() {
    let mut config = crate::router_config("deploy/k8s/router.toml");
    // No cluster DNS and no key files here: the probes do not depend on them.
    config.subgraphs.clear();
    config.authentication = Default::default();
    let engine = router::engine::Engine::over_http(&read("schema/supergraph.graphql"), &config)
        .await
        .expect("the router starts over the supergraph");
    let engine = router::reload::EngineHandle::new(engine);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(router::server::serve(
        listener,
        engine.clone(),
        std::future::pending(),
    ));
    for (probe, path) in probes_of("router") {
        assert_serves("router", &probe, &path, status(addr, &path).await);
    }
    assert_eq!(status(addr, "/no-such-path").await, 404);

    let admin = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let admin_addr = admin.local_addr().unwrap();
    tokio::spawn(router::server::serve_admin(
        admin,
        engine,
        std::future::pending(),
    ));
    // Where the manifests say Prometheus finds the router's metrics.
    let router = yaml_file("deploy/k8s/router.yaml").remove(0);
    let path = router["spec"]["template"]["metadata"]["annotations"]["prometheus.io/path"]
        .as_str()
        .unwrap();
    assert_eq!(
        status(admin_addr, path).await,
        200,
        "GET {path} on the admin listener"
    );
    let scraped: Value =
        router["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"].clone();
    assert_eq!(scraped, config.admin_listen.port().to_string());
}
