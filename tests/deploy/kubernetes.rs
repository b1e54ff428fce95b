//! deploy/k8s: the kustomization, its manifests, and the binaries they run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::{Launch, SERVICES, is_ours, items, read, text, yaml_documents, yaml_file};

const DIR: &str = "deploy/k8s";
/// Not a resource of the kustomization: secrets are not kept in git.
const SECRETS_EXAMPLE: &str = "deploy/k8s/secrets.example.yaml";

fn kustomization() -> Value {
    yaml_file(&format!("{DIR}/kustomization.yaml")).remove(0)
}

/// The kustomization's resources, as written (kustomize adds the namespace,
/// the generated ConfigMap and the image's tag).
fn manifests() -> Vec<Value> {
    items(&kustomization(), "/resources")
        .iter()
        .flat_map(|file| {
            let file = file.as_str().expect("a resource is a file name");
            yaml_file(&format!("{DIR}/{file}"))
        })
        .collect()
}

fn find<'a>(manifests: &'a [Value], kind: &str, name: &str) -> &'a Value {
    manifests
        .iter()
        .find(|m| m["kind"] == kind && m["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn all<'a>(manifests: &'a [Value], kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    manifests.iter().filter(move |m| m["kind"] == kind)
}

fn name(manifest: &Value) -> &str {
    text(manifest, "/metadata/name")
}

/// The containers of a workload's pods, init containers included.
fn containers(workload: &Value) -> impl Iterator<Item = &Value> {
    items(workload, "/spec/template/spec/containers")
        .iter()
        .chain(items(workload, "/spec/template/spec/initContainers"))
}

fn workloads(manifests: &[Value]) -> impl Iterator<Item = &Value> {
    manifests.iter().filter(|m| {
        ["Deployment", "StatefulSet", "Job"].contains(&m["kind"].as_str().unwrap_or(""))
    })
}

fn launch(workload: &Value, container: &Value) -> Launch {
    let argv: Vec<String> = items(container, "/command")
        .iter()
        .chain(items(container, "/args"))
        .map(|v| v.as_str().expect("arguments are strings").to_owned())
        .collect();
    let env = items(container, "/env")
        .iter()
        .map(|var| {
            (
                text(var, "/name").to_owned(),
                var["value"].as_str().map(str::to_owned),
            )
        })
        .collect();
    Launch {
        origin: format!(
            "{} {} ({})",
            workload["kind"],
            name(workload),
            container["name"]
        ),
        argv: if argv.is_empty() {
            vec!["shop".into()]
        } else {
            argv
        },
        env,
    }
}

/// Every container of ours, with its workload.
fn launches(manifests: &[Value]) -> Vec<(&Value, &Value, Launch)> {
    workloads(manifests)
        .flat_map(|w| containers(w).map(move |c| (w, c)))
        .filter(|(_, c)| is_ours(text(c, "/image")))
        .map(|(w, c)| (w, c, launch(w, c)))
        .collect()
}

/// The programs the manifests start from our image.
pub fn programs() -> Vec<String> {
    launches(&manifests())
        .into_iter()
        .map(|(_, _, launch)| launch.program().to_owned())
        .collect()
}

/// The number a probe's or Service's port names (a number, or a
/// container port's name).
fn port_number(container: &Value, port: &Value) -> u16 {
    if let Some(number) = port.as_u64() {
        return number as u16;
    }
    let wanted = port.as_str().expect("a port is a number or a name");
    items(container, "/ports")
        .iter()
        .find(|p| p["name"] == wanted)
        .and_then(|p| p["containerPort"].as_u64())
        .unwrap_or_else(|| panic!("no container port named {wanted}")) as u16
}

fn the_container<'a>(manifests: &'a [Value], deployment: &str) -> &'a Value {
    let deployment = find(manifests, "Deployment", deployment);
    items(deployment, "/spec/template/spec/containers")
        .first()
        .expect("a container")
}

fn pod_labels(workload: &Value) -> &serde_json::Map<String, Value> {
    workload["spec"]["template"]["metadata"]["labels"]
        .as_object()
        .expect("pod labels")
}

