//! Keyset (cursor) pagination shared by every list endpoint.
//!
//! A list is ordered by a unique sort key. The cursor handed to the client is
//! base64url (no padding) of `{"k": <last sort key of the page>}`; the next page is the
//! rows whose key is greater than it. Unlike offsets, this is stable under inserts.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::json_body::from_json_object;
use crate::validation::{FieldCode, ValidationError};

/// Page size when the client gives none.
pub const DEFAULT_LIMIT: u32 = 20;
/// Largest page size a client may ask for.
pub const MAX_LIMIT: u32 = 100;
/// Longest cursor accepted, in characters (real cursors are far shorter).
pub const MAX_CURSOR_CHARS: usize = 1024;

/// One page request: how many items, and after which sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<K> {
    /// Number of items to return, `1..=MAX_LIMIT`.
    pub limit: u32,
    /// Return only items whose sort key is greater than this (from the cursor).
    pub after: Option<K>,
}

/// A query string that does not describe a valid page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    /// `limit` is not an integer in `1..=MAX_LIMIT`.
    #[error(transparent)]
    Limit(ValidationError),
    /// `cursor` is not one this service issued.
    #[error(transparent)]
    Cursor(#[from] CursorError),
}

/// Why a cursor could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    /// Longer than [`MAX_CURSOR_CHARS`].
    #[error("cursor is too long")]
    TooLong,
    /// Not base64url without padding.
    #[error("cursor is not base64url")]
    NotBase64,
    /// Decodes, but not to `{"k": <sort key>}` of the expected type.
    #[error("cursor is malformed")]
    Malformed,
}

#[derive(Serialize)]
struct CursorOut<'a, K> {
    k: &'a K,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CursorIn<K> {
    k: K,
}

/// Encodes a sort key as an opaque cursor.
pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    // Serialising a plain key into JSON cannot fail (no maps with non-string keys).
    let json = serde_json::to_vec(&CursorOut { k: key }).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// Decodes a cursor produced by [`encode_cursor`] back into its sort key.
pub fn decode_cursor<K: DeserializeOwned>(cursor: &str) -> Result<K, CursorError> {
    if cursor.len() > MAX_CURSOR_CHARS {
        return Err(CursorError::TooLong);
    }
    let json = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| CursorError::NotBase64)?;
    // Strict object parsing: serde would otherwise also read `["key"]` as the struct.
    from_json_object::<CursorIn<K>>(&json)
        .map(|c| c.k)
        .map_err(|_| CursorError::Malformed)
}

impl<K: DeserializeOwned> Page<K> {
    /// Reads `limit` and `cursor` from a URL query string (other parameters are ignored;
    /// when one is repeated the last wins; an empty `cursor` means the first page).
    pub fn from_query(query: &str) -> Result<Self, PageError> {
        let mut limit = None;
        let mut cursor = None;
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            match &*name {
                "limit" => limit = Some(value),
                "cursor" => cursor = Some(value),
                _ => {}
            }
        }
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(text) => parse_limit(&text).map_err(PageError::Limit)?,
        };
        let after = match cursor.as_deref() {
            None | Some("") => None,
            Some(text) => Some(decode_cursor(text)?),
        };
        Ok(Self { limit, after })
    }
}

impl<K> Page<K> {
    /// How many rows to fetch: one more than the limit, to learn whether a next page exists.
    pub fn fetch_limit(&self) -> u32 {
        self.limit + 1
    }
}

fn parse_limit(text: &str) -> Result<u32, ValidationError> {
    let range = 1..=MAX_LIMIT;
    let message = format!("must be an integer between 1 and {MAX_LIMIT}");
    match text.parse::<i64>() {
        Ok(n) => u32::try_from(n)
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| ValidationError::single("limit", FieldCode::OutOfRange, message)),
        Err(_) => {
            let digits = text.strip_prefix('-').unwrap_or(text);
            let code = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                FieldCode::OutOfRange
            } else {
                FieldCode::InvalidType
            };
            Err(ValidationError::single("limit", code, message))
        }
    }
}

