//! Where the keys that sign client tokens come from: JWKS documents in files
//! or at URLs, read at start-up and polled, each source's last good keys
//! kept when a refresh fails.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use arc_swap::ArcSwap;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

/// One JWKS document: `{ file = "keys.json" }` or `{ url = "https://…" }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum JwksSource {
    File { file: PathBuf },
    Url { url: String },
}

impl std::fmt::Display for JwksSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JwksSource::File { file } => write!(f, "{}", file.display()),
            JwksSource::Url { url } => f.write_str(url),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    #[error("cannot read the JWKS {jwks}: {reason}")]
    Read { jwks: String, reason: String },
    #[error("the JWKS {jwks} is not a JWK set: {reason}")]
    Invalid { jwks: String, reason: String },
}

/// A key ready to verify with.
#[derive(Clone)]
pub struct Key {
    pub id: Option<String>,
    /// The algorithm the JWK names, if it names one.
    pub algorithm: Option<Algorithm>,
    pub key: DecodingKey,
}

/// Every source's keys as last read.
pub struct KeyStore {
    sources: Vec<JwksSource>,
    /// Per source, in the order of `sources`.
    keys: Vec<ArcSwap<Vec<Key>>>,
    /// Each source's document as last read, to tell a rotation from a
    /// refresh that changed nothing.
    documents: Vec<std::sync::Mutex<Vec<u8>>>,
    /// Counts the changes of the key set: what was verified under an
    /// older generation is verified again.
    generation: AtomicU64,
    client: reqwest::Client,
}

impl KeyStore {
    /// Reads the files now (an unreadable or invalid one is an error); URLs
    /// start empty until `refresh` reads them.
    pub fn new(sources: Vec<JwksSource>) -> Result<Arc<KeyStore>, KeysError> {
        let mut keys = Vec::with_capacity(sources.len());
        let mut documents = Vec::with_capacity(sources.len());
        for source in &sources {
            let (read, document) = match source {
                JwksSource::File { file } => {
                    let document = read_file(source, file)?;
                    (parse(source, &document)?, document)
                }
                JwksSource::Url { .. } => (Vec::new(), Vec::new()),
            };
            keys.push(ArcSwap::from_pointee(read));
            documents.push(std::sync::Mutex::new(document));
        }
        Ok(Arc::new(KeyStore {
            sources,
            keys,
            documents,
            generation: AtomicU64::new(0),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
        }))
    }

    /// Reads every source again; one that fails keeps its last keys and is
    /// logged.
    pub async fn refresh(&self) {
        for (i, source) in self.sources.iter().enumerate() {
            let read = match source {
                JwksSource::File { file } => read_file(source, file),
                JwksSource::Url { url } => self.fetch(source, url).await,
            };
            let parsed = read.and_then(|document| Ok((parse(source, &document)?, document)));
            match parsed {
                Ok((keys, document)) => {
                    let mut last = self.documents[i]
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    if *last != document {
                        self.keys[i].store(Arc::new(keys));
                        *last = document;
                        self.generation.fetch_add(1, Ordering::Release);
                    }
                }
                Err(err) => tracing::warn!("{err}; keeping its last keys"),
            }
        }
    }

    /// Changes whenever the key set does.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    async fn fetch(&self, source: &JwksSource, url: &str) -> Result<Vec<u8>, KeysError> {
        let read_error = |reason: String| KeysError::Read {
            jwks: source.to_string(),
            reason,
        };
        let response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| read_error(e.to_string()))?;
        if !response.status().is_success() {
            return Err(read_error(format!("status {}", response.status())));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| read_error(e.to_string()))?;
        Ok(body.to_vec())
    }

    /// The keys a token signed with `algorithm` (and naming `kid`, if it
    /// does) may have been signed with.
    pub fn candidates(&self, kid: Option<&str>, algorithm: Algorithm) -> Vec<Key> {
        self.keys
            .iter()
            .flat_map(|slot| slot.load().iter().cloned().collect::<Vec<_>>())
            .filter(|key| match (kid, &key.id) {
                (Some(kid), Some(id)) => kid == id,
                (Some(_), None) => true,
                (None, _) => true,
            })
            .filter(|key| key.algorithm.is_none_or(|a| a == algorithm))
            .collect()
    }

    /// Whether any source has given keys yet.
    pub fn is_empty(&self) -> bool {
        self.keys.iter().all(|slot| slot.load().is_empty())
    }

    /// Polls every source each `interval` while the store lives.
    pub fn poll(store: &Arc<KeyStore>, interval: Duration) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let weak: Weak<KeyStore> = Arc::downgrade(store);
        runtime.spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                let Some(store) = weak.upgrade() else { return };
                store.refresh().await;
            }
        });
    }
}

fn read_file(source: &JwksSource, file: &std::path::Path) -> Result<Vec<u8>, KeysError> {
    std::fs::read(file).map_err(|e| KeysError::Read {
        jwks: source.to_string(),
        reason: e.to_string(),
    })
}

/// The usable signing keys of a JWKS document; keys for encryption, or of
/// a kind the verifier does not know, are left out.
fn parse(source: &JwksSource, bytes: &[u8]) -> Result<Vec<Key>, KeysError> {
    let invalid = |reason: String| KeysError::Invalid {
        jwks: source.to_string(),
        reason,
    };
    // Keys one at a time: one key of an unknown kind leaves the others.
    let raw: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
    let Some(entries) = raw.get("keys").and_then(|k| k.as_array()) else {
        return Err(invalid("no `keys` array".into()));
    };
    let mut keys = Vec::new();
    for entry in entries {
        let Ok(jwk) = serde_json::from_value::<Jwk>(entry.clone()) else {
            tracing::warn!("the JWKS {source} has a key this router cannot read; skipped");
            continue;
        };
        if matches!(
            jwk.common.public_key_use,
            Some(jsonwebtoken::jwk::PublicKeyUse::Encryption)
        ) {
            continue;
        }
        let Ok(key) = DecodingKey::from_jwk(&jwk) else {
            tracing::warn!("the JWKS {source} has an invalid key; skipped");
            continue;
        };
        let algorithm = jwk
            .common
            .key_algorithm
            .and_then(|a| a.to_string().parse::<Algorithm>().ok());
        keys.push(Key {
            id: jwk.common.key_id.clone(),
            algorithm,
            key,
        });
    }
    Ok(keys)
}
