//! Where an upstream's endpoints come from: a fixed list, a watched file
//! (`file`), or a DNS name re-resolved on a timer (`dns`). Whatever the
//! source, a change goes through `Upstream::set_endpoints`: added
//! endpoints take traffic from the next call, removed ones finish the
//! calls in flight on them. A source that fails later keeps the last good
//! set (and says so in the log); at start-up it must give a good one.
//! An upstream has one source.

mod dns;
mod file;

use std::path::PathBuf;
use std::time::Duration;

pub use dns::DnsDiscovery;
pub(crate) use file::FileWatch;

use crate::config::TrafficPolicy;
use crate::error::BuildError;
use crate::upstream::Upstream;

/// One upstream's source of endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discovery {
    /// These URLs, for good.
    Static(Vec<String>),
    /// The URLs a file lists, watched.
    File(PathBuf),
    /// The addresses a DNS name resolves to, re-resolved.
    Dns(DnsDiscovery),
}

impl Upstream {
    /// An upstream named `name` over the endpoints `discovery` gives (see
    /// `Upstream::new` for the rest).
    pub async fn discover(
        name: &str,
        discovery: &Discovery,
        timeout: Duration,
        policy: &TrafficPolicy,
        client: impl Into<crate::client::HttpClient>,
    ) -> Result<Upstream, BuildError> {
        let upstream = Upstream::without_endpoints(name, timeout, policy, client.into())?;
        match discovery {
            Discovery::Static(urls) => upstream.set_endpoints(urls)?,
            Discovery::File(path) => upstream.watch_file(path.clone())?,
            Discovery::Dns(dns) => upstream.watch_dns(dns).await?,
        }
        Ok(upstream)
    }
}
