//! The body stage: a POST body read within `max_request_bytes` and decoded
//! into one GraphQL request or, when batching is on, a batch of them (a
//! JSON array). Nothing past the limit is read; nothing that is not a
//! GraphQL request reaches the later stages.

use axum::body::Body;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Deserialize;

use super::MISSING_QUERY;
use crate::graphql;

pub const BAD_REQUEST: &str = "BAD_REQUEST";
pub const UNSUPPORTED_MEDIA_TYPE: &str = "UNSUPPORTED_MEDIA_TYPE";
pub const REQUEST_TOO_LARGE: &str = "REQUEST_TOO_LARGE";
pub const BATCHING_NOT_ENABLED: &str = "BATCHING_NOT_ENABLED";
pub const MAX_BATCH_EXCEEDED: &str = "MAX_BATCH_EXCEEDED";

/// Request batching: several operations in one POST, as a JSON array,
/// answered with an array of responses in the same order.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BatchingConfig {
    /// Off by default: one batch does the work of many requests in one,
    /// which request-level limits would not see.
    pub enabled: bool,
    /// Most operations in one batch.
    pub max_operations: usize,
}

impl Default for BatchingConfig {
    fn default() -> Self {
        BatchingConfig {
            enabled: false,
            max_operations: 10,
        }
    }
}

/// What the body holds.
#[derive(Debug)]
pub enum Decoded {
    One(graphql::Request),
    Batch(Vec<graphql::Request>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("The request body must be JSON, sent with `content-type: application/json`.")]
    NotJson,
    #[error("The request body is larger than the limit of {limit} bytes.")]
    TooLarge { limit: usize },
    #[error("Cannot read the request body: {0}")]
    Unreadable(String),
    #[error("The request body is empty.")]
    Empty,
    #[error("The request body is not a GraphQL request: {0}")]
    Malformed(String),
    #[error("Must provide query string.")]
    MissingQuery,
    #[error(
        "Batched requests (a JSON array of operations) are not enabled on this router (`[batching] enabled = true`)."
    )]
    BatchingOff,
    #[error("The batch is empty.")]
    EmptyBatch,
    #[error(
        "The batch has {size} operations, over the limit of {max} (`[batching] max_operations`)."
    )]
    BatchTooLarge { size: usize, max: usize },
}

impl BodyError {
    pub fn status(&self) -> StatusCode {
        match self {
            BodyError::NotJson => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            BodyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            BodyError::NotJson => UNSUPPORTED_MEDIA_TYPE,
            BodyError::TooLarge { .. } => REQUEST_TOO_LARGE,
            BodyError::MissingQuery => MISSING_QUERY,
            BodyError::BatchingOff => BATCHING_NOT_ENABLED,
            BodyError::BatchTooLarge { .. } => MAX_BATCH_EXCEEDED,
            BodyError::Unreadable(_)
            | BodyError::Empty
            | BodyError::Malformed(_)
            | BodyError::EmptyBatch => BAD_REQUEST,
        }
    }

    pub fn to_graphql_error(&self) -> graphql::Error {
        graphql::Error::coded(self.to_string(), self.code())
    }
}

/// Reads and decodes a POST body sent with `headers`.
pub async fn read(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    batching: &BatchingConfig,
) -> Result<Decoded, BodyError> {
    if !is_json_content(headers) {
        return Err(BodyError::NotJson);
    }
    let bytes = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.downcast_ref::<LengthLimitError>().is_some() => {
            return Err(BodyError::TooLarge { limit });
        }
        Err(err) => return Err(BodyError::Unreadable(err.to_string())),
    };
    decode(&bytes, batching)
}

fn names_persisted_query(request: &graphql::Request) -> bool {
    request
        .extensions
        .as_ref()
        .is_some_and(|e| e.contains_key("persistedQuery"))
}

/// Decodes a whole body.
pub fn decode(bytes: &[u8], batching: &BatchingConfig) -> Result<Decoded, BodyError> {
    let Some(first) = bytes.iter().find(|b| !b.is_ascii_whitespace()) else {
        return Err(BodyError::Empty);
    };
    let malformed = |err: serde_json::Error| BodyError::Malformed(err.to_string());
    if *first != b'[' {
        let request: graphql::Request = serde_json::from_slice(bytes).map_err(malformed)?;
        // A persisted query may come without its text.
        if request.query.is_none() && !names_persisted_query(&request) {
            return Err(BodyError::MissingQuery);
        }
        return Ok(Decoded::One(request));
    }
    if !batching.enabled {
        return Err(BodyError::BatchingOff);
    }
    let requests: Vec<graphql::Request> = serde_json::from_slice(bytes).map_err(malformed)?;
    if requests.is_empty() {
        return Err(BodyError::EmptyBatch);
    }
    if requests.len() > batching.max_operations {
        return Err(BodyError::BatchTooLarge {
            size: requests.len(),
            max: batching.max_operations,
        });
    }
    Ok(Decoded::Batch(requests))
}

pub fn is_json_content(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|kind| kind.trim().eq_ignore_ascii_case("application/json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(max_operations: usize) -> BatchingConfig {
        BatchingConfig {
            enabled: true,
            max_operations,
        }
    }

    #[test]
    fn one_request_or_a_batch() {
        let one = decode(br#" {"query": "{ a }"}"#, &BatchingConfig::default()).unwrap();
        assert!(matches!(one, Decoded::One(r) if r.query.as_deref() == Some("{ a }")));
        let batch = decode(br#"[{"query": "{ a }"}, {"query": "{ b }"}]"#, &on(2)).unwrap();
        assert!(matches!(batch, Decoded::Batch(b) if b.len() == 2));
    }

    #[test]
    fn batches_are_refused_when_off_empty_or_past_the_limit() {
        let two = br#"[{"query": "{ a }"}, {"query": "{ b }"}]"#;
        let refused = |bytes: &[u8], config: &BatchingConfig| decode(bytes, config).unwrap_err();
        assert_eq!(
            refused(two, &BatchingConfig::default()),
            BodyError::BatchingOff
        );
        assert_eq!(refused(b"[]", &on(2)), BodyError::EmptyBatch);
        let err = refused(two, &on(1));
        assert_eq!(err, BodyError::BatchTooLarge { size: 2, max: 1 });
        assert_eq!(err.code(), MAX_BATCH_EXCEEDED);
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        assert!(matches!(refused(b"[1]", &on(2)), BodyError::Malformed(_)));
    }

    #[test]
    fn bad_bodies_have_their_codes() {
        let off = BatchingConfig::default();
        assert_eq!(decode(b"  ", &off).unwrap_err(), BodyError::Empty);
        assert_eq!(decode(b"{}", &off).unwrap_err().code(), MISSING_QUERY);
        assert_eq!(decode(b"{", &off).unwrap_err().code(), BAD_REQUEST);
        assert_eq!(decode(&[0xff, 0xfe], &off).unwrap_err().code(), BAD_REQUEST);
        let large = BodyError::TooLarge { limit: 1 };
        assert_eq!(
            (large.status(), large.code()),
            (StatusCode::PAYLOAD_TOO_LARGE, REQUEST_TOO_LARGE)
        );
    }
}
