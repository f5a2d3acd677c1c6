//! Request ids: taken from `x-request-id` when well-formed, generated otherwise.

use spin_sdk::http::Request;

/// The header that carries the request id, in and out.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Longest client-supplied request id kept.
const MAX_REQUEST_ID_LEN: usize = 128;

/// Whether a client-supplied id is acceptable: 1..=128 characters of `[A-Za-z0-9._-]`.
pub fn is_valid_request_id(id: &str) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The client's id if valid, otherwise a fresh UUID v4.
pub fn resolve_request_id(header: Option<&[u8]>) -> String {
    header
        .and_then(|raw| std::str::from_utf8(raw).ok())
        .filter(|id| is_valid_request_id(id))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

/// The request id of a request that went through [`crate::serve`], which always sets it.
pub fn request_id(req: &Request) -> &str {
    req.header(REQUEST_ID_HEADER)
        .and_then(|v| v.as_str())
        .unwrap_or("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_well_formed_ids() {
        for id in ["a", "abc-123_X.y", &"x".repeat(128)] {
            assert!(is_valid_request_id(id), "{id}");
            assert_eq!(resolve_request_id(Some(id.as_bytes())), id);
        }
    }

    #[test]
    fn replaces_bad_ids_with_a_uuid() {
        for raw in [
            &b""[..],
            b"has space",
            b"semi;colon",
            b"new\nline",
            "ünï".as_bytes(),
            b"\xff\xfe",
            "x".repeat(129).as_bytes(),
        ] {
            let id = resolve_request_id(Some(raw));
            assert!(uuid::Uuid::parse_str(&id).is_ok(), "{raw:?} -> {id}");
        }
        let generated = resolve_request_id(None);
        assert_eq!(
            uuid::Uuid::parse_str(&generated).unwrap().get_version_num(),
            4
        );
    }

    #[test]
    fn reads_the_id_back_from_a_request() {
        let req = Request::get("/x").header(REQUEST_ID_HEADER, "abc").build();
        assert_eq!(request_id(&req), "abc");
    }
}
