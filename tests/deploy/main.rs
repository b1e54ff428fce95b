//! The deployment, checked against the binaries it runs. These machines run
//! no cluster and no Docker daemon, so what can go wrong in a deployment
//! without running one is checked here: every file parses; every command
//! line and environment variable a container is given is one its binary
//! accepts (read from the binaries' own clap settings, values included);
//! every probe, port and path is one the binaries serve (by starting them);
//! the router's configs load with the router's own loader; the image builds
//! and copies every binary the deployments start; the dashboard asks only
//! for metrics the system exports.
//!
//! - `kubernetes`: deploy/k8s (kustomize renders it when kubectl is there).
//! - `compose`: compose.yaml, Prometheus and Grafana provisioning.
//! - `image`: the Dockerfile and .dockerignore.
//! - `probes`: the probe and scrape paths, asked of running binaries.
//! - `dashboard`: the Grafana dashboard's queries and the metric list.

mod compose;
mod dashboard;
mod image;
mod kubernetes;
mod probes;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::CommandFactory;
use serde_json::Value;

/// The four services, each with its own binary, listener and database.
pub const SERVICES: [&str; 4] = ["products", "inventory", "orders", "payments"];

/// The image every container of ours runs (the Dockerfile's).
pub const IMAGE: &str = "shop";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file of the repository, as text.
pub fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|err| panic!("{path}: {err}"))
}

/// Every YAML document of `text` (empty ones skipped).
pub fn yaml_documents(text: &str, what: &str) -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(text)
        .unwrap_or_else(|err| panic!("{what} is not valid YAML: {err}"))
        .into_iter()
        .filter(|doc| !doc.is_null())
        .collect()
}

/// Every YAML document of a file of the repository.
pub fn yaml_file(path: &str) -> Vec<Value> {
    yaml_documents(&read(path), path)
}

/// A string field (`/a/b/0/c` pointer) that must be there.
pub fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer} in {value:#}"))
}

/// An array field, or none.
pub fn items<'a>(value: &'a Value, pointer: &str) -> &'a [Value] {
    value
        .pointer(pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// Whether `image` (`name[:tag]`) is ours.
pub fn is_ours(image: &str) -> bool {
    image.split(':').next() == Some(IMAGE)
}

/// The command line of one of our binaries, as it parses its settings;
/// `shop` (the all-in-one binary) is checked by running it instead.
pub fn command_line(program: &str) -> Option<clap::Command> {
    Some(match program {
        "router" => router::cli::Cli::command(),
        "products" => products::cli::Cli::command(),
        "inventory" => inventory::cli::Cli::command(),
        "orders" => orders::cli::Cli::command(),
        "payments" => payments::cli::Cli::command(),
        _ => return None,
    })
}

/// Every environment variable a command line reads.
pub fn env_names(command: &clap::Command) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = command
        .get_arguments()
        .filter_map(|arg| arg.get_env())
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    for sub in command.get_subcommands() {
        names.extend(env_names(sub));
    }
    names
}

/// How a deployment starts one container of ours: its program and
/// arguments, and its environment (a value, or `None` when it comes from a
/// Secret).
#[derive(Debug, Clone)]
pub struct Launch {
    /// Where it is declared, for messages.
    pub origin: String,
    pub argv: Vec<String>,
    pub env: Vec<(String, Option<String>)>,
}

impl Launch {
    pub fn program(&self) -> &str {
        self.argv.first().map(String::as_str).unwrap_or_default()
    }

    pub fn env(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// Parses the launch as the binary would: every variable must be one of
    /// its settings, and its arguments with every variable's value (given
    /// as the flag that variable stands for) must parse.
    pub fn matches(&self) -> clap::ArgMatches {
        let program = self.program();
        let command = command_line(program).unwrap_or_else(|| {
            panic!(
                "{}: `{program}` is not a binary whose settings are known",
                self.origin
            )
        });
        let known = env_names(&command);
        let mut argv = self.argv.clone();
        for (name, value) in &self.env {
            assert!(
                known.contains(name),
                "{}: {name} is not a setting of `{program}`; it reads {known:?}",
                self.origin
            );
            let Some(value) = value else { continue };
            let arg = command
                .get_arguments()
                .find(|arg| arg.get_env().is_some_and(|env| env == name.as_str()))
                .unwrap_or_else(|| panic!("{name} belongs to a subcommand of {program}"));
            let long = arg
                .get_long()
                .expect("settings with a variable have a flag");
            argv.insert(1, format!("--{long}={value}"));
        }
        command.try_get_matches_from(&argv).unwrap_or_else(|err| {
            panic!(
                "{}: `{program}` refuses {argv:?} (its environment as flags): {err}",
                self.origin
            )
        })
    }

    /// Where a service's launch listens (its `--listen`).
    pub fn listen(&self) -> SocketAddr {
        *self
            .matches()
            .get_one::<SocketAddr>("listen")
            .unwrap_or_else(|| panic!("{}: no listen address", self.origin))
    }
}

/// The router's config as its own loader reads it.
pub fn router_config(path: &str) -> router::config::RouterConfig {
    router::config::RouterConfig::from_toml(&read(path))
        .unwrap_or_else(|err| panic!("{path}: {err}"))
}

/// The subgraphs of the supergraph the image serves.
pub fn supergraph_subgraphs() -> Vec<router::transport::SubgraphEndpoint> {
    router::supergraph::Supergraph::parse(&read("schema/supergraph.graphql"))
        .expect("the supergraph parses")
        .subgraphs()
        .to_vec()
}

/// The `authorization` section the all-in-one run configures the router
/// with: a deployment's router must grant the same policies.
pub fn development_authorization() -> router::authorization::AuthorizationConfig {
    let dir = std::env::temp_dir().join(format!("deploy-auth-{}", std::process::id()));
    let auth = shop::dev_auth::DevAuth::load_or_create(&dir).expect("development keys");
    let mut config = router::config::RouterConfig::default();
    auth.configure(&mut config);
    let _ = std::fs::remove_dir_all(&dir);
    config.authorization
}
