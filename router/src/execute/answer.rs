//! A subgraph's HTTP answer read as a GraphQL response. The data is parsed
//! into the executor's [`Node`] tree, borrowing from the body; errors are few
//! and small, so they are owned.

use serde::Deserialize;

use super::tree::Node;
use crate::graphql::Error;
use crate::transport::TransportError;

/// A subgraph's GraphQL response.
#[derive(Debug, Default)]
pub struct Answer<'a> {
    pub data: Option<Node<'a>>,
    pub errors: Vec<Error>,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    data: Option<Node<'a>>,
    #[serde(default)]
    errors: Option<Vec<Error>>,
}

/// Reads `body`, answered with HTTP `status` by `subgraph`. A body that is a
/// GraphQL response counts whatever the status (a 400 may carry errors);
/// anything else is a transport failure.
pub fn read<'a>(subgraph: &str, status: u16, body: &'a [u8]) -> Result<Answer<'a>, TransportError> {
    match serde_json::from_slice::<Envelope<'a>>(body) {
        Ok(envelope) if envelope.data.is_some() || envelope.errors.is_some() => Ok(Answer {
            data: envelope.data,
            errors: envelope.errors.unwrap_or_default(),
        }),
        _ if !(200..300).contains(&status) => Err(TransportError::Status {
            subgraph: subgraph.to_owned(),
            status,
        }),
        Ok(_) => Err(TransportError::InvalidResponse {
            subgraph: subgraph.to_owned(),
            reason: "the response has neither data nor errors".into(),
        }),
        Err(err) => Err(TransportError::InvalidResponse {
            subgraph: subgraph.to_owned(),
            reason: err.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphql_bodies_count_whatever_the_status() {
        let ok = read("a", 200, br#"{"data":{"x":1},"extensions":{"y":2}}"#).unwrap();
        assert_eq!(ok.data.unwrap().get("x"), Some(&Node::Number(1.into())));
        let errors = read("a", 400, br#"{"errors":[{"message":"bad"}]}"#).unwrap();
        assert_eq!(errors.errors[0].message, "bad");
        assert!(errors.data.is_none());
        let null_data = read("a", 200, br#"{"data":null,"errors":[{"message":"x"}]}"#).unwrap();
        assert!(null_data.data.is_none());
    }

    #[test]
    fn anything_else_is_a_transport_failure() {
        let status = read("a", 502, b"oops").unwrap_err();
        assert!(
            matches!(status, TransportError::Status { status: 502, .. }),
            "{status:?}"
        );
        let invalid = read("a", 200, b"hello").unwrap_err();
        assert!(
            matches!(invalid, TransportError::InvalidResponse { .. }),
            "{invalid:?}"
        );
        let empty = read("a", 200, b"{}").unwrap_err();
        assert!(
            matches!(empty, TransportError::InvalidResponse { .. }),
            "{empty:?}"
        );
    }
}
