//! The reloader over files in a temporary directory: what it applies, what
//! it refuses, and what it leaves for a restart.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;
use crate::api_schema::tests::subgraph;
use crate::engine::HttpMethod;

/// A supergraph of one subgraph `a` with the given root fields.
fn supergraph(fields: &str) -> String {
    crate::compose::compose(&[subgraph("a", &format!("type Query {{ {fields} }}"))])
        .unwrap()
        .supergraph_sdl
}

struct Files {
    dir: PathBuf,
}

impl Files {
    fn new(test: &str) -> Files {
        let dir = std::env::temp_dir().join(format!("router-reload-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Files { dir }
    }

    /// Writes `name` the way deploy tools do: beside it, then renamed over.
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.join(name);
        let staged = self.dir.join(format!(".{name}.staged"));
        std::fs::write(&staged, text).unwrap();
        std::fs::rename(&staged, &path).unwrap();
        path
    }

    fn sources(&self, sdl: &str, config: &str) -> Sources {
        Sources {
            supergraph: self.write("supergraph.graphql", sdl),
            config: Some(self.write("router.toml", config)),
            listen: None,
        }
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn validates(engine: &Engine, query: &str) -> bool {
    engine.explain(query, None).is_ok()
}

fn same(a: &Arc<Engine>, b: &Arc<Engine>) -> bool {
    Arc::ptr_eq(a, b)
}

#[tokio::test]
async fn unchanged_files_are_no_reload() {
    let files = Files::new("unchanged");
    let mut reloader = Reloader::start(files.sources(&supergraph("a: Int"), ""))
        .await
        .unwrap();
    let before = reloader.handle().current();
    // Rewritten with the same content: nothing to do.
    files.write("supergraph.graphql", &supergraph("a: Int"));
    let outcome = reloader.reload().await.unwrap();
    assert_eq!(
        outcome,
        Outcome {
            applied: false,
            needs_restart: vec![]
        }
    );
    assert!(same(&before, &reloader.handle().current()));
}

#[tokio::test]
async fn a_new_supergraph_is_a_new_engine_without_the_old_plans() {
    let files = Files::new("new-supergraph");
    let mut reloader = Reloader::start(files.sources(&supergraph("a: Int"), ""))
        .await
        .unwrap();
    let old = reloader.handle().current();
    let context = old.context(HttpMethod::Post, Default::default());
    let request = crate::graphql::Request {
        query: Some("{ a }".into()),
        ..Default::default()
    };
    old.execute(request, &context).await;
    assert_eq!(old.cached_plans(), 1);
    assert!(!validates(&old, "{ b }"));

    files.write("supergraph.graphql", &supergraph("a: Int b: Int"));
    let outcome = reloader.reload().await.unwrap();
    assert!(outcome.applied);
    let new = reloader.handle().current();
    assert!(!same(&old, &new));
    assert_eq!(new.cached_plans(), 0, "plans are the old supergraph's");
    assert!(validates(&new, "{ a b }"));
    assert!(
        !validates(&old, "{ b }"),
        "the old engine is left as it was"
    );
}

#[tokio::test]
async fn a_broken_supergraph_is_refused_naming_the_file() {
    let files = Files::new("broken-supergraph");
    let mut reloader = Reloader::start(files.sources(&supergraph("a: Int"), ""))
        .await
        .unwrap();
    let before = reloader.handle().current();
    for broken in ["type Query {", "", "type Query { a: Nope }"] {
        let path = files.write("supergraph.graphql", broken);
        let err = reloader.reload().await.unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(same(&before, &reloader.handle().current()), "{broken:?}");
    }
    let err = reloader.reload().await.unwrap_err().to_string();
    assert!(err.contains("Nope"), "the problem itself: {err}");
    std::fs::remove_file(files.dir.join("supergraph.graphql")).unwrap();
    let err = reloader.reload().await.unwrap_err().to_string();
    assert!(err.contains("cannot read the supergraph"), "{err}");
    assert!(same(&before, &reloader.handle().current()));
}

#[tokio::test]
async fn a_broken_config_is_refused_naming_the_file() {
    let files = Files::new("broken-config");
    let mut reloader = Reloader::start(files.sources(&supergraph("a: Int"), ""))
        .await
        .unwrap();
    let before = reloader.handle().current();
    for (text, problem) in [
        ("timeout = 5", "unknown field"),
        ("timeout_ms = 0", "timeout_ms"),
        (
            "[subgraphs.nowhere]\nurl = \"http://x/graphql\"",
            "\"nowhere\"",
        ),
    ] {
        files.write("router.toml", text);
        let err = reloader.reload().await.unwrap_err().to_string();
        assert!(
            err.contains("router.toml") && err.contains(problem),
            "{err}"
        );
        assert!(same(&before, &reloader.handle().current()), "{text}");
    }
}

#[tokio::test]
async fn config_changes_apply_and_listeners_wait_for_a_restart() {
    let files = Files::new("config");
    let sources = files.sources(
        &supergraph("a: Int"),
        "listen = \"127.0.0.1:4000\"\nplan_cache_size = 10",
    );
    let mut reloader = Reloader::start(sources).await.unwrap();
    files.write(
        "router.toml",
        "listen = \"0.0.0.0:9999\"\nadmin_listen = \"127.0.0.1:9\"\nplan_cache_size = 20\n\
         max_request_bytes = 100\n[traffic]\ndeadline_ms = 500",
    );
    let outcome = reloader.reload().await.unwrap();
    assert_eq!(
        outcome,
        Outcome {
            applied: true,
            needs_restart: vec!["listen", "admin_listen"]
        }
    );
    let config = reloader.handle().current().config().clone();
    assert_eq!(config.plan_cache_size, 20);
    assert_eq!(config.max_request_bytes, 100);
    assert_eq!(config.traffic.deadline_ms, 500);
    assert_eq!(
        config.listen.to_string(),
        "127.0.0.1:4000",
        "still bound there"
    );
    assert_eq!(config.admin_listen, RouterConfig::default().admin_listen);

    // Only a listener changed: nothing to apply, still a restart to ask for.
    files.write(
        "router.toml",
        "listen = \"0.0.0.0:1\"\nplan_cache_size = 20\nmax_request_bytes = 100\n\
         [traffic]\ndeadline_ms = 500",
    );
    let outcome = reloader.reload().await.unwrap();
    assert_eq!(
        outcome,
        Outcome {
            applied: false,
            needs_restart: vec!["listen"]
        }
    );
}

#[tokio::test]
async fn the_listen_flag_wins_over_the_file_on_every_reload() {
    let files = Files::new("listen-flag");
    let mut sources = files.sources(&supergraph("a: Int"), "listen = \"127.0.0.1:4000\"");
    sources.listen = Some("127.0.0.1:5000".parse().unwrap());
    let mut reloader = Reloader::start(sources).await.unwrap();
    assert_eq!(
        reloader.handle().current().config().listen.to_string(),
        "127.0.0.1:5000"
    );
    files.write("router.toml", "listen = \"127.0.0.1:4001\"\ntimeout_ms = 5");
    let outcome = reloader.reload().await.unwrap();
    assert_eq!(outcome.needs_restart, Vec::<&str>::new());
    assert!(outcome.applied);
}

#[tokio::test]
async fn attempts_are_counted_with_the_last_refusal() {
    let files = Files::new("status");
    let mut reloader = Reloader::start(files.sources(&supergraph("a: Int"), ""))
        .await
        .unwrap();
    let status = reloader.status();
    let hangup = Burst {
        triggers: 1,
        hangup: true,
    };
    files.write("supergraph.graphql", "nonsense");
    reloader.attempt(hangup).await;
    let after = status.borrow().clone();
    assert_eq!((after.attempts, after.applied), (1, 0));
    assert!(
        after
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("supergraph.graphql")),
        "{after:?}"
    );
    files.write("supergraph.graphql", &supergraph("a: Int b: Int"));
    reloader.attempt(hangup).await;
    assert_eq!(
        *status.borrow(),
        ReloadStatus {
            attempts: 2,
            applied: 1,
            last_error: None
        }
    );
}

#[tokio::test]
async fn start_up_problems_are_errors_naming_the_file() {
    let files = Files::new("start");
    let sources = files.sources("type Query {", "");
    let err = Reloader::start(sources).await.err().unwrap().to_string();
    assert!(err.contains("supergraph.graphql"), "{err}");
    let missing = Sources {
        supergraph: Path::new("/nonexistent/supergraph.graphql").to_owned(),
        config: None,
        listen: None,
    };
    let err = Reloader::start(missing).await.err().unwrap().to_string();
    assert!(err.contains("/nonexistent/supergraph.graphql"), "{err}");
}
