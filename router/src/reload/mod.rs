//! Hot reload: a new supergraph or config takes effect without a restart.
//! A reload builds a whole new engine off the request path and swaps it in
//! for the requests that start afterwards; requests in flight finish on
//! the engine they started with. Anything wrong with the new files is
//! refused with a log line naming the problem, and the old engine goes on.
//!
//! - `handle`: the swappable slot each request reads its engine from.
//! - `restart`: the config keys only a restart applies (the listeners).
//! - `debounce`: one reload per burst of triggers.
//! - `files`: file events for the supergraph and config.
//! - `hangup`: SIGHUP as a trigger.

mod debounce;
pub(crate) mod files;
mod handle;
mod hangup;
mod restart;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio::sync::watch;

pub use debounce::{Burst, Trigger};
pub use handle::EngineHandle;

use crate::config::{ConfigError, RouterConfig};
use crate::engine::{Engine, EngineError};

#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("cannot read the supergraph {path}: {source}")]
    ReadSupergraph {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot serve {what}: {source}")]
    Engine { what: String, source: EngineError },
    #[error("cannot watch {path} for changes: {source}")]
    Watch {
        path: PathBuf,
        source: notify::Error,
    },
    #[error("cannot start watching files: {0}")]
    Watcher(notify::Error),
    #[error("cannot listen for SIGHUP: {0}")]
    Signal(std::io::Error),
}

/// Where the router's supergraph and settings come from.
#[derive(Debug, Clone)]
pub struct Sources {
    pub supergraph: PathBuf,
    /// The TOML settings; the defaults without one.
    pub config: Option<PathBuf>,
    /// `--listen`: wins over the file's `listen`, at start-up and after.
    pub listen: Option<SocketAddr>,
}

impl Sources {
    /// The supergraph's text and the settings, as the files are now.
    fn read(&self) -> Result<(String, RouterConfig), ReloadError> {
        let sdl = std::fs::read_to_string(&self.supergraph).map_err(|source| {
            ReloadError::ReadSupergraph {
                path: self.supergraph.clone(),
                source,
            }
        })?;
        let mut config = match &self.config {
            Some(path) => RouterConfig::from_file(path)?,
            None => RouterConfig::default(),
        };
        if let Some(listen) = self.listen {
            config.listen = listen;
        }
        Ok((sdl, config))
    }

    /// The files, for error messages.
    fn describe(&self) -> String {
        match &self.config {
            Some(config) => format!(
                "the supergraph {} with the config {}",
                self.supergraph.display(),
                config.display()
            ),
            None => format!("the supergraph {}", self.supergraph.display()),
        }
    }
}

/// What one reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// A new engine is in force; false when the files hold what is served.
    pub applied: bool,
    /// Changed keys that wait for a restart (their old values stay).
    pub needs_restart: Vec<&'static str>,
}

/// What the reloads so far came to, for tests and operators.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReloadStatus {
    /// Reloads tried (one per burst of triggers), applied or not.
    pub attempts: u64,
    /// Those that put a new engine in force.
    pub applied: u64,
    /// Why the last one was refused; `None` when it went through.
    pub last_error: Option<String>,
}

/// Keeps the engine in force in step with the files.
pub struct Reloader {
    sources: Sources,
    handle: EngineHandle,
    /// The supergraph text the engine in force was built from.
    sdl: String,
    status: watch::Sender<ReloadStatus>,
}

/// What may start a reload, besides calling [`Reloader::reload`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Triggers {
    /// Changes to the supergraph or config file.
    pub files: bool,
    /// SIGHUP.
    pub hangup: bool,
}

impl Reloader {
    /// The first engine, from the files as they are: at start-up, a
    /// problem is an error rather than a log line.
    pub async fn start(sources: Sources) -> Result<Reloader, ReloadError> {
        let (sdl, config) = sources.read()?;
        let engine =
            Engine::over_http(&sdl, &config)
                .await
                .map_err(|source| ReloadError::Engine {
                    what: sources.describe(),
                    source,
                })?;
        Ok(Reloader {
            sources,
            handle: EngineHandle::new(engine),
            sdl,
            status: watch::channel(ReloadStatus::default()).0,
        })
    }

    /// The slot the server reads the engine in force from.
    pub fn handle(&self) -> EngineHandle {
        self.handle.clone()
    }

