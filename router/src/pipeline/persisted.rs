//! The persisted document stage, before parsing: which text a request
//! runs.
//!
//! - Automatic persisted queries (Apollo's APQ protocol): a request may
//!   send `extensions.persistedQuery { version: 1, sha256Hash }` without
//!   its query; the text comes from the cache (in memory, and Redis when
//!   configured so that replicas share it), or the answer is
//!   `PERSISTED_QUERY_NOT_FOUND` and the client sends the text with the
//!   hash, which is checked (`PERSISTED_QUERY_HASH_MISMATCH`) and stored
//!   once the document has parsed and validated.
//! - Trusted documents (`trusted`): operations from a manifest, by id; in
//!   `safelist` mode nothing else runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::trusted::{Mode, TrustedDocuments};
use crate::graphql::{self, JsonMap};

pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
pub const PERSISTED_QUERY_HASH_MISMATCH: &str = "PERSISTED_QUERY_HASH_MISMATCH";
pub const PERSISTED_QUERY_NOT_SUPPORTED: &str = "PERSISTED_QUERY_NOT_SUPPORTED";
pub const PERSISTED_QUERY_VERSION_NOT_SUPPORTED: &str = "PERSISTED_QUERY_VERSION_NOT_SUPPORTED";
pub const PERSISTED_QUERY_NOT_IN_LIST: &str = "PERSISTED_QUERY_NOT_IN_LIST";
pub const QUERY_NOT_ON_SAFELIST: &str = "QUERY_NOT_ON_SAFELIST";

/// `[apq]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApqConfig {
    pub enabled: bool,
    /// Bytes of query text the in-memory cache holds.
    pub cache_bytes: u64,
    /// `redis://host:port/db`: a cache replicas share, behind the memory one.
    pub redis_url: Option<String>,
    /// How long Redis keeps a query.
    pub redis_ttl_s: u64,
    /// The most a lookup waits for Redis before it counts as a miss.
    pub redis_timeout_ms: u64,
    /// Prefixes every key, so routers of different graphs can share a Redis.
    pub redis_prefix: String,
}

impl Default for ApqConfig {
    fn default() -> Self {
        ApqConfig {
            enabled: true,
            cache_bytes: 8 << 20,
            redis_url: None,
            redis_ttl_s: 24 * 3600,
            redis_timeout_ms: 100,
            redis_prefix: "apq:".into(),
        }
    }
}

/// Why the stage refused a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersistedError {
    #[error("PersistedQueryNotFound")]
    NotFound,
    #[error("The query's SHA-256 hash is not the one sent with it.")]
    HashMismatch,
    #[error("PersistedQueryNotSupported")]
    NotSupported,
    #[error("Persisted query version {0} is not supported (only 1).")]
    VersionNotSupported(u64),
    #[error("`extensions.persistedQuery` must be `{{ version: 1, sha256Hash: \"<hex>\" }}`.")]
    Malformed,
    #[error("The persisted query {0:?} is not in the list of trusted documents.")]
    NotInList(String),
    #[error("Only trusted documents may run here; this one is not among them.")]
    NotOnSafelist,
}

impl PersistedError {
    pub fn code(&self) -> &'static str {
        match self {
            PersistedError::NotFound => PERSISTED_QUERY_NOT_FOUND,
            PersistedError::HashMismatch => PERSISTED_QUERY_HASH_MISMATCH,
            PersistedError::NotSupported => PERSISTED_QUERY_NOT_SUPPORTED,
            PersistedError::VersionNotSupported(_) => PERSISTED_QUERY_VERSION_NOT_SUPPORTED,
            PersistedError::Malformed => crate::pipeline::body::BAD_REQUEST,
            PersistedError::NotInList(_) => PERSISTED_QUERY_NOT_IN_LIST,
            PersistedError::NotOnSafelist => QUERY_NOT_ON_SAFELIST,
        }
    }

    pub fn to_graphql_error(&self) -> graphql::Error {
        graphql::Error::coded(self.to_string(), self.code())
    }
}

