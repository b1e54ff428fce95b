//! compose.yaml: the system on one host, with Prometheus and Grafana.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::{Launch, SERVICES, is_ours, items, read, text, yaml_file};

fn compose() -> Value {
    yaml_file("compose.yaml").remove(0)
}

fn service<'a>(compose: &'a Value, name: &str) -> &'a Value {
    compose["services"]
        .get(name)
        .unwrap_or_else(|| panic!("compose.yaml has no service {name}"))
}

fn ours(compose: &Value) -> impl Iterator<Item = (&String, &Value)> {
    compose["services"]
        .as_object()
        .expect("services")
        .iter()
        .filter(|(_, s)| s["image"].as_str().is_some_and(is_ours))
}

fn launch(name: &str, service: &Value) -> Launch {
    let argv = match &service["command"] {
        Value::Array(words) => words
            .iter()
            .map(|w| w.as_str().unwrap().to_owned())
            .collect(),
        Value::Null => vec!["shop".to_owned()],
        other => panic!("{name}: write the command as a list, not {other}"),
    };
    let env = service["environment"]
        .as_object()
        .map(|vars| {
            vars.iter()
                .map(|(k, v)| {
                    let value = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), Some(value))
                })
                .collect()
        })
        .unwrap_or_default();
    Launch {
        origin: format!("compose service {name}"),
        argv,
        env,
    }
}

/// The programs compose starts from our image.
pub fn programs() -> Vec<String> {
    ours(&compose())
        .map(|(name, s)| launch(name, s).program().to_owned())
        .collect()
}

/// The host path mounted at `target` in `service` (`host:target[:ro]`).
fn mounted_at<'a>(service: &'a Value, target: &str) -> &'a str {
    items(service, "/volumes")
        .iter()
        .filter_map(Value::as_str)
        .find_map(|volume| {
            let mut parts = volume.split(':');
            let (source, at) = (parts.next()?, parts.next()?);
            (at == target).then_some(source)
        })
        .unwrap_or_else(|| panic!("nothing is mounted at {target}"))
}

/// The repository file a `./…` bind mount names.
fn host_file(source: &str) -> &str {
    source
        .strip_prefix("./")
        .unwrap_or_else(|| panic!("{source}: a bind mount of the repository"))
}

fn listen(compose: &Value, name: &str) -> std::net::SocketAddr {
    launch(name, service(compose, name)).listen()
}

#[test]
fn compose_runs_the_router_two_replicas_of_each_service_postgres_nats_prometheus_and_grafana() {
    let compose = compose();
    for name in SERVICES {
        let service = service(&compose, name);
        assert_eq!(service["deploy"]["replicas"], 2, "{name} runs two replicas");
        assert!(
            service.get("ports").is_none(),
            "{name}'s replicas publish no port"
        );
        assert!(
            service.get("container_name").is_none(),
            "{name} can have replicas"
        );
    }
    assert_eq!(service(&compose, "router")["ports"][0], "4000:4000");
    for infrastructure in ["postgres", "nats", "prometheus", "grafana"] {
        service(&compose, infrastructure);
    }
    let nats = launch("nats", service(&compose, "nats")).argv;
    assert!(
        nats.contains(&"--jetstream".to_owned()),
        "NATS with JetStream"
    );
    // One image, built once (by `keys`), never pulled.
    let built: Vec<&String> = ours(&compose)
        .filter(|(_, s)| s.get("build").is_some())
        .map(|(n, _)| n)
        .collect();
    assert_eq!(built, ["keys"]);
    for (name, s) in ours(&compose).filter(|(n, _)| *n != "keys") {
        assert_eq!(s["pull_policy"], "never", "{name}");
    }
}

#[test]
fn every_container_of_ours_is_started_with_settings_its_binary_has() {
    let compose = compose();
    let mut checked = BTreeSet::new();
    for (name, service) in ours(&compose) {
        let launch = launch(name, service);
        if launch.program() == "shop" {
            continue; // `keys`: run for real by dev_keys_… below
        }
        launch.matches();
        checked.insert(launch.program().to_owned());
    }
    let expected: BTreeSet<String> = std::iter::once("router")
        .chain(SERVICES)
        .map(String::from)
        .collect();
    assert_eq!(checked, expected);
    for name in SERVICES {
        let at = listen(&compose, name);
        assert!(at.ip().is_unspecified(), "{name} listens on {at}");
    }
}

#[test]
fn each_service_is_migrated_once_before_its_replicas_start() {
    let compose = compose();
    let databases = read("deploy/compose/postgres-init.sql");
    for name in SERVICES {
        let serving = launch(name, service(&compose, name));
        assert_eq!(serving.env("MIGRATIONS_ON_START"), Some("await"));
        let migrate = format!("{name}-migrate");
        assert_eq!(
            service(&compose, name)["depends_on"][&migrate]["condition"],
            "service_completed_successfully"
        );
        let migrating = launch(&migrate, service(&compose, &migrate));
        assert_eq!(migrating.argv, [name, "migrate"]);
        migrating.matches();
        let url_var = format!("{}_DATABASE_URL", name.to_uppercase());
        let url = serving.env(&url_var).unwrap();
        assert_eq!(migrating.env(&url_var), Some(url));
        assert!(
            url.starts_with("postgres://") && url.ends_with(&format!("@postgres:5432/{name}")),
            "{name} uses its own database: {url}"
        );
        assert!(
            databases.contains(&format!("CREATE DATABASE {name};")),
            "postgres-init.sql creates {name}"
        );
    }
    let postgres = service(&compose, "postgres");
    assert_eq!(
        mounted_at(postgres, "/docker-entrypoint-initdb.d/databases.sql"),
        "./deploy/compose/postgres-init.sql"
    );
}

