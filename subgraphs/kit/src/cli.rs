//! What every service binary does with its command line: serve (the
//! default), apply migrations, or print its SDL. Each service declares its
//! own flags (`<service>::cli::Cli`, with its environment variables); the
//! service's binary and `shop service <name>` both run them through here.

use std::future::Future;

use crate::server::{Server, shutdown_signal};

#[derive(Debug, Clone, Copy, Default, clap::Subcommand)]
pub enum Command {
    /// Serve the subgraph (the default).
    #[default]
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Print the subgraph SDL and exit.
    Sdl,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{service}: cannot start")]
    Start {
        service: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("{service}: serving failed")]
    Serve {
        service: &'static str,
        #[source]
        source: std::io::Error,
    },
}

/// Runs `command` for `service`: `sdl` prints, `migrate` opens and
/// migrates the database, `start` binds the server, which then serves
/// until Ctrl-C or SIGTERM.
pub async fn run<M, S, EM, ES>(
    service: &'static str,
    command: Command,
    sdl: impl FnOnce() -> String,
    migrate: impl FnOnce() -> M,
    start: impl FnOnce() -> S,
) -> Result<(), RunError>
where
    M: Future<Output = Result<(), EM>>,
    S: Future<Output = Result<Server, ES>>,
    EM: std::error::Error + Send + Sync + 'static,
    ES: std::error::Error + Send + Sync + 'static,
{
    let failed =
        |source: Box<dyn std::error::Error + Send + Sync>| RunError::Start { service, source };
    match command {
        Command::Sdl => print!("{}", sdl()),
        Command::Migrate => {
            migrate().await.map_err(|e| failed(Box::new(e)))?;
            println!("{service}: migrations applied");
        }
        Command::Serve => {
            let server = start().await.map_err(|e| failed(Box::new(e)))?;
            println!(
                "{service} subgraph on http://{}/graphql",
                server.local_addr()
            );
            server
                .run_until(shutdown_signal())
                .await
                .map_err(|source| RunError::Serve { service, source })?;
        }
    }
    Ok(())
}
