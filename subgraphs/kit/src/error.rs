//! Errors as clients see them: a message plus a stable `extensions.code`.
//!
//! Every service error enum implements [`CodedError`]. Client faults (bad input,
//! a conflict, an unknown id) carry their own message and code; internal faults
//! (a database that fails, a bug) are logged with their cause chain and reach
//! the client only as `INTERNAL_SERVER_ERROR`, so nothing of our internals leaks.

use std::error::Error as StdError;
use std::fmt::Write as _;

use async_graphql::ErrorExtensions;

/// The code sent for every internal fault.
pub const INTERNAL_CODE: &str = "INTERNAL_SERVER_ERROR";

pub trait CodedError: StdError + Send + Sync + 'static {
    /// Stable, machine-readable code such as `DUPLICATE_SKU`.
    fn code(&self) -> &'static str;

    /// True when the fault is ours, not the client's.
    fn is_internal(&self) -> bool {
        false
    }
}

/// Converts a service error into the GraphQL error a client receives.
pub fn to_graphql<E: CodedError>(err: E) -> async_graphql::Error {
    if err.is_internal() {
        tracing::error!(code = err.code(), error = %cause_chain(&err), "internal error");
        return coded("internal error", INTERNAL_CODE);
    }
    coded(err.to_string(), err.code())
}

/// A GraphQL error with the given message and `extensions.code`.
pub fn coded(message: impl Into<String>, code: &'static str) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, ext| ext.set("code", code))
}

/// `?`-friendly conversion: `store.find(id).await.gql()?`.
pub trait ResultExt<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T, E: CodedError> ResultExt<T> for Result<T, E> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(to_graphql)
    }
}

/// `outer: middle: inner`, for logs.
pub fn cause_chain(err: &dyn StdError) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let _ = write!(out, ": {cause}");
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    enum Sample {
        #[error("sku {0:?} is taken")]
        Taken(String),
        #[error("database unavailable")]
        Db(#[source] std::io::Error),
    }

    impl CodedError for Sample {
        fn code(&self) -> &'static str {
            match self {
                Sample::Taken(_) => "DUPLICATE_SKU",
                Sample::Db(_) => "DATABASE",
            }
        }
        fn is_internal(&self) -> bool {
            matches!(self, Sample::Db(_))
        }
    }

    fn code_of(err: &async_graphql::Error) -> String {
        let ext = err.extensions.as_ref().expect("extensions");
        ext.get("code").expect("code").to_string()
    }

    #[test]
    fn client_faults_keep_message_and_code() {
        let err = to_graphql(Sample::Taken("A-1".into()));
        assert_eq!(err.message, "sku \"A-1\" is taken");
        assert_eq!(code_of(&err), "\"DUPLICATE_SKU\"");
    }

    #[test]
    fn internal_faults_hide_their_cause() {
        let io = std::io::Error::other("disk on fire at /var/db");
        let err = to_graphql(Sample::Db(io));
        assert_eq!(err.message, "internal error");
        assert_eq!(code_of(&err), format!("{INTERNAL_CODE:?}"));
    }

    #[test]
    fn cause_chain_joins_sources() {
        let io = std::io::Error::other("disk on fire");
        assert_eq!(
            cause_chain(&Sample::Db(io)),
            "database unavailable: disk on fire"
        );
    }
}
