//! `/api/v1/tenants`: create (operators), list, show.

use fabula_domain::audit::{AuditAction, AuditEvent};
use fabula_domain::auth::{Action, DataScope, Denial, Resource, can_view_tenant, platform_scope};
use fabula_domain::{NewTenant, Page, PageOf, TenantId, Timestamp};
use fabula_spin::ApiError;
use fabula_spin::api::Call;
use fabula_spin::json::{json_response, parse_json_with_limit};
use fabula_spin::router::Params;
use spin_sdk::http::Response;

use crate::BODY_LIMIT;

/// Where tenants live; `Location` headers point below it.
const COLLECTION_PATH: &str = "/api/v1/tenants";

/// `POST /api/v1/tenants`: 201 `{"id","name","tier","created_at"}` with `Location`.
pub fn create(call: &Call, _: &Params<'_>) -> Result<Response, ApiError> {
    let scope = platform_scope(call.principal(), Resource::Tenants, Action::Create)?;
    let tenant = parse_json_with_limit::<NewTenant>(call.request(), BODY_LIMIT)?
        .validate(Timestamp::now())?;
    call.platform()?.tenants(scope).insert(&tenant)?;
    call.audit(AuditEvent {
        action: AuditAction::Create,
        resource: Resource::Tenants,
        resource_id: tenant.id.to_string(),
        tenant_id: Some(tenant.id.clone()),
    });
    Ok(json_response(201, &tenant)?
        .header("location", format!("{COLLECTION_PATH}/{}", tenant.id))
        .build())
}

/// `GET /api/v1/tenants?limit=&cursor=`: every tenant for operators, the own for tenant
/// admins; in creation order.
pub fn list(call: &Call, _: &Params<'_>) -> Result<Response, ApiError> {
    let scope = platform_scope(call.principal(), Resource::Tenants, Action::Read)?;
    let page = Page::<TenantId>::from_query(call.request().query())?;
    let rows = call.platform()?.tenants(scope).list(&page)?;
    let body = PageOf::from_rows(rows, page.limit, |tenant| tenant.id.clone());
    Ok(json_response(200, &body)?.build())
}

/// `GET /api/v1/tenants/{id}`: for operators and the tenant's own members; 404 otherwise.
pub fn show(call: &Call, params: &Params<'_>) -> Result<Response, ApiError> {
    let id = can_view_tenant(call.principal(), params.get("id").unwrap_or_default())
        .map_err(|denial| ApiError::denied(denial, "tenant"))?;
    let tenant = call
        .platform()?
        .tenants(DataScope::Tenant(id.clone()))
        .get(&id)?
        .ok_or_else(not_found)?;
    Ok(json_response(200, &tenant)?.build())
}

/// 404 for a tenant that does not exist or is not visible.
pub fn not_found() -> ApiError {
    ApiError::denied(Denial::NotFound, "tenant")
}