fn selects(selector: &Value, labels: &serde_json::Map<String, Value>) -> bool {
    selector
        .as_object()
        .is_some_and(|s| !s.is_empty() && s.iter().all(|(k, v)| labels.get(k) == Some(v)))
}

/// The router's config file, from the configMapGenerator.
fn router_toml() -> String {
    let generator = items(&kustomization(), "/configMapGenerator")
        .iter()
        .find(|g| g["name"] == "router-config")
        .cloned()
        .expect("a configMapGenerator for router-config");
    let files = items(&generator, "/files");
    assert_eq!(files, [Value::from("router.toml")]);
    format!("{DIR}/router.toml")
}

#[test]
fn kustomize_renders_every_resource_into_the_shop_namespace() {
    let kubectl = std::env::var("KUBECTL").unwrap_or_else(|_| "kubectl".into());
    let output = match Command::new(&kubectl)
        .args(["kustomize", DIR])
        .current_dir(crate::repo())
        .output()
    {
        Ok(output) => output,
        Err(err) if std::env::var("REQUIRE_KUBECTL").is_ok_and(|v| v == "1") => {
            panic!("REQUIRE_KUBECTL=1 but {kubectl} cannot run: {err}")
        }
        Err(err) => {
            eprintln!(
                "SKIPPED kustomize_renders_every_resource_into_the_shop_namespace: no {kubectl} ({err}); REQUIRE_KUBECTL=1 makes this fail"
            );
            return;
        }
    };
    assert!(
        output.status.success(),
        "kubectl kustomize {DIR} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rendered = yaml_documents(&String::from_utf8_lossy(&output.stdout), "the rendering");
    let written = manifests();
    let key = |m: &Value| format!("{} {}", text(m, "/kind"), name(m));
    let rendered_keys: BTreeSet<String> = rendered.iter().map(key).collect();
    let written_keys: BTreeSet<String> = written.iter().map(key).collect();
    let generated: Vec<&String> = rendered_keys.difference(&written_keys).collect();
    assert_eq!(
        generated.len(),
        1,
        "only the router's ConfigMap is generated: {generated:?}"
    );
    assert!(generated[0].starts_with("ConfigMap router-config-"));
    assert!(written_keys.is_subset(&rendered_keys));
    for manifest in &rendered {
        if manifest["kind"] != "Namespace" {
            assert_eq!(
                manifest["metadata"]["namespace"],
                "shop",
                "{}",
                key(manifest)
            );
        }
    }
    let router = find(&rendered, "Deployment", "router");
    let config = items(router, "/spec/template/spec/volumes")
        .iter()
        .find_map(|v| v["configMap"]["name"].as_str())
        .expect("the router mounts its ConfigMap");
    assert!(
        rendered_keys.contains(&format!("ConfigMap {config}")),
        "the router mounts the generated ConfigMap ({config})"
    );
    for (_, container, _) in launches(&rendered) {
        assert_eq!(container["image"], "shop:latest");
    }
}

#[test]
fn every_manifest_parses_and_is_a_resource_of_the_kustomization() {
    let resources: BTreeSet<String> = items(&kustomization(), "/resources")
        .iter()
        .map(|r| format!("{DIR}/{}", r.as_str().unwrap()))
        .collect();
    for entry in std::fs::read_dir(crate::repo().join(DIR)).unwrap() {
        let path = entry.unwrap().path();
        let file = format!("{DIR}/{}", path.file_name().unwrap().to_string_lossy());
        if path.extension().is_some_and(|e| e == "toml") {
            continue; // router.toml: a generated ConfigMap's file
        }
        let documents = yaml_file(&file);
        assert!(!documents.is_empty(), "{file} is empty");
        if file.ends_with("kustomization.yaml") {
            continue;
        }
        assert!(
            resources.contains(&file) || file == SECRETS_EXAMPLE,
            "{file} is not a resource of the kustomization"
        );
        for manifest in documents {
            assert!(manifest["apiVersion"].is_string(), "{file}: no apiVersion");
            assert!(manifest["kind"].is_string(), "{file}: no kind");
            assert!(manifest["metadata"]["name"].is_string(), "{file}: no name");
        }
    }
}

#[test]
fn the_router_and_each_service_are_probed_at_ready_and_health_on_the_port_they_listen_on() {
    let manifests = manifests();
    let router = router::config::RouterConfig::from_toml(&read(&router_toml())).unwrap();
    for deployment in std::iter::once("router").chain(SERVICES) {
        let container = the_container(&manifests, deployment);
        let workload = find(&manifests, "Deployment", deployment);
        let listen = if deployment == "router" {
            router.listen
        } else {
            launch(workload, container).listen()
        };
        assert!(
            listen.ip().is_unspecified(),
            "{deployment} listens on {listen}: unreachable from other pods"
        );
        for (probe, path) in [("readinessProbe", "/ready"), ("livenessProbe", "/health")] {
            let get = &container[probe]["httpGet"];
            assert_eq!(get["path"], path, "{deployment}'s {probe}");
            assert_eq!(
                port_number(container, &get["port"]),
                listen.port(),
                "{deployment}'s {probe} asks the port it listens on"
            );
        }
        if let Some(startup) = container.get("startupProbe") {
            assert_eq!(startup["httpGet"]["path"], "/health");
            assert_eq!(
                port_number(container, &startup["httpGet"]["port"]),
                listen.port()
            );
        }
        assert!(
            items(container, "/ports")
                .iter()
                .any(|p| p["containerPort"] == listen.port()),
            "{deployment} declares its port"
        );
    }
    let admin = the_container(&manifests, "router");
    assert!(
        items(admin, "/ports")
            .iter()
            .any(|p| p["containerPort"] == router.admin_listen.port()),
        "the router declares its admin port (/metrics)"
    );
    assert!(router.admin_listen.ip().is_unspecified());
}

#[test]
fn each_service_is_found_by_dns_through_a_headless_service_on_its_port() {
    let manifests = manifests();
    for service in SERVICES {
        let deployment = find(&manifests, "Deployment", service);
        let listen = launch(deployment, the_container(&manifests, service)).listen();
        let headless = find(&manifests, "Service", service);
        assert_eq!(headless["spec"]["clusterIP"], "None", "{service}: headless");
        assert!(selects(
            &headless["spec"]["selector"],
            pod_labels(deployment)
        ));
        let port = &items(headless, "/spec/ports")[0];
        assert_eq!(port["port"], listen.port(), "{service}'s Service port");
    }
    let router = find(&manifests, "Service", "router");
    assert!(selects(
        &router["spec"]["selector"],
        pod_labels(find(&manifests, "Deployment", "router"))
    ));
}

#[test]
fn the_router_and_each_service_have_a_disruption_budget_and_an_autoscaler() {
    let manifests = manifests();
    for deployment in std::iter::once("router").chain(SERVICES) {
        let workload = find(&manifests, "Deployment", deployment);
        let budget = all(&manifests, "PodDisruptionBudget")
            .find(|b| selects(&b["spec"]["selector"]["matchLabels"], pod_labels(workload)))
            .unwrap_or_else(|| panic!("no PodDisruptionBudget selects {deployment}'s pods"));
        assert!(budget["spec"]["minAvailable"].as_u64() >= Some(1));
        let scaler = all(&manifests, "HorizontalPodAutoscaler")
            .find(|h| h["spec"]["scaleTargetRef"]["name"] == deployment)
            .unwrap_or_else(|| panic!("no HorizontalPodAutoscaler scales {deployment}"));
        assert_eq!(scaler["spec"]["scaleTargetRef"]["kind"], "Deployment");
        let min = scaler["spec"]["minReplicas"].as_u64().unwrap();
        let max = scaler["spec"]["maxReplicas"].as_u64().unwrap();
        assert!(
            min >= 2 && min <= max,
            "{deployment}: {min}..{max} replicas"
        );
        assert!(
            budget["spec"]["minAvailable"].as_u64().unwrap() < min,
            "{deployment}: a node can be drained at the fewest replicas"
        );
    }
}

#[test]
fn every_container_has_resource_requests_and_limits() {
    let manifests = manifests();
    for workload in workloads(&manifests) {
        for container in containers(workload) {
            for bound in ["requests", "limits"] {
                for resource in ["cpu", "memory"] {
                    assert!(
                        container["resources"][bound][resource].is_string(),
                        "{} {}: no {bound}.{resource}",
                        workload["kind"],
                        name(workload)
                    );
                }
            }
        }
    }
}

#[test]
fn every_container_of_ours_is_started_with_settings_its_binary_has() {
    let manifests = manifests();
    let launches = launches(&manifests);
    let programs: BTreeSet<&str> = launches.iter().map(|(_, _, l)| l.program()).collect();
    let expected: BTreeSet<&str> = std::iter::once("router").chain(SERVICES).collect();
    assert_eq!(programs, expected);
    for (_, container, launch) in &launches {
        launch.matches();
        // A read-only root file system: nothing of ours writes outside its
        // mounts.
        assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    }
    for workload in
        workloads(&manifests).filter(|w| containers(w).any(|c| is_ours(text(c, "/image"))))
    {
        assert_eq!(
            workload["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"],
            true,
            "{} runs as non-root",
            name(workload)
        );
    }
}

#[test]
fn the_router_config_map_loads_with_the_router_s_loader_and_routes_every_subgraph_to_its_service() {
    let manifests = manifests();
    let config = crate::router_config(&router_toml());
    let deployment = find(&manifests, "Deployment", "router");
    let container = the_container(&manifests, "router");
    let argv = launch(deployment, container).argv;
    let flag = |name: &str| {
        let at = argv
            .iter()
            .position(|a| a == name)
            .unwrap_or_else(|| panic!("no {name}"));
        argv[at + 1].clone()
    };
    // The config file is the generated ConfigMap's, where it is mounted.
    let config_path = flag("--config");
    let config_path = Path::new(&config_path);
    assert_eq!(config_path.file_name().unwrap(), "router.toml");
    let mount = mount_of(deployment, container, config_path.parent().unwrap());
    assert_eq!(mount["configMap"]["name"], "router-config");
    assert_eq!(
        flag("--supergraph"),
        crate::image::SUPERGRAPH,
        "the router serves the supergraph the image holds"
    );

    for subgraph in crate::supergraph_subgraphs() {
        let discovery = config
            .subgraphs
            .get(&subgraph.name)
            .and_then(|s| s.discovery.clone())
            .unwrap_or_else(|| {
                panic!(
                    "{} has no DNS discovery: it would be called at {}",
                    subgraph.name, subgraph.url
                )
            });
        let service = discovery.dns.clone().expect("an A/AAAA name");
        assert_eq!(
            find(&manifests, "Service", &service)["spec"]["clusterIP"],
            "None"
        );
        let listen = launch(
            find(&manifests, "Deployment", &service),
            the_container(&manifests, &service),
        )
        .listen();
        assert_eq!(discovery.port, Some(listen.port()), "{service}'s port");
    }
    assert_eq!(config.authorization, crate::development_authorization());
    // The files it reads come from the Secret it mounts.
    let secret_file = config.authentication.forward.secret_file.clone().unwrap();
    secret_key_at(deployment, container, &secret_file);
    for jwks in &config.authentication.jwks {
        if let router::auth::JwksSource::File { file } = jwks {
            secret_key_at(deployment, container, file);
        }
    }
}

/// The volume mounted at `dir` in `container`.
fn mount_of<'a>(workload: &'a Value, container: &Value, dir: &Path) -> &'a Value {
    let mount = items(container, "/volumeMounts")
        .iter()
        .find(|m| Path::new(text(m, "/mountPath")) == dir)
        .unwrap_or_else(|| panic!("nothing is mounted at {}", dir.display()));
    items(workload, "/spec/template/spec/volumes")
        .iter()
        .find(|v| v["name"] == mount["name"])
        .expect("the mounted volume")
}

