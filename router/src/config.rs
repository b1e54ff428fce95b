//! Router settings, read from a TOML file. Every setting has a default so the
//! router runs without a file; unknown keys are rejected so a typo cannot
//! silently leave a default in place.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid router config{}: {message}", .path.as_ref().map(|p| format!(" in {}", p.display())).unwrap_or_default())]
    Invalid {
        path: Option<PathBuf>,
        message: String,
    },
}

/// All router settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RouterConfig {
    /// Address the HTTP server binds.
    pub listen: SocketAddr,
    /// Address of the admin view (`GET /status`): loopback by default, as
    /// it shows the system's inside.
    pub admin_listen: SocketAddr,
    /// Threads serving `listen`, each a single-threaded runtime with its
    /// own listener and subgraph connections (see `workers`); 0: one per
    /// core.
    pub workers: usize,
    /// `GET /ready` fails while a subgraph cannot be called (no endpoint
    /// takes traffic, or its breaker is open); off: ready once serving.
    pub ready_needs_subgraphs: bool,
    /// Timeout for a subgraph request when the subgraph sets none.
    pub timeout_ms: u64,
    /// Share one HTTP call among identical subgraph queries in flight at once.
    pub dedup_queries: bool,
    /// Entries in the query plan cache.
    pub plan_cache_size: u64,
    /// Bytes the parsed document cache may hold, texts, documents and
    /// errors included.
    pub document_cache_bytes: u64,
    /// Longest one operation may take to plan; past it the request fails
    /// with `QUERY_PLANNING_FAILED` instead of holding a core.
    pub plan_timeout_ms: u64,
    /// Largest accepted request body.
    pub max_request_bytes: usize,
    /// GraphQL requests served at once; past it a request is refused at
    /// once with 503 (load shedding) rather than queued. 0: no limit.
    pub max_concurrent_requests: usize,
    /// Whether clients may introspect the schema (`__schema`, `__type`;
    /// `__typename` always works); off also drops "Did you mean" hints.
    /// On in the all-in-one development run.
    pub introspection: bool,
    /// Whether a client may ask, with the `x-shop-query-plan: true` header,
    /// for `extensions.queryPlan`: the operation's plan and how its
    /// subgraph fetches ran (the playground's plan panel). It shows the
    /// subgraphs and the operations sent to them, so it is off by default;
    /// on in the all-in-one development run.
    pub expose_query_plan: bool,
    /// What one operation may ask for (`[limits]`).
    pub limits: crate::pipeline::limits::LimitsConfig,
    /// JWT bearer tokens and the keys that sign them (`[authentication]`).
    pub authentication: crate::auth::AuthenticationConfig,
    /// Where scopes are read from and what grants each `@policy`
    /// (`[authorization]`).
    pub authorization: crate::authorization::AuthorizationConfig,
    /// Automatic persisted queries (`[apq]`).
    pub apq: crate::pipeline::persisted::ApqConfig,
    /// The trusted documents manifest and its mode (`[trusted_documents]`).
    pub trusted_documents: crate::pipeline::trusted::TrustedConfig,
    /// Per-client token buckets (`[rate_limit]`).
    pub rate_limit: crate::pipeline::rate_limit::RateLimitConfig,
    /// Identical requests in flight sharing one execution (`[request_dedup]`).
    pub request_dedup: crate::inflight::RequestDedupConfig,
    /// Which client headers reach which subgraphs (`[headers]`).
    pub headers: crate::transport::headers::HeadersConfig,
    /// Which other sites' pages may call the router (`[cors]`).
    pub cors: crate::cors::CorsConfig,
    /// Refusing requests a browser could send cross-site unasked (`[csrf]`).
    pub csrf: crate::pipeline::csrf::CsrfConfig,
    /// Several operations in one POST (`[batching]`).
    pub batching: crate::pipeline::body::BatchingConfig,
    /// Per-subgraph overrides, by the subgraph's name in the supergraph.
    pub subgraphs: BTreeMap<String, SubgraphConfig>,
    /// How requests travel to subgraphs.
    pub traffic: TrafficConfig,
    /// Prometheus metrics on the admin listener (`[metrics]`).
    pub metrics: crate::metrics::MetricsConfig,
    /// OpenTelemetry traces (`[tracing]`), read at start-up.
    pub tracing: TracingConfig,
}

