//! Counting the instructions a process executes over a stretch of a run,
//! with valgrind's callgrind: a count, not a time, so the same binary and
//! input give the same figure however busy the machine is. That makes two
//! builds comparable on a shared, noisy machine where CPU seconds are not.
//!
//! The process runs under `valgrind --tool=callgrind` (about 50 times
//! slower); `zero` starts the stretch and `collected` ends it, both through
//! `callgrind_control`, so start-up and warm-up are not counted.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// Where one process's counts are written.
#[derive(Debug, Clone)]
pub struct Callgrind {
    /// Dumps are `<prefix>.<pid>.<n>`.
    prefix: PathBuf,
}

impl Callgrind {
    /// Counts written under `dir`, named after `name`. Fails when valgrind
    /// is not installed.
    pub fn new(dir: &Path, name: &str) -> anyhow::Result<Self> {
        let found = Command::new("valgrind").arg("--version").output();
        if !found.is_ok_and(|out| out.status.success()) {
            bail!("--callgrind needs valgrind (Debian: apt-get install valgrind)");
        }
        Ok(Callgrind {
            prefix: dir.join(name),
        })
    }

    /// `bin` to be run under callgrind.
    pub fn command(&self, bin: &Path) -> Command {
        let mut command = Command::new("valgrind");
        command
            .arg("--tool=callgrind")
            .arg(format!("--callgrind-out-file={}.%p", self.prefix.display()))
            .arg(bin);
        command
    }

    /// Starts counting from zero.
    pub fn zero(&self, pid: u32) -> anyhow::Result<()> {
        control(pid, "--zero")
    }

    /// The instructions executed since `zero`.
    pub fn collected(&self, pid: u32) -> anyhow::Result<u64> {
        control(pid, "--dump")?;
        let name = format!(
            "{}.{pid}.",
            self.prefix
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
        );
        let dir = self.prefix.parent().unwrap_or(Path::new("."));
        // The newest dump: the highest `.<n>`.
        let newest = std::fs::read_dir(dir)?
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let file = entry.file_name().into_string().ok()?;
                let n: u32 = file.strip_prefix(&name)?.parse().ok()?;
                Some((n, entry.path()))
            })
            .max_by_key(|(n, _)| *n)
            .map(|(_, path)| path)
            .with_context(|| format!("callgrind wrote no dump for pid {pid}"))?;
        let text = std::fs::read_to_string(&newest)?;
        text.lines()
            .find_map(|line| line.strip_prefix("summary:"))
            .and_then(|n| n.trim().parse().ok())
            .with_context(|| format!("no `summary:` line in {}", newest.display()))
    }
}

fn control(pid: u32, command: &str) -> anyhow::Result<()> {
    let out = Command::new("callgrind_control")
        .arg(command)
        .arg(pid.to_string())
        .output()
        .context("running callgrind_control")?;
    let said = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !said.contains("OK") {
        bail!("callgrind_control {command} {pid} failed: {said}");
    }
    Ok(())
}
