//! The response tree subgraph answers are parsed and merged into.
//!
//! Why not `serde_json::Value`: its objects are hash maps (a table, a key
//! `String` and a hash per field), and parsing, merging and reading them was
//! most of the router's CPU per request. Here strings and keys borrow from
//! the subgraph's response body wherever they need no unescaping, and objects
//! are small vectors searched linearly: response objects have few fields, and
//! for few fields a scan beats hashing. The executor keeps every body alive
//! for as long as the tree that borrows from it.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

/// A JSON value that borrows its strings from the text it was parsed from.
#[derive(Debug, Clone, Default)]
pub enum Node<'a> {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    /// A string that had no escapes in the JSON text it comes from, so it
    /// needs none when written back: it is copied as it is.
    Verbatim(&'a str),
    /// Any other string, unescaped; escaped again when written.
    String(String),
    List(Vec<Node<'a>>),
    Object(Object<'a>),
}

impl PartialEq for Node<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Node::Null, Node::Null) => true,
            (Node::Bool(a), Node::Bool(b)) => a == b,
            (Node::Number(a), Node::Number(b)) => a == b,
            (Node::List(a), Node::List(b)) => a == b,
            (Node::Object(a), Node::Object(b)) => a == b,
            (a, b) => a.as_str().is_some() && a.as_str() == b.as_str(),
        }
    }
}

/// A JSON object: fields in their order, looked up by a linear scan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Object<'a> {
    fields: Vec<(Cow<'a, str>, Node<'a>)>,
}

impl<'a> Node<'a> {
    pub fn is_null(&self) -> bool {
        matches!(self, Node::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Verbatim(s) => Some(s),
            Node::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Object<'a>> {
        match self {
            Node::Object(object) => Some(object),
            _ => None,
        }
    }

    /// A field of an object; `None` for anything else.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.as_object().and_then(|o| o.get(key))
    }

    /// Parses JSON text, borrowing from it.
    pub fn parse(text: &'a [u8]) -> Result<Self, serde_json::Error> {
        let mut deserializer = serde_json::Deserializer::from_slice(text);
        let node = NodeSeed(&mut Scratch::default()).deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(node)
    }

    /// Converts to an owned `serde_json::Value` (tests and tools, not the hot path).
    pub fn to_value(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n) => Value::Number(n.clone()),
            Node::Verbatim(s) => Value::String((*s).to_owned()),
            Node::String(s) => Value::String(s.clone()),
            Node::List(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            Node::Object(object) => Value::Object(
                object
                    .iter()
                    .map(|(k, v)| (k.to_owned(), v.to_value()))
                    .collect(),
            ),
        }
    }

    /// Writes the value as JSON text.
    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            Node::Null => out.extend_from_slice(b"null"),
            Node::Bool(true) => out.extend_from_slice(b"true"),
            Node::Bool(false) => out.extend_from_slice(b"false"),
            Node::Number(n) => {
                // Writing to a Vec cannot fail.
                let _ = serde_json::to_writer(&mut *out, n);
            }
            Node::Verbatim(s) => {
                out.push(b'"');
                out.extend_from_slice(s.as_bytes());
                out.push(b'"');
            }
            Node::String(s) => write_str(out, s),
            Node::List(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write(out);
                }
                out.push(b']');
            }
            Node::Object(object) => {
                out.push(b'{');
                for (i, (key, value)) in object.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_str(out, key);
                    out.push(b':');
                    value.write(out);
                }
                out.push(b'}');
            }
        }
    }
}

/// Writes `s` as a JSON string, escaped.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    // Writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

