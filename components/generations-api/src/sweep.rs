//! `POST /api/v1/system/sweep`: runs the sweeper now.

use fabula_domain::Timestamp;
use fabula_domain::audit::{AuditAction, AuditEvent};
use fabula_domain::auth::{Action, DataScope, Resource, platform_scope};
use fabula_domain::pipeline::Setting;
use fabula_spin::ApiError;
use fabula_spin::api::Call;
use fabula_spin::json::json_response;
use fabula_spin::pipeline::{PipelineDb, Requeued, setting, sweep};
use fabula_spin::router::Params;
use serde::Serialize;
use spin_sdk::http::Response;

#[derive(Serialize)]
struct Swept {
    requeued: Vec<Requeued>,
}

/// 200 `{"requeued": [{"job_id", "step", "reason", "published"}]}`: operators sweep every
/// tenant's jobs, tenant admins their own.
pub fn run(call: &Call, _: &Params<'_>) -> Result<Response, ApiError> {
    let scope = platform_scope(call.principal(), Resource::SystemSweep, Action::Create)?;
    let stall = setting(Setting::JobStallSeconds, call.request_id());
    let pipeline = PipelineDb::open()?;
    let requeued = sweep(&pipeline, &scope, Timestamp::now(), stall)?;
    call.audit(AuditEvent {
        action: AuditAction::Create,
        resource: Resource::SystemSweep,
        resource_id: "sweep".to_owned(),
        tenant_id: match scope {
            DataScope::All => None,
            DataScope::Tenant(id) => Some(id),
        },
    });
    Ok(json_response(200, &Swept { requeued })?.build())
}
