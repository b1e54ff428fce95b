//! What every service measures the same way, declared here with units and
//! help: GraphQL requests, database statements and the connection pool.
//! Each series carries a `service` label, since in the all-in-one run the
//! four services share the process's one recorder (see `telemetry`).
//! Metrics of one service's own domain live in that service's `metrics`.

use std::sync::Once;
use std::time::Duration;

use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use metrics_exporter_prometheus::PrometheusHandle;
use sea_orm::{DatabaseBackend, DatabaseConnection};

pub const GRAPHQL_REQUESTS: &str = "service_graphql_requests_total";
pub const GRAPHQL_DURATION: &str = "service_graphql_request_duration_seconds";
pub const DB_QUERY_DURATION: &str = "service_db_query_duration_seconds";
pub const DB_QUERY_ERRORS: &str = "service_db_query_errors_total";
pub const DB_POOL: &str = "service_db_pool_connections";

/// The process's recorder, with these metrics described.
pub fn handle() -> &'static PrometheusHandle {
    static DESCRIBED: Once = Once::new();
    telemetry::metrics::install(&DESCRIBED, describe)
}

fn describe() {
    describe_counter!(
        GRAPHQL_REQUESTS,
        Unit::Count,
        "GraphQL requests a service answered, by service, operation name and the first error's code (none when it had no error)."
    );
    describe_histogram!(
        GRAPHQL_DURATION,
        Unit::Seconds,
        "Time a service took to answer a GraphQL request, by service and operation name."
    );
    describe_histogram!(
        DB_QUERY_DURATION,
        Unit::Seconds,
        "Time of one database statement, by service."
    );
    describe_counter!(
        DB_QUERY_ERRORS,
        Unit::Count,
        "Database statements that failed, by service."
    );
    describe_gauge!(
        DB_POOL,
        Unit::Count,
        "The service's PostgreSQL pool connections, by state (idle, in_use), read at each scrape."
    );
}

/// One answered GraphQL request (a batch counts once per operation).
pub fn graphql_request(
    service: &'static str,
    operation: Option<&str>,
    code: Option<&str>,
    elapsed: Duration,
) {
    let operation = telemetry::metrics::operation_label(operation);
    counter!(
        GRAPHQL_REQUESTS,
        "service" => service,
        "operation" => operation.clone(),
        "code" => code.unwrap_or("none").to_owned(),
    )
    .increment(1);
    histogram!(GRAPHQL_DURATION, "service" => service, "operation" => operation)
        .record(elapsed.as_secs_f64());
}

/// `db` with every statement's time recorded under `service`. Handles are
/// resolved once here, so a statement costs one clock read and one
/// histogram update.
pub fn observe_database(service: &'static str, mut db: DatabaseConnection) -> DatabaseConnection {
    handle();
    let duration = histogram!(DB_QUERY_DURATION, "service" => service);
    let errors = counter!(DB_QUERY_ERRORS, "service" => service);
    db.set_metric_callback(move |info| {
        duration.record(info.elapsed.as_secs_f64());
        if info.failed {
            errors.increment(1);
        }
    });
    db
}

/// Reads the pool's use into its gauges (at each scrape; SQLite has one
/// connection and no pool to speak of).
pub fn sample_pool(service: &'static str, db: &DatabaseConnection) {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return;
    }
    let pool = db.get_postgres_connection_pool();
    let idle = pool.num_idle() as f64;
    let open = f64::from(pool.size());
    gauge!(DB_POOL, "service" => service, "state" => "idle").set(idle);
    gauge!(DB_POOL, "service" => service, "state" => "in_use").set((open - idle).max(0.0));
}
