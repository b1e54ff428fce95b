//! Endpoints from DNS, re-resolved every `interval`: the A/AAAA records of
//! a name at a fixed port, or the targets of an SRV name (each resolved to
//! its addresses) at the ports the records give. That is how a Kubernetes
//! headless Service lists its pods, and SRV is how replicas sharing one
//! address are told apart. Each round asks the name server again (the
//! cache is cleared first), so a change shows within one interval,
//! whatever the TTLs.
//!
//! A round that fails (no answer, NXDOMAIN, no records) keeps the last
//! good set and says so in the log, once per outage; at start-up it is an
//! error naming the name. Endpoints are addressed by IP, so an `https`
//! endpoint's certificate must name its IP.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::{Arc, Weak};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{IntoName, RData};
use serde::Deserialize;

use crate::background::Background;
use crate::error::BuildError;
use crate::upstream::{Inner, Upstream};

/// Bounds of how long one round of lookups may take: twice the interval,
/// so rounds do not pile up behind a name server that went quiet.
const ROUND_TIMEOUT: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(5));
/// The shortest interval between rounds: a name server is not to be hammered.
const MIN_INTERVAL_MS: u64 = 100;

/// Where DNS says an upstream's endpoints are. Reads from TOML as
/// `{ dns = "inventory.shop.svc", port = 4002 }` or
/// `{ srv = "_graphql._tcp.inventory.shop.svc" }`, with the other keys
/// optional.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DnsDiscovery {
    /// A name whose A/AAAA records are the endpoints, at `port`...
    pub dns: Option<String>,
    /// ...or an SRV name, whose records give targets and ports.
    pub srv: Option<String>,
    pub port: Option<u16>,
    /// `http` or `https`.
    pub scheme: String,
    /// The path of every endpoint URL.
    pub path: String,
    /// Time between two resolutions.
    pub interval_ms: u64,
    /// The name server to ask (`ip:port`); by default the system's
    /// (`/etc/resolv.conf`, with its search domains).
    pub nameserver: Option<SocketAddr>,
}

impl Default for DnsDiscovery {
    fn default() -> Self {
        DnsDiscovery {
            dns: None,
            srv: None,
            port: None,
            scheme: "http".into(),
            path: "/graphql".into(),
            interval_ms: 5_000,
            nameserver: None,
        }
    }
}

/// What is looked up.
#[derive(Debug, Clone)]
enum Query {
    Addresses { name: String, port: u16 },
    Srv { name: String },
}

impl DnsDiscovery {
    /// A/AAAA records of `name`, at `port`, with the other defaults.
    pub fn addresses(name: impl Into<String>, port: u16) -> Self {
        DnsDiscovery {
            dns: Some(name.into()),
            port: Some(port),
            ..DnsDiscovery::default()
        }
    }

    /// The SRV records of `name`, with the other defaults.
    pub fn srv(name: impl Into<String>) -> Self {
        DnsDiscovery {
            srv: Some(name.into()),
            ..DnsDiscovery::default()
        }
    }

    /// The name looked up (for messages).
    pub fn name(&self) -> &str {
        self.srv
            .as_deref()
            .or(self.dns.as_deref())
            .unwrap_or_default()
    }

    pub fn interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms)
    }

    /// The longest one round of lookups may take.
    fn round_timeout(&self) -> Duration {
        (self.interval() * 2).clamp(ROUND_TIMEOUT.0, ROUND_TIMEOUT.1)
    }

    /// The first inconsistency, named by its key.
    pub fn check(&self) -> Result<(), String> {
        self.query().map(drop)
    }

    fn query(&self) -> Result<Query, String> {
        if !matches!(self.scheme.as_str(), "http" | "https") {
            return Err(format!(
                "scheme must be http or https, got {:?}",
                self.scheme
            ));
        }
        if !self.path.starts_with('/') {
            return Err(format!("path must start with /, got {:?}", self.path));
        }
        if self.interval_ms < MIN_INTERVAL_MS {
            return Err(format!("interval_ms must be at least {MIN_INTERVAL_MS}"));
        }
        let nonempty = |key: &str, name: &str| {
            if name.trim().is_empty() {
                Err(format!("{key} must name a host"))
            } else {
                Ok(name.trim().to_owned())
            }
        };
        match (&self.dns, &self.srv, self.port) {
            (Some(_), Some(_), _) => Err("set one of dns and srv, not both".into()),
            (None, None, _) => Err("set dns (with port) or srv".into()),
            (Some(_), None, None) => Err("dns needs a port".into()),
            (Some(name), None, Some(port)) => Ok(Query::Addresses {
                name: nonempty("dns", name)?,
                port,
            }),
            (None, Some(_), Some(_)) => {
                Err("srv takes its ports from the SRV records: leave port out".into())
            }
            (None, Some(name), None) => Ok(Query::Srv {
                name: nonempty("srv", name)?,
            }),
        }
    }
}