/// Where the router's traces go (`[tracing]`); each key left out falls
/// back to its standard environment variable, and without an endpoint
/// tracing is off. Installed once per process: a change takes a restart.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TracingConfig {
    /// The collector's OTLP/HTTP base URL (`http://127.0.0.1:4318`; spans
    /// go to `/v1/traces` under it); else `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub otlp_endpoint: Option<String>,
    /// The share of new traces recorded, 0 to 1 (a request with a sampled
    /// or unsampled `traceparent` follows it); else
    /// `OTEL_TRACES_SAMPLER_ARG`, else 1.
    pub sampling_ratio: Option<f64>,
}

impl TracingConfig {
    /// The settings to install, the environment filling in what is unset.
    pub fn settings(&self) -> Result<telemetry::TraceSettings, telemetry::TelemetryError> {
        let mut settings = telemetry::TraceSettings {
            endpoint: self.otlp_endpoint.clone(),
            ..Default::default()
        }
        .or_env()?;
        if let Some(ratio) = self.sampling_ratio {
            settings.sampling_ratio = ratio;
            settings.check()?;
        }
        Ok(settings)
    }
}

/// Settings that shape traffic to every subgraph.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrafficConfig {
    /// Longest a client request may take, all its fetches included: a
    /// fetch never outlives it, whatever the subgraph's own timeout.
    pub deadline_ms: u64,
    /// Retries of failed fetches (queries; mutations only when they never left).
    pub retry: upstream::RetryConfig,
    /// The circuit breaker of each subgraph.
    pub breaker: upstream::BreakerConfig,
    /// Passive health: ejecting endpoints that keep failing.
    pub outlier: upstream::OutlierConfig,
    /// Active health: asking each endpoint's health URL on a timer.
    pub health_check: upstream::HealthCheckConfig,
}

impl Default for TrafficConfig {
    fn default() -> Self {
        TrafficConfig {
            deadline_ms: 30_000,
            retry: Default::default(),
            breaker: Default::default(),
            outlier: Default::default(),
            health_check: Default::default(),
        }
    }
}

/// One subgraph's own traffic policies: each section given replaces the
/// `[traffic]` section of that name as a whole (keys left out take their
/// defaults, not the `[traffic]` values), so one table says all of it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrafficOverrides {
    pub retry: Option<upstream::RetryConfig>,
    pub breaker: Option<upstream::BreakerConfig>,
    pub outlier: Option<upstream::OutlierConfig>,
    pub health_check: Option<upstream::HealthCheckConfig>,
}

impl TrafficConfig {
    /// The policies every subgraph's upstream runs with.
    pub fn policy(&self) -> upstream::TrafficPolicy {
        upstream::TrafficPolicy {
            retry: self.retry.clone(),
            breaker: self.breaker.clone(),
            outlier: self.outlier.clone(),
            health_check: self.health_check.clone(),
        }
    }
}

/// Settings of one subgraph.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SubgraphConfig {
    /// Replaces the URL the supergraph names.
    pub url: Option<String>,
    /// Replicas of the subgraph, balanced across (instead of `url`).
    pub endpoints: Vec<String>,
    /// A file listing the replicas, one URL a line, watched for changes
    /// (instead of `url` or `endpoints`).
    pub endpoints_file: Option<PathBuf>,
    /// The replicas from DNS, re-resolved (instead of the others):
    /// `{ dns = "inventory.shop.svc", port = 4002 }` or
    /// `{ srv = "_graphql._tcp.inventory.shop.svc" }`.
    pub discovery: Option<upstream::DnsDiscovery>,
    /// Replaces the default `timeout_ms`.
    pub timeout_ms: Option<u64>,
    /// Replaces sections of `[traffic]` for this subgraph
    /// (`[subgraphs.<name>.traffic.retry]`, ...).
    pub traffic: TrafficOverrides,
}

impl Default for RouterConfig {
    fn default() -> Self {
        RouterConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 4000)),
            admin_listen: SocketAddr::from(([127, 0, 0, 1], 4100)),
            workers: 0,
            ready_needs_subgraphs: true,
            timeout_ms: 10_000,
            dedup_queries: true,
            plan_cache_size: 1000,
            document_cache_bytes: 32 * 1024 * 1024,
            plan_timeout_ms: 2_000,
            max_request_bytes: 2 * 1024 * 1024,
            max_concurrent_requests: 1024,
            introspection: false,
            expose_query_plan: false,
            limits: Default::default(),
            batching: Default::default(),
            csrf: Default::default(),
            cors: Default::default(),
            headers: Default::default(),
            authentication: Default::default(),
            authorization: Default::default(),
            apq: Default::default(),
            trusted_documents: Default::default(),
            rate_limit: Default::default(),
            request_dedup: Default::default(),
            subgraphs: BTreeMap::new(),
            traffic: TrafficConfig::default(),
            metrics: Default::default(),
            tracing: TracingConfig::default(),
        }
    }
}

