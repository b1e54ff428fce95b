use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Parser;
use router::cli::{Cli, Command, DiffFormat, FailOn, SchemaCommand, ServeArgs};
use router::compose::{SubgraphSource, compose};
use router::config::RouterConfig;
use router::engine::Engine;
use router::reload::{Sources, Triggers};

/// glibc's allocator spent a third of the router's CPU under load (measured with
/// perf on the load benchmark); mimalloc handles its many short-lived JSON
/// allocations far better.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(Cli::parse())) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let Some(command) = cli.command else {
        serve(cli.serve).await?;
        return Ok(ExitCode::SUCCESS);
    };
    match command {
        Command::Plan {
            supergraph,
            query,
            operation,
        } => {
            let sdl = read(&supergraph)?;
            let query = read(&query)?;
            let engine = Engine::over_http(&sdl, &RouterConfig::default())
                .await
                .with_context(|| format!("loading {}", supergraph.display()))?;
            match engine.explain(&query, operation.as_deref()) {
                Ok(plan) => print!("{plan}"),
                Err(response) => {
                    for error in &response.errors {
                        eprintln!("error: {}", serde_json::to_string(error)?);
                    }
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Command::Schema(SchemaCommand::Diff {
            old,
            new,
            fail_on,
            format,
        }) => return schema_diff(&old, &new, fail_on, format),
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
    Ok(ExitCode::SUCCESS)
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let Some(supergraph) = args.supergraph else {
        bail!("--supergraph PATH is required to serve (see --help)");
    };
    // Traces are set up once, from the config at start-up (a bad file is
    // reported by the server below, which reads it again).
    let tracing = match &args.config {
        Some(path) => RouterConfig::from_file(path)
            .map(|config| config.tracing)
            .unwrap_or_default(),
        None => Default::default(),
    };
    let _telemetry = telemetry::init("router", &tracing.settings()?)?;
    let sources = Sources {
        supergraph,
        config: args.config,
        listen: args.listen,
    };
    let triggers = Triggers {
        files: !args.no_watch,
        hangup: true,
    };
    router::server::run(sources, triggers, router::server::shutdown_signal()).await
}

fn schema_diff(
    old: &Path,
    new: &Path,
    fail_on: FailOn,
    format: DiffFormat,
) -> anyhow::Result<ExitCode> {
    use router::schema_diff::{self, Severity};
    let load = |path: &Path, which| -> Result<_, String> {
        let sdl = read(path).map_err(|e| format!("{e:#}"))?;
        schema_diff::load(&sdl, which).map_err(|e| format!("{}: {e}", path.display()))
    };
    let (old, new) = match (load(old, "old"), load(new, "new")) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let changes = schema_diff::diff(&old, &new);
    match format {
        DiffFormat::Text if changes.is_empty() => println!("no changes"),
        DiffFormat::Text => changes.iter().for_each(|c| println!("{c}")),
        DiffFormat::Json => println!("{}", serde_json::to_string_pretty(&changes)?),
    }
    let threshold = match fail_on {
        FailOn::Breaking => Severity::Breaking,
        FailOn::Dangerous => Severity::Dangerous,
    };
    let failing = changes.iter().filter(|c| c.severity <= threshold).count();
    if failing > 0 {
        eprintln!("{failing} change(s) at or above --fail-on");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
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
