//! A `representations` list being written: JSON text built straight from
//! the data, each distinct representation once. Equal representations are
//! found by comparing the written bytes (hashed first), so nothing is
//! parsed or built twice; lists of several fetches merge the same way.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::ops::Range;

use foldhash::fast::RandomState;

pub struct RepList {
    /// `[` and the items so far, comma-separated; `]` is added at the end.
    text: Vec<u8>,
    items: Vec<Range<usize>>,
    /// Item indices by the hash of their text.
    seen: HashMap<u64, Vec<usize>, RandomState>,
    hasher: RandomState,
}

/// Where an item being written started (see [`RepList::begin`]).
pub struct Mark {
    before: usize,
    start: usize,
}

impl RepList {
    pub fn with_capacity(items: usize) -> Self {
        let mut text = Vec::with_capacity(64 * items + 2);
        text.push(b'[');
        RepList {
            text,
            items: Vec::with_capacity(items),
            seen: HashMap::default(),
            hasher: RandomState::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Starts an item: write it into [`RepList::buffer`], then [`RepList::end`]
    /// or [`RepList::abandon`] it.
    pub fn begin(&mut self) -> Mark {
        let before = self.text.len();
        if !self.items.is_empty() {
            self.text.push(b',');
        }
        Mark {
            before,
            start: self.text.len(),
        }
    }

    pub fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.text
    }

    /// Drops a partly written item.
    pub fn abandon(&mut self, mark: Mark) {
        self.text.truncate(mark.before);
    }

    /// Ends the item begun at `mark`: its index, or the index of the equal
    /// item written before (and this one is dropped).
    pub fn end(&mut self, mark: Mark) -> usize {
        let Mark { before, start } = mark;
        let hash = self.hasher.hash_one(&self.text[start..]);
        let candidates = self.seen.entry(hash).or_default();
        if let Some(&i) = candidates
            .iter()
            .find(|&&i| self.text[self.items[i].clone()] == self.text[start..])
        {
            self.text.truncate(before);
            return i;
        }
        self.items.push(start..self.text.len());
        candidates.push(self.items.len() - 1);
        self.items.len() - 1
    }

    /// Adds an item already written elsewhere; its index here.
    pub fn push(&mut self, item: &[u8]) -> usize {
        let mark = self.begin();
        self.text.extend_from_slice(item);
        self.end(mark)
    }

    pub fn item(&self, i: usize) -> &[u8] {
        self.items.get(i).map_or(&[], |r| &self.text[r.clone()])
    }

    /// The list as JSON text.
    pub fn into_json(mut self) -> String {
        self.text.push(b']');
        // Only valid UTF-8 was written: names and serde_json's own output.
        String::from_utf8(self.text).unwrap_or_else(|_| "[]".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(list: &mut RepList, item: &str) -> usize {
        let mark = list.begin();
        list.buffer().extend_from_slice(item.as_bytes());
        list.end(mark)
    }

    #[test]
    fn equal_items_are_written_once_and_share_an_index() {
        let mut list = RepList::with_capacity(4);
        assert_eq!(write(&mut list, r#"{"id":"1"}"#), 0);
        assert_eq!(write(&mut list, r#"{"id":"2"}"#), 1);
        assert_eq!(write(&mut list, r#"{"id":"1"}"#), 0);
        let abandoned = list.begin();
        list.buffer().extend_from_slice(b"{\"id\":");
        list.abandon(abandoned);
        assert_eq!(list.len(), 2);
        assert_eq!(list.into_json(), r#"[{"id":"1"},{"id":"2"}]"#);
    }

    #[test]
    fn lists_merge_without_repeating_items() {
        let mut a = RepList::with_capacity(2);
        write(&mut a, "1");
        write(&mut a, "2");
        let mut b = RepList::with_capacity(2);
        write(&mut b, "3");
        write(&mut b, "1");
        let remap: Vec<usize> = (0..b.len()).map(|i| a.push(b.item(i))).collect();
        assert_eq!(remap, vec![2, 0]);
        assert_eq!(a.into_json(), "[1,2,3]");
    }
}
