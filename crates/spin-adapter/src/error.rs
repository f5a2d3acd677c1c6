//! The error every handler returns, and its JSON envelope:
//! `{"error": {"code", "message", "request_id", "details"?, ...}}`.

use fabula_domain::auth::{AuthError, Denial};
use fabula_domain::{BodyError, CursorError, FieldError, PageError, ValidationError};
use serde::Serialize;
use serde_json::{Map, Value};
use spin_sdk::http::{Method, Response};

use crate::request_id::REQUEST_ID_HEADER;

/// An HTTP error with a status, a machine-readable code and a client-safe message.
///
/// `detail` (if any) is only ever logged to stderr, never sent to the client.
#[derive(Debug, thiserror::Error)]
#[error("{} {}: {}", .0.status, .0.code, .0.message)]
pub struct ApiError(Box<Inner>);

/// Boxed so `Result<_, ApiError>` stays pointer-sized on the error path.
#[derive(Debug)]
struct Inner {
    status: u16,
    code: &'static str,
    message: String,
    details: Vec<FieldError>,
    members: Map<String, Value>,
    headers: Vec<(&'static str, String)>,
    detail: Option<String>,
}

impl ApiError {
    /// An error with any status and code; prefer the named constructors.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self(Box::new(Inner {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
            members: Map::new(),
            headers: Vec::new(),
            detail: None,
        }))
    }

    /// 400 `invalid_json`: the body is not well-formed JSON or not an object.
    pub fn invalid_json(message: impl Into<String>) -> Self {
        Self::new(400, "invalid_json", message)
    }

    /// 400 `invalid_cursor`: the pagination cursor was not issued by this service.
    pub fn invalid_cursor(error: &CursorError) -> Self {
        Self::new(
            400,
            "invalid_cursor",
            format!("{error}; restart from the first page"),
        )
    }

    /// 422 `validation_failed`, listing every rejected field in `details`.
    pub fn validation_failed(error: ValidationError) -> Self {
        let count = error.fields.len();
        let mut api = Self::new(
            422,
            "validation_failed",
            format!(
                "{count} field{} failed validation",
                if count == 1 { "" } else { "s" }
            ),
        );
        api.0.details = error.fields;
        api
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "not_found", message)
    }

    /// 401 `unauthenticated`: an anonymous caller attempted something that needs a key.
    pub fn unauthenticated() -> Self {
        Self::new(
            401,
            "unauthenticated",
            "this request needs an API key: send `Authorization: Bearer <key>`",
        )
        .with_header("www-authenticate", "Bearer realm=\"fabula\"")
    }

    /// 403 `forbidden`: the caller is known but may not do this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, "forbidden", message)
    }

    /// 429 `rate_limited`; the caller adds `Retry-After` and the `RateLimit-*` headers.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self::new(
            429,
            "rate_limited",
            format!("rate limit exceeded; retry in {retry_after_secs} s"),
        )
    }

    /// 400 `invalid_idempotency_key`.
    pub fn invalid_idempotency_key(message: impl Into<String>) -> Self {
        Self::new(400, "invalid_idempotency_key", message)
    }

    /// 422 `idempotency_key_reused`: the key was first used with another request.
    pub fn idempotency_key_reused() -> Self {
        Self::new(
            422,
            "idempotency_key_reused",
            "this Idempotency-Key was already used with a different request \
             (method, path or body); use a new key",
        )
    }

    /// 409 `idempotency_in_progress` with `Retry-After: 1`.
    pub fn idempotency_in_progress() -> Self {
        Self::new(
            409,
            "idempotency_in_progress",
            "a request with this Idempotency-Key is still being processed; retry shortly",
        )
        .with_header("retry-after", "1")
    }

    /// 405 `method_not_allowed`, with an `Allow` header listing `allowed`.
    pub fn method_not_allowed(method: &Method, allowed: &[Method]) -> Self {
        let allow = allowed
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        Self::new(
            405,
            "method_not_allowed",
            format!("method {method} is not allowed here; allowed: {allow}"),
        )
        .with_header("allow", allow)
    }

    /// 412 `version_conflict`: the client's expected version is not the current one.
    pub fn version_conflict(current_version: u64) -> Self {
        Self::new(
            412,
            "version_conflict",
            format!(
                "the resource was changed: its current version is {current_version}; \
                 fetch it again and retry"
            ),
        )
    }

    /// 428 `precondition_required`: a write must say which version it is based on.
    pub fn precondition_required() -> Self {
        Self::new(
            428,
            "precondition_required",
            "this request must be conditional: send `If-Match: \"<version>\"` \
             or a `version` field in the body",
        )
    }

    /// 413 `payload_too_large`.
    pub fn payload_too_large(limit_bytes: usize) -> Self {
        Self::new(
            413,
            "payload_too_large",
            format!("request body exceeds {limit_bytes} bytes"),
        )
    }

    /// 415 `unsupported_media_type`.
    pub fn unsupported_media_type(expected: &str) -> Self {
        Self::new(
            415,
            "unsupported_media_type",
            format!("content-type must be {expected}"),
        )
    }

    /// 503 `not_ready`, with a `checks` member mapping each dependency to its state.
    pub fn not_ready(message: impl Into<String>, checks: &[(&str, &str)]) -> Self {
        let checks = checks
            .iter()
            .map(|(name, state)| ((*name).to_owned(), Value::from(*state)))
            .collect::<Map<_, _>>();
        let mut api = Self::new(503, "not_ready", message);
        api.0
            .members
            .insert("checks".to_owned(), Value::Object(checks));
        api
    }

    /// 500 `internal`: the client gets a generic message, `detail` goes to the log.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::new(500, "internal", "internal server error").with_detail(detail)
    }

    /// Adds a response header (e.g. `RateLimit-*` set by the pipeline).
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.0.headers.push((name, value.into()));
        self
    }

    /// Attaches a diagnostic that is logged with the request id but never sent.
    pub fn with_detail(mut self, detail: impl std::fmt::Display) -> Self {
        self.0.detail = Some(detail.to_string());
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.0.status
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        self.0.code
    }

    /// The client-facing message.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The per-field errors (only for `validation_failed`).
    pub fn details(&self) -> &[FieldError] {
        &self.0.details
    }

    /// The log-only diagnostic, if any.
    pub fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }

    /// Renders the JSON envelope with `content-type`, `x-request-id` and any extra headers.
    pub fn to_response(&self, request_id: &str) -> Response {
        let envelope = Envelope {
            error: Body {
                code: self.0.code,
                message: &self.0.message,
                request_id,
                details: &self.0.details,
                members: &self.0.members,
            },
        };
        // Only strings, numbers and string-keyed maps: serialisation cannot fail.
        let body = serde_json::to_vec(&envelope).unwrap_or_default();
        let mut builder = Response::builder();
        builder
            .status(self.0.status)
            .header("content-type", "application/json")
            .header(REQUEST_ID_HEADER, request_id);
        for (name, value) in &self.0.headers {
            builder.header(*name, value.as_str());
        }
        builder.body(body).build()
    }
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
    request_id: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    details: &'a [FieldError],
    #[serde(flatten)]
    members: &'a Map<String, Value>,
}

