//! The pipeline every API component runs (declared with [`api_entry!`](crate::api_entry)):
//!
//! request id ([`crate::serve`]) → authenticate → rate limit → idempotency (every POST,
//! which in this API always creates or starts something) → handler → audit (a write that
//! succeeded and reported an [`AuditEvent`]).
//!
//! A handler may stream its response body after the pipeline ran ([`Call::stream`], for
//! GET routes only: a POST's response is kept whole for idempotent replay).
//!
//! Responses to callers with rate-limit buckets carry `RateLimit-Limit`,
//! `RateLimit-Remaining` and `RateLimit-Reset` (and `Retry-After` on a 429), whatever
//! their status.

use std::cell::{OnceCell, RefCell};
use std::net::{IpAddr, SocketAddr};

use fabula_domain::Timestamp;
use fabula_domain::audit::{AuditEntry, AuditEvent};
use fabula_domain::auth::Principal;
use fabula_domain::idempotency::{IdempotencyKey, fingerprint, scope};
use fabula_domain::rate_limit::{AppliedLimits, RateBucket, Verdict, buckets};
use spin_sdk::http::{Method, Request, Response};

use crate::auth::authenticate;
use crate::db::DbError;
use crate::kv::AtomicBucket;
use crate::log::{Level, log};
use crate::platform::{Claim, Platform, StoredResponse};
use crate::rate_limit;
use crate::request_id::request_id;
use crate::router::{Routable, Router};
use crate::settings::Settings;
use crate::{ApiError, Reply};

/// The request header that makes a POST idempotent.
const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// Set on a replayed response.
const REPLAYED_HEADER: &str = "idempotent-replayed";
/// The response headers kept with a response for replay (besides status and body).
const REPLAYED_HEADERS: [&str; 3] = ["content-type", "location", "etag"];
/// The header in which the host passes the client's address (`ip:port`).
const CLIENT_ADDR_HEADER: &str = "spin-client-addr";

/// Declares the component's HTTP export running every request through the API pipeline
/// ([`run`]), routed by the [`Router<Call>`] that `$routes()` returns:
/// `fabula_spin::api_entry!(routes);` with `fn routes() -> Router<Call>`.
///
/// The component crate must depend on `spin-sdk` (the export macro refers to it).
#[macro_export]
macro_rules! api_entry {
    ($routes:path) => {
        #[::spin_sdk::http_component]
        async fn fabula_http_entry(
            request: ::spin_sdk::http::IncomingRequest,
            response_out: ::spin_sdk::http::ResponseOutparam,
        ) {
            $crate::serve_reply(request, response_out, |request| {
                $crate::api::run(request, &$routes())
            })
            .await
        }
    };
}

/// The platform tables, opened on first use (anonymous reads never need them).
#[derive(Default)]
pub struct LazyPlatform(OnceCell<Platform>);

impl LazyPlatform {
    /// The opened, migrated platform tables.
    pub fn get(&self) -> Result<&Platform, DbError> {
        if let Some(platform) = self.0.get() {
            return Ok(platform);
        }
        let opened = Platform::open()?;
        Ok(self.0.get_or_init(|| opened))
    }
}

/// One authenticated request, as handlers see it.
pub struct Call {
    request: Request,
    principal: Principal,
    settings: Settings,
    platform: LazyPlatform,
    buckets: Vec<RateBucket>,
    client_ip: String,
    audit: RefCell<Option<AuditEvent>>,
    stream: RefCell<Option<crate::BodyChunks>>,
}

impl Routable for Call {
    fn request(&self) -> &Request {
        &self.request
    }
}

impl Call {
    /// The request.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// Who sent it.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// Its request id.
    pub fn request_id(&self) -> &str {
        request_id(&self.request)
    }

    /// The platform tables (tenants, keys, audit log).
    pub fn platform(&self) -> Result<&Platform, ApiError> {
        Ok(self.platform.get()?)
    }

    /// The rate limits that apply to the caller.
    pub fn limits(&self) -> AppliedLimits {
        AppliedLimits::of(&self.buckets)
    }

    /// Reports a successful write for the audit log; written after the handler returns
    /// a success.
    pub fn audit(&self, event: AuditEvent) {
        *self.audit.borrow_mut() = Some(event);
    }

