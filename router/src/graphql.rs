//! GraphQL-over-HTTP wire types: what clients send the router, what the router
//! sends subgraphs, and the responses both ways.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub type JsonMap = Map<String, Value>;

/// A client's request, from a POST body or GET query parameters.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    pub operation_name: Option<String>,
    #[serde(default)]
    pub variables: Option<JsonMap>,
    #[serde(default)]
    pub extensions: Option<JsonMap>,
}

/// A GraphQL response. `data: None` leaves the key out (a request error);
/// `Some(Value::Null)` is an execution that nulled the root.
///
/// The executor writes `data` straight to JSON text (`raw_data`) rather than
/// building a second tree of values; a response holds one or the other.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Response {
    #[serde(default)]
    pub data: Option<Value>,
    /// `data` already serialized by the executor.
    #[serde(skip)]
    pub raw_data: Option<RawData>,
    #[serde(default)]
    pub errors: Vec<Error>,
    #[serde(default)]
    pub extensions: JsonMap,
}

impl Serialize for Response {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeMap};
        let mut map = serializer.serialize_map(None)?;
        if let Some(raw) = &self.raw_data {
            let raw: &serde_json::value::RawValue =
                serde_json::from_slice(raw.json()).map_err(S::Error::custom)?;
            map.serialize_entry("data", raw)?;
        } else if let Some(data) = &self.data {
            map.serialize_entry("data", data)?;
        }
        if !self.errors.is_empty() {
            map.serialize_entry("errors", &self.errors)?;
        }
        if !self.extensions.is_empty() {
            map.serialize_entry("extensions", &self.extensions)?;
        }
        map.end()
    }
}

impl Response {
    /// True unless this is a request error (no `data` key at all).
    pub fn has_data(&self) -> bool {
        self.data.is_some() || self.raw_data.is_some()
    }

    /// `data` as a value tree, parsing `raw_data` if that is how it is held.
    pub fn into_value_data(mut self) -> Self {
        if let Some(raw) = self.raw_data.take() {
            self.data = Some(serde_json::from_slice(raw.json()).unwrap_or(Value::Null));
        }
        self
    }

    /// The response as JSON bytes. Executor-written `data` is finished in its
    /// own buffer: no parse, no copy.
    pub fn into_json_bytes(self) -> Vec<u8> {
        let Some(raw) = self.raw_data else {
            return serde_json::to_vec(&self).unwrap_or_else(|_| b"{\"data\":null}".to_vec());
        };
        let mut out = raw.buf;
        if !self.errors.is_empty() {
            out.extend_from_slice(b",\"errors\":");
            if serde_json::to_writer(&mut out, &self.errors).is_err() {
                out.extend_from_slice(b"[]");
            }
        }
        if !self.extensions.is_empty() {
            out.extend_from_slice(b",\"extensions\":");
            if serde_json::to_writer(&mut out, &self.extensions).is_err() {
                out.extend_from_slice(b"{}");
            }
        }
        out.push(b'}');
        out
    }

    /// A request error: no `data` key at all.
    pub fn request_error(error: Error) -> Self {
        Response {
            data: None,
            raw_data: None,
            errors: vec![error],
            extensions: JsonMap::new(),
        }
    }
}

/// `data` written as JSON text by the executor, in a buffer that already
/// starts the response body (`{"data":`), so the body is finished in place.
#[derive(Debug, Clone)]
pub struct RawData {
    buf: Vec<u8>,
}

impl RawData {
    const PREFIX: &'static [u8] = b"{\"data\":";

    /// A buffer to write `data` into, with room for about `capacity` bytes.
    pub fn buffer(capacity: usize) -> Vec<u8> {
        let mut buf = Vec::with_capacity(Self::PREFIX.len() + capacity + 256);
        buf.extend_from_slice(Self::PREFIX);
        buf
    }

    /// Wraps a [`RawData::buffer`] into which one JSON value was written.
    pub fn new(buf: Vec<u8>) -> Self {
        debug_assert!(buf.starts_with(Self::PREFIX));
        RawData { buf }
    }

    /// The `data` JSON.
    pub fn json(&self) -> &[u8] {
        &self.buf[Self::PREFIX.len()..]
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Error {
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<PathSegment>>,
    #[serde(default, skip_serializing_if = "JsonMap::is_empty")]
    pub extensions: JsonMap,
}

impl Error {
    /// An error with a message and an `extensions.code`.
    pub fn coded(message: impl Into<String>, code: &str) -> Self {
        let mut extensions = JsonMap::new();
        extensions.insert("code".into(), Value::String(code.into()));
        Error {
            message: message.into(),
            locations: Vec::new(),
            path: None,
            extensions,
        }
    }

    /// An apollo-compiler diagnostic as a response error with `code`.
    pub fn from_compiler(error: apollo_compiler::response::GraphQLError, code: &str) -> Self {
        let mut converted = Error::coded(error.message, code);
        converted.locations = error
            .locations
            .iter()
            .map(|l| Location {
                line: l.line,
                column: l.column,
            })
            .collect();
        for (key, value) in error.extensions {
            let value = serde_json::to_value(&value).unwrap_or_default();
            converted.extensions.insert(key.as_str().to_owned(), value);
        }
        converted
    }

    pub fn with_path(mut self, path: Vec<PathSegment>) -> Self {
        self.path = Some(path);
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathSegment {
    Index(usize),
    Key(String),
}
