//! JSON request bodies in, JSON responses out.

use fabula_domain::from_json_object;
use serde::Serialize;
use serde::de::DeserializeOwned;
use spin_sdk::http::{Request, ResponseBuilder};

use crate::ApiError;

/// Largest request body any handler accepts (1 MiB); [`crate::serve`] enforces it.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Parses the body as a JSON object into `T`, with the default size limit.
///
/// Errors: 413 over the limit, 415 unless `content-type` is JSON, 400 `invalid_json`
/// for malformed JSON or a non-object, 422 `validation_failed` for unknown fields and
/// wrong types (naming the field).
pub fn parse_json<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    parse_json_with_limit(req, DEFAULT_BODY_LIMIT)
}

/// [`parse_json`] with a route-specific (smaller) size limit.
pub fn parse_json_with_limit<T: DeserializeOwned>(
    req: &Request,
    limit_bytes: usize,
) -> Result<T, ApiError> {
    if req.body().len() > limit_bytes {
        return Err(ApiError::payload_too_large(limit_bytes));
    }
    let content_type = req.header("content-type").and_then(|v| v.as_str());
    if !is_json_media_type(content_type) {
        return Err(ApiError::unsupported_media_type("application/json"));
    }
    Ok(from_json_object(req.body())?)
}

/// Whether a `content-type` value is JSON: `application/json` or any `+json` type,
/// parameters (e.g. `charset`) ignored, case-insensitive.
pub fn is_json_media_type(content_type: Option<&str>) -> bool {
    let Some(value) = content_type else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// A response builder with `status`, `content-type: application/json` and `body`
/// serialised; add headers and finish with `.build()`.
pub fn json_response<T: Serialize>(status: u16, body: &T) -> Result<ResponseBuilder, ApiError> {
    let bytes = serde_json::to_vec(body).map_err(ApiError::internal)?;
    let mut builder = ResponseBuilder::new(status);
    builder
        .header("content-type", "application/json")
        .body(bytes);
    Ok(builder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Input {
        #[allow(dead_code, reason = "only deserialised")]
        name: Option<String>,
    }

    fn post(content_type: Option<&str>, body: &str) -> Request {
        let mut builder = Request::post("/x", body.to_owned());
        if let Some(ct) = content_type {
            builder.header("content-type", ct);
        }
        builder.build()
    }

    fn status(result: Result<Input, ApiError>) -> u16 {
        result.map_or_else(|e| e.status(), |_| 200)
    }

    #[test]
    fn media_types() {
        for ok in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/merge-patch+json",
        ] {
            assert!(is_json_media_type(Some(ok)), "{ok}");
        }
        for bad in ["text/plain", "application/jsonx", "json", ""] {
            assert!(!is_json_media_type(Some(bad)), "{bad}");
        }
        assert!(!is_json_media_type(None));
    }

    #[test]
    fn body_errors_map_to_statuses() {
        let json = Some("application/json");
        assert_eq!(status(parse_json(&post(json, r#"{"name": "a"}"#))), 200);
        assert_eq!(status(parse_json(&post(None, r#"{"name": "a"}"#))), 415);
        assert_eq!(status(parse_json(&post(Some("text/plain"), "{}"))), 415);
        assert_eq!(status(parse_json(&post(json, "{"))), 400);
        assert_eq!(status(parse_json(&post(json, "[]"))), 400);
        assert_eq!(status(parse_json(&post(json, r#"{"x": 1}"#))), 422);
        assert_eq!(status(parse_json(&post(json, r#"{"name": 1}"#))), 422);
        assert_eq!(
            status(parse_json_with_limit(&post(json, r#"{"name": "abc"}"#), 4)),
            413
        );
    }

    #[test]
    fn json_response_sets_content_type() {
        let response = json_response(201, &serde_json::json!({"a": 1}))
            .unwrap()
            .build();
        assert_eq!(*response.status(), 201);
        assert_eq!(
            response.header("content-type").and_then(|v| v.as_str()),
            Some("application/json")
        );
        assert_eq!(response.body(), br#"{"a":1}"#);
    }
}