    /// Answers with `head` (status and headers) and then streams `body`, chunk by chunk,
    /// after the pipeline's headers are added. Returns the head for the handler to return.
    /// For GET routes only (a POST's response is kept whole for idempotent replay).
    pub fn stream(
        &self,
        head: Response,
        body: impl Iterator<Item = Vec<u8>> + 'static,
    ) -> Response {
        *self.stream.borrow_mut() = Some(Box::new(body));
        head
    }
}

/// Runs one request through the pipeline.
pub fn run(request: Request, router: &Router<Call>) -> Result<Reply, ApiError> {
    let request_id = request_id(&request).to_owned();
    let settings = Settings::load(&request_id);
    let platform = LazyPlatform::default();
    let now = Timestamp::now();
    let principal = authenticate(&request, &settings.admin_token, &platform, now, &request_id)?;
    let client_ip = client_ip(request.header(CLIENT_ADDR_HEADER).and_then(|v| v.as_str()));
    let buckets = buckets(&settings.limits, &principal, &client_ip);
    let verdict = take_tokens(&buckets, now, &request_id);
    let call = Call {
        request,
        principal,
        settings,
        platform,
        buckets,
        client_ip,
        audit: RefCell::new(None),
        stream: RefCell::new(None),
    };
    let result = match verdict {
        Some(refused) if !refused.allowed => Err(ApiError::rate_limited(
            refused.retry_after_secs.unwrap_or(1),
        )),
        _ if *call.request.method() == Method::Post => idempotent(&call, router, now),
        _ => dispatch(&call, router),
    };
    let headers = verdict.map(|v| v.headers()).unwrap_or_default();
    match result {
        Ok(mut response) => {
            for (name, value) in headers {
                response.set_header(name, value);
            }
            Ok(match call.stream.borrow_mut().take() {
                Some(body) => Reply::Streamed(response, body),
                None => Reply::Whole(response),
            })
        }
        Err(error) => Err(headers
            .into_iter()
            .fold(error, |error, (name, value)| error.with_header(name, value))),
    }
}

/// Takes a token from each of the caller's buckets in key-value store `default`.
fn take_tokens(buckets: &[RateBucket], now: Timestamp, request_id: &str) -> Option<Verdict> {
    if buckets.is_empty() {
        return None;
    }
    let store = match AtomicBucket::open("default") {
        Ok(store) => store,
        Err(e) => {
            log(
                Level::Error,
                request_id,
                format_args!("rate limiting skipped: {e}"),
            );
            return None;
        }
    };
    let now_ms = u64::try_from(now.unix_millis()).unwrap_or(0);
    let checked = rate_limit::check(&store, buckets, now_ms);
    for (key, e) in &checked.skipped {
        log(
            Level::Error,
            request_id,
            format_args!("rate limit bucket {key} skipped: {e}"),
        );
    }
    checked.verdict
}

/// Routes and runs the handler; on success writes the audit entry it reported. A failed
/// audit write is logged, never turned into an error: the write itself has happened.
fn dispatch(call: &Call, router: &Router<Call>) -> Result<Response, ApiError> {
    let response = router.handle(call)?;
    if let Some(event) = call.audit.borrow_mut().take() {
        let entry = AuditEntry::record(event, &call.principal, call.request_id(), Timestamp::now());
        let written = call
            .platform()
            .and_then(|p| Ok(p.append_audit(&entry, call.settings.retention)?));
        if let Err(e) = written {
            log(
                Level::Error,
                call.request_id(),
                format_args!("audit entry {} not written: {e}", entry.id),
            );
        }
    }
    Ok(response)
}

