//! Embeds the built playground (`assets/playground`, committed; built from
//! `../playground` with npm) into the router: writes
//! `$OUT_DIR/playground_assets.rs`, the list of its files as
//! `(path, include_bytes!(…))`, which `src/playground.rs` includes. No Node
//! is needed to build the router.

use std::path::{Path, PathBuf};
use std::{env, fs, io};

fn files(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(io::Error::other)?)
        .join("assets")
        .join("playground");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut found = Vec::new();
    files(&root, &mut found)?;
    found.sort();
    let mut code = String::from("&[\n");
    for path in &found {
        let Ok(relative) = path.strip_prefix(&root) else {
            continue;
        };
        let name: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        code.push_str(&format!(
            "    ({:?}, include_bytes!({:?}) as &[u8]),\n",
            name.join("/"),
            path.display().to_string()
        ));
    }
    code.push(']');
    let out = PathBuf::from(env::var("OUT_DIR").map_err(io::Error::other)?);
    fs::write(out.join("playground_assets.rs"), code)
}
