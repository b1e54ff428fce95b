//! The Dockerfile: one image with every binary the deployments start,
//! built with the pinned toolchain against Cargo.lock, run as non-root.

use std::collections::BTreeSet;

use crate::{SERVICES, read};

/// Where the image keeps the supergraph the router serves.
pub const SUPERGRAPH: &str = "/usr/share/shop/supergraph.graphql";

/// The Dockerfile's instructions, continuation lines joined.
fn instructions() -> Vec<String> {
    let text = read("Dockerfile");
    let mut instructions = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() && current.is_empty() {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                instructions.push(std::mem::take(&mut current));
            }
        }
    }
    instructions
}

/// The binaries `cargo build` builds and the runtime stage copies.
fn built_and_copied() -> (BTreeSet<String>, BTreeSet<String>) {
    let instructions = instructions();
    let build = instructions
        .iter()
        .find(|i| i.contains("cargo build"))
        .expect("a cargo build");
    let words: Vec<&str> = build.split_whitespace().collect();
    let built = words
        .windows(2)
        .filter(|w| w[0] == "--bin")
        .map(|w| w[1].to_owned())
        .collect();
    let copy = instructions
        .iter()
        .find(|i| i.starts_with("COPY --from=build"))
        .expect("the binaries copied into the runtime stage");
    let words: Vec<&str> = copy.split_whitespace().collect();
    assert_eq!(words.last(), Some(&"/usr/local/bin/"), "{copy}");
    let copied = words[2..words.len() - 1]
        .iter()
        .map(|path| path.rsplit('/').next().unwrap().to_owned())
        .collect();
    (built, copied)
}

#[test]
fn the_image_builds_with_the_pinned_toolchain_against_the_lockfile() {
    let instructions = instructions();
    let from: Vec<&String> = instructions
        .iter()
        .filter(|i| i.starts_with("FROM "))
        .collect();
    assert_eq!(from.len(), 2, "a build stage and a runtime stage: {from:?}");
    let toolchain: toml::Table = toml::from_str(&read("rust-toolchain.toml")).unwrap();
    let channel = toolchain["toolchain"]["channel"].as_str().unwrap();
    let (minor, _patch) = channel.rsplit_once('.').unwrap();
    assert!(
        from[0].starts_with(&format!("FROM rust:{minor}-bookworm ")),
        "the builder has Rust {minor} (rust-toolchain.toml: {channel}): {}",
        from[0]
    );
    assert!(from[1].starts_with("FROM debian:bookworm-slim"));
    let build = instructions
        .iter()
        .find(|i| i.contains("cargo build"))
        .unwrap();
    assert!(
        build.contains("--release") && build.contains("--locked"),
        "{build}"
    );
    assert!(
        instructions.iter().any(|i| i.contains("ca-certificates")),
        "CA certificates, for JWKS over https and TLS to PostgreSQL"
    );
}

#[test]
fn the_image_runs_as_a_user_other_than_root() {
    let instructions = instructions();
    let runtime = instructions
        .iter()
        .rposition(|i| i.starts_with("FROM "))
        .unwrap();
    let user = instructions[runtime..]
        .iter()
        .rev()
        .find_map(|i| i.strip_prefix("USER "))
        .expect("the runtime stage sets USER");
    let uid = user.split(':').next().unwrap().trim();
    assert!(!["0", "root"].contains(&uid), "the image runs as {user}");
    // Kubernetes' runAsNonRoot can only verify a numeric user.
    let uid: u32 = uid.parse().expect("a numeric user id");
    assert!(uid >= 1000);
}

#[test]
fn every_binary_the_deployments_start_is_built_and_copied() {
    let (built, copied) = built_and_copied();
    assert_eq!(
        built, copied,
        "every binary built is copied, and only those"
    );
    let mut shipped: BTreeSet<String> = ["shop", "router"].map(String::from).into();
    shipped.extend(SERVICES.map(String::from));
    assert_eq!(built, shipped, "one image, every binary");
    for program in crate::compose::programs()
        .into_iter()
        .chain(crate::kubernetes::programs())
    {
        assert!(copied.contains(&program), "{program} is not in the image");
    }
    let instructions = instructions();
    assert!(
        instructions
            .iter()
            .any(|i| i == &format!("COPY schema/supergraph.graphql {SUPERGRAPH}")),
        "the image holds the supergraph at {SUPERGRAPH}"
    );
}

#[test]
fn the_build_context_leaves_out_build_output_data_and_history() {
    let ignored: BTreeSet<&str> = include_str!("../../.dockerignore")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for path in ["target/", "data/", ".git/"] {
        assert!(ignored.contains(path), ".dockerignore lacks {path}");
    }
    // The build needs the workspace's manifests and sources.
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "rust-toolchain.toml",
        "schema/",
        "src/",
    ] {
        assert!(
            !ignored.contains(needed),
            ".dockerignore leaves out {needed}"
        );
    }
}
