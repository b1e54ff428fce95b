//! Endpoints from a file that lists them, one URL a line (`#` starts a
//! comment), watched for changes. A change takes effect at once; a file
//! that cannot be read, or lists nothing or something invalid, keeps the
//! last good set (and says so in the log). At start-up the file must be
//! good.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};

use notify::{RecursiveMode, Watcher};

use crate::error::BuildError;
use crate::upstream::{Inner, Upstream};

/// The endpoints a file lists.
pub(crate) fn read_endpoints(path: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|err| format!("cannot read it: {err}"))?;
    Ok(text
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect())
}

/// Keeps watching one file for one upstream until either is dropped.
pub(crate) struct FileWatch {
    _watcher: notify::RecommendedWatcher,
}

impl Upstream {
    /// Takes the endpoints from `path` now, and again whenever it changes.
    pub fn watch_file(&self, path: impl Into<PathBuf>) -> Result<(), BuildError> {
        let path: PathBuf = path.into();
        let invalid = |message: String| BuildError::Discovery {
            upstream: self.name().to_owned(),
            path: path.clone(),
            message,
        };
        let urls = read_endpoints(&path).map_err(invalid)?;
        self.set_endpoints(&urls)
            .map_err(|err| invalid(err.to_string()))?;
        // The directory, not the file: editors and deploy tools replace a
        // file by renaming another over it.
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => PathBuf::from("."),
        };
        let file_name = path.file_name().map(ToOwned::to_owned);
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let watched = path.clone();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let Ok(event) = event else { return };
                if !event
                    .paths
                    .iter()
                    .any(|p| p.file_name() == file_name.as_deref())
                {
                    return;
                }
                let Some(inner) = weak.upgrade() else { return };
                reload(&Upstream { inner }, &watched);
            })
            .map_err(|err| invalid(format!("cannot watch it: {err}")))?;
        watcher
            .watch(&dir, RecursiveMode::NonRecursive)
            .map_err(|err| invalid(format!("cannot watch it: {err}")))?;
        self.inner
            .watches
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(FileWatch { _watcher: watcher });
        Ok(())
    }
}

fn reload(upstream: &Upstream, path: &Path) {
    let result = read_endpoints(path).and_then(|urls| {
        upstream
            .set_endpoints(&urls)
            .map(|()| urls.len())
            .map_err(|err| err.to_string())
    });
    match result {
        Ok(count) => {
            tracing::info!(upstream = upstream.name(), file = %path.display(), endpoints = count, "endpoints reloaded")
        }
        Err(reason) => {
            tracing::warn!(upstream = upstream.name(), file = %path.display(), %reason, "endpoint file refused; keeping the last good endpoints")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_url_a_line_with_comments() {
        let dir = std::env::temp_dir().join(format!("upstream-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("endpoints");
        std::fs::write(
            &file,
            "# replicas\nhttp://a/graphql\n\n  http://b/graphql  # the second\n",
        )
        .unwrap();
        assert_eq!(
            read_endpoints(&file).unwrap(),
            ["http://a/graphql", "http://b/graphql"]
        );
        assert!(read_endpoints(&dir.join("missing")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
