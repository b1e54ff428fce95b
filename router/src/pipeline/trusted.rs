//! Trusted documents: the operations a team has published for its clients,
//! in a manifest file (Apollo's persisted query manifest format), by id.
//! A request may name one by `extensions.persistedQuery.sha256Hash` (the
//! id) without sending its text. In `safelist` mode nothing else runs: an
//! unknown id is `PERSISTED_QUERY_NOT_IN_LIST`, a text that is no listed
//! document (compared without insignificant whitespace and comments) is
//! `QUERY_NOT_ON_SAFELIST`, and automatic persisted queries cannot add
//! any; `log_only` runs them and logs each; `allow` only adds the ids.
//!
//! The file is watched: a change applies at once, and a manifest that does
//! not read keeps the last good one (logged).
//!
//! ```json
//! { "format": "apollo-persisted-query-manifest", "version": 1,
//!   "operations": [{ "id": "…", "name": "Shelf", "type": "query", "body": "query Shelf { … }" }] }
//! ```

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use std::time::Duration;

use arc_swap::ArcSwap;
use serde::Deserialize;

/// `[trusted_documents]`: off unless `manifest` names a file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrustedConfig {
    pub manifest: Option<PathBuf>,
    pub mode: Mode,
}

impl Default for TrustedConfig {
    fn default() -> Self {
        TrustedConfig {
            manifest: None,
            mode: Mode::Safelist,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Only trusted documents run.
    Safelist,
    /// Everything runs; what is not trusted is logged (for rolling out).
    LogOnly,
    /// Everything runs; the manifest only adds ids.
    Allow,
}

#[derive(Debug, thiserror::Error)]
pub enum TrustedError {
    #[error("cannot read the trusted documents manifest {path}: {reason}")]
    Read { path: String, reason: String },
}

#[derive(Deserialize)]
struct ManifestFile {
    format: String,
    version: u64,
    operations: Vec<ManifestOperation>,
}

#[derive(Deserialize)]
struct ManifestOperation {
    id: String,
    body: String,
}

/// What the manifest lists, ready for lookups.
#[derive(Default)]
struct Manifest {
    by_id: HashMap<String, Arc<str>>,
    /// Each body as written, and normalized (when it is valid).
    bodies: HashSet<Arc<str>>,
    normalized: HashSet<Arc<str>>,
}

/// Gives a document's normalized text, or `None` when it does not
/// validate (the same normalization as the document cache's).
pub type Normalize = Arc<dyn Fn(&str) -> Option<Arc<str>> + Send + Sync>;

pub struct TrustedDocuments {
    path: PathBuf,
    mode: Mode,
    manifest: ArcSwap<Manifest>,
    normalize: Normalize,
}

impl std::fmt::Debug for TrustedDocuments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustedDocuments")
            .field("path", &self.path)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl TrustedDocuments {
    /// `None` without a manifest; an error when it does not read now.
    pub fn load(
        config: &TrustedConfig,
        normalize: Normalize,
    ) -> Result<Option<Arc<TrustedDocuments>>, TrustedError> {
        let Some(path) = &config.manifest else {
            return Ok(None);
        };
        let manifest = read(path, &normalize)?;
        Ok(Some(Arc::new(TrustedDocuments {
            path: path.clone(),
            mode: config.mode,
            manifest: ArcSwap::from_pointee(manifest),
            normalize,
        })))
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn by_id(&self, id: &str) -> Option<Arc<str>> {
        self.manifest.load().by_id.get(id).cloned()
    }

    /// Whether `text` (normalized: `normalized`) is a listed document.
    pub fn allows(&self, text: &str, normalized: &str) -> bool {
        let manifest = self.manifest.load();
        manifest.bodies.contains(text) || manifest.normalized.contains(normalized)
    }

    /// Reads the manifest again; a failure keeps the last one.
    pub fn reload(&self) -> Result<usize, TrustedError> {
        let manifest = read(&self.path, &self.normalize)?;
        let operations = manifest.by_id.len();
        self.manifest.store(Arc::new(manifest));
        Ok(operations)
    }

    /// Reloads the manifest whenever its file changes, for as long as
    /// `self` lives (the task ends with the last engine holding it).
    pub fn watch(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (triggers, mut triggered) = tokio::sync::mpsc::unbounded_channel();
        let watcher = match crate::reload::files::watch(&[self.path.as_path()], triggers) {
            Ok(watcher) => watcher,
            Err(err) => {
                tracing::warn!(error = %err, path = %self.path.display(), "trusted documents: cannot watch the manifest; it will not reload");
                return;
            }
        };
        let weak: Weak<TrustedDocuments> = Arc::downgrade(self);
        runtime.spawn(async move {
            let _watcher = watcher;
            loop {
                // Wake now and then to notice the engine has gone.
                match tokio::time::timeout(Duration::from_secs(5), triggered.recv()).await {
                    Ok(None) => return,
                    Ok(Some(_)) => {}
                    Err(_) => {
                        if weak.strong_count() == 0 {
                            return;
                        }
                        continue;
                    }
                }
                // A burst of events (write, rename) is one change.
                tokio::time::sleep(Duration::from_millis(50)).await;
                while triggered.try_recv().is_ok() {}
                let Some(trusted) = weak.upgrade() else {
                    return;
                };
                match trusted.reload() {
                    Ok(operations) => tracing::info!(operations, path = %trusted.path.display(), "trusted documents reloaded"),
                    Err(err) => tracing::warn!(error = %err, "trusted documents: keeping the last manifest"),
                }
            }
        });
    }
}

fn read(path: &Path, normalize: &Normalize) -> Result<Manifest, TrustedError> {
    let failed = |reason: String| TrustedError::Read {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| failed(e.to_string()))?;
    let file: ManifestFile = serde_json::from_str(&text).map_err(|e| failed(e.to_string()))?;
    if file.format != "apollo-persisted-query-manifest" || file.version != 1 {
        return Err(failed(format!(
            "expected format \"apollo-persisted-query-manifest\" version 1, found {:?} version {}",
            file.format, file.version
        )));
    }
    let mut manifest = Manifest::default();
    for operation in file.operations {
        let body: Arc<str> = operation.body.into();
        match normalize(&body) {
            Some(normalized) => {
                manifest.normalized.insert(normalized);
            }
            None => {
                tracing::warn!(id = %operation.id, "trusted documents: an operation does not validate against the schema; it can only fail")
            }
        }
        manifest.bodies.insert(body.clone());
        manifest.by_id.insert(operation.id, body);
    }
    Ok(manifest)
}