/// `NAME:PORT` (A/AAAA records) or an SRV name (`_service._proto.NAME`),
/// the short form for command lines.
impl FromStr for DnsDiscovery {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let discovery = if text.starts_with('_') && !text.contains(':') {
            DnsDiscovery::srv(text)
        } else {
            let (name, port) = text.rsplit_once(':').ok_or_else(|| {
                format!("{text:?}: expected NAME:PORT, or an SRV name such as _graphql._tcp.NAME")
            })?;
            let port = port
                .parse()
                .map_err(|_| format!("{text:?}: {port:?} is not a port"))?;
            DnsDiscovery::addresses(name, port)
        };
        discovery
            .check()
            .map_err(|reason| format!("{text:?}: {reason}"))?;
        Ok(discovery)
    }
}

impl fmt::Display for DnsDiscovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.srv, &self.dns, self.port) {
            (Some(srv), _, _) => write!(f, "SRV {srv}"),
            (None, Some(dns), Some(port)) => write!(f, "{dns}:{port}"),
            _ => f.write_str(self.name()),
        }
    }
}

/// Turns DNS answers into endpoint URLs.
struct Resolver {
    resolver: TokioResolver,
    query: Query,
    timeout: Duration,
    scheme: String,
    path: String,
}

impl Resolver {
    fn new(config: &DnsDiscovery) -> Result<Resolver, String> {
        let query = config.query()?;
        let timeout = config.round_timeout();
        let mut builder = match config.nameserver {
            Some(addr) => {
                let mut server = NameServerConfig::udp_and_tcp(addr.ip());
                for connection in &mut server.connections {
                    connection.port = addr.port();
                }
                let mut builder = TokioResolver::builder_with_config(
                    ResolverConfig::from_name_servers(vec![server]),
                    TokioRuntimeProvider::default(),
                );
                // That server, and nothing else, is to say.
                builder.options_mut().use_hosts_file = ResolveHosts::Never;
                builder
            }
            None => TokioResolver::builder_tokio()
                .map_err(|err| format!("cannot read the system's resolver configuration: {err}"))?,
        };
        builder.options_mut().timeout = timeout;
        let resolver = builder
            .build()
            .map_err(|err| format!("cannot build a resolver: {err}"))?;
        Ok(Resolver {
            resolver,
            query,
            timeout,
            scheme: config.scheme.clone(),
            path: config.path.clone(),
        })
    }

    /// The endpoints DNS gives now: never empty.
    async fn endpoints(&self) -> Result<Vec<String>, String> {
        let addresses = tokio::time::timeout(self.timeout, self.addresses())
            .await
            .map_err(|_| format!("no answer within {} ms", self.timeout.as_millis()))??;
        let mut urls: Vec<String> = addresses
            .into_iter()
            .map(|addr| format!("{}://{addr}{}", self.scheme, self.path))
            .collect();
        urls.sort();
        urls.dedup();
        if urls.is_empty() {
            return Err("no addresses".into());
        }
        Ok(urls)
    }

    async fn addresses(&self) -> Result<Vec<SocketAddr>, String> {
        // Ask again each round rather than answer from the cache.
        self.resolver.clear_cache();
        match &self.query {
            Query::Addresses { name, port } => Ok(self
                .ips(name.as_str())
                .await?
                .into_iter()
                .map(|ip| SocketAddr::new(ip, *port))
                .collect()),
            Query::Srv { name } => {
                let lookup = self
                    .resolver
                    .srv_lookup(name.as_str())
                    .await
                    .map_err(|err| err.to_string())?;
                let records: Vec<_> = lookup
                    .answers()
                    .iter()
                    .filter_map(|record| match &record.data {
                        RData::SRV(srv) => Some(srv),
                        _ => None,
                    })
                    .collect();
                // RFC 2782: the lowest priority is used; the others are
                // fallbacks. Weights are left to the balancer.
                let Some(best) = records.iter().map(|srv| srv.priority).min() else {
                    return Err("no SRV records".into());
                };
                // A target of "." says the service is not there.
                let targets = records
                    .iter()
                    .filter(|srv| srv.priority == best && !srv.target.is_root())
                    .map(|srv| async move {
                        let ips = self.ips(srv.target.clone()).await?;
                        Ok::<_, String>(
                            ips.into_iter()
                                .map(|ip| SocketAddr::new(ip, srv.port))
                                .collect::<Vec<_>>(),
                        )
                    });
                let resolved = futures::future::try_join_all(targets).await?;
                Ok(resolved.into_iter().flatten().collect())
            }
        }
    }

    async fn ips(&self, name: impl IntoName) -> Result<Vec<IpAddr>, String> {
        self.resolver
            .lookup_ip(name)
            .await
            .map(|ips| ips.iter().collect())
            .map_err(|err| err.to_string())
    }
}

