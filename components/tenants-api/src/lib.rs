//! The tenancy route group: tenants, API keys, the caller's identity, the audit log and
//! system metrics.
//!
//! | Route | Who | Success |
//! |---|---|---|
//! | `POST /api/v1/tenants` | operators | 201 tenant + `Location` |
//! | `GET /api/v1/tenants?limit=&cursor=` | operators (all), tenant admins (own) | 200 page |
//! | `GET /api/v1/tenants/{id}` | operators, members of the tenant (others: 404) | 200 tenant |
//! | `POST /api/v1/api-keys` | operators, tenant admins (own tenant) | 201 key with its secret, once |
//! | `GET /api/v1/api-keys?tenant_id=&limit=&cursor=` | operators (all or one tenant), tenant admins (own) | 200 page |
//! | `DELETE /api/v1/api-keys/{id}` | operators (any), tenant admins (own tenant's) | 204 |
//! | `GET /api/v1/me` | everyone | 200 role, tenant, key, limits |
//! | `GET /api/v1/audit-log?limit=&cursor=` | operators (all), tenant admins (own) | 200 page, newest first |
//! | `GET /api/v1/system/metrics` | admins, services | 200 counts |
//!
//! Every request goes through the API pipeline (authentication, rate limits, idempotency
//! of POSTs, audit of writes); permissions come from the domain's matrix. Data lives in
//! the platform tables of SQLite `default`.

mod api_keys;
mod audit_log;
mod me;
mod metrics;
mod tenants;

use fabula_spin::api::Call;
use fabula_spin::router::Router;
use spin_sdk::http::Method;

/// Largest request body of this group: names and tiers are short.
const BODY_LIMIT: usize = 16 * 1024;

fabula_spin::api_entry!(routes);

fn routes() -> Router<Call> {
    Router::new()
        .route(Method::Post, "/api/v1/tenants", tenants::create)
        .route(Method::Get, "/api/v1/tenants", tenants::list)
        .route(Method::Get, "/api/v1/tenants/{id}", tenants::show)
        .route(Method::Post, "/api/v1/api-keys", api_keys::create)
        .route(Method::Get, "/api/v1/api-keys", api_keys::list)
        .route(Method::Delete, "/api/v1/api-keys/{id}", api_keys::revoke)
        .route(Method::Get, "/api/v1/me", me::show)
        .route(Method::Get, "/api/v1/audit-log", audit_log::list)
        .route(Method::Get, "/api/v1/system/metrics", metrics::show)
}