impl From<ValidationError> for ApiError {
    fn from(error: ValidationError) -> Self {
        Self::validation_failed(error)
    }
}

impl From<BodyError> for ApiError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::Invalid(fields) => Self::validation_failed(fields),
            other => Self::invalid_json(other.to_string()),
        }
    }
}

impl From<AuthError> for ApiError {
    /// 401 `invalid_api_key`, `api_key_revoked` or `api_key_expired`, with
    /// `WWW-Authenticate`.
    fn from(error: AuthError) -> Self {
        let code = match error {
            AuthError::InvalidApiKey => "invalid_api_key",
            AuthError::Revoked => "api_key_revoked",
            AuthError::Expired => "api_key_expired",
        };
        Self::new(401, code, error.to_string()).with_header(
            "www-authenticate",
            "Bearer realm=\"fabula\", error=\"invalid_token\"",
        )
    }
}

impl ApiError {
    /// 401 `unauthenticated`, 403 `forbidden`, or 404 `not_found` saying
    /// "`<what>` not found".
    pub fn denied(denial: Denial, what: &str) -> Self {
        match denial {
            Denial::Unauthenticated => Self::unauthenticated(),
            Denial::Forbidden | Denial::NoTenant => Self::forbidden(denial.to_string()),
            Denial::NotFound => Self::not_found(format!("{what} not found")),
        }
    }
}

impl From<Denial> for ApiError {
    /// [`ApiError::denied`] of an unnamed resource.
    fn from(denial: Denial) -> Self {
        Self::denied(denial, "resource")
    }
}

impl From<PageError> for ApiError {
    fn from(error: PageError) -> Self {
        match error {
            PageError::Limit(fields) => Self::validation_failed(fields),
            PageError::Cursor(cursor) => Self::invalid_cursor(&cursor),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fabula_domain::FieldCode;

    fn render(error: &ApiError) -> (u16, Value, Response) {
        let response = error.to_response("req-1");
        let body = serde_json::from_slice(response.body()).unwrap();
        (*response.status(), body, response)
    }

    fn header<'r>(response: &'r Response, name: &str) -> Option<&'r str> {
        response.header(name).and_then(|v| v.as_str())
    }

    #[test]
    fn envelope_without_details_omits_them() {
        let (status, body, response) = render(&ApiError::not_found("no such story"));
        assert_eq!(status, 404);
        assert_eq!(
            body,
            serde_json::json!({"error": {
                "code": "not_found", "message": "no such story", "request_id": "req-1"
            }})
        );
        assert_eq!(header(&response, "content-type"), Some("application/json"));
        assert_eq!(header(&response, "x-request-id"), Some("req-1"));
    }

