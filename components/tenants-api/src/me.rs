//! `GET /api/v1/me`: who the caller is and which limits apply.

use fabula_domain::auth::ApiKeyId;
use fabula_domain::rate_limit::AppliedLimits;
use fabula_domain::{Tenant, Timestamp};
use fabula_spin::ApiError;
use fabula_spin::api::Call;
use fabula_spin::json::json_response;
use fabula_spin::router::Params;
use serde::Serialize;
use spin_sdk::http::Response;

/// `{"role", "tenant": {...}|null, "key": {...}|null, "limits": {...}}`.
#[derive(Serialize)]
struct Me<'a> {
    role: &'static str,
    tenant: Option<&'a Tenant>,
    key: Option<KeySummary<'a>>,
    limits: AppliedLimits,
}

/// The caller's key, without its secret.
#[derive(Serialize)]
struct KeySummary<'a> {
    id: ApiKeyId,
    prefix: &'a str,
    name: &'a str,
    expires_at: Option<Timestamp>,
}

/// `GET /api/v1/me`: anyone may ask, also anonymously.
pub fn show(call: &Call, _: &Params<'_>) -> Result<Response, ApiError> {
    let principal = call.principal();
    let body = Me {
        role: principal.role_name(),
        tenant: principal.tenant(),
        key: principal.key().map(|key| KeySummary {
            id: key.id,
            prefix: &key.prefix,
            name: &key.name,
            expires_at: key.expires_at,
        }),
        limits: call.limits(),
    };
    Ok(json_response(200, &body)?.build())
}
