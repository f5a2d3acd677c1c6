//! Authentication: the `Authorization` header to a [`Principal`].

use fabula_domain::Timestamp;
use fabula_domain::auth::{AdminToken, AuthError, Credentials, KeyHolder, Principal};
use spin_sdk::http::Request;

use crate::ApiError;
use crate::api::LazyPlatform;
use crate::log::{Level, log};

/// Who sent `req` at `now`: anonymous (no header), the operator (`Bearer <admin_token>`)
/// or a verified, usable API key with its tenant. Any other credentials are a 401.
///
/// A key is found by its prefix and its secret checked against the stored SHA-256 in
/// constant time before its state is looked at, so an unknown key, a wrong secret and a
/// malformed token all look the same (`invalid_api_key`). `last_used_at` is written at
/// most once a minute per key; a failure to write it is only logged.
pub fn authenticate(
    req: &Request,
    admin_token: &AdminToken,
    platform: &LazyPlatform,
    now: Timestamp,
    request_id: &str,
) -> Result<Principal, ApiError> {
    // A header that is not UTF-8 is present but can never be valid.
    let header = req
        .header("authorization")
        .map(|value| value.as_str().unwrap_or(""));
    let token = match Credentials::from_header(header, admin_token)? {
        Credentials::Anonymous => return Ok(Principal::Anonymous),
        Credentials::Operator => return Ok(Principal::Operator),
        Credentials::ApiKey(token) => token,
    };
    let platform = platform.get()?;
    let record = platform
        .key_by_prefix(token.prefix())?
        .filter(|record| token.verify(&record.secret_hash))
        .ok_or(AuthError::InvalidApiKey)?;
    record.key.check_usable(now)?;
    if record.key.needs_touch(now)
        && let Err(e) = platform.touch_key(record.key.id, now)
    {
        log(
            Level::Warn,
            request_id,
            format_args!("could not record the use of key {}: {e}", record.key.id),
        );
    }
    Ok(Principal::Key(Box::new(KeyHolder {
        key: record.key,
        tenant: record.tenant,
    })))
}