/// One page of a list as served: `{"items": [...], "next_cursor": "..." | null}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageOf<T> {
    /// The items, in sort-key order.
    pub items: Vec<T>,
    /// Cursor for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> PageOf<T> {
    /// Builds a page from up to `limit + 1` rows fetched in sort-key order: the extra row
    /// only signals that a next page exists, and the cursor is the last kept row's key.
    pub fn from_rows<K: Serialize>(mut rows: Vec<T>, limit: u32, key: impl Fn(&T) -> K) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if has_more {
            rows.last().map(|last| encode_cursor(&key(last)))
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit_error(query: &str) -> FieldCode {
        match Page::<String>::from_query(query) {
            Err(PageError::Limit(e)) => {
                assert_eq!(e.fields[0].field, "limit");
                e.fields[0].code
            }
            other => panic!("{query}: {other:?}"),
        }
    }

    #[test]
    fn cursor_round_trips() {
        let cursor = encode_cursor(&"0190f5a0-0000-7000-8000-000000000000");
        assert!(!cursor.contains('='));
        assert!(!cursor.contains('+') && !cursor.contains('/'));
        let key: String = decode_cursor(&cursor).unwrap();
        assert_eq!(key, "0190f5a0-0000-7000-8000-000000000000");

        let composite = encode_cursor(&("2025-01-01T00:00:00.000Z", 7));
        assert_eq!(
            decode_cursor::<(String, u32)>(&composite).unwrap(),
            ("2025-01-01T00:00:00.000Z".to_owned(), 7)
        );
    }

    #[test]
    fn cursor_is_base64url_of_k_json() {
        let raw = URL_SAFE_NO_PAD.decode(encode_cursor(&42)).unwrap();
        assert_eq!(raw, br#"{"k":42}"#);
    }

    #[test]
    fn bad_cursors_are_typed_errors() {
        let b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
        assert_eq!(decode_cursor::<String>("***"), Err(CursorError::NotBase64));
        assert_eq!(
            decode_cursor::<String>("eyJrIjoiYSJ9=="),
            Err(CursorError::NotBase64),
            "padding is refused"
        );
        assert_eq!(
            decode_cursor::<String>(&"A".repeat(MAX_CURSOR_CHARS + 1)),
            Err(CursorError::TooLong)
        );
        for json in [
            "not json",
            "{}",
            r#"{"k": 1}"#,
            r#"{"k":"a","x":1}"#,
            "[\"a\"]",
        ] {
            assert_eq!(
                decode_cursor::<String>(&b64(json)),
                Err(CursorError::Malformed),
                "{json}"
            );
        }
    }

    #[test]
    fn limit_defaults_and_bounds() {
        let page = Page::<String>::from_query("").unwrap();
        assert_eq!((page.limit, page.after), (DEFAULT_LIMIT, None));
        assert_eq!(Page::<String>::from_query("limit=1").unwrap().limit, 1);
        assert_eq!(Page::<String>::from_query("limit=100").unwrap().limit, 100);
        assert_eq!(
            Page::<String>::from_query("x=1&limit=7")
                .unwrap()
                .fetch_limit(),
            8
        );
        assert_eq!(limit_error("limit=0"), FieldCode::OutOfRange);
        assert_eq!(limit_error("limit=101"), FieldCode::OutOfRange);
        assert_eq!(limit_error("limit=-5"), FieldCode::OutOfRange);
        assert_eq!(
            limit_error("limit=99999999999999999999999"),
            FieldCode::OutOfRange
        );
        assert_eq!(limit_error("limit=ten"), FieldCode::InvalidType);
        assert_eq!(limit_error("limit="), FieldCode::InvalidType);
        assert_eq!(limit_error("limit=1.5"), FieldCode::InvalidType);
    }

    #[test]
    fn query_cursor_is_decoded_and_url_decoding_applies() {
        let cursor = encode_cursor(&"abc");
        let page = Page::<String>::from_query(&format!("limit=5&cursor={cursor}")).unwrap();
        assert_eq!(page.after.as_deref(), Some("abc"));
        assert_eq!(Page::<String>::from_query("cursor=").unwrap().after, None);
        assert_eq!(
            Page::<String>::from_query("cursor=%ZZ"),
            Err(PageError::Cursor(CursorError::NotBase64))
        );
    }

    #[test]
    fn page_of_rows_sets_next_cursor_only_when_more_exist() {
        let full = PageOf::from_rows(vec![1, 2, 3], 2, |n| *n);
        assert_eq!(full.items, [1, 2]);
        assert_eq!(
            decode_cursor::<i32>(full.next_cursor.as_deref().unwrap()),
            Ok(2)
        );

        let last = PageOf::from_rows(vec![1, 2], 2, |n| *n);
        assert_eq!((last.items, last.next_cursor), (vec![1, 2], None));

        let json = serde_json::to_value(PageOf::from_rows(Vec::<i32>::new(), 2, |n| *n)).unwrap();
        assert_eq!(json, serde_json::json!({"items": [], "next_cursor": null}));
    }
}
