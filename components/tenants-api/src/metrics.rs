//! `GET /api/v1/system/metrics`: record counts, platform-wide for operators and
//! per tenant otherwise.

use fabula_domain::auth::{Action, DataScope, Resource, platform_scope};
use fabula_spin::ApiError;
use fabula_spin::api::Call;
use fabula_spin::db::{Db, DbError, text};
use fabula_spin::json::json_response;
use fabula_spin::platform::Count;
use fabula_spin::router::Params;
use serde::Serialize;
use spin_sdk::http::Response;

/// Whether the stories table exists yet (stories-api creates it on its first request).
const STORIES_TABLE_EXISTS: &str =
    "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'stories'";
const COUNT_STORIES: &str = "SELECT COUNT(*) AS n FROM stories";
const COUNT_STORIES_OF_TENANT: &str = "SELECT COUNT(*) AS n FROM stories WHERE tenant_id = ?";

/// `{"tenants", "api_keys", "stories", "audit_entries"}`.
#[derive(Serialize)]
struct Metrics {
    tenants: u64,
    api_keys: u64,
    stories: u64,
    audit_entries: u64,
}

/// `GET /api/v1/system/metrics`: admins and services (a user gets 403).
pub fn show(call: &Call, _: &Params<'_>) -> Result<Response, ApiError> {
    let scope = platform_scope(call.principal(), Resource::SystemMetrics, Action::Read)?;
    let platform = call.platform()?;
    let body = Metrics {
        tenants: platform.tenants(scope.clone()).count()?,
        api_keys: platform.api_keys(scope.clone()).count()?,
        stories: count_stories(platform.db(), &scope)?,
        audit_entries: platform.audit_log(scope).count()?,
    };
    Ok(json_response(200, &body)?.build())
}

/// Stories within `scope` (read from the stories-api table; 0 before it exists).
fn count_stories(db: &Db, scope: &DataScope) -> Result<u64, DbError> {
    let count = |sql, params: &[_]| -> Result<u64, DbError> {
        Ok(db.query_optional::<Count>(sql, params)?.map_or(0, |c| c.0))
    };
    if count(STORIES_TABLE_EXISTS, &[])? == 0 {
        return Ok(0);
    }
    match scope {
        DataScope::All => count(COUNT_STORIES, &[]),
        DataScope::Tenant(tenant) => count(COUNT_STORIES_OF_TENANT, &[text(tenant.as_str())]),
    }
}