#[test]
fn the_router_config_loads_and_finds_each_service_s_replicas_by_its_compose_name() {
    let compose = compose();
    let router = service(&compose, "router");
    let argv = launch("router", router).argv;
    let flag = |name: &str| {
        let at = argv.iter().position(|a| a == name).unwrap();
        argv[at + 1].clone()
    };
    let file = host_file(mounted_at(router, &flag("--config"))).to_owned();
    let config = crate::router_config(&file);
    assert_eq!(flag("--supergraph"), crate::image::SUPERGRAPH);
    assert!(config.listen.ip().is_unspecified());
    assert_eq!(config.listen.port(), 4000);
    assert!(
        config.admin_listen.ip().is_unspecified(),
        "Prometheus scrapes it"
    );
    for subgraph in crate::supergraph_subgraphs() {
        let discovery = config.subgraphs[&subgraph.name]
            .discovery
            .clone()
            .unwrap_or_else(|| panic!("{} has no DNS discovery", subgraph.name));
        let name = discovery.dns.expect("an A/AAAA name");
        assert_eq!(
            discovery.port,
            Some(listen(&compose, &name).port()),
            "{name}"
        );
    }
    assert_eq!(config.authorization, crate::development_authorization());
}

#[test]
fn dev_keys_writes_the_keys_the_router_and_the_services_read() {
    let compose = compose();
    let keys = launch("keys", service(&compose, "keys")).argv;
    assert_eq!(keys[..3], ["shop", "dev-keys", "--dir"]);
    let dir = &keys[3];

    let scratch = std::env::temp_dir().join(format!("deploy-dev-keys-{}", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_shop"))
        .args(["dev-keys", "--dir"])
        .arg(&scratch)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        printed.matches("Bearer ").count(),
        2,
        "a customer's and an admin's token"
    );
    let written = |path: &Path| {
        assert_eq!(
            path.parent(),
            Some(Path::new(dir)),
            "{} is not under {dir}",
            path.display()
        );
        let file = scratch.join(path.file_name().unwrap());
        assert!(file.is_file(), "dev-keys does not write {}", path.display());
    };

    let router = service(&compose, "router");
    let config = router::config::RouterConfig::from_toml(&read(host_file(mounted_at(
        router,
        "/etc/shop/router.toml",
    ))))
    .unwrap();
    written(
        config
            .authentication
            .forward
            .secret_file
            .as_deref()
            .unwrap(),
    );
    for jwks in &config.authentication.jwks {
        let router::auth::JwksSource::File { file } = jwks else {
            panic!("the development JWKS is a file");
        };
        written(file);
    }
    for name in SERVICES {
        let service = service(&compose, name);
        written(Path::new(
            launch(name, service).env("IDENTITY_SECRET_FILE").unwrap(),
        ));
        assert_eq!(mounted_at(service, dir), "keys");
    }
    assert_eq!(mounted_at(router, dir), "keys");
    let _ = std::fs::remove_dir_all(&scratch);
}

#[test]
fn prometheus_scrapes_the_router_and_every_replica_of_every_service() {
    let compose = compose();
    let prometheus = service(&compose, "prometheus");
    let argv = launch("prometheus", prometheus).argv;
    let config_at = argv
        .iter()
        .find_map(|a| a.strip_prefix("--config.file="))
        .unwrap();
    let config = yaml_file(host_file(mounted_at(prometheus, config_at))).remove(0);
    let jobs = items(&config, "/scrape_configs");
    let target = |job: &str| {
        let job = jobs
            .iter()
            .find(|j| j["job_name"] == job)
            .unwrap_or_else(|| panic!("no scrape job {job}"));
        let sd = &items(job, "/dns_sd_configs")[0];
        assert_eq!(sd["type"], "A", "{job}: every replica's address");
        (
            text(sd, "/names/0").to_owned(),
            sd["port"].as_u64().unwrap() as u16,
        )
    };
    for name in SERVICES {
        assert_eq!(
            target(name),
            (name.to_owned(), listen(&compose, name).port())
        );
    }
    let router = crate::router_config("deploy/compose/router.toml");
    assert_eq!(
        target("router"),
        ("router".to_owned(), router.admin_listen.port())
    );
}

#[test]
fn grafana_is_provisioned_with_prometheus_and_the_dashboard() {
    let compose = compose();
    let grafana = service(&compose, "grafana");
    let provisioning = host_file(mounted_at(grafana, "/etc/grafana/provisioning"));
    let datasource = yaml_file(&format!("{provisioning}/datasources/prometheus.yaml")).remove(0);
    let datasource = &items(&datasource, "/datasources")[0];
    assert_eq!(datasource["type"], "prometheus");
    assert_eq!(datasource["url"], "http://prometheus:9090");
    let provider = yaml_file(&format!("{provisioning}/dashboards/shop.yaml")).remove(0);
    let path = text(&items(&provider, "/providers")[0], "/options/path");
    let dashboards = host_file(mounted_at(grafana, path));
    let dashboard = crate::dashboard::dashboard();
    assert!(
        crate::repo().join(dashboards).join("shop.json").is_file(),
        "the dashboard is in the provisioned folder"
    );
    for uid in crate::dashboard::datasource_uids(&dashboard) {
        assert_eq!(
            uid, datasource["uid"],
            "the dashboard's panels use the provisioned source"
        );
    }
    assert_eq!(
        grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"],
        format!("{path}/shop.json")
    );
}
