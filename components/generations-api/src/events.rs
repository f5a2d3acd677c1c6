//! `GET /api/v1/jobs/{id}/events`: JSON pages, or Server-Sent Events.

use fabula_domain::Page;
use fabula_domain::auth::{Action, Resource};
use fabula_domain::pipeline::{EventPage, Setting, accepts_event_stream, resume_after};
use fabula_spin::ApiError;
use fabula_spin::api::Call;
use fabula_spin::json::json_response;
use fabula_spin::pipeline::{EventStream, Jobs, PipelineDb, setting};
use fabula_spin::router::Params;
use spin_sdk::http::{Response, ResponseBuilder};

use crate::query::{job_id, job_not_found, param, tenant};

/// Events after `?after=<seq>` (or `Last-Event-ID`): `{"items", "next_cursor"}` with up
/// to `?limit` (default 20, at most 100) events; with `Accept: text/event-stream` an SSE
/// stream (replay, then live until the job ends or `sse_max_seconds` pass).
pub fn list(call: &Call, params: &Params<'_>) -> Result<Response, ApiError> {
    let tenant = tenant(call, Resource::Jobs, Action::Read)?;
    let id = job_id(params)?;
    let request = call.request();
    let query = request.query();
    let last_event_id = request.header("last-event-id").and_then(|v| v.as_str());
    let after = resume_after(last_event_id, param(query, "after").as_deref())?;
    let pipeline = PipelineDb::open()?;
    let jobs = Jobs::new(&pipeline, tenant.clone());
    jobs.status(id)?.ok_or_else(job_not_found)?;
    if accepts_event_stream(request.header("accept").and_then(|v| v.as_str())) {
        let max_seconds = setting(Setting::SseMaxSeconds, call.request_id());
        let stream = EventStream::new(tenant, id, after, max_seconds, call.request_id())?;
        let head = ResponseBuilder::new(200)
            .header("content-type", "text/event-stream")
            .header("cache-control", "no-cache")
            .header("x-accel-buffering", "no")
            .build();
        return Ok(call.stream(head, stream));
    }
    let limit = Page::<u64>::from_query(query)?.limit;
    let items = jobs.events_after(id, after, limit)?;
    Ok(json_response(200, &EventPage::new(items, limit))?.build())
}
