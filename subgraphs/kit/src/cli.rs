//! What every service binary does with its command line: serve (the
//! default), apply migrations, or print its SDL. Each service declares its
//! own flags (`<service>::cli::Cli`, with its environment variables); the
//! service's binary and `shop service <name>` both run them through here.

use std::future::Future;

use crate::caller::{Access, AccessError};
use crate::server::{Server, shutdown_signal};

/// The flag every service shares: the secret the router signs identities
/// with. Without it the service checks no caller (see `crate::caller`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AccessArgs {
    /// File holding the secret (32+ bytes) the router signs forwarded
    /// identities with (`[authentication.forward] secret_file`): the
    /// service then holds every operation to the caller it names.
    #[arg(long, env = "IDENTITY_SECRET_FILE")]
    pub identity_secret_file: Option<std::path::PathBuf>,
}

impl AccessArgs {
    pub fn access(&self) -> Result<Option<std::sync::Arc<Access>>, AccessError> {
        self.identity_secret_file
            .as_deref()
            .map(|path| Access::from_file(path).map(std::sync::Arc::new))
            .transpose()
    }
}

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
    access: &AccessArgs,
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
            let access = access.access().map_err(|e| failed(Box::new(e)))?;
            let mut server = start().await.map_err(|e| failed(Box::new(e)))?;
            match access {
                Some(access) => server = server.with_access(access),
                None => tracing::warn!(
                    service,
                    "no --identity-secret-file: the service checks no caller"
                ),
            }
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
