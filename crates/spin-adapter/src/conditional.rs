//! Version-based conditional requests: `ETag: "<version>"`, `If-None-Match` for reads,
//! and `If-Match` (or a body `version`) for optimistic concurrency on writes.

use spin_sdk::http::Request;

use crate::ApiError;

/// The strong entity tag of a version: `"3"`.
pub fn version_etag(version: u64) -> String {
    format!("\"{version}\"")
}

/// A parsed `If-Match` / `If-None-Match` value: `*` or a list of entity tags.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TagList {
    Any,
    Tags(Vec<EntityTag>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct EntityTag {
    weak: bool,
    opaque: String,
}

impl TagList {
    /// Parses a header value; malformed members are dropped (they can never match).
    fn parse(value: &str) -> Self {
        if value.trim() == "*" {
            return Self::Any;
        }
        let tags = value
            .split(',')
            .filter_map(|member| {
                let member = member.trim();
                let (weak, quoted) = match member.strip_prefix("W/") {
                    Some(rest) => (true, rest),
                    None => (false, member),
                };
                let opaque = quoted.strip_prefix('"')?.strip_suffix('"')?;
                (!opaque.contains('"')).then(|| EntityTag {
                    weak,
                    opaque: opaque.to_owned(),
                })
            })
            .collect();
        Self::Tags(tags)
    }

    /// Whether `version`'s tag is listed; `strong` refuses weak tags (RFC 9110 §8.8.3.2).
    fn matches(&self, version: u64, strong: bool) -> bool {
        let wanted = version.to_string();
        match self {
            Self::Any => true,
            Self::Tags(tags) => tags
                .iter()
                .any(|tag| tag.opaque == wanted && !(strong && tag.weak)),
        }
    }
}

/// Whether a read should answer 304: `If-None-Match` lists `version` (weak comparison).
pub fn not_modified(req: &Request, version: u64) -> bool {
    if_none_match_matches(header(req, "if-none-match"), version)
}

fn if_none_match_matches(header: Option<&str>, version: u64) -> bool {
    header.is_some_and(|value| TagList::parse(value).matches(version, false))
}

/// The version a write is conditioned on: the `If-Match` header and/or the body's
/// `version` field. When both are given, both must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionPrecondition {
    if_match: Option<TagList>,
    body_version: Option<u64>,
}

impl VersionPrecondition {
    /// Reads `If-Match` from `req`; `body_version` is the body's `version` field, if any.
    pub fn from_request(req: &Request, body_version: Option<u64>) -> Self {
        Self::from_parts(header(req, "if-match"), body_version)
    }

    fn from_parts(if_match: Option<&str>, body_version: Option<u64>) -> Self {
        Self {
            if_match: if_match.map(TagList::parse),
            body_version,
        }
    }

    /// Whether the client gave any precondition at all.
    pub fn is_given(&self) -> bool {
        self.if_match.is_some() || self.body_version.is_some()
    }

    /// 428 `precondition_required` unless a precondition was given.
    pub fn require(&self) -> Result<(), ApiError> {
        if self.is_given() {
            Ok(())
        } else {
            Err(ApiError::precondition_required())
        }
    }

    /// 412 `version_conflict` (naming `current`) unless every given precondition matches
    /// the current version. `If-Match: *` matches any existing version.
    pub fn check(&self, current: u64) -> Result<(), ApiError> {
        let header_ok = self
            .if_match
            .as_ref()
            .is_none_or(|tags| tags.matches(current, true));
        let body_ok = self.body_version.is_none_or(|v| v == current);
        if header_ok && body_ok {
            Ok(())
        } else {
            Err(ApiError::version_conflict(current))
        }
    }
}

fn header<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    req.header(name).and_then(|v| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn precondition(if_match: Option<&str>, body: Option<u64>) -> VersionPrecondition {
        VersionPrecondition::from_parts(if_match, body)
    }

    fn check_status(p: &VersionPrecondition, current: u64) -> u16 {
        p.check(current).map_or_else(|e| e.status(), |()| 200)
    }

    #[test]
    fn etag_is_quoted_version() {
        assert_eq!(version_etag(3), "\"3\"");
    }

    #[test]
    fn parses_lists_wildcards_and_junk() {
        assert_eq!(TagList::parse(" * "), TagList::Any);
        assert_eq!(
            TagList::parse(r#""1", W/"2" , 3, "4"#),
            TagList::Tags(vec![
                EntityTag {
                    weak: false,
                    opaque: "1".into()
                },
                EntityTag {
                    weak: true,
                    opaque: "2".into()
                },
            ])
        );
    }

    #[test]
    fn if_none_match_uses_weak_comparison() {
        assert!(if_none_match_matches(Some(r#""3""#), 3));
        assert!(if_none_match_matches(Some(r#"W/"3""#), 3));
        assert!(if_none_match_matches(Some(r#""1", "3""#), 3));
        assert!(if_none_match_matches(Some("*"), 3));
        assert!(!if_none_match_matches(Some(r#""2""#), 3));
        assert!(!if_none_match_matches(Some("3"), 3));
        assert!(!if_none_match_matches(None, 3));
    }

    #[test]
    fn if_match_uses_strong_comparison() {
        assert_eq!(check_status(&precondition(Some(r#""3""#), None), 3), 200);
        assert_eq!(
            check_status(&precondition(Some(r#""2", "3""#), None), 3),
            200
        );
        assert_eq!(check_status(&precondition(Some("*"), None), 3), 200);
        assert_eq!(check_status(&precondition(Some(r#"W/"3""#), None), 3), 412);
        assert_eq!(check_status(&precondition(Some(r#""2""#), None), 3), 412);
        assert_eq!(check_status(&precondition(Some("garbage"), None), 3), 412);
        assert_eq!(check_status(&precondition(Some(""), None), 3), 412);
    }

    #[test]
    fn body_version_and_header_must_both_match() {
        assert_eq!(check_status(&precondition(None, Some(3)), 3), 200);
        assert_eq!(check_status(&precondition(None, Some(2)), 3), 412);
        assert_eq!(check_status(&precondition(Some(r#""3""#), Some(2)), 3), 412);
        assert_eq!(check_status(&precondition(Some(r#""3""#), Some(3)), 3), 200);
    }

    #[test]
    fn conflict_names_the_current_version() {
        let error = precondition(None, Some(1)).check(42).unwrap_err();
        assert_eq!(error.code(), "version_conflict");
        assert!(error.message().contains("42"), "{}", error.message());
    }

    #[test]
    fn missing_precondition_is_428() {
        let none = precondition(None, None);
        assert!(!none.is_given());
        assert_eq!(none.require().unwrap_err().status(), 428);
        assert!(precondition(Some("*"), None).require().is_ok());
        assert!(precondition(None, Some(1)).require().is_ok());
    }

    #[test]
    fn reads_headers_from_a_request() {
        let req = Request::get("/x")
            .header("If-None-Match", r#""5""#)
            .header("If-Match", r#""5""#)
            .build();
        assert!(not_modified(&req, 5));
        assert!(
            VersionPrecondition::from_request(&req, None)
                .check(5)
                .is_ok()
        );
    }
}