    #[test]
    fn validation_failed_lists_fields() {
        let error = ValidationError::single("title", FieldCode::TooLong, "too long");
        let (status, body, _) = render(&error.into());
        assert_eq!(status, 422);
        assert_eq!(body["error"]["code"], "validation_failed");
        assert_eq!(
            body["error"]["details"],
            serde_json::json!([{"field": "title", "code": "too_long", "message": "too long"}])
        );
    }

    #[test]
    fn method_not_allowed_sets_allow() {
        let error = ApiError::method_not_allowed(&Method::Put, &[Method::Get, Method::Post]);
        let (status, _, response) = render(&error);
        assert_eq!(status, 405);
        assert_eq!(header(&response, "allow"), Some("GET, POST"));
    }

    #[test]
    fn every_401_asks_for_a_bearer_token() {
        let errors: [ApiError; 4] = [
            ApiError::unauthenticated(),
            AuthError::InvalidApiKey.into(),
            AuthError::Revoked.into(),
            AuthError::Expired.into(),
        ];
        for error in errors {
            let (status, _, response) = render(&error);
            assert_eq!(status, 401);
            let challenge = header(&response, "www-authenticate").unwrap();
            assert!(challenge.starts_with("Bearer "), "{challenge}");
        }
    }

    #[test]
    fn not_found_names_what_was_looked_for() {
        let error = ApiError::denied(Denial::NotFound, "tenant");
        assert_eq!((error.status(), error.message()), (404, "tenant not found"));
        assert_eq!(ApiError::denied(Denial::Forbidden, "tenant").status(), 403);
    }

    #[test]
    fn no_tenant_explains_itself() {
        let (_, body, _) = render(&Denial::NoTenant.into());
        assert_eq!(
            body["error"]["message"],
            "the operator token has no tenant; use a tenant key"
        );
    }

    #[test]
    fn extra_headers_are_sent() {
        let error = ApiError::rate_limited(7).with_header("retry-after", "7");
        let (_, _, response) = render(&error);
        assert_eq!(header(&response, "retry-after"), Some("7"));
        let (_, _, response) = render(&ApiError::idempotency_in_progress());
        assert_eq!(header(&response, "retry-after"), Some("1"));
    }

    #[test]
    fn internal_hides_the_detail() {
        let error = ApiError::internal("disk on fire at /var/db");
        let (status, body, response) = render(&error);
        assert_eq!(status, 500);
        assert_eq!(body["error"]["message"], "internal server error");
        assert!(!String::from_utf8_lossy(response.body()).contains("disk"));
        assert_eq!(error.detail(), Some("disk on fire at /var/db"));
    }

    #[test]
    fn not_ready_carries_checks() {
        let error = ApiError::not_ready(
            "sqlite is down",
            &[("sqlite", "error"), ("key_value", "ok")],
        );
        let (status, body, _) = render(&error);
        assert_eq!(status, 503);
        assert_eq!(body["error"]["code"], "not_ready");
        assert_eq!(
            body["error"]["checks"],
            serde_json::json!({"sqlite": "error", "key_value": "ok"})
        );
    }

    #[test]
    fn domain_errors_map_to_statuses() {
        let cases: Vec<(ApiError, u16, &str)> = vec![
            (BodyError::NotAnObject.into(), 400, "invalid_json"),
            (BodyError::Syntax("eof".into()).into(), 400, "invalid_json"),
            (
                PageError::Cursor(CursorError::Malformed).into(),
                400,
                "invalid_cursor",
            ),
            (
                PageError::Limit(ValidationError::single("limit", FieldCode::OutOfRange, "x"))
                    .into(),
                422,
                "validation_failed",
            ),
            (ApiError::version_conflict(7), 412, "version_conflict"),
            (
                ApiError::precondition_required(),
                428,
                "precondition_required",
            ),
            (ApiError::payload_too_large(10), 413, "payload_too_large"),
            (Denial::Unauthenticated.into(), 401, "unauthenticated"),
            (Denial::Forbidden.into(), 403, "forbidden"),
            (Denial::NoTenant.into(), 403, "forbidden"),
            (Denial::NotFound.into(), 404, "not_found"),
            (AuthError::InvalidApiKey.into(), 401, "invalid_api_key"),
            (AuthError::Revoked.into(), 401, "api_key_revoked"),
            (AuthError::Expired.into(), 401, "api_key_expired"),
            (ApiError::rate_limited(3), 429, "rate_limited"),
            (
                ApiError::invalid_idempotency_key("bad"),
                400,
                "invalid_idempotency_key",
            ),
            (
                ApiError::idempotency_key_reused(),
                422,
                "idempotency_key_reused",
            ),
            (
                ApiError::idempotency_in_progress(),
                409,
                "idempotency_in_progress",
            ),
            (
                ApiError::unsupported_media_type("application/json"),
                415,
                "unsupported_media_type",
            ),
        ];
        for (error, status, code) in cases {
            assert_eq!((error.status(), error.code()), (status, code));
        }
        assert!(ApiError::version_conflict(7).message().contains('7'));
    }
}
