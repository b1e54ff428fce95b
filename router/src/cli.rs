//! The `router` binary's command line (clap), here rather than in
//! `main.rs` so that what the binary accepts can be read by tests (the
//! deployment's manifests name its flags).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// The federation router. Without a subcommand it serves a supergraph.
#[derive(Parser)]
#[command(version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Args)]
pub struct ServeArgs {
    /// The supergraph SDL file to serve.
    #[arg(long)]
    pub supergraph: Option<PathBuf>,
    /// Address to listen on; overrides the config file.
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Router settings (TOML).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Reload only on SIGHUP, not when the supergraph or config file changes.
    #[arg(long)]
    pub no_watch: bool,
}

#[derive(Subcommand)]
pub enum Command {
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
    /// Work with schemas.
    #[command(subcommand)]
    Schema(SchemaCommand),
    /// Print the query plan of an operation.
    Plan {
        #[arg(long)]
        supergraph: PathBuf,
        /// A file holding the operation document.
        #[arg(long)]
        query: PathBuf,
        /// The operation to plan when the document has several.
        #[arg(long)]
        operation: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum SchemaCommand {
    /// List the changes from OLD to NEW (API schemas or supergraphs, compared
    /// by what clients see) as breaking, dangerous or safe.
    ///
    /// Exit status: 0 when nothing reaches --fail-on, 1 when a change does,
    /// 2 when a schema cannot be read.
    Diff {
        old: PathBuf,
        new: PathBuf,
        /// The least severe change that fails the command.
        #[arg(long, value_enum, default_value = "breaking")]
        fail_on: FailOn,
        /// `text` (one change a line) or `json` (an array of changes).
        #[arg(long, value_enum, default_value = "text")]
        format: DiffFormat,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum FailOn {
    Breaking,
    Dangerous,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
}