impl Upstream {
    /// Takes the endpoints from DNS now, and again every interval while
    /// the upstream lives (on the current tokio runtime).
    pub async fn watch_dns(&self, dns: &DnsDiscovery) -> Result<(), BuildError> {
        let invalid = |message: String| BuildError::Dns {
            upstream: self.name().to_owned(),
            name: dns.name().to_owned(),
            message,
        };
        let resolver = Resolver::new(dns).map_err(invalid)?;
        let urls = resolver.endpoints().await.map_err(invalid)?;
        self.set_endpoints(&urls)
            .map_err(|err| invalid(err.to_string()))?;
        tracing::info!(upstream = self.name(), source = %dns, endpoints = urls.len(), "endpoints from DNS");
        let follow = follow(Arc::downgrade(&self.inner), resolver, dns.clone());
        self.keep(Background::spawn(self.name(), "DNS discovery", follow)?);
        Ok(())
    }
}

/// Re-resolves every interval until the upstream is gone.
async fn follow(upstream: Weak<Inner>, resolver: Resolver, dns: DnsDiscovery) {
    let mut failing = false;
    loop {
        tokio::time::sleep(dns.interval()).await;
        let answer = resolver.endpoints().await;
        let Some(inner) = upstream.upgrade() else {
            return;
        };
        let upstream = Upstream { inner };
        let applied = answer.and_then(|urls| {
            upstream
                .apply_endpoints(&urls)
                .map(|changes| (urls.len(), changes))
                .map_err(|err| err.to_string())
        });
        match applied {
            Ok((endpoints, changes)) => {
                if failing || changes.added + changes.removed > 0 {
                    tracing::info!(upstream = upstream.name(), source = %dns, endpoints, added = changes.added, removed = changes.removed, "endpoints from DNS");
                }
                failing = false;
            }
            Err(reason) if !failing => {
                failing = true;
                tracing::warn!(upstream = upstream.name(), source = %dns, %reason, "DNS discovery failed; keeping the last good endpoints");
            }
            Err(reason) => {
                tracing::debug!(upstream = upstream.name(), source = %dns, %reason, "DNS discovery still failing");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_from_toml_with_defaults() {
        let dns: DnsDiscovery =
            toml::from_str("dns = \"inventory.shop.svc\"\nport = 4002").unwrap();
        assert_eq!(dns, DnsDiscovery::addresses("inventory.shop.svc", 4002));
        assert_eq!(
            (dns.scheme.as_str(), dns.path.as_str(), dns.interval_ms),
            ("http", "/graphql", 5_000)
        );
        assert_eq!(dns.nameserver, None);
        assert!(dns.check().is_ok());
        let srv: DnsDiscovery = toml::from_str(
            "srv = \"_graphql._tcp.inventory\"\nnameserver = \"127.0.0.1:5353\"\ninterval_ms = 1000",
        )
        .unwrap();
        assert_eq!(srv.nameserver, Some("127.0.0.1:5353".parse().unwrap()));
        assert!(srv.check().is_ok());
        let err = toml::from_str::<DnsDiscovery>("dns = \"x\"\nports = 1").unwrap_err();
        assert!(err.to_string().contains("ports"), "{err}");
    }

    #[test]
    fn inconsistencies_are_named() {
        let cases = [
            (DnsDiscovery::default(), "set dns"),
            (
                DnsDiscovery {
                    srv: Some("_a._tcp.x".into()),
                    ..DnsDiscovery::addresses("x", 1)
                },
                "not both",
            ),
            (
                DnsDiscovery {
                    port: None,
                    ..DnsDiscovery::addresses("x", 1)
                },
                "dns needs a port",
            ),
            (
                DnsDiscovery {
                    port: Some(1),
                    ..DnsDiscovery::srv("_a._tcp.x")
                },
                "leave port out",
            ),
            (
                DnsDiscovery {
                    scheme: "ftp".into(),
                    ..DnsDiscovery::addresses("x", 1)
                },
                "scheme",
            ),
            (
                DnsDiscovery {
                    path: "graphql".into(),
                    ..DnsDiscovery::addresses("x", 1)
                },
                "path",
            ),
            (
                DnsDiscovery {
                    interval_ms: 10,
                    ..DnsDiscovery::addresses("x", 1)
                },
                "interval_ms",
            ),
            (DnsDiscovery::addresses(" ", 1), "dns must name a host"),
        ];
        for (dns, expected) in cases {
            let err = dns.check().unwrap_err();
            assert!(err.contains(expected), "{dns:?}: {err}");
        }
    }

    #[test]
    fn the_short_form_is_name_and_port_or_an_srv_name() {
        let dns: DnsDiscovery = "inventory.shop.svc:4002".parse().unwrap();
        assert_eq!(dns, DnsDiscovery::addresses("inventory.shop.svc", 4002));
        assert_eq!(dns.to_string(), "inventory.shop.svc:4002");
        let srv: DnsDiscovery = "_graphql._tcp.inventory.shop.svc".parse().unwrap();
        assert_eq!(srv, DnsDiscovery::srv("_graphql._tcp.inventory.shop.svc"));
        assert_eq!(srv.to_string(), "SRV _graphql._tcp.inventory.shop.svc");
        for bad in ["inventory", "inventory:http", ":4002"] {
            assert!(bad.parse::<DnsDiscovery>().is_err(), "{bad}");
        }
    }
}