    pub fn status(&self) -> watch::Receiver<ReloadStatus> {
        self.status.subscribe()
    }

    /// Reads the files and, when they say something new, builds the next
    /// engine and puts it in force. On an error nothing changes.
    pub async fn reload(&mut self) -> Result<Outcome, ReloadError> {
        let (sdl, mut config) = self.sources.read()?;
        let running = self.handle.current();
        let needs_restart = restart::keep_running_values(running.config(), &mut config);
        if sdl == self.sdl && &config == running.config() {
            return Ok(Outcome {
                applied: false,
                needs_restart,
            });
        }
        let next = running
            .reloaded(&sdl, &config)
            .await
            .map_err(|source| ReloadError::Engine {
                what: self.sources.describe(),
                source,
            })?;
        self.handle.replace(next);
        self.sdl = sdl;
        Ok(Outcome {
            applied: true,
            needs_restart,
        })
    }

    /// [`Reloader::reload`], logged and counted.
    async fn attempt(&mut self, burst: Burst) {
        let result = self.reload().await;
        self.status.send_modify(|status| {
            status.attempts += 1;
            match &result {
                Ok(outcome) => {
                    status.applied += u64::from(outcome.applied);
                    status.last_error = None;
                }
                Err(err) => status.last_error = Some(err.to_string()),
            }
        });
        match result {
            Ok(outcome) => {
                let config = self
                    .sources
                    .config
                    .as_deref()
                    .unwrap_or(Path::new("the config"));
                for key in outcome.needs_restart {
                    tracing::warn!(
                        "reload: `{key}` changed in {}, which needs a restart; it keeps its running value until then",
                        config.display()
                    );
                }
                if outcome.applied {
                    tracing::info!("reloaded {}: new requests use it", self.sources.describe());
                } else if burst.hangup {
                    tracing::info!("reload: {} unchanged", self.sources.describe());
                }
            }
            Err(err) => tracing::error!(
                "reload refused, the previous supergraph and config keep serving: {err}"
            ),
        }
    }

    /// Reloads on `triggers` from now on, in a task of its own, until the
    /// returned [`Watching`] is dropped.
    pub fn spawn(self, triggers: Triggers) -> Result<Watching, ReloadError> {
        let (send, receive) = unbounded_channel();
        let watcher = if triggers.files {
            let mut paths = vec![self.sources.supergraph.as_path()];
            paths.extend(self.sources.config.as_deref());
            Some(files::watch(&paths, send.clone())?)
        } else {
            None
        };
        let mut tasks = Vec::new();
        if triggers.hangup {
            tasks.push(hangup::forward(send.clone()).map_err(ReloadError::Signal)?);
        }
        drop(send);
        let status = self.status();
        tasks.push(tokio::spawn(run(Arc::new(Mutex::new(self)), receive)));
        Ok(Watching {
            _watcher: watcher,
            tasks,
            status,
        })
    }
}

/// One reload per burst of triggers, until they stop coming.
async fn run(reloader: Arc<Mutex<Reloader>>, mut triggers: UnboundedReceiver<Trigger>) {
    while let Some(burst) =
        debounce::next_burst(&mut triggers, debounce::QUIET, debounce::LONGEST).await
    {
        let reloader = reloader.clone();
        // Parsing and checking a supergraph is CPU work: off the workers
        // that serve requests. What it awaits (DNS for a new upstream)
        // still runs on the runtime, whose tasks the new upstreams join.
        let runtime = tokio::runtime::Handle::current();
        let done = tokio::task::spawn_blocking(move || {
            let mut reloader = reloader.lock().unwrap_or_else(PoisonError::into_inner);
            runtime.block_on(reloader.attempt(burst));
        })
        .await;
        if let Err(err) = done {
            tracing::error!(
                "reload failed unexpectedly ({err}); the previous supergraph and config keep serving"
            );
        }
    }
}

/// Reloads go on while this lives.
pub struct Watching {
    _watcher: Option<notify::RecommendedWatcher>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    status: watch::Receiver<ReloadStatus>,
}

impl Watching {
    /// What the reloads so far came to; changes after each one.
    pub fn status(&self) -> watch::Receiver<ReloadStatus> {
        self.status.clone()
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests;
