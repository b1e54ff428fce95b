//! Opaque pagination cursors.
//!
//! A cursor wraps the sort key of the last row a client saw. Clients must treat
//! it as opaque; encoding it keeps them from building their own.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

const PREFIX: &str = "c1:";

pub fn encode(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{PREFIX}{key}"))
}

/// Returns the key inside a cursor, or `None` when the cursor is not one of ours.
pub fn decode(cursor: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.as_bytes()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix(PREFIX).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let c = encode("0192f0c4-aaaa");
        assert_eq!(decode(&c).as_deref(), Some("0192f0c4-aaaa"));
    }

    #[test]
    fn rejects_foreign_cursors() {
        assert_eq!(decode("not base64!"), None);
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode("x")), None);
    }
}
