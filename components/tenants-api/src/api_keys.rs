//! `/api/v1/api-keys`: issue (the secret is shown once), list, revoke.

use fabula_domain::audit::{AuditAction, AuditEvent};
use fabula_domain::auth::{
    Action, ApiKey, ApiKeyId, ApiKeyToken, DataScope, NewApiKey, Resource, Role, platform_scope,
};
use fabula_domain::validation::{FieldCode, ValidationError};
use fabula_domain::{Page, PageOf, TenantId, Timestamp};
use fabula_spin::ApiError;
use fabula_spin::api::Call;
use fabula_spin::json::{json_response, parse_json_with_limit};
use fabula_spin::platform::ApiKeys;
use fabula_spin::router::Params;
use serde::Serialize;
use spin_sdk::http::{Response, ResponseBuilder};

use crate::{BODY_LIMIT, tenants};

/// Tokens generated before giving up on finding an unused prefix (62⁸ prefixes: a
/// collision is already unlikely once).
const ISSUE_ATTEMPTS: usize = 3;

/// The response to `POST /api/v1/api-keys`: the only time `key` is ever shown.
#[derive(Serialize)]
struct IssuedKey<'a> {
    id: ApiKeyId,
    tenant_id: &'a TenantId,
    name: &'a str,
    role: Role,
    prefix: &'a str,
    key: String,
    expires_at: Option<Timestamp>,
    created_at: Timestamp,
}

/// `POST /api/v1/api-keys`: 201 with the key and its secret. Operators name any existing
/// tenant; tenant admins issue keys of their own tenant (another tenant is a 404).
pub fn create(call: &Call, _: &Params<'_>) -> Result<Response, ApiError> {
    let scope = platform_scope(call.principal(), Resource::ApiKeys, Action::Create)?;
    let now = Timestamp::now();
    let draft = parse_json_with_limit::<NewApiKey>(call.request(), BODY_LIMIT)?
        .validate(now, call.principal().tenant_id())?;
    let tenant_id = scope
        .restrict_to(draft.tenant_id.clone())
        .map_err(|denial| ApiError::denied(denial, "tenant"))?;
    let platform = call.platform()?;
    platform
        .tenants(DataScope::Tenant(tenant_id.clone()))
        .get(&tenant_id)?
        .ok_or_else(tenants::not_found)?;
    let (key, token) = issue(&platform.api_keys(scope), draft, now)?;
    call.audit(AuditEvent {
        action: AuditAction::Create,
        resource: Resource::ApiKeys,
        resource_id: key.id.to_string(),
        tenant_id: Some(tenant_id),
    });
    let body = IssuedKey {
        id: key.id,
        tenant_id: &key.tenant_id,
        name: &key.name,
        role: key.role,
        prefix: &key.prefix,
        key: token.to_string(),
        expires_at: key.expires_at,
        created_at: key.created_at,
    };
    Ok(json_response(201, &body)?.build())
}

/// Generates a token and stores its key, trying again should the prefix be taken.
fn issue(
    keys: &ApiKeys<'_>,
    draft: fabula_domain::auth::ApiKeyDraft,
    now: Timestamp,
) -> Result<(ApiKey, ApiKeyToken), ApiError> {
    for _ in 0..ISSUE_ATTEMPTS {
        let token = ApiKeyToken::generate().map_err(ApiError::internal)?;
        let key = ApiKey::issue(draft.clone(), &token, now);
        if keys.insert(&key, &token.secret_hash())? {
            return Ok((key, token));
        }
    }
    Err(ApiError::internal(
        "no unused API key prefix after several attempts",
    ))
}

/// `GET /api/v1/api-keys?tenant_id=&limit=&cursor=`: keys without secrets, in creation
/// order: the own tenant's for tenant admins; every tenant's (or `tenant_id`'s) for
/// operators.
pub fn list(call: &Call, _: &Params<'_>) -> Result<Response, ApiError> {
    let scope = platform_scope(call.principal(), Resource::ApiKeys, Action::Read)?;
    let query = call.request().query();
    let scope = scope
        .filtered(tenant_filter(query)?)
        .map_err(|denial| ApiError::denied(denial, "tenant"))?;
    let page = Page::<ApiKeyId>::from_query(query)?;
    let rows = call.platform()?.api_keys(scope).list(&page)?;
    let body = PageOf::from_rows(rows, page.limit, |key| key.id);
    Ok(json_response(200, &body)?.build())
}

/// `DELETE /api/v1/api-keys/{id}`: 204; the key stops working at once. Revoking a
/// revoked key again is a 204 that keeps the first revocation time.
pub fn revoke(call: &Call, params: &Params<'_>) -> Result<Response, ApiError> {
    let scope = platform_scope(call.principal(), Resource::ApiKeys, Action::Delete)?;
    let id = params
        .get("id")
        .and_then(ApiKeyId::parse)
        .ok_or_else(not_found)?;
    let tenant_id = call
        .platform()?
        .api_keys(scope)
        .revoke(id, Timestamp::now())?
        .ok_or_else(not_found)?;
    call.audit(AuditEvent {
        action: AuditAction::Revoke,
        resource: Resource::ApiKeys,
        resource_id: id.to_string(),
        tenant_id: Some(tenant_id),
    });
    Ok(ResponseBuilder::new(204).build())
}

/// The `tenant_id` query parameter, if given (the last one wins, as for `limit`).
fn tenant_filter(query: &str) -> Result<Option<TenantId>, ValidationError> {
    let Some(raw) = form_urlencoded::parse(query.as_bytes())
        .filter(|(name, _)| name == "tenant_id")
        .map(|(_, value)| value)
        .last()
    else {
        return Ok(None);
    };
    TenantId::parse(&raw)
        .map(Some)
        .map_err(|e| ValidationError::single("tenant_id", FieldCode::InvalidValue, e.to_string()))
}

fn not_found() -> ApiError {
    ApiError::not_found("API key not found")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_filter_reads_the_query() {
        assert_eq!(tenant_filter("limit=5").unwrap(), None);
        assert_eq!(
            tenant_filter("tenant_id=acme&limit=5").unwrap(),
            Some(TenantId::parse("acme").unwrap())
        );
        assert_eq!(
            tenant_filter("tenant_id=x&tenant_id=acme")
                .unwrap()
                .unwrap()
                .as_str(),
            "acme"
        );
        let err = tenant_filter("tenant_id=A%3AB").unwrap_err();
        assert_eq!(err.fields[0].field, "tenant_id");
        assert!(tenant_filter("tenant_id=").is_err());
    }
}
