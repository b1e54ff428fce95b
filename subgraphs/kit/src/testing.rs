//! Test support shared by the services' integration tests: a fresh database
//! per test on either backend, a GraphQL client, and a statement counter.
//!
//! PostgreSQL tests need a server. Where none answers they are skipped with a
//! message written straight to the terminal (libtest captures only the print
//! macros), unless `REQUIRE_POSTGRES=1`, which CI sets, turns that into a failure.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

/// Admin connection used to create and drop per-test PostgreSQL databases.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The NATS server tests publish to: `TEST_NATS_URL`, by default the local
/// one. `None` (reported on the terminal) when it does not answer, unless
/// `REQUIRE_NATS=1`, which CI sets, turns that into a failure.
pub async fn nats_url(test: &str) -> Option<String> {
    let url = std::env::var("TEST_NATS_URL").unwrap_or_else(|_| DEFAULT_NATS_URL.to_owned());
    let required = std::env::var("REQUIRE_NATS").is_ok_and(|v| v == "1" || v == "true");
    let address = url.trim_start_matches("nats://").to_owned();
    let reachable = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        tokio::net::TcpStream::connect(address.as_str()),
    )
    .await
    .is_ok_and(|r| r.is_ok());
    if reachable {
        return Some(url);
    }
    if required {
        panic!("REQUIRE_NATS is set but NATS at {url} is unreachable");
    }
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: NATS not reachable at {url}; set TEST_NATS_URL, or REQUIRE_NATS=1 to fail instead"
    );
    None
}

const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";

/// A database that exists for one test and is removed afterwards.
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// A fresh, empty database, or `None` when the backend is unavailable and
    /// not required (the skip is reported on the terminal).
    pub async fn create(backend: Backend, test: &str) -> Option<TestDatabase> {
        match backend {
            Backend::Sqlite => Some(Self::sqlite()),
            Backend::Postgres => Self::postgres(test).await,
        }
    }

    pub fn sqlite() -> TestDatabase {
        let dir = std::env::temp_dir().join(format!("shop-test-{}", uuid::Uuid::now_v7().simple()));
        let url = format!("sqlite://{}/test.db", dir.display());
        TestDatabase {
            url,
            cleanup: Cleanup::Dir(dir),
        }
    }

    async fn postgres(test: &str) -> Option<TestDatabase> {
        let admin_url =
            std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let required = std::env::var("REQUIRE_POSTGRES").is_ok_and(|v| v == "1" || v == "true");
        let admin = match Database::connect(admin_url.as_str()).await {
            Ok(db) => db,
            Err(err) => {
                if required {
                    panic!(
                        "REQUIRE_POSTGRES is set but PostgreSQL at {admin_url} is unreachable: {err}"
                    );
                }
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED {test}: PostgreSQL not reachable at {} ({err}); set TEST_POSTGRES_URL, or REQUIRE_POSTGRES=1 to fail instead",
                    crate::database::redact(&admin_url)
                );
                return None;
            }
        };
        let name = format!("shop_test_{}", uuid::Uuid::now_v7().simple());
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create test database");
        let _ = admin.close().await;
        let url = match admin_url.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => panic!("TEST_POSTGRES_URL must end in /<database>"),
        };
        Some(TestDatabase {
            url,
            cleanup: Cleanup::Postgres { admin_url, name },
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, name } => {
                // Drop runs inside the test's runtime, which cannot be blocked
                // on; a short-lived thread with its own runtime does the work.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    rt.block_on(async move {
                        if let Ok(admin) = Database::connect(admin_url.as_str()).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                                ))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// Counts every statement the connection executes from now on, except the
/// event outbox's: the relay polls it on its own schedule, not per request.
pub fn count_statements(db: &mut DatabaseConnection) -> StatementCounter {
    let counter = StatementCounter::default();
    let seen = counter.clone();
    db.set_metric_callback(move |info| {
        let statement = info.statement.to_string();
        if statement.contains("\"event_outbox\"") {
            return;
        }
        seen.count.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut log) = seen.log.lock() {
            log.push(statement);
        }
    });
    counter
}

#[derive(Clone, Default)]
pub struct StatementCounter {
    count: Arc<AtomicUsize>,
    log: Arc<std::sync::Mutex<Vec<String>>>,
}

impl StatementCounter {
    pub fn get(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    pub fn reset(&self) {
        self.count.store(0, Ordering::SeqCst);
        if let Ok(mut log) = self.log.lock() {
            log.clear();
        }
    }

    /// The statements seen since the last reset, for assertion messages.
    pub fn statements(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

/// A GraphQL-over-HTTP client for one endpoint.
#[derive(Clone)]
pub struct GraphqlClient {
    http: reqwest::Client,
    pub endpoint: String,
    /// Sent with every request (a token).
    headers: reqwest::header::HeaderMap,
}

impl GraphqlClient {
    pub fn new(endpoint: impl Into<String>) -> Self {
        GraphqlClient {
            http: reqwest::Client::new(),
            endpoint: endpoint.into(),
            headers: Default::default(),
        }
    }

    /// This client sending `name: value` with every request.
    pub fn with_header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.insert(
            name,
            value.parse().expect("a header value a test chose is valid"),
        );
        self
    }

    /// This client sending `authorization: Bearer <token>`.
    pub fn with_bearer(self, token: &str) -> Self {
        self.with_header("authorization", &format!("Bearer {token}"))
    }

    pub async fn query(&self, query: &str) -> GraphqlResponse {
        self.query_with(query, json!({})).await
    }

    pub async fn query_with(&self, query: &str, variables: Value) -> GraphqlResponse {
        let response = self
            .http
            .post(&self.endpoint)
            .headers(self.headers.clone())
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("send GraphQL request");
        let status = response.status();
        let body: Value = response.json().await.expect("GraphQL response is JSON");
        GraphqlResponse { status, body }
    }
}

#[derive(Debug)]
pub struct GraphqlResponse {
    pub status: reqwest::StatusCode,
    pub body: Value,
}

impl GraphqlResponse {
    /// `data`, asserting there were no errors.
    pub fn data(&self) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected GraphQL errors: {}",
            self.body
        );
        &self.body["data"]
    }

    /// The `extensions.code` of the first error, asserting there is one.
    pub fn error_code(&self) -> &str {
        self.body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an error with extensions.code, got {}", self.body))
    }

    pub fn error_message(&self) -> &str {
        self.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
    }
}

/// Declares each listed async test fn once per backend:
/// `both_backends!(creates_product, rejects_duplicate_sku);` expands to
/// `sqlite::creates_product` and `postgres::creates_product`, each calling
/// `creates_product(Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::testing::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::testing::Backend::Postgres).await
                }
            )*
        }
    };
}
