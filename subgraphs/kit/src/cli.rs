//! What every service binary does with its command line: serve (the
//! default), apply migrations, or print its SDL. Each service declares its
//! own flags (`<service>::cli::Cli`, with its environment variables); the
//! service's binary and `shop service <name>` both run them through here.

use std::future::Future;
use std::time::Duration;

use sea_orm_migration::MigratorTrait;

use crate::caller::{Access, AccessError};
use crate::database::{self, Unmigrated};
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

/// What `serve` does about migrations the database has not had yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OnStart {
    /// Apply them (one process, or a few replicas starting together: the
    /// loser of a race finds the work done).
    #[default]
    Apply,
    /// Wait, not listening yet, until `migrate` has applied them (a
    /// deploy's migration Job); never migrate.
    Await,
}

/// The flag every service shares: who migrates its database.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MigrationArgs {
    /// `apply` pending migrations at start-up, or `await` a `migrate` run
    /// (a deploy's migration Job) that applies them.
    #[arg(long, env = "MIGRATIONS_ON_START", value_enum, default_value_t)]
    pub migrations_on_start: OnStart,
}

/// The flag every service shares: where Prometheus scrapes it.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MetricsArgs {
    /// Serve `/metrics` on this address of its own instead of the
    /// service's listener (e.g. to keep it off the port clients reach).
    #[arg(long, env = "METRICS_LISTEN")]
    pub metrics_listen: Option<std::net::SocketAddr>,
}

/// How often a service awaiting its migrations asks the database again.
const AWAIT_MIGRATIONS_EVERY: Duration = Duration::from_secs(2);

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

/// The shared flags of a service's command line.
pub struct Shared<'a> {
    pub access: &'a AccessArgs,
    pub migrations: &'a MigrationArgs,
    pub metrics: &'a MetricsArgs,
    /// The service's database, which its migrator `M` of [`run`] migrates.
    pub database_url: &'a str,
}

/// Runs `command` for `service`: `sdl` prints, `migrate` opens and
/// migrates the database with `M`, `start` binds the server (after
/// awaiting the migrations, when asked to), which then serves until Ctrl-C
/// or SIGTERM.
pub async fn run<M, S, ES>(
    service: &'static str,
    command: Command,
    shared: Shared<'_>,
    sdl: impl FnOnce() -> String,
    start: impl FnOnce() -> S,
) -> Result<(), RunError>
where
    M: MigratorTrait,
    S: Future<Output = Result<Server, ES>>,
    ES: std::error::Error + Send + Sync + 'static,
{
    let failed =
        |source: Box<dyn std::error::Error + Send + Sync>| RunError::Start { service, source };
    match command {
        Command::Sdl => print!("{}", sdl()),
        Command::Migrate => {
            database::open_migrated::<M>(shared.database_url)
                .await
                .map_err(|e| failed(Box::new(e)))?;
            println!("{service}: migrations applied");
        }
        Command::Serve => {
            let access = shared.access.access().map_err(|e| failed(Box::new(e)))?;
            if shared.migrations.migrations_on_start == OnStart::Await {
                tokio::select! {
                    () = await_migrations::<M>(service, shared.database_url) => {}
                    () = shutdown_signal() => return Ok(()),
                }
            }
            let mut server = start().await.map_err(|e| failed(Box::new(e)))?;
            match access {
                Some(access) => server = server.with_access(access),
                None => tracing::warn!(
                    service,
                    "no --identity-secret-file: the service checks no caller"
                ),
            }
            if let Some(addr) = shared.metrics.metrics_listen {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .map_err(|e| failed(Box::new(e)))?;
                server = server.with_metrics_listener(listener);
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

/// Waits for another process to migrate `service`'s database, saying why
/// it waits whenever that changes.
async fn await_migrations<M: MigratorTrait>(service: &'static str, url: &str) {
    let mut said = String::new();
    database::await_migrated::<M>(url, AWAIT_MIGRATIONS_EVERY, |state| {
        let now = match state {
            Unmigrated::Pending(count) => {
                format!("{count} migration(s) pending; waiting for `{service} migrate`")
            }
            Unmigrated::Unreachable(err) => {
                let mut message = format!("cannot ask the database which migrations it has: {err}");
                let mut cause = std::error::Error::source(err);
                while let Some(err) = cause {
                    message.push_str(&format!(": {err}"));
                    cause = err.source();
                }
                message
            }
        };
        if now != said {
            tracing::warn!(service, "{now}");
            said = now;
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        migrations: MigrationArgs,
    }

    #[test]
    fn a_service_applies_its_migrations_unless_told_to_await_them() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("svc").chain(args.iter().copied()))
                .map(|cli| cli.migrations.migrations_on_start)
        };
        assert_eq!(parse(&[]).unwrap(), OnStart::Apply);
        assert_eq!(
            parse(&["--migrations-on-start", "await"]).unwrap(),
            OnStart::Await
        );
        assert!(parse(&["--migrations-on-start", "later"]).is_err());
    }
}