/// The text a request runs, and what to do once it has been prepared.
#[derive(Debug)]
pub struct Resolved<'r> {
    pub text: std::borrow::Cow<'r, str>,
    /// It came from the trusted documents (no safelist check needed).
    pub trusted: bool,
    /// Store it under this hash once it has parsed and validated.
    pub register: Option<Arc<str>>,
}

/// The APQ cache and the trusted documents of one engine.
pub struct Persisted {
    config: ApqConfig,
    memory: moka::sync::Cache<Arc<str>, Arc<str>>,
    redis: Option<Arc<Redis>>,
    trusted: Option<Arc<TrustedDocuments>>,
}

impl Persisted {
    pub fn new(
        config: &ApqConfig,
        trusted: Option<Arc<TrustedDocuments>>,
    ) -> Result<Persisted, redis::RedisError> {
        let redis = match &config.redis_url {
            Some(url) if config.enabled => Some(Arc::new(Redis::new(url, config)?)),
            _ => None,
        };
        Ok(Persisted {
            memory: moka::sync::Cache::builder()
                .weigher(|k: &Arc<str>, v: &Arc<str>| {
                    u32::try_from(k.len() + v.len() + 64).unwrap_or(u32::MAX)
                })
                .max_capacity(config.cache_bytes)
                .build(),
            config: config.clone(),
            redis,
            trusted,
        })
    }

    pub fn trusted(&self) -> Option<&Arc<TrustedDocuments>> {
        self.trusted.as_ref()
    }

    /// The text `request` runs. `None` when it names none at all (the
    /// caller reports the missing query).
    pub async fn resolve<'r>(
        &self,
        request: &'r graphql::Request,
    ) -> Result<Option<Resolved<'r>>, PersistedError> {
        let hash = match persisted_hash(request.extensions.as_ref())? {
            Some(hash) => hash,
            None => {
                return Ok(request.query.as_deref().map(|text| Resolved {
                    text: text.into(),
                    trusted: false,
                    register: None,
                }));
            }
        };
        // A trusted document by its id.
        if let Some(trusted) = &self.trusted
            && let Some(body) = trusted.by_id(hash)
        {
            return Ok(Some(Resolved {
                text: body.to_string().into(),
                trusted: true,
                register: None,
            }));
        }
        let safelist = self
            .trusted
            .as_ref()
            .is_some_and(|trusted| trusted.mode() == Mode::Safelist);
        match request.query.as_deref() {
            // With a safelist, a text runs only if it is listed (checked
            // once parsed), and none is registered.
            Some(text) if safelist || !self.config.enabled => Ok(Some(Resolved {
                text: text.into(),
                trusted: false,
                register: None,
            })),
            None if safelist => Err(PersistedError::NotInList(hash.to_owned())),
            None if !self.config.enabled => Err(PersistedError::NotSupported),
            // Registration: the text with its hash.
            Some(text) => {
                let hash = hash.to_ascii_lowercase();
                if sha256_hex(text) != hash {
                    return Err(PersistedError::HashMismatch);
                }
                let known = self.memory.contains_key(hash.as_str());
                Ok(Some(Resolved {
                    text: text.into(),
                    trusted: false,
                    register: (!known).then(|| Arc::from(hash)),
                }))
            }
            // Lookup: memory, then Redis.
            None => {
                let hash = hash.to_ascii_lowercase();
                if let Some(text) = self.memory.get(hash.as_str()) {
                    return Ok(Some(Resolved {
                        text: text.to_string().into(),
                        trusted: false,
                        register: None,
                    }));
                }
                let redis = self.redis.as_ref().ok_or(PersistedError::NotFound)?;
                let text = redis.get(&hash).await.ok_or(PersistedError::NotFound)?;
                // Only a text that hashes right is served.
                if sha256_hex(&text) != hash {
                    return Err(PersistedError::NotFound);
                }
                let text: Arc<str> = text.into();
                self.memory.insert(Arc::from(hash.as_str()), text.clone());
                Ok(Some(Resolved {
                    text: text.to_string().into(),
                    trusted: false,
                    register: None,
                }))
            }
        }
    }

    /// Stores a registered text (it parsed and validated).
    pub fn register(&self, hash: Arc<str>, text: &str) {
        let text: Arc<str> = Arc::from(text);
        if let Some(redis) = &self.redis {
            redis.clone().set(hash.clone(), text.clone());
        }
        self.memory.insert(hash, text);
    }
}

