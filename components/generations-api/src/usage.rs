//! `GET /api/v1/usage`: the tenant's LLM totals and each story's.

use fabula_domain::auth::{Action, Resource};
use fabula_domain::pipeline::{StoryUsageView, UsageView};
use fabula_spin::ApiError;
use fabula_spin::api::Call;
use fabula_spin::json::json_response;
use fabula_spin::pipeline::{Jobs, PipelineDb};
use fabula_spin::router::Params;
use spin_sdk::http::Response;

use crate::query::tenant;

/// `{"tenant_id", "calls", "tokens", "cost_nanos", "cost_usd", "stories": [...]}`.
pub fn show(call: &Call, _: &Params<'_>) -> Result<Response, ApiError> {
    let tenant = tenant(call, Resource::Usage, Action::Read)?;
    let pipeline = PipelineDb::open()?;
    let usage = Jobs::new(&pipeline, tenant.clone()).usage()?;
    let body = UsageView {
        tenant_id: tenant.to_string(),
        calls: usage.calls,
        cost: usage.total.into(),
        stories: usage
            .stories
            .into_iter()
            .map(|(story_id, jobs, usage)| StoryUsageView {
                story_id,
                jobs,
                cost: usage.into(),
            })
            .collect(),
    };
    Ok(json_response(200, &body)?.build())
}