/// The Secret and key whose file `path` is in `container`.
fn secret_key_at(workload: &Value, container: &Value, path: &Path) -> (String, String) {
    let volume = mount_of(workload, container, path.parent().unwrap());
    let secret = text(volume, "/secret/secretName").to_owned();
    let file = path.file_name().unwrap().to_string_lossy().into_owned();
    let key = match items(volume, "/secret/items")
        .iter()
        .find(|item| item["path"] == file.as_str())
    {
        Some(item) => text(item, "/key").to_owned(),
        None => file,
    };
    (secret, key)
}

/// Every (Secret, key) the workloads read.
fn secrets_read(manifests: &[Value]) -> BTreeSet<(String, String)> {
    let mut read = BTreeSet::new();
    for workload in workloads(manifests) {
        for container in containers(workload) {
            for var in items(container, "/env") {
                if let Some(from) = var.pointer("/valueFrom/secretKeyRef") {
                    read.insert((text(from, "/name").into(), text(from, "/key").into()));
                }
                // A file named by a variable is a key of a mounted Secret.
                if var["name"] == "IDENTITY_SECRET_FILE" {
                    read.insert(secret_key_at(
                        workload,
                        container,
                        Path::new(text(var, "/value")),
                    ));
                }
            }
        }
        for volume in items(workload, "/spec/template/spec/volumes") {
            if let Some(secret) = volume["secret"]["secretName"].as_str() {
                for item in items(volume, "/secret/items") {
                    read.insert((secret.into(), text(item, "/key").into()));
                }
            }
        }
    }
    for cluster in all(manifests, "Cluster") {
        for role in items(cluster, "/spec/managed/roles") {
            let secret = text(role, "/passwordSecret/name");
            read.insert((secret.into(), "username".into()));
            read.insert((secret.into(), "password".into()));
        }
    }
    read
}

