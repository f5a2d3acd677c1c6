//! `GET /api/v1/audit-log`: the audit log, newest first.

use fabula_domain::audit::AuditEntryId;
use fabula_domain::auth::{Action, Resource, platform_scope};
use fabula_domain::{Page, PageOf};
use fabula_spin::ApiError;
use fabula_spin::api::Call;
use fabula_spin::json::json_response;
use fabula_spin::router::Params;
use spin_sdk::http::Response;

/// `GET /api/v1/audit-log?limit=&cursor=`: every entry for operators, the own tenant's
/// for tenant admins; newest first (the cursor stays stable as entries are added).
pub fn list(call: &Call, _: &Params<'_>) -> Result<Response, ApiError> {
    let scope = platform_scope(call.principal(), Resource::AuditLog, Action::Read)?;
    let page = Page::<AuditEntryId>::from_query(call.request().query())?;
    let rows = call.platform()?.audit_log(scope).list(&page)?;
    let body = PageOf::from_rows(rows, page.limit, |entry| entry.id);
    Ok(json_response(200, &body)?.build())
}