/// [`dispatch`] under the request's `Idempotency-Key`, if it has one.
fn idempotent(call: &Call, router: &Router<Call>, now: Timestamp) -> Result<Response, ApiError> {
    let Some(value) = call.request.header(IDEMPOTENCY_HEADER) else {
        return dispatch(call, router);
    };
    let key = IdempotencyKey::parse(value.as_str())
        .map_err(|e| ApiError::invalid_idempotency_key(e.to_string()))?;
    let req = &call.request;
    let fingerprint = fingerprint(&req.method().to_string(), req.path(), req.body());
    let store = call
        .platform()?
        .idempotency(scope(&call.principal, &call.client_ip));
    match store.claim(&key, &fingerprint, now.unix_millis())? {
        Claim::Replay(stored) => Ok(replay(stored)),
        Claim::Mismatch => Err(ApiError::idempotency_key_reused()),
        Claim::InProgress => Err(ApiError::idempotency_in_progress()),
        Claim::Claimed { created_ms } => {
            let result = dispatch(call, router);
            let kept = match &result {
                Ok(response) => keep(response),
                Err(error) => keep(&error.to_response(call.request_id())),
            };
            let recorded = match kept {
                Some(stored) => store.complete(&key, &fingerprint, created_ms, &stored),
                None => store.release(&key, &fingerprint, created_ms),
            };
            if let Err(e) = recorded {
                log(
                    Level::Error,
                    call.request_id(),
                    format_args!("idempotency record not updated: {e}"),
                );
            }
            result
        }
    }
}

/// The response to keep for replay; `None` for a server error (≥ 500), whose claim is
/// released so that the request can be retried.
fn keep(response: &Response) -> Option<StoredResponse> {
    let status = *response.status();
    (status < 500).then(|| StoredResponse {
        status,
        headers: REPLAYED_HEADERS
            .iter()
            .filter_map(|name| {
                let value = response.header(name)?.as_str()?;
                Some(((*name).to_owned(), value.to_owned()))
            })
            .collect(),
        body: response.body().to_vec(),
    })
}

/// A stored response, replayed with `Idempotent-Replayed: true`.
fn replay(stored: StoredResponse) -> Response {
    let mut builder = Response::builder();
    builder.status(stored.status);
    for (name, value) in stored.headers {
        builder.header(name, value);
    }
    builder
        .header(REPLAYED_HEADER, "true")
        .body(stored.body)
        .build()
}

/// The client's IP from the host's `ip:port` header (`unknown` without one).
fn client_ip(addr: Option<&str>) -> String {
    let Some(addr) = addr else {
        return "unknown".to_owned();
    };
    addr.parse::<SocketAddr>()
        .map(|a| a.ip())
        .or_else(|_| addr.parse::<IpAddr>())
        .map_or_else(|_| "unknown".to_owned(), |ip| ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_addresses_lose_their_port() {
        assert_eq!(client_ip(Some("127.0.0.1:5000")), "127.0.0.1");
        assert_eq!(client_ip(Some("[::1]:5000")), "::1");
        assert_eq!(client_ip(Some("10.1.2.3")), "10.1.2.3");
        assert_eq!(client_ip(Some("nonsense")), "unknown");
        assert_eq!(client_ip(None), "unknown");
    }

    #[test]
    fn responses_below_500_are_kept_with_their_useful_headers() {
        let mut builder = Response::builder();
        builder
            .status(201)
            .header("content-type", "application/json")
            .header("location", "/api/v1/stories/1")
            .header("x-request-id", "r1")
            .header("ratelimit-remaining", "3")
            .body("{}");
        let kept = keep(&builder.build()).unwrap();
        assert_eq!(kept.status, 201);
        assert_eq!(kept.body, b"{}");
        let mut names: Vec<&str> = kept.headers.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["content-type", "location"]);

        let client_error = ApiError::not_found("nope").to_response("r1");
        assert_eq!(keep(&client_error).unwrap().status, 404);
        assert!(keep(&ApiError::internal("boom").to_response("r1")).is_none());
        assert!(keep(&Response::new(503, "")).is_none());
    }

    #[test]
    fn replays_are_marked() {
        let stored = StoredResponse {
            status: 201,
            headers: vec![("content-type".into(), "application/json".into())],
            body: b"{\"id\":\"x\"}".to_vec(),
        };
        let response = replay(stored);
        assert_eq!(*response.status(), 201);
        assert_eq!(response.body(), b"{\"id\":\"x\"}");
        let header = |n: &str| {
            response
                .header(n)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        assert_eq!(header("idempotent-replayed").as_deref(), Some("true"));
        assert_eq!(header("content-type").as_deref(), Some("application/json"));
    }
}
