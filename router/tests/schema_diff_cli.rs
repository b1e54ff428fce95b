//! `router schema diff OLD NEW`, run as CI runs it: output and exit status.

use std::path::PathBuf;
use std::process::Command;

/// A fresh folder per test under the system's temp dir.
fn tempdir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("schema-diff-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn write(dir: &std::path::Path, name: &str, sdl: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, sdl).expect("write schema");
    path
}

fn diff(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_router"))
        .args(["schema", "diff"])
        .args(args)
        .output()
        .expect("router runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn exit_status_follows_the_most_severe_change() {
    let dir = tempdir("severity");
    let old = write(
        &dir,
        "old.graphql",
        "type Query { a: Int! b: String }\nenum E { X }",
    );
    let breaking = write(
        &dir,
        "breaking.graphql",
        "type Query { a: Int }\nenum E { X }",
    );
    let dangerous = write(
        &dir,
        "dangerous.graphql",
        "type Query { a: Int! b: String }\nenum E { X Y }",
    );

    let (code, out, _) = diff(&[old.as_os_str(), breaking.as_os_str()]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        out,
        "BREAKING  Query.a: type changed from Int! to Int\nBREAKING  Query.b: field removed\n"
    );

    let (code, out, _) = diff(&[old.as_os_str(), dangerous.as_os_str()]);
    assert_eq!(code, 0, "a dangerous change passes by default: {out}");
    assert_eq!(out, "DANGEROUS E.Y: enum value added\n");
    let (code, _, _) = diff(&[
        old.as_os_str(),
        dangerous.as_os_str(),
        "--fail-on".as_ref(),
        "dangerous".as_ref(),
    ]);
    assert_eq!(code, 1);

    let (code, out, _) = diff(&[old.as_os_str(), old.as_os_str()]);
    assert_eq!((code, out.as_str()), (0, "no changes\n"));
}

#[test]
fn json_output_lists_each_change() {
    let dir = tempdir("json");
    let old = write(&dir, "old.graphql", "type Query { a: Int }");
    let new = write(&dir, "new.graphql", "type Query { b: Int }");
    let (code, out, _) = diff(&[
        old.as_os_str(),
        new.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(code, 1);
    let changes: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        changes,
        serde_json::json!([
            { "severity": "breaking", "path": "Query.a", "message": "field removed" },
            { "severity": "safe", "path": "Query.b", "message": "field added" }
        ])
    );
}

#[test]
fn a_schema_that_cannot_be_read_exits_2_naming_it() {
    let dir = tempdir("unreadable");
    let old = write(&dir, "old.graphql", "type Query { a: Int }");
    let broken = write(&dir, "broken.graphql", "type Query { a: Missing }");
    let (code, _, err) = diff(&[old.as_os_str(), broken.as_os_str()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("broken.graphql") && err.contains("not valid"),
        "{err}"
    );
    let missing = dir.join("missing.graphql");
    let (code, _, err) = diff(&[missing.as_os_str(), old.as_os_str()]);
    assert_eq!(code, 2);
    assert!(err.contains("missing.graphql"), "{err}");
}

#[test]
fn the_checked_in_supergraph_and_api_schema_agree() {
    let schema = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schema");
    let (code, out, err) = diff(&[
        schema.join("supergraph.graphql").as_os_str(),
        schema.join("api.graphql").as_os_str(),
    ]);
    assert_eq!((code, out.as_str()), (0, "no changes\n"), "{err}");
}
