//! The `/api/v1/stories` route handlers.

use fabula_domain::{NewStory, Page, PageOf, Story, StoryId, StoryPatch, TenantId, Timestamp};
use fabula_spin::ApiError;
use fabula_spin::conditional::{VersionPrecondition, not_modified, version_etag};
use fabula_spin::json::{json_response, parse_json};
use fabula_spin::request_id::request_id;
use fabula_spin::router::Params;
use spin_sdk::http::{Request, Response, ResponseBuilder};

use crate::cache::StoryCache;
use crate::repo::StoryRepository;

/// Where stories live; `Location` headers point below it.
const COLLECTION_PATH: &str = "/api/v1/stories";

/// `POST /api/v1/stories`: 201 with `Location` and `ETag`.
pub fn create(req: &Request, _: &Params<'_>) -> Result<Response, ApiError> {
    let draft = parse_json::<NewStory>(req)?.validate()?;
    let story = Story::new(StoryId::generate(), draft, Timestamp::now());
    let tenant = tenant(req);
    StoryRepository::open(tenant.clone())?.insert(&story)?;
    StoryCache::open(tenant, request_id(req)).put(&story);
    Ok(story_response(201, &story)?
        .header("location", format!("{COLLECTION_PATH}/{}", story.id))
        .build())
}

/// `GET /api/v1/stories?limit=&cursor=`: one page in creation order.
pub fn list(req: &Request, _: &Params<'_>) -> Result<Response, ApiError> {
    let page = Page::<StoryId>::from_query(req.query())?;
    let rows = StoryRepository::open(tenant(req))?.list(&page)?;
    let body = PageOf::from_rows(rows, page.limit, |story| story.id);
    Ok(json_response(200, &body)?.build())
}

/// `GET /api/v1/stories/{id}`: 200 with `ETag`, or 304 when `If-None-Match` matches.
pub fn show(req: &Request, params: &Params<'_>) -> Result<Response, ApiError> {
    let id = story_id(params)?;
    let tenant = tenant(req);
    let cache = StoryCache::open(tenant.clone(), request_id(req));
    let story = match cache.get(id) {
        Some(story) => story,
        None => {
            let story = StoryRepository::open(tenant)?
                .get(id)?
                .ok_or_else(not_found)?;
            cache.put(&story);
            story
        }
    };
    if not_modified(req, story.version) {
        return Ok(ResponseBuilder::new(304)
            .header("etag", version_etag(story.version))
            .build());
    }
    Ok(story_response(200, &story)?.build())
}

/// `PATCH /api/v1/stories/{id}`: partial update, conditioned on `If-Match` or `version`.
pub fn update(req: &Request, params: &Params<'_>) -> Result<Response, ApiError> {
    let id = story_id(params)?;
    let patch = parse_json::<StoryPatch>(req)?.validate()?;
    let precondition = VersionPrecondition::from_request(req, patch.expected_version);
    precondition.require()?;
    let tenant = tenant(req);
    let repo = StoryRepository::open(tenant.clone())?;
    let current = repo.get(id)?.ok_or_else(not_found)?;
    precondition.check(current.version)?;
    let updated = current.apply(patch.changes, Timestamp::now());
    if !repo.update(&updated, current.version)? {
        return Err(lost_race(&repo, id)?);
    }
    StoryCache::open(tenant, request_id(req)).put(&updated);
    Ok(story_response(200, &updated)?.build())
}

/// `DELETE /api/v1/stories/{id}`: 204; conditioned on `If-Match` when given.
pub fn delete(req: &Request, params: &Params<'_>) -> Result<Response, ApiError> {
    let id = story_id(params)?;
    let precondition = VersionPrecondition::from_request(req, None);
    let tenant = tenant(req);
    let repo = StoryRepository::open(tenant.clone())?;
    let cache = StoryCache::open(tenant, request_id(req));
    let expected_version = if precondition.is_given() {
        let Some(current) = repo.get(id)? else {
            cache.remove(id);
            return Err(not_found());
        };
        precondition.check(current.version)?;
        Some(current.version)
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
    Ok(ResponseBuilder::new(204).build())
}

/// The tenant a request acts for. Single-tenant until multi-tenancy (issue #3) derives it
/// from the caller's credentials.
fn tenant(_req: &Request) -> TenantId {
    TenantId::default_tenant()
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
        Some(current) => ApiError::version_conflict(current.version),
        None => not_found(),
    })
}

/// A story as JSON with its `ETag`.
fn story_response(status: u16, story: &Story) -> Result<ResponseBuilder, ApiError> {
    let mut builder = json_response(status, story)?;
    builder.header("etag", version_etag(story.version));
    Ok(builder)
}
