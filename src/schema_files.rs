//! The checked-in schema under `schema/`: each subgraph's SDL, the
//! supergraph composed from them and the API schema clients see through the
//! router (`api.graphql`), all rendered from the services' own code.
//!
//! `shop compose` writes these files; the schema snapshot test renders them
//! again and fails with a diff when the checked-in copies are stale.

use std::path::{Path, PathBuf};

use router::compose::{ComposeError, SubgraphSource, compose};

/// Breaking changes to `api.graphql` that a team has agreed to make, one a
/// line as `router schema diff` prints them (`# comments` allowed). Read by
/// the schema snapshot test; emptied once the change has shipped.
pub const ACKNOWLEDGED_FILE: &str = "breaking-changes.acknowledged";

/// The command that refreshes `schema/`, quoted in drift messages.
pub const REFRESH_COMMAND: &str = "cargo run -- compose";

/// (name, default routing URL, SDL) of each subgraph, in composition order.
pub fn subgraphs() -> Vec<SubgraphSource> {
    let source = |name: &str, listen: &str, sdl: String| SubgraphSource {
        name: name.to_owned(),
        url: format!("http://{listen}/graphql"),
        sdl,
    };
    vec![
        source(
            products::app::NAME,
            products::app::DEFAULT_LISTEN,
            products::graphql::sdl(),
        ),
        source(
            inventory::app::NAME,
            inventory::app::DEFAULT_LISTEN,
            inventory::graphql::sdl(),
        ),
        source(
            orders::app::NAME,
            orders::app::DEFAULT_LISTEN,
            orders::graphql::sdl(),
        ),
        source(
            payments::app::NAME,
            payments::app::DEFAULT_LISTEN,
            payments::graphql::sdl(),
        ),
    ]
}

/// A file under `schema/` and the content it should have.
#[derive(Debug, Clone)]
pub struct SchemaFile {
    pub path: PathBuf,
    pub content: String,
}

/// Every file `schema/` should contain, rendered from the given subgraphs.
pub fn render(subgraphs: &[SubgraphSource]) -> Result<Vec<SchemaFile>, ComposeError> {
    let composed = compose(subgraphs)?;
    let mut files: Vec<SchemaFile> = subgraphs
        .iter()
        .map(|s| SchemaFile {
            path: PathBuf::from(format!("{}.graphql", s.name)),
            content: normalize(&s.sdl),
        })
        .collect();
    files.push(SchemaFile {
        path: PathBuf::from("supergraph.graphql"),
        content: normalize(&composed.supergraph_sdl),
    });
    files.push(SchemaFile {
        path: PathBuf::from("api.graphql"),
        content: normalize(&api_schema(&composed.supergraph_sdl)?),
    });
    Ok(files)
}

/// The public API schema clients see through the router.
fn api_schema(supergraph_sdl: &str) -> Result<String, ComposeError> {
    let supergraph = router::supergraph::Supergraph::parse(supergraph_sdl)
        .map_err(|e| ComposeError::Invalid(e.to_string()))?;
    let api = router::api_schema::derive(supergraph.schema())
        .map_err(|e| ComposeError::Invalid(e.to_string()))?;
    Ok(router::api_schema::print(&api))
}

/// One trailing newline, whatever the producer printed.
fn normalize(sdl: &str) -> String {
    format!("{}\n", sdl.trim_end())
}

/// Writes the files into `dir`.
pub fn write(dir: &Path, files: &[SchemaFile]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for file in files {
        std::fs::write(dir.join(&file.path), &file.content)?;
    }
    Ok(())
}

/// The breaking changes from the checked-in `api.graphql` to the rendered
/// one that [`ACKNOWLEDGED_FILE`] does not list, as `router schema diff`
/// prints them. Empty when nothing is checked in yet.
pub fn unacknowledged_breaking_changes(dir: &Path, files: &[SchemaFile]) -> Vec<String> {
    use router::schema_diff::{self, Severity};
    let Ok(checked_in) = std::fs::read_to_string(dir.join("api.graphql")) else {
        return Vec::new();
    };
    let Some(rendered) = files.iter().find(|f| f.path == Path::new("api.graphql")) else {
        return Vec::new();
    };
    let (old, new) = match (
        schema_diff::load(&checked_in, "checked-in api.graphql"),
        schema_diff::load(&rendered.content, "rendered api.graphql"),
    ) {
        (Ok(old), Ok(new)) => (old, new),
        // An unreadable checked-in copy is plain drift, reported as such.
        _ => return Vec::new(),
    };
    let acknowledged: Vec<String> = std::fs::read_to_string(dir.join(ACKNOWLEDGED_FILE))
        .unwrap_or_default()
        .lines()
        .map(|l| squeeze(l.split('#').next().unwrap_or_default()))
        .filter(|l| !l.is_empty())
        .collect();
    schema_diff::diff(&old, &new)
        .into_iter()
        .filter(|c| c.severity == Severity::Breaking)
        .map(|c| c.to_string())
        .filter(|line| !acknowledged.contains(&squeeze(line)))
        .collect()
}

/// Runs of spaces as one, so alignment in the file does not matter.
fn squeeze(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Files whose checked-in copy differs, each with a unified diff.
pub fn drift(dir: &Path, files: &[SchemaFile]) -> Vec<(PathBuf, String)> {
    files
        .iter()
        .filter_map(|file| {
            let path = dir.join(&file.path);
            let current = std::fs::read_to_string(&path).unwrap_or_default();
            (current != file.content).then(|| {
                let diff = similar::TextDiff::from_lines(&current, &file.content)
                    .unified_diff()
                    .context_radius(3)
                    .header(
                        &format!("{} (checked in)", path.display()),
                        "rendered from the code",
                    )
                    .to_string();
                (path, diff)
            })
        })
        .collect()
}
