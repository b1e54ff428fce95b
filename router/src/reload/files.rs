//! Watching the supergraph and config files. The directories are watched,
//! not the files: editors and deploy tools replace a file by renaming
//! another over it, which a watch on the file itself would not survive.
//! Events are filtered to the files' names, and to `..`-prefixed entries,
//! which is how Kubernetes swaps a mounted ConfigMap's contents (a
//! `..data` symlink renamed over). A false alarm costs a re-read that
//! finds nothing changed.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc::UnboundedSender;

use super::ReloadError;
use super::debounce::Trigger;

/// Watches the directories of `files` while it lives, sending a trigger
/// for each event that may have changed one of them.
pub fn watch(
    files: &[&Path],
    triggers: UnboundedSender<Trigger>,
) -> Result<RecommendedWatcher, ReloadError> {
    let names: BTreeSet<OsString> = files
        .iter()
        .filter_map(|file| file.file_name().map(ToOwned::to_owned))
        .collect();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if changes_content(&event.kind) && event.paths.iter().any(|path| names_one(&names, path)) {
            let _ = triggers.send(Trigger::File);
        }
    })
    .map_err(ReloadError::Watcher)?;
    let dirs: BTreeSet<PathBuf> = files.iter().map(|file| directory_of(file)).collect();
    for dir in dirs {
        watcher
            .watch(&dir, RecursiveMode::NonRecursive)
            .map_err(|source| ReloadError::Watch { path: dir, source })?;
    }
    Ok(watcher)
}

fn directory_of(file: &Path) -> PathBuf {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

fn names_one(names: &BTreeSet<OsString>, path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| names.contains(name) || name.to_string_lossy().starts_with(".."))
}

/// Whether an event can mean new content. Opening and reading are not:
/// the reload's own reads would otherwise trigger the next reload.
fn changes_content(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        EventKind::Any
        | EventKind::Create(_)
        | EventKind::Modify(_)
        | EventKind::Remove(_)
        | EventKind::Other => true,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use notify::event::{CreateKind, ModifyKind, RemoveKind, RenameMode};

    use super::*;

    #[test]
    fn reads_are_not_changes() {
        let cases = [
            (EventKind::Access(AccessKind::Open(AccessMode::Read)), false),
            (
                EventKind::Access(AccessKind::Close(AccessMode::Read)),
                false,
            ),
            (EventKind::Access(AccessKind::Read), false),
            (
                EventKind::Access(AccessKind::Close(AccessMode::Write)),
                true,
            ),
            (EventKind::Create(CreateKind::File), true),
            (EventKind::Modify(ModifyKind::Name(RenameMode::To)), true),
            (EventKind::Modify(ModifyKind::Any), true),
            (EventKind::Remove(RemoveKind::File), true),
        ];
        for (kind, expected) in cases {
            assert_eq!(changes_content(&kind), expected, "{kind:?}");
        }
    }

    #[test]
    fn only_the_watched_names_and_kubernetes_swaps_count() {
        let names: BTreeSet<OsString> = ["supergraph.graphql".into(), "router.toml".into()].into();
        assert!(names_one(
            &names,
            Path::new("/etc/router/supergraph.graphql")
        ));
        assert!(names_one(&names, Path::new("router.toml")));
        assert!(names_one(&names, Path::new("/etc/router/..data")));
        assert!(!names_one(
            &names,
            Path::new("/etc/router/supergraph.graphql.tmp")
        ));
        assert!(!names_one(&names, Path::new("/etc/router/other.toml")));
        assert_eq!(directory_of(Path::new("router.toml")), Path::new("."));
        assert_eq!(
            directory_of(Path::new("/etc/r/router.toml")),
            Path::new("/etc/r")
        );
    }

    #[tokio::test]
    async fn a_file_renamed_into_place_is_a_trigger_and_a_read_is_not() {
        let dir = std::env::temp_dir().join(format!("router-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("supergraph.graphql");
        std::fs::write(&file, "one").unwrap();
        let (send, mut receive) = tokio::sync::mpsc::unbounded_channel();
        let _watcher = watch(&[&file], send).unwrap();

        std::fs::read_to_string(&file).unwrap();
        std::fs::write(dir.join("unrelated.txt"), "x").unwrap();
        let quiet = tokio::time::timeout(Duration::from_millis(300), receive.recv()).await;
        assert!(
            quiet.is_err(),
            "a read or another file is no trigger: {quiet:?}"
        );

        let staged = dir.join("supergraph.graphql.tmp");
        std::fs::write(&staged, "two").unwrap();
        std::fs::rename(&staged, &file).unwrap();
        let trigger = tokio::time::timeout(Duration::from_secs(5), receive.recv()).await;
        assert_eq!(trigger.ok().flatten(), Some(Trigger::File));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
