use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use router::compose::{SubgraphSource, compose};

/// The federation router.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compose subgraphs into a supergraph.
    ///
    /// Each --subgraph is NAME=URL (the SDL is fetched live from URL through
    /// `_service { sdl }`) or NAME=URL=FILE (the SDL is read from FILE).
    Compose {
        #[arg(long = "subgraph", value_name = "NAME=URL[=FILE]", required = true)]
        subgraphs: Vec<String>,
        /// Where to write the supergraph; stdout when omitted.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Compose { subgraphs, output } => {
            let client = reqwest::Client::new();
            let mut sources = Vec::new();
            for spec in &subgraphs {
                sources.push(load_subgraph(&client, spec).await?);
            }
            let composed = compose(&sources)?;
            for warning in &composed.warnings {
                eprintln!("warning: {warning}");
            }
            match output {
                Some(path) => {
                    std::fs::write(&path, &composed.supergraph_sdl)
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!("wrote {}", path.display());
                }
                None => print!("{}", composed.supergraph_sdl),
            }
        }
    }
    Ok(())
}

async fn load_subgraph(client: &reqwest::Client, spec: &str) -> anyhow::Result<SubgraphSource> {
    let mut parts = spec.splitn(2, '=');
    let (Some(name), Some(rest)) = (parts.next(), parts.next()) else {
        bail!("--subgraph {spec:?}: expected NAME=URL or NAME=URL=FILE");
    };
    // URLs contain no '=' before a file part in practice; split on the last one
    // only when what follows names an existing file.
    let (url, sdl) = match rest.rsplit_once('=') {
        Some((url, file)) if std::path::Path::new(file).is_file() => {
            let sdl = std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?;
            (url.to_owned(), sdl)
        }
        _ => (
            rest.to_owned(),
            router::introspect::fetch_sdl(client, rest).await?,
        ),
    };
    Ok(SubgraphSource {
        name: name.to_owned(),
        url,
        sdl,
    })
}
