//! A subgraph's HTTP answer read as a GraphQL response. The data is parsed
//! into the executor's [`Node`] tree, borrowing from the body; errors are few
//! and small, so they are owned.

use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

use super::tree::{Node, NodeSeed, Scratch};
use crate::graphql::Error;
use crate::transport::TransportError;

/// A subgraph's GraphQL response.
#[derive(Debug, Default)]
pub struct Answer<'a> {
    pub data: Option<Node<'a>>,
    pub errors: Vec<Error>,
}

/// Reads `body`, answered with HTTP `status` by `subgraph`. A body that is a
/// GraphQL response counts whatever the status (a 400 may carry errors);
/// anything else is a transport failure.
pub fn read<'a>(subgraph: &str, status: u16, body: &'a [u8]) -> Result<Answer<'a>, TransportError> {
    match parse(body) {
        Ok((data, errors)) if data.is_some() || errors.as_ref().is_some_and(|e| !e.is_empty()) => {
            Ok(Answer {
                data,
                errors: errors.unwrap_or_default(),
            })
        }
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

type Parts<'a> = (Option<Node<'a>>, Option<Vec<Error>>);

fn parse(body: &[u8]) -> Result<Parts<'_>, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let parts = deserializer.deserialize_map(Envelope(Scratch::default()))?;
    deserializer.end()?;
    Ok(parts)
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Field {
    Data,
    Errors,
    #[serde(other)]
    Other,
}

/// `{"data": …, "errors": […], …}`: data into the tree (`null` is none),
/// errors owned, anything else skipped.
struct Envelope<'a>(Scratch<'a>);

impl<'de: 'a, 'a> Visitor<'de> for Envelope<'a> {
    type Value = Parts<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GraphQL response object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Parts<'a>, A::Error> {
        let (mut data, mut errors) = (None, None);
        while let Some(field) = map.next_key()? {
            match field {
                Field::Data => {
                    data = Some(map.next_value_seed(NodeSeed(&mut self.0))?)
                        .filter(|d: &Node| !d.is_null());
                }
                Field::Errors => errors = map.next_value::<Option<Vec<Error>>>()?,
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((data, errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphql_bodies_count_whatever_the_status() {
        let ok = read("a", 200, br#"{"data":{"x":1},"extensions":{"y":[2]}}"#).unwrap();
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
        for body in [
            &b"hello"[..],
            b"{}",
            b"[1]",
            br#"{"data":{}} trailing"#,
            br#"{"errors":[]}"#,
            br#"{"data":null,"errors":[]}"#,
        ] {
            let invalid = read("a", 200, body).unwrap_err();
            assert!(
                matches!(invalid, TransportError::InvalidResponse { .. }),
                "{invalid:?}"
            );
        }
    }
}