fn example_secrets() -> BTreeMap<String, serde_json::Map<String, Value>> {
    yaml_file(SECRETS_EXAMPLE)
        .into_iter()
        .map(|secret| {
            assert_eq!(secret["kind"], "Secret");
            (
                name(&secret).to_owned(),
                secret["stringData"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn every_secret_a_workload_reads_is_in_the_secrets_example() {
    let manifests = manifests();
    let examples = example_secrets();
    let read = secrets_read(&manifests);
    assert!(read.len() >= 10, "{read:?}");
    for (secret, key) in read {
        assert!(
            examples
                .get(&secret)
                .is_some_and(|keys| keys.contains_key(&key)),
            "secrets.example.yaml lacks {secret}/{key}"
        );
    }
    // The router mounts the whole of shop-auth: its config names the files.
    assert!(examples["shop-auth"].contains_key("jwks.json"));
}

#[test]
fn each_service_has_its_own_database_and_role_on_the_cloudnativepg_cluster() {
    let manifests = manifests();
    let clusters: Vec<&Value> = all(&manifests, "Cluster").collect();
    assert_eq!(clusters.len(), 1);
    let cluster = clusters[0];
    assert!(text(cluster, "/apiVersion").starts_with("postgresql.cnpg.io/"));
    let roles: BTreeMap<&str, &str> = items(cluster, "/spec/managed/roles")
        .iter()
        .map(|r| (text(r, "/name"), text(r, "/passwordSecret/name")))
        .collect();
    let examples = example_secrets();
    let max_connections: u64 = text(cluster, "/spec/postgresql/parameters/max_connections")
        .parse()
        .unwrap();
    let mut connections = 0;
    for service in SERVICES {
        let database = all(&manifests, "Database")
            .find(|d| d["spec"]["name"] == service)
            .unwrap_or_else(|| panic!("no Database {service}"));
        assert_eq!(
            database["spec"]["cluster"]["name"],
            cluster["metadata"]["name"]
        );
        assert_eq!(
            database["spec"]["owner"], service,
            "{service} owns its database"
        );
        let secret = roles[service];
        // The service connects as its role, to its database, with the
        // password the operator sets: one Secret holds all three.
        let container = the_container(&manifests, service);
        let url_from = items(container, "/env")
            .iter()
            .find_map(|v| v.pointer("/valueFrom/secretKeyRef"))
            .expect("the database URL comes from a Secret");
        assert_eq!(url_from["name"], secret);
        let example = &examples[secret];
        let url = example["url"].as_str().unwrap();
        let password = example["password"].as_str().unwrap();
        assert_eq!(
            url,
            format!(
                "postgres://{service}:{password}@{}-rw:5432/{service}",
                name(cluster)
            )
        );
        let deployment = find(&manifests, "Deployment", service);
        let pool: u64 = launch(deployment, container)
            .env(&format!(
                "{}_DATABASE_MAX_CONNECTIONS",
                service.to_uppercase()
            ))
            .expect("a bounded pool")
            .parse()
            .unwrap();
        let scaler = all(&manifests, "HorizontalPodAutoscaler")
            .find(|h| h["spec"]["scaleTargetRef"]["name"] == service)
            .unwrap();
        connections += pool * scaler["spec"]["maxReplicas"].as_u64().unwrap();
    }
    assert!(
        connections + 20 <= max_connections,
        "at the most replicas the services open {connections} connections of {max_connections}"
    );
}

#[test]
fn nats_runs_jetstream_on_three_nodes_and_the_stream_matches_the_services() {
    let manifests = manifests();
    let nats = find(&manifests, "StatefulSet", "nats");
    assert_eq!(nats["spec"]["replicas"], 3);
    let headless = text(nats, "/spec/serviceName");
    assert_eq!(
        find(&manifests, "Service", headless)["spec"]["clusterIP"],
        "None"
    );
    let conf = find(&manifests, "ConfigMap", "nats-config")["data"]["nats.conf"]
        .as_str()
        .unwrap();
    assert!(conf.contains("jetstream {"), "JetStream is on");
    for node in 0..3 {
        assert!(
            conf.contains(&format!("nats://nats-{node}.{headless}:6222")),
            "node {node} is a route"
        );
    }
    // The services reach the cluster through the client Service.
    let client = find(&manifests, "Service", "nats");
    assert!(selects(&client["spec"]["selector"], pod_labels(nats)));
    for (_, _, launch) in launches(&manifests) {
        if let Some(url) = launch.env("NATS_URL") {
            assert_eq!(url, "nats://nats:4222", "{}", launch.origin);
        }
    }
    // The stream the Job makes is the one the services would make.
    let expected =
        events::broker::nats::stream_config(events::settings::STREAM, events::settings::SUBJECTS);
    let job = find(&manifests, "Job", "nats-stream");
    let script = items(
        &job["spec"]["template"]["spec"]["containers"][0],
        "/command",
    )
    .iter()
    .map(|v| v.as_str().unwrap())
    .collect::<Vec<_>>()
    .join(" ");
    assert_eq!(
        expected.storage,
        async_nats::jetstream::stream::StorageType::File
    );
    for part in [
        format!("stream add {}", expected.name),
        format!("--subjects '{}'", expected.subjects[0]),
        "--storage file".into(),
        format!(
            "--dupe-window {}m",
            expected.duplicate_window.as_secs() / 60
        ),
        "--replicas 3".into(),
    ] {
        assert!(
            script.contains(&part),
            "the stream Job lacks `{part}`: {script}"
        );
    }
}

#[test]
fn migrations_run_once_per_service_as_a_job_and_replicas_await_them() {
    let manifests = manifests();
    for service in SERVICES {
        let deployment = find(&manifests, "Deployment", service);
        let serving = launch(deployment, the_container(&manifests, service));
        assert_eq!(serving.argv, [service], "{service}'s replicas serve");
        assert_eq!(serving.env("MIGRATIONS_ON_START"), Some("await"));
        let job = find(&manifests, "Job", &format!("{service}-migrate"));
        let container = &items(job, "/spec/template/spec/containers")[0];
        let migrating = launch(job, container);
        assert_eq!(migrating.argv, [service, "migrate"]);
        migrating.matches();
        let url = |c: &Value| {
            items(c, "/env")
                .iter()
                .find(|v| v["name"] == format!("{}_DATABASE_URL", service.to_uppercase()))
                .cloned()
                .expect("a database URL")
        };
        assert_eq!(
            url(container),
            url(the_container(&manifests, service)),
            "{service}'s Job migrates the database its replicas use"
        );
    }
}
