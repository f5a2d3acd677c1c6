//! Creating, listing, showing, cancelling and retrying jobs, and their chapters.

use fabula_domain::audit::{AuditAction, AuditEvent};
use fabula_domain::auth::{Action, Resource};
use fabula_domain::pipeline::{GenerationRequest, JobId, Step, StepMessage};
use fabula_domain::{Page, PageOf, Timestamp};
use fabula_spin::ApiError;
use fabula_spin::api::Call;
use fabula_spin::json::{json_response, parse_json_with_limit};
use fabula_spin::log::{Level, log};
use fabula_spin::pipeline::{
    JobFilter, JobRecord, Jobs, NewJob, PipelineDb, StatusChange, publish, story_defaults,
};
use fabula_spin::router::Params;
use spin_sdk::http::Response;

use crate::query::{job_filter, job_id, job_not_found, story_id, story_not_found, tenant};
use crate::view::{detail, summary};

/// Largest generation request body.
const BODY_LIMIT: usize = 16 * 1024;

/// `POST /api/v1/stories/{id}/generations`: 202 with the job and `Location`; the premise
/// step is published. An empty body takes every default from the story.
pub fn create(call: &Call, params: &Params<'_>) -> Result<Response, ApiError> {
    let tenant = tenant(call, Resource::Jobs, Action::Create)?;
    let story = story_id(params)?;
    let request = if call.request().body().iter().all(u8::is_ascii_whitespace) {
        GenerationRequest::default()
    } else {
        parse_json_with_limit::<GenerationRequest>(call.request(), BODY_LIMIT)?
    };
    let pipeline = PipelineDb::open()?;
    let defaults = story_defaults(&pipeline, &tenant, story)?.ok_or_else(story_not_found)?;
    let id = JobId::generate();
    let valid = request.validate(&defaults, id)?;
    let now = Timestamp::now();
    let jobs = Jobs::new(&pipeline, tenant.clone());
    let job = jobs.create(
        &NewJob {
            id,
            story_id: story,
            spec: valid.spec,
            warnings: valid.warnings,
        },
        now,
    )?;
    start(call, id, Step::Premise);
    audit(call, AuditAction::Create, &job);
    let body = detail(job, Vec::new(), None, now);
    Ok(json_response(202, &body)?
        .header("location", format!("/api/v1/jobs/{id}"))
        .build())
}

/// Publishes a job's step; a failure is logged (the sweeper re-publishes stalled jobs).
fn start(call: &Call, job: JobId, step: Step) {
    if let Err(e) = publish(&StepMessage { job_id: job, step }) {
        log(
            Level::Error,
            call.request_id(),
            format_args!("{e}; the sweeper will re-publish it"),
        );
    }
}

fn audit(call: &Call, action: AuditAction, job: &JobRecord) {
    call.audit(AuditEvent {
        action,
        resource: Resource::Jobs,
        resource_id: job.id.to_string(),
        tenant_id: Some(job.tenant_id.clone()),
    });
}

/// `GET /api/v1/stories/{id}/generations`: the story's jobs, newest first.
pub fn list_for_story(call: &Call, params: &Params<'_>) -> Result<Response, ApiError> {
    let tenant = tenant(call, Resource::Jobs, Action::Read)?;
    let story = story_id(params)?;
    let page = Page::<JobId>::from_query(call.request().query())?;
    let pipeline = PipelineDb::open()?;
    story_defaults(&pipeline, &tenant, story)?.ok_or_else(story_not_found)?;
    let filter = JobFilter {
        status: None,
        story_id: Some(story),
    };
    page_of_jobs(&Jobs::new(&pipeline, tenant), &filter, &page)
}

/// `GET /api/v1/jobs?status=&story_id=`: the tenant's jobs, newest first.
pub fn list(call: &Call, _: &Params<'_>) -> Result<Response, ApiError> {
    let tenant = tenant(call, Resource::Jobs, Action::Read)?;
    let query = call.request().query();
    let page = Page::<JobId>::from_query(query)?;
    let filter = job_filter(query)?;
    let pipeline = PipelineDb::open()?;
    page_of_jobs(&Jobs::new(&pipeline, tenant), &filter, &page)
}

