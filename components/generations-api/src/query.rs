//! Reading the caller's tenant, path ids and query parameters.

use fabula_domain::auth::{Action, Resource, tenant_viewer};
use fabula_domain::pipeline::{JobId, JobStatus};
use fabula_domain::{FieldCode, StoryId, TenantId, Violations};
use fabula_spin::ApiError;
use fabula_spin::api::Call;
use fabula_spin::pipeline::JobFilter;
use fabula_spin::router::Params;

/// The tenant whose `resource` the caller may do `action` on (401 anonymous, 403 for the
/// operator token or a role without the grant).
pub fn tenant(call: &Call, resource: Resource, action: Action) -> Result<TenantId, ApiError> {
    let viewer = tenant_viewer(call.principal(), resource, action)?;
    viewer
        .tenant()
        .cloned()
        .ok_or_else(ApiError::unauthenticated)
}

/// The `{id}` job; anything that is not a UUID is a 404 so ids cannot be probed.
pub fn job_id(params: &Params<'_>) -> Result<JobId, ApiError> {
    params
        .get("id")
        .and_then(JobId::parse)
        .ok_or_else(job_not_found)
}

/// The `{id}` story, like [`job_id`].
pub fn story_id(params: &Params<'_>) -> Result<StoryId, ApiError> {
    params
        .get("id")
        .and_then(StoryId::parse)
        .ok_or_else(story_not_found)
}

/// 404 for a job.
pub fn job_not_found() -> ApiError {
    ApiError::not_found("job not found")
}

/// 404 for a story.
pub fn story_not_found() -> ApiError {
    ApiError::not_found("story not found")
}

/// The last value of query parameter `name`, if given.
pub fn param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key == name)
        .last()
        .map(|(_, value)| value.into_owned())
}

/// `?status=` and `?story_id=` of a job list (422 naming the field when malformed).
pub fn job_filter(query: &str) -> Result<JobFilter, ApiError> {
    let mut v = Violations::new();
    let status = match param(query, "status").filter(|s| !s.is_empty()) {
        None => Some(None),
        Some(name) => match JobStatus::parse(&name) {
            Some(status) => Some(Some(status)),
            None => {
                v.push(
                    "status",
                    FieldCode::InvalidValue,
                    "must be queued, running, completed, failed or cancelled",
                );
                None
            }
        },
    };
    let story_id = match param(query, "story_id").filter(|s| !s.is_empty()) {
        None => Some(None),
        Some(text) => match StoryId::parse(&text) {
            Some(id) => Some(Some(id)),
            None => {
                v.push("story_id", FieldCode::InvalidValue, "must be a story id");
                None
            }
        },
    };
    let filter = status
        .zip(story_id)
        .map(|(status, story_id)| JobFilter { status, story_id });
    Ok(v.finish(filter)?)
}