impl RouterConfig {
    /// Parses TOML text.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: RouterConfig = toml::from_str(text).map_err(|err| ConfigError::Invalid {
            path: None,
            message: err.to_string(),
        })?;
        config.check().map_err(|message| ConfigError::Invalid {
            path: None,
            message,
        })?;
        Ok(config)
    }

    /// Reads and parses a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text).map_err(|err| match err {
            ConfigError::Invalid { message, .. } => ConfigError::Invalid {
                path: Some(path.to_owned()),
                message,
            },
            other => other,
        })
    }

    /// Where the endpoints of `subgraph` come from, whose supergraph
    /// routing URL is `routing_url`: the configured source, else that URL.
    pub fn discovery_for(&self, subgraph: &str, routing_url: &str) -> upstream::Discovery {
        use upstream::Discovery;
        let Some(s) = self.subgraphs.get(subgraph) else {
            return Discovery::Static(vec![routing_url.to_owned()]);
        };
        if let Some(dns) = &s.discovery {
            Discovery::Dns(dns.clone())
        } else if let Some(file) = &s.endpoints_file {
            Discovery::File(file.clone())
        } else if !s.endpoints.is_empty() {
            Discovery::Static(s.endpoints.clone())
        } else if let Some(url) = &s.url {
            Discovery::Static(vec![url.clone()])
        } else {
            Discovery::Static(vec![routing_url.to_owned()])
        }
    }

    /// The policies of `subgraph`'s upstream: `[traffic]`, with the
    /// sections its own `traffic` table gives.
    pub fn policy_for(&self, subgraph: &str) -> upstream::TrafficPolicy {
        let mut policy = self.traffic.policy();
        if let Some(own) = self.subgraphs.get(subgraph).map(|s| &s.traffic) {
            if let Some(retry) = &own.retry {
                policy.retry = retry.clone();
            }
            if let Some(breaker) = &own.breaker {
                policy.breaker = breaker.clone();
            }
            if let Some(outlier) = &own.outlier {
                policy.outlier = outlier.clone();
            }
            if let Some(health_check) = &own.health_check {
                policy.health_check = health_check.clone();
            }
        }
        policy
    }

    /// The timeout for requests to `subgraph`.
    pub fn timeout_for(&self, subgraph: &str) -> Duration {
        let ms = self
            .subgraphs
            .get(subgraph)
            .and_then(|s| s.timeout_ms)
            .unwrap_or(self.timeout_ms);
        Duration::from_millis(ms)
    }

    fn check(&self) -> Result<(), String> {
        if self.timeout_ms == 0 {
            return Err("timeout_ms must be greater than 0".into());
        }
        if self.traffic.deadline_ms == 0 {
            return Err("traffic.deadline_ms must be greater than 0".into());
        }
        self.traffic
            .policy()
            .check()
            .map_err(|message| format!("traffic.{message}"))?;
        if self.max_request_bytes == 0 {
            return Err("max_request_bytes must be greater than 0".into());
        }
        self.cors.check()?;
        self.headers.check()?;
        self.metrics.check()?;
        if let Some(ratio) = self.tracing.sampling_ratio
            && !(0.0..=1.0).contains(&ratio)
        {
            return Err(format!(
                "tracing.sampling_ratio must be from 0 to 1, got {ratio}"
            ));
        }
        for (name, subgraph) in &self.subgraphs {
            if subgraph.timeout_ms == Some(0) {
                return Err(format!(
                    "subgraphs.{name}.timeout_ms must be greater than 0"
                ));
            }
            let sources = usize::from(subgraph.url.is_some())
                + usize::from(!subgraph.endpoints.is_empty())
                + usize::from(subgraph.endpoints_file.is_some())
                + usize::from(subgraph.discovery.is_some());
            if sources > 1 {
                return Err(format!(
                    "subgraphs.{name} sets more than one of url, endpoints, endpoints_file and discovery"
                ));
            }
            self.policy_for(name)
                .check()
                .map_err(|message| format!("subgraphs.{name}.traffic.{message}"))?;
            if let Some(dns) = &subgraph.discovery {
                dns.check()
                    .map_err(|message| format!("subgraphs.{name}.discovery: {message}"))?;
            }
            let key = if subgraph.url.is_some() {
                "url"
            } else {
                "endpoints"
            };
            for url in subgraph.url.iter().chain(&subgraph.endpoints) {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(format!(
                        "subgraphs.{name}.{key} must be http:// or https:// URLs, got {url:?}"
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_gives_the_defaults() {
        let config = RouterConfig::from_toml("").unwrap();
        assert_eq!(config, RouterConfig::default());
        assert_eq!(config.listen.to_string(), "127.0.0.1:4000");
        assert_eq!(config.timeout_ms, 10_000);
        assert!(config.dedup_queries);
        assert_eq!(config.plan_cache_size, 1000);
        assert_eq!(config.max_request_bytes, 2 * 1024 * 1024);
        assert_eq!(config.timeout_for("anything"), Duration::from_secs(10));
    }

    #[test]
    fn reads_every_setting() {
        let config = RouterConfig::from_toml(
            r#"
            listen = "0.0.0.0:8080"
            timeout_ms = 3000
            dedup_queries = false
            plan_cache_size = 10
            max_request_bytes = 1024

            [traffic]
            deadline_ms = 4000

            [subgraphs.products]
            url = "http://products:4001/graphql"
            timeout_ms = 500

            [subgraphs.orders]
            url = "http://orders:4003/graphql"
            "#,
        )
        .unwrap();
        assert_eq!(config.listen.to_string(), "0.0.0.0:8080");
        assert!(!config.dedup_queries);
        assert_eq!(config.plan_cache_size, 10);
        assert_eq!(config.max_request_bytes, 1024);
        assert_eq!(config.traffic.deadline_ms, 4000);
        assert_eq!(
            config.subgraphs["products"].url.as_deref(),
            Some("http://products:4001/graphql")
        );
        assert_eq!(config.timeout_for("products"), Duration::from_millis(500));
        assert_eq!(config.timeout_for("orders"), Duration::from_millis(3000));
    }

    #[test]
    fn tracing_is_off_unless_an_endpoint_is_given() {
        let config = RouterConfig::from_toml(
            "[tracing]\notlp_endpoint = \"http://collector:4318\"\nsampling_ratio = 0.25",
        )
        .unwrap();
        let settings = config.tracing.settings().unwrap();
        assert_eq!(settings.endpoint.as_deref(), Some("http://collector:4318"));
        assert_eq!(settings.sampling_ratio, 0.25);
        assert_eq!(RouterConfig::default().tracing.otlp_endpoint, None);
        let err = RouterConfig::from_toml("[tracing]\nsampling_ratio = 2.0").unwrap_err();
        assert!(err.to_string().contains("tracing.sampling_ratio"), "{err}");
    }

    #[test]
    fn rejects_unknown_keys_naming_them() {
        let err = RouterConfig::from_toml("listen = \"127.0.0.1:1\"\ntimeout = 5").unwrap_err();
        assert!(err.to_string().contains("timeout"), "{err}");
        assert!(err.to_string().contains("unknown field"), "{err}");

        let err = RouterConfig::from_toml("[subgraphs.products]\nurll = \"http://x\"").unwrap_err();
        assert!(err.to_string().contains("urll"), "{err}");
    }

    #[test]
    fn rejects_bad_values() {
        assert!(RouterConfig::from_toml("listen = \"nowhere\"").is_err());
        assert!(RouterConfig::from_toml("timeout_ms = 0").is_err());
        assert!(RouterConfig::from_toml("[traffic]\ndeadline_ms = 0").is_err());
        let err = RouterConfig::from_toml("[subgraphs.a]\nurl = \"ftp://x\"").unwrap_err();
        assert!(err.to_string().contains("subgraphs.a.url"), "{err}");
        let err = RouterConfig::from_toml(
            "[subgraphs.a]\nurl = \"http://x\"\nendpoints_file = \"/etc/a\"",
        )
        .unwrap_err();
        assert!(err.to_string().contains("more than one of"), "{err}");
        let err = RouterConfig::from_toml("[subgraphs.a]\nendpoints = [\"x\"]").unwrap_err();
        assert!(err.to_string().contains("subgraphs.a.endpoints"), "{err}");
        let err = RouterConfig::from_toml(
            "[subgraphs.a]\nurl = \"http://x\"\ndiscovery = { dns = \"a.svc\", port = 1 }",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("subgraphs.a sets more than one of"),
            "{err}"
        );
        let err =
            RouterConfig::from_toml("[subgraphs.a]\ndiscovery = { dns = \"a.svc\" }").unwrap_err();
        assert!(
            err.to_string()
                .contains("subgraphs.a.discovery: dns needs a port"),
            "{err}"
        );
        let err = RouterConfig::from_toml("[subgraphs.a]\ndiscovery = { dns = \"a\", prot = 1 }")
            .unwrap_err();
        assert!(err.to_string().contains("prot"), "{err}");
        let err = RouterConfig::from_toml("[traffic.health_check]\ninterval_ms = 0").unwrap_err();
        assert!(
            err.to_string().contains("traffic.health_check.interval_ms"),
            "{err}"
        );
    }

    #[test]
    fn reads_health_checks_and_dns_discovery() {
        let config = RouterConfig::from_toml(
            r#"
            [traffic.health_check]
            enabled = true
            path = "/ready"
            interval_ms = 2000

            [subgraphs.inventory]
            discovery = { dns = "inventory.shop.svc", port = 4002, interval_ms = 1000, nameserver = "127.0.0.1:5353" }

            [subgraphs.orders]
            discovery = { srv = "_graphql._tcp.orders.shop.svc", scheme = "https", path = "/gql" }
            "#,
        )
        .unwrap();
        let health = &config.traffic.policy().health_check;
        assert!(health.enabled);
        assert_eq!((health.path.as_str(), health.interval_ms), ("/ready", 2000));
        assert_eq!((health.timeout_ms, health.unhealthy_after), (1000, 3));
        let upstream::Discovery::Dns(inventory) = config.discovery_for("inventory", "http://x")
        else {
            panic!("inventory is discovered by DNS");
        };
        assert_eq!(
            inventory,
            upstream::DnsDiscovery {
                interval_ms: 1000,
                nameserver: Some("127.0.0.1:5353".parse().unwrap()),
                ..upstream::DnsDiscovery::addresses("inventory.shop.svc", 4002)
            }
        );
        let upstream::Discovery::Dns(orders) = config.discovery_for("orders", "http://x") else {
            panic!("orders is discovered by DNS");
        };
        assert_eq!(orders.srv.as_deref(), Some("_graphql._tcp.orders.shop.svc"));
        assert_eq!(
            (orders.scheme.as_str(), orders.path.as_str()),
            ("https", "/gql")
        );
        assert_eq!(
            config.discovery_for("products", "http://products/graphql"),
            upstream::Discovery::Static(vec!["http://products/graphql".into()])
        );
    }

    #[test]
    fn a_subgraph_s_own_traffic_sections_replace_the_shared_ones() {
        let config = RouterConfig::from_toml(
            r#"
            [traffic.retry]
            attempts = 4
            [traffic.breaker]
            min_requests = 50
            [subgraphs.payments.traffic.retry]
            attempts = 1
            "#,
        )
        .unwrap();
        let payments = config.policy_for("payments");
        assert_eq!(payments.retry.attempts, 1);
        assert_eq!(
            payments.retry.budget_percent,
            upstream::RetryConfig::default().budget_percent,
            "a section given replaces the shared one whole"
        );
        assert_eq!(
            payments.breaker.min_requests, 50,
            "sections not given are shared"
        );
        assert_eq!(config.policy_for("inventory").retry.attempts, 4);

        let err = RouterConfig::from_toml(
            "[subgraphs.a.traffic.retry]
attempts = 0",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("subgraphs.a.traffic.retry.attempts"),
            "{err}"
        );
        let err = RouterConfig::from_toml(
            "[subgraphs.a.traffic]
deadline_ms = 5",
        )
        .unwrap_err();
        assert!(err.to_string().contains("deadline_ms"), "{err}");
    }

    #[test]
    fn names_the_file_in_errors() {
        let dir = std::env::temp_dir().join(format!("router-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("router.toml");
        std::fs::write(&path, "bogus = 1").unwrap();
        let err = RouterConfig::from_file(&path).unwrap_err();
        assert!(err.to_string().contains("router.toml"), "{err}");
        let missing = RouterConfig::from_file(&dir.join("missing.toml")).unwrap_err();
        assert!(matches!(missing, ConfigError::Read { .. }));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