impl<'a> Object<'a> {
    pub fn new() -> Self {
        Object { fields: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Like [`Object::get`], scanning from field `start` on (then wrapping
    /// around), and returning the position found. Reading fields in the
    /// order they were written, as the response writer mostly does, makes
    /// every lookup hit on its first comparison.
    pub fn find_from(&self, key: &str, start: usize) -> Option<(usize, &Node<'a>)> {
        let start = start.min(self.fields.len());
        let (before, after) = self.fields.split_at(start);
        after
            .iter()
            .position(|(k, _)| k == key)
            .map(|i| start + i)
            .or_else(|| before.iter().position(|(k, _)| k == key))
            .map(|i| (i, &self.fields[i].1))
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node<'a>> {
        self.fields
            .iter_mut()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Sets `key`, in place if it is there, else at the end.
    pub fn insert(&mut self, key: impl Into<Cow<'a, str>>, value: Node<'a>) {
        let key = key.into();
        match self.get_mut(&key) {
            Some(slot) => *slot = value,
            None => self.fields.push((key, value)),
        }
    }

    /// Removes `key`, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Node<'a>> {
        let at = self.fields.iter().position(|(k, _)| k == key)?;
        Some(self.fields.remove(at).1)
    }

    /// Gives the field `from` the key `to`, in place. When `to` is already
    /// there (both were answered for one object: say one selected on an
    /// interface and one under a type condition), `from` is taken out and
    /// returned for the caller to merge into it.
    #[must_use]
    pub fn rename(&mut self, from: &str, to: &str) -> Option<Node<'a>> {
        let at = self.fields.iter().position(|(k, _)| k == from)?;
        if self.fields.iter().any(|(k, _)| k == to) {
            Some(self.fields.remove(at).1)
        } else {
            self.fields[at].0 = Cow::Owned(to.to_owned());
            None
        }
    }

    /// Appends without looking for `key`: for building objects known to lack it.
    pub fn push(&mut self, key: Cow<'a, str>, value: Node<'a>) {
        self.fields.push((key, value));
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node<'a>)> {
        self.fields.iter().map(|(k, v)| (k.as_ref(), v))
    }
}

impl<'a> IntoIterator for Object<'a> {
    type Item = (Cow<'a, str>, Node<'a>);
    type IntoIter = std::vec::IntoIter<(Cow<'a, str>, Node<'a>)>;

    fn into_iter(self) -> Self::IntoIter {
        self.fields.into_iter()
    }
}

/// Buffers reused while parsing one document: an object's fields (a list's
/// items) are gathered here and then moved into a vector of exactly their
/// number, so each object or list costs one allocation, not a series of
/// regrowths.
#[derive(Default)]
pub(crate) struct Scratch<'a> {
    fields: Vec<(Cow<'a, str>, Node<'a>)>,
    items: Vec<Node<'a>>,
}

/// Parses one value with the [`Scratch`] buffers. Only for serde_json's
/// text readers: `Verbatim` relies on them lending a string only when it had
/// no escapes and no control characters, which a `Value` deserializer would
/// not guarantee.
pub(crate) struct NodeSeed<'s, 'a>(pub &'s mut Scratch<'a>);

impl<'de: 'a, 'a> DeserializeSeed<'de> for NodeSeed<'_, 'a> {
    type Value = Node<'a>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node<'a>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for NodeSeed<'_, 'a> {
    type Value = Node<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node<'a>, E> {
        Ok(Node::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node<'a>, E> {
        Ok(Node::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Node<'a>, E> {
        Ok(Node::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Node<'a>, E> {
        Ok(Number::from_f64(v).map_or(Node::Null, Node::Number))
    }

    /// serde_json lends a string only when it had no escapes (and it
    /// rejects raw control characters), so a lent string is verbatim-safe.
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Node<'a>, E> {
        Ok(Node::Verbatim(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Node<'a>, E> {
        Ok(Node::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Node<'a>, E> {
        Ok(Node::String(v))
    }

    fn visit_unit<E>(self) -> Result<Node<'a>, E> {
        Ok(Node::Null)
    }

    fn visit_none<E>(self) -> Result<Node<'a>, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node<'a>, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'a>, A::Error> {
        let scratch = self.0;
        let start = scratch.items.len();
        while let Some(item) = seq.next_element_seed(NodeSeed(&mut *scratch))? {
            scratch.items.push(item);
        }
        Ok(Node::List(scratch.items.drain(start..).collect()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'a>, A::Error> {
        let scratch = self.0;
        let start = scratch.fields.len();
        // A cheap filter for repeated keys: one bit per (length, first and
        // last byte). Distinct keys rarely share a bit, so the exact check
        // below almost never runs.
        let (mut seen, mut maybe_repeated) = (0u64, false);
        while let Some(Key(key)) = map.next_key()? {
            let bytes = key.as_bytes();
            let sketch = bytes.len()
                ^ (bytes.first().copied().unwrap_or(0) as usize).wrapping_mul(31)
                ^ (bytes.last().copied().unwrap_or(0) as usize).wrapping_mul(131);
            let bit = 1u64 << (sketch % 64);
            maybe_repeated |= seen & bit != 0;
            seen |= bit;
            let value = map.next_value_seed(NodeSeed(&mut *scratch))?;
            scratch.fields.push((key, value));
        }
        let mut fields: Vec<(Cow<'a, str>, Node<'a>)> = scratch.fields.drain(start..).collect();
        if maybe_repeated {
            collapse_duplicates(&mut fields);
        }
        Ok(Node::Object(Object { fields }))
    }
}

/// A key given twice keeps its first position and its last value, as
/// serde_json's own map does, so every reader sees one value per key.
fn collapse_duplicates(fields: &mut Vec<(Cow<'_, str>, Node<'_>)>) {
    let has_duplicates = if fields.len() <= 16 {
        (1..fields.len()).any(|i| fields[..i].iter().any(|(k, _)| *k == fields[i].0))
    } else {
        let mut seen = std::collections::HashSet::with_capacity(fields.len());
        !fields.iter().all(|(k, _)| seen.insert(k.as_ref()))
    };
    if !has_duplicates {
        return;
    }
    let mut kept: Vec<(Cow<'_, str>, Node<'_>)> = Vec::with_capacity(fields.len());
    let mut at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (key, value) in fields.drain(..) {
        match at.get(key.as_ref()) {
            Some(&i) => kept[i].1 = value,
            None => {
                at.insert(key.to_string(), kept.len());
                kept.push((key, value));
            }
        }
    }
    *fields = kept;
}

/// An object key, borrowed when it needs no unescaping.
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for KeyVisitor<'a> {
            type Value = Key<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn parses_borrowing_and_writes_back_the_same_json() {
        let text = br#"{"a":[1,-2,3.5,true,null],"b":{"c":"plain","d":"esc\"aped \u00e9"},"e":{}}"#;
        let node = Node::parse(text).unwrap();
        let Some(Node::Verbatim(plain)) = node.get("b").and_then(|b| b.get("c")) else {
            panic!("plain strings borrow from the text");
        };
        assert_eq!(*plain, "plain");
        assert_eq!(
            node.get("b").unwrap().get("d").unwrap().as_str(),
            Some("esc\"aped é")
        );
        let mut out = Vec::new();
        node.write(&mut out);
        let reparsed: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(reparsed, serde_json::from_slice::<Value>(text).unwrap());
        assert_eq!(node.to_value(), reparsed);
    }

    #[test]
    fn objects_keep_field_order_and_replace_in_place() {
        let mut object = Object::new();
        object.insert("z", Node::Bool(true));
        object.insert("a", Node::Null);
        object.insert("z", Node::Bool(false));
        assert_eq!(
            Node::Object(object.clone()).to_value().to_string(),
            json!({"z": false, "a": null}).to_string()
        );
        assert_eq!(object.find_from("z", 1).map(|(i, _)| i), Some(0));
        assert_eq!(object.find_from("a", 1).map(|(i, _)| i), Some(1));
        assert_eq!(object.find_from("a", 9).map(|(i, _)| i), Some(1));
        assert!(object.find_from("b", 0).is_none());
        assert_eq!(object.remove("z"), Some(Node::Bool(false)));
        assert_eq!(object.len(), 1);
        assert!(object.get("z").is_none());
    }

    #[test]
    fn rejects_invalid_and_too_deep_json() {
        assert!(Node::parse(b"{\"a\":").is_err());
        assert!(Node::parse(b"nope").is_err());
        assert!(Node::parse(b"\"raw \x01 control\"").is_err());
    }

    #[test]
    fn a_key_given_twice_keeps_its_place_and_its_last_value() {
        let node = Node::parse(br#"{"id":"1","name":"x","id":"2"}"#).unwrap();
        assert_eq!(node.to_value(), json!({"id": "2", "name": "x"}));
        let object = node.as_object().unwrap();
        assert_eq!(object.len(), 2);
        assert_eq!(object.find_from("id", 1).map(|(i, _)| i), Some(0));
        let many: String = (0..40).map(|i| format!("\"k{i}\":{i},")).collect();
        let text = format!("{{{many}\"k3\":\"last\"}}");
        let node = Node::parse(text.as_bytes()).unwrap();
        assert_eq!(node.as_object().unwrap().len(), 40);
        assert_eq!(node.get("k3").and_then(Node::as_str), Some("last"));
        let deep = "[".repeat(10_000);
        assert!(Node::parse(deep.as_bytes()).is_err(), "no stack overflow");
    }
}
