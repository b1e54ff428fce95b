//! Opening a service's own database: SQLite by default, PostgreSQL by URL.
//!
//! SQLite allows one writer at a time. Rather than let concurrent deferred
//! transactions fail with `SQLITE_BUSY` when they upgrade to writers, a SQLite
//! database gets a single pooled connection, which serialises statements in
//! process order; WAL mode and a busy timeout cover other processes touching
//! the same file. PostgreSQL gets a real pool and row-level locking.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTrait;

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("database URL {url:?} is not a sqlite: or postgres: URL")]
    UnsupportedUrl { url: String },
    #[error("cannot create the directory {dir} for the SQLite database")]
    CreateDir {
        dir: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot connect to the database")]
    Connect(#[source] DbErr),
    #[error("cannot apply migrations")]
    Migrate(#[source] DbErr),
    #[error("cannot read which migrations the database has")]
    ReadMigrations(#[source] DbErr),
}

/// The default SQLite URL for a service: `sqlite://data/<name>.db`.
pub fn default_sqlite_url(service: &str) -> String {
    format!("sqlite://data/{service}.db")
}

/// True for `sqlite:` URLs.
pub fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// How many PostgreSQL connections one service process opens at most by
/// default. Replicas multiply it: size it so that replicas x services stay
/// below the server's `max_connections` (100 by default).
pub const DEFAULT_MAX_CONNECTIONS: u32 = 16;

/// Connects to `url`, creating a SQLite file (and its directory) if missing.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DatabaseError> {
    connect_with(url, DEFAULT_MAX_CONNECTIONS).await
}

/// [`connect`] with a PostgreSQL pool of at most `max_connections` (SQLite
/// always has one connection, see the module's comment).
pub async fn connect_with(
    url: &str,
    max_connections: u32,
) -> Result<DatabaseConnection, DatabaseError> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    if is_sqlite(url) {
        ensure_sqlite_dir(url)?;
        options.max_connections(1).map_sqlx_sqlite_opts(|opts| {
            opts.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        options
            .max_connections(max_connections.max(1))
            .min_connections(1);
    } else {
        return Err(DatabaseError::UnsupportedUrl { url: redact(url) });
    }
    Database::connect(options)
        .await
        .map_err(DatabaseError::Connect)
}

fn ensure_sqlite_dir(url: &str) -> Result<(), DatabaseError> {
    let Ok(opts) = SqliteConnectOptions::from_str(url) else {
        return Ok(()); // let the driver report the bad URL
    };
    let file = opts.get_filename();
    if file == Path::new(":memory:") {
        return Ok(());
    }
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| DatabaseError::CreateDir {
            dir: dir.display().to_string(),
            source,
        })?;
    }
    Ok(())
}

/// Connects to `url` and applies the service's migrator: what every service
/// does at start-up and in its `migrate` subcommand.
pub async fn open_migrated<M: MigratorTrait>(
    url: &str,
) -> Result<DatabaseConnection, DatabaseError> {
    open_migrated_with::<M>(url, DEFAULT_MAX_CONNECTIONS).await
}

/// [`open_migrated`] with at most `max_connections` (see [`connect_with`]).
/// Replicas starting together over one database may race to migrate it;
/// the migrator's bookkeeping table and `IF NOT EXISTS` let the loser
/// find the work done, so a failed first attempt is tried once more.
pub async fn open_migrated_with<M: MigratorTrait>(
    url: &str,
    max_connections: u32,
) -> Result<DatabaseConnection, DatabaseError> {
    let db = connect_with(url, max_connections).await?;
    if migrate::<M>(&db).await.is_err() {
        migrate::<M>(&db).await?;
    }
    Ok(db)
}

/// Why [`await_migrated`] is still waiting.
#[derive(Debug)]
pub enum Unmigrated {
    /// The database lacks this many of the migrations.
    Pending(usize),
    /// The database cannot be asked (not up yet, or refusing us).
    Unreachable(DatabaseError),
}

/// Returns once the database at `url` has every migration of `M`, applied
/// by someone else (a deploy's migration Job running `migrate`), asking
/// every `every` and telling `waiting` each answer that is not yet. It
/// never migrates, nor creates the bookkeeping table, so replicas waiting
/// for one Job never race each other.
pub async fn await_migrated<M: MigratorTrait>(
    url: &str,
    every: Duration,
    mut waiting: impl FnMut(&Unmigrated),
) {
    let mut db = None;
    loop {
        let state = match pending::<M>(url, &mut db).await {
            Ok(0) => return,
            Ok(count) => Unmigrated::Pending(count),
            Err(err) => {
                db = None;
                Unmigrated::Unreachable(err)
            }
        };
        waiting(&state);
        tokio::time::sleep(every).await;
    }
}

/// How many migrations of `M` the database lacks, read without writing.
async fn pending<M: MigratorTrait>(
    url: &str,
    db: &mut Option<DatabaseConnection>,
) -> Result<usize, DatabaseError> {
    let db = match db {
        Some(db) => db,
        None => db.insert(connect_with(url, 1).await?),
    };
    M::get_pending_migrations_read_only(db)
        .await
        .map(|pending| pending.len())
        .map_err(DatabaseError::ReadMigrations)
}

/// Applies the pending migrations of `M`.
pub async fn migrate<M: MigratorTrait>(db: &DatabaseConnection) -> Result<(), DatabaseError> {
    M::up(db, None).await.map_err(DatabaseError::Migrate)
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((userinfo, host)) => {
                let user = userinfo.split(':').next().unwrap_or_default();
                format!("{scheme}://{user}:***@{host}")
            }
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://shop:secret@db:5432/orders"),
            "postgres://shop:***@db:5432/orders"
        );
        assert_eq!(redact("sqlite://data/x.db"), "sqlite://data/x.db");
    }

    #[tokio::test]
    async fn creates_missing_sqlite_files_and_directories() {
        let dir = std::env::temp_dir().join(format!("kit-db-{}", uuid::Uuid::now_v7()));
        let url = format!("sqlite://{}/nested/svc.db", dir.display());
        let db = connect(&url).await.expect("connect");
        db.ping().await.expect("ping");
        assert!(dir.join("nested/svc.db").exists());
        let _ = std::fs::remove_dir_all(dir);
    }

    /// A migrator of one migration, for the tests.
    mod fixture {
        use sea_orm_migration::prelude::*;

        pub struct Migrator;

        #[async_trait::async_trait]
        impl MigratorTrait for Migrator {
            fn migrations() -> Vec<Box<dyn MigrationTrait>> {
                vec![Box::new(CreateThings)]
            }
        }

        #[derive(DeriveMigrationName)]
        struct CreateThings;

        #[async_trait::async_trait]
        impl MigrationTrait for CreateThings {
            async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                manager
                    .create_table(
                        Table::create()
                            .table("things")
                            .col(ColumnDef::new("id").integer().primary_key())
                            .to_owned(),
                    )
                    .await
            }
        }
    }

    #[tokio::test]
    async fn awaiting_migrations_waits_without_writing_until_another_process_applies_them() {
        let dir = std::env::temp_dir().join(format!("kit-await-{}", uuid::Uuid::now_v7()));
        let url = format!("sqlite://{}/svc.db", dir.display());
        let (told, mut heard) = tokio::sync::mpsc::unbounded_channel();
        let waiter = tokio::spawn({
            let url = url.clone();
            async move {
                await_migrated::<fixture::Migrator>(&url, Duration::from_millis(10), |state| {
                    let _ = told.send(matches!(state, Unmigrated::Pending(1)));
                })
                .await
            }
        });
        assert_eq!(heard.recv().await, Some(true), "one migration pending");
        assert_eq!(heard.recv().await, Some(true), "still waiting");
        assert!(!waiter.is_finished());

        let db = connect(&url).await.expect("connect");
        let schema = sea_orm_migration::SchemaManager::new(&db);
        assert!(
            !schema.has_table("seaql_migrations").await.unwrap(),
            "a waiting replica writes nothing, not even the bookkeeping table"
        );
        migrate::<fixture::Migrator>(&db)
            .await
            .expect("the Job migrates");
        tokio::time::timeout(Duration::from_secs(10), waiter)
            .await
            .expect("the waiter returns once the database is migrated")
            .unwrap();
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn rejects_unknown_schemes() {
        assert!(matches!(
            connect("mysql://x").await,
            Err(DatabaseError::UnsupportedUrl { .. })
        ));
    }
}