fn page_of_jobs(
    jobs: &Jobs<'_>,
    filter: &JobFilter,
    page: &Page<JobId>,
) -> Result<Response, ApiError> {
    let rows = jobs.list(filter, page)?;
    let body = PageOf::from_rows(rows, page.limit, |job| job.id);
    let body = PageOf {
        items: body.items.iter().map(summary).collect(),
        next_cursor: body.next_cursor,
    };
    Ok(json_response(200, &body)?.build())
}

/// `GET /api/v1/jobs/{id}`.
pub fn show(call: &Call, params: &Params<'_>) -> Result<Response, ApiError> {
    let tenant = tenant(call, Resource::Jobs, Action::Read)?;
    let id = job_id(params)?;
    let pipeline = PipelineDb::open()?;
    let jobs = Jobs::new(&pipeline, tenant);
    let job = jobs.get(id)?.ok_or_else(job_not_found)?;
    let body = detail(job, jobs.steps(id)?, jobs.manuscript(id)?, Timestamp::now());
    Ok(json_response(200, &body)?.build())
}

/// `GET /api/v1/jobs/{id}/chapters?limit=&cursor=`: the written chapters in order.
pub fn chapters(call: &Call, params: &Params<'_>) -> Result<Response, ApiError> {
    let tenant = tenant(call, Resource::Jobs, Action::Read)?;
    let id = job_id(params)?;
    let page = Page::<u32>::from_query(call.request().query())?;
    let pipeline = PipelineDb::open()?;
    let jobs = Jobs::new(&pipeline, tenant);
    jobs.get(id)?.ok_or_else(job_not_found)?;
    let rows = jobs.chapters(id, page.after.unwrap_or(0), page.fetch_limit())?;
    let body = PageOf::from_rows(rows, page.limit, |chapter| chapter.number);
    Ok(json_response(200, &body)?.build())
}

/// `POST /api/v1/jobs/{id}/cancel`: 200 with the cancelled job; 409 unless it is queued
/// or running.
pub fn cancel(call: &Call, params: &Params<'_>) -> Result<Response, ApiError> {
    let tenant = tenant(call, Resource::Jobs, Action::Update)?;
    let id = job_id(params)?;
    let pipeline = PipelineDb::open()?;
    let jobs = Jobs::new(&pipeline, tenant);
    let job = changed(jobs.cancel(id, Timestamp::now())?)?;
    audit(call, AuditAction::Update, &job);
    let body = detail(job, jobs.steps(id)?, None, Timestamp::now());
    Ok(json_response(200, &body)?.build())
}

/// `POST /api/v1/jobs/{id}/retry`: 202 with the job, its current step re-published; 409
/// unless it failed or was cancelled.
pub fn retry(call: &Call, params: &Params<'_>) -> Result<Response, ApiError> {
    let tenant = tenant(call, Resource::Jobs, Action::Update)?;
    let id = job_id(params)?;
    let pipeline = PipelineDb::open()?;
    let jobs = Jobs::new(&pipeline, tenant);
    let job = changed(jobs.retry(id, Timestamp::now())?)?;
    if let Some(step) = job.current_step {
        start(call, id, step);
    }
    audit(call, AuditAction::Update, &job);
    let body = detail(job, jobs.steps(id)?, None, Timestamp::now());
    Ok(json_response(202, &body)?.build())
}

/// The changed job, 409 `invalid_transition` or 404.
fn changed(change: StatusChange) -> Result<JobRecord, ApiError> {
    match change {
        StatusChange::Changed(job) => Ok(*job),
        StatusChange::Refused(refused) => Err(ApiError::new(
            409,
            "invalid_transition",
            refused.to_string(),
        )),
        StatusChange::NotFound => Err(job_not_found()),
    }
}
