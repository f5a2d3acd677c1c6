//! The `/api/v1/stories` route handlers.
//!
//! Each handler first asks the domain what the caller may see (`tenant_viewer`: 401 for
//! anonymous writes, 403 for the operator token, which has no tenant), then works through
//! a repository bound to that viewer, and decides per record with `Viewer::check`
//! (another tenant's story is a 404 unless it is public and only read).

use fabula_domain::audit::{AuditAction, AuditEvent};
use fabula_domain::auth::{Action, Resource, Viewer, tenant_viewer};
use fabula_domain::{NewStory, Page, PageOf, Story, StoryId, StoryPatch, Timestamp};
use fabula_spin::ApiError;
use fabula_spin::api::Call;
use fabula_spin::conditional::{VersionPrecondition, not_modified, version_etag};
use fabula_spin::json::{json_response, parse_json};
use fabula_spin::router::Params;
use spin_sdk::http::{Response, ResponseBuilder};

use crate::cache::StoryCache;
use crate::repo::{StoredStory, StoryRepository};

/// Where stories live; `Location` headers point below it.
const COLLECTION_PATH: &str = "/api/v1/stories";

/// `POST /api/v1/stories`: 201 with `Location` and `ETag`.
pub fn create(call: &Call, _: &Params<'_>) -> Result<Response, ApiError> {
    let viewer = viewer(call, Action::Create)?;
    let draft = parse_json::<NewStory>(call.request())?.validate()?;
    let story = Story::new(StoryId::generate(), draft, Timestamp::now());
    StoryRepository::open(viewer.clone())?.insert(&story)?;
    if let Some(tenant) = viewer.tenant() {
        StoryCache::open(&viewer, call.request_id()).put(tenant, &story);
    }
    audit(call, &viewer, AuditAction::Create, story.id);
    Ok(story_response(201, &story)?
        .header("location", format!("{COLLECTION_PATH}/{}", story.id))
        .build())
}

/// `GET /api/v1/stories?limit=&cursor=`: one page in creation order: the tenant's own
/// stories, or every tenant's public ones for anonymous callers.
pub fn list(call: &Call, _: &Params<'_>) -> Result<Response, ApiError> {
    let viewer = viewer(call, Action::Read)?;
    let page = Page::<StoryId>::from_query(call.request().query())?;
    let rows = StoryRepository::open(viewer)?.list(&page)?;
    let body = PageOf::from_rows(rows, page.limit, |story| story.id);
    Ok(json_response(200, &body)?.build())
}

/// `GET /api/v1/stories/{id}`: 200 with `ETag`, or 304 when `If-None-Match` matches.
pub fn show(call: &Call, params: &Params<'_>) -> Result<Response, ApiError> {
    let viewer = viewer(call, Action::Read)?;
    let id = story_id(params)?;
    let cache = StoryCache::open(&viewer, call.request_id());
    let story = match cache.get(id) {
        Some(story) => story,
        None => {
            let repo = StoryRepository::open(viewer.clone())?;
            let stored = visible(&repo, &viewer, Action::Read, id)?;
            cache.put(&stored.tenant_id, &stored.story);
            stored.story
        }
    };
    if not_modified(call.request(), story.version) {
        return Ok(ResponseBuilder::new(304)
            .header("etag", version_etag(story.version))
            .build());
    }
    Ok(story_response(200, &story)?.build())
}

/// `PATCH /api/v1/stories/{id}`: partial update, conditioned on `If-Match` or `version`.
/// A `quality` change that does not fit the story's current policy (a dialogue bound given
/// alone that crosses the other) is a 422 found after the precondition check.
pub fn update(call: &Call, params: &Params<'_>) -> Result<Response, ApiError> {
    let viewer = viewer(call, Action::Update)?;
    let id = story_id(params)?;
    let patch = parse_json::<StoryPatch>(call.request())?.validate()?;
    let precondition = VersionPrecondition::from_request(call.request(), patch.expected_version);
    precondition.require()?;
    let repo = StoryRepository::open(viewer.clone())?;
    let current = visible(&repo, &viewer, Action::Update, id)?;
    precondition.check(current.story.version)?;
    let updated = current.story.apply(patch.changes, Timestamp::now())?;
    if !repo.update(&updated, current.story.version)? {
        return Err(lost_race(&repo, id)?);
    }
    StoryCache::open(&viewer, call.request_id()).put(&current.tenant_id, &updated);
    audit(call, &viewer, AuditAction::Update, id);
    Ok(story_response(200, &updated)?.build())
}

/// `DELETE /api/v1/stories/{id}`: 204; conditioned on `If-Match` when given.
pub fn delete(call: &Call, params: &Params<'_>) -> Result<Response, ApiError> {
    let viewer = viewer(call, Action::Delete)?;
    let id = story_id(params)?;
    let precondition = VersionPrecondition::from_request(call.request(), None);
    let repo = StoryRepository::open(viewer.clone())?;
    let cache = StoryCache::open(&viewer, call.request_id());
    let current = visible(&repo, &viewer, Action::Delete, id).inspect_err(|_| cache.remove(id))?;
    let expected_version = if precondition.is_given() {
        precondition.check(current.story.version)?;
        Some(current.story.version)
    } else {
        None
    };
    let deleted = repo.delete(id, expected_version)?;
    // Also on a miss: an entry left behind by a lost race must not outlive the row.
    cache.remove(id);
    if !deleted {
        return Err(match expected_version {
            None => not_found(),
            Some(_) => lost_race(&repo, id)?,
        });
    }
    audit(call, &viewer, AuditAction::Delete, id);
    Ok(ResponseBuilder::new(204).build())
}

/// From where the caller sees stories when doing `action` (401, 403 otherwise).
fn viewer(call: &Call, action: Action) -> Result<Viewer, ApiError> {
    Ok(tenant_viewer(call.principal(), Resource::Stories, action)?)
}

/// The story with this id if the viewer may do `action` on it; 404 otherwise (also for
/// another tenant's story, so ids cannot be probed).
fn visible(
    repo: &StoryRepository,
    viewer: &Viewer,
    action: Action,
    id: StoryId,
) -> Result<StoredStory, ApiError> {
    repo.get(id)?
        .filter(|stored| viewer.check(action, stored.ownership()).is_ok())
        .ok_or_else(not_found)
}

/// Reports a successful write of story `id` for the audit log.
fn audit(call: &Call, viewer: &Viewer, action: AuditAction, id: StoryId) {
    call.audit(AuditEvent {
        action,
        resource: Resource::Stories,
        resource_id: id.to_string(),
        tenant_id: viewer.tenant().cloned(),
    });
}

/// The `{id}` parameter; anything that is not a UUID is a plain 404 so ids cannot be probed.
fn story_id(params: &Params<'_>) -> Result<StoryId, ApiError> {
    params
        .get("id")
        .and_then(StoryId::parse)
        .ok_or_else(not_found)
}

fn not_found() -> ApiError {
    ApiError::not_found("story not found")
}

/// A conditional write matched no row although the precondition held a moment before:
/// the story was changed (412 with its version) or deleted (404) concurrently.
fn lost_race(repo: &StoryRepository, id: StoryId) -> Result<ApiError, ApiError> {
    Ok(match repo.get(id)? {
        Some(current) => ApiError::version_conflict(current.story.version),
        None => not_found(),
    })
}

/// A story as JSON with its `ETag`.
fn story_response(status: u16, story: &Story) -> Result<ResponseBuilder, ApiError> {
    let mut builder = json_response(status, story)?;
    builder.header("etag", version_etag(story.version));
    Ok(builder)
}
