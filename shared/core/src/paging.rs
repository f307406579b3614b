//! Cursor pagination for the list endpoints: `?limit=` (default 50, at most
//! 200) and `?cursor=`, answered with `next_cursor` (absent at the end).
//!
//! A cursor is opaque to clients: the base64url (no padding) of the last
//! listed item's sort key in the store. Lists read one item more than the
//! page to know whether another page follows.

use crate::problem::Problem;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Items a page holds when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 50;
/// The most a page holds.
pub const MAX_LIMIT: usize = 200;
/// The longest sort key a cursor may carry.
const MAX_KEY: usize = 512;

/// What a client asked for: the page size and where to resume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: usize,
    /// The sort key of the last item of the previous page.
    pub after: Option<String>,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            after: None,
        }
    }
}

impl PageRequest {
    /// `limit` and `cursor` from a query string's pairs (other keys are the
    /// caller's to check): `400 invalid_limit` / `400 invalid_cursor`.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, Problem> {
        let mut page = Self::default();
        for (k, v) in pairs {
            match k {
                "limit" => {
                    page.limit = v
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=MAX_LIMIT).contains(n))
                        .ok_or_else(|| {
                            Problem::bad_request(
                                "invalid_limit",
                                format!("limit is a number from 1 to {MAX_LIMIT}"),
                            )
                        })?;
                }
                "cursor" => page.after = Some(decode(v)?),
                _ => {}
            }
        }
        Ok(page)
    }

    /// How many items to read: one more than the page, to know whether
    /// another follows.
    pub fn read(&self) -> usize {
        self.limit + 1
    }
}

/// The cursor of a sort key.
pub fn encode(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

/// `400 invalid_cursor`: a cursor this server did not give.
pub fn invalid_cursor() -> Problem {
    Problem::bad_request(
        "invalid_cursor",
        "cursor is not one this server gave; use next_cursor as it came",
    )
}

/// The sort key of a cursor: `400 invalid_cursor` unless this server made it.
pub fn decode(cursor: &str) -> Result<String, Problem> {
    let invalid = invalid_cursor;
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let key = String::from_utf8(bytes).map_err(|_| invalid())?;
    if key.is_empty() || key.len() > MAX_KEY || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid());
    }
    Ok(key)
}

/// Cut a list read with `PageRequest::read` to the page, with the cursor of
/// its last item when more follow.
pub fn page<T>(
    mut items: Vec<T>,
    req: &PageRequest,
    key: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    if items.len() <= req.limit {
        return (items, None);
    }
    items.truncate(req.limit);
    let next = items.last().map(|i| encode(&key(i)));
    (items, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_strangers_are_refused() {
        let key = "00000001764000000000#c-1";
        assert_eq!(decode(&encode(key)).unwrap(), key);
        for bad in ["%%%", "", "AA", &URL_SAFE_NO_PAD.encode([0xff, 0xfe])] {
            assert_eq!(decode(bad).unwrap_err().code, "invalid_cursor", "{bad}");
        }
    }

    #[test]
    fn a_page_names_the_next_only_when_more_follow() {
        let req = PageRequest {
            limit: 2,
            after: None,
        };
        let (items, next) = page(vec![1, 2, 3], &req, |i| i.to_string());
        assert_eq!((items, next), (vec![1, 2], Some(encode("2"))));
        let (items, next) = page(vec![1, 2], &req, |i| i.to_string());
        assert_eq!((items, next), (vec![1, 2], None));
    }

    #[test]
    fn limits_are_checked() {
        assert!(PageRequest::from_pairs([("limit", "0")]).is_err());
        assert!(PageRequest::from_pairs([("limit", "201")]).is_err());
        assert_eq!(
            PageRequest::from_pairs([("limit", "200")]).unwrap().limit,
            200
        );
        assert_eq!(PageRequest::from_pairs([]).unwrap().limit, 50);
    }
}
