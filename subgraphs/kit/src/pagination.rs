//! Validated `first`/`after` arguments for cursor-paginated lists.

use crate::cursor;

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error("first must be between 1 and {MAX_PAGE_SIZE}, got {0}")]
    BadSize(i64),
    #[error("after is not a cursor this API issued")]
    BadCursor,
}

/// A page request: how many rows, starting after which sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub first: u64,
    pub after: Option<String>,
}

impl PageRequest {
    pub fn parse(first: Option<i32>, after: Option<&str>) -> Result<Self, PageError> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n >= 1 && (n as u64) <= MAX_PAGE_SIZE => n as u64,
            Some(n) => return Err(PageError::BadSize(i64::from(n))),
        };
        let after = match after {
            None => None,
            Some(c) => Some(cursor::decode(c).ok_or(PageError::BadCursor)?),
        };
        Ok(PageRequest { first, after })
    }

    /// Rows to fetch: one more than asked, to learn whether a next page exists.
    pub fn fetch_limit(&self) -> u64 {
        self.first + 1
    }
}

/// One page of rows plus whether more follow.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
}

impl<T> Page<T> {
    /// Trims the extra row fetched by [`PageRequest::fetch_limit`].
    pub fn from_overfetch(mut rows: Vec<T>, request: &PageRequest) -> Self {
        let has_next_page = rows.len() as u64 > request.first;
        rows.truncate(request.first as usize);
        Page {
            items: rows,
            has_next_page,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(
            PageRequest::parse(None, None).unwrap().first,
            DEFAULT_PAGE_SIZE
        );
        assert_eq!(
            PageRequest::parse(Some(0), None),
            Err(PageError::BadSize(0))
        );
        assert_eq!(
            PageRequest::parse(Some(101), None),
            Err(PageError::BadSize(101))
        );
        assert_eq!(
            PageRequest::parse(Some(-5), None),
            Err(PageError::BadSize(-5))
        );
        assert_eq!(
            PageRequest::parse(Some(1), Some("junk")),
            Err(PageError::BadCursor)
        );
    }

    #[test]
    fn overfetch_reveals_next_page() {
        let req = PageRequest::parse(Some(2), None).unwrap();
        let page = Page::from_overfetch(vec![1, 2, 3], &req);
        assert_eq!(page.items, vec![1, 2]);
        assert!(page.has_next_page);
        let page = Page::from_overfetch(vec![1, 2], &req);
        assert!(!page.has_next_page);
    }
}