/// `extensions.persistedQuery.sha256Hash`, checked for version 1.
fn persisted_hash(extensions: Option<&JsonMap>) -> Result<Option<&str>, PersistedError> {
    let Some(persisted) = extensions.and_then(|e| e.get("persistedQuery")) else {
        return Ok(None);
    };
    let version = persisted.get("version").and_then(|v| v.as_u64());
    match version {
        Some(1) => {}
        Some(other) => return Err(PersistedError::VersionNotSupported(other)),
        None => return Err(PersistedError::Malformed),
    }
    match persisted.get("sha256Hash").and_then(|h| h.as_str()) {
        Some(hash) if !hash.is_empty() && hash.len() <= 128 => Ok(Some(hash)),
        _ => Err(PersistedError::Malformed),
    }
}

pub fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        use std::fmt::Write as _;
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// The shared cache: one multiplexed connection, reconnected by the
/// connection manager; while Redis is unreachable, lookups skip it for a
/// while instead of each waiting out the timeout.
struct Redis {
    client: redis::Client,
    connection: tokio::sync::OnceCell<redis::aio::ConnectionManager>,
    timeout: Duration,
    ttl_s: u64,
    prefix: String,
    /// Redis is not asked before then, after a failure.
    resting_until: std::sync::Mutex<Option<Instant>>,
}

/// How long Redis is left alone after it failed.
const REDIS_REST: Duration = Duration::from_secs(5);

impl Redis {
    fn new(url: &str, config: &ApqConfig) -> Result<Redis, redis::RedisError> {
        Ok(Redis {
            client: redis::Client::open(url)?,
            connection: tokio::sync::OnceCell::new(),
            timeout: Duration::from_millis(config.redis_timeout_ms.max(1)),
            ttl_s: config.redis_ttl_s.max(1),
            prefix: config.redis_prefix.clone(),
            resting_until: std::sync::Mutex::new(None),
        })
    }

    fn resting(&self) -> bool {
        let guard = self
            .resting_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.is_some_and(|until| Instant::now() < until)
    }

    fn failed(&self, error: &dyn std::fmt::Display) {
        tracing::warn!(error = %error, "APQ: Redis is unavailable; only the memory cache serves for now");
        *self
            .resting_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now() + REDIS_REST);
    }

    async fn connection(&self) -> Option<redis::aio::ConnectionManager> {
        if self.resting() {
            return None;
        }
        let connecting = self.connection.get_or_try_init(|| async {
            match tokio::time::timeout(
                self.timeout,
                redis::aio::ConnectionManager::new(self.client.clone()),
            )
            .await
            {
                Ok(Ok(connection)) => Ok(connection),
                Ok(Err(err)) => Err(err.to_string()),
                Err(_) => Err("timed out connecting".to_owned()),
            }
        });
        match connecting.await {
            Ok(connection) => Some(connection.clone()),
            Err(err) => {
                self.failed(&err);
                None
            }
        }
    }

    async fn get(&self, hash: &str) -> Option<String> {
        let mut connection = self.connection().await?;
        let key = format!("{}{hash}", self.prefix);
        let mut command = redis::cmd("GET");
        command.arg(&key);
        let asked = command.query_async::<Option<String>>(&mut connection);
        match tokio::time::timeout(self.timeout, asked).await {
            Ok(Ok(found)) => found,
            Ok(Err(err)) => {
                self.failed(&err);
                None
            }
            Err(_) => {
                self.failed(&"timed out");
                None
            }
        }
    }

    /// Stores in the background, over the one shared connection: the
    /// request does not wait for Redis.
    fn set(self: Arc<Self>, hash: Arc<str>, text: Arc<str>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            let Some(mut connection) = self.connection().await else {
                return;
            };
            let key = format!("{}{hash}", self.prefix);
            let mut command = redis::cmd("SET");
            command.arg(&key).arg(&*text).arg("EX").arg(self.ttl_s);
            let set = command.query_async::<()>(&mut connection);
            match tokio::time::timeout(self.timeout, set).await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => self.failed(&err),
                Err(_) => self.failed(&"timed out"),
            }
        });
    }
}
