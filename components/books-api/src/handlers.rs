//! The analysis and export handlers.

use fabula_domain::StoryId;
use fabula_domain::auth::{Action, Resource, Viewer, tenant_viewer};
use fabula_domain::books::{AnalysisQuery, BookError, ExportQuery, analyse};
use fabula_spin::ApiError;
use fabula_spin::api::Call;
use fabula_spin::books::{BookStore, ExportStream};
use fabula_spin::json::json_response;
use fabula_spin::router::Params;
use spin_sdk::http::{Response, ResponseBuilder};

/// `GET /api/v1/stories/{id}/analysis[?job_id=]`: the book's quality report, computed now
/// over its chapters, with the recorded attempts and the continuity alerts.
pub fn analysis(call: &Call, params: &Params<'_>) -> Result<Response, ApiError> {
    let viewer = viewer(call)?;
    let id = story_id(params)?;
    let query = AnalysisQuery::parse(call.request().query())?;
    let store = BookStore::open()?;
    let book = store.load(&viewer, id, query.job_id)?;
    let chapters = store.chapters(&book.job)?;
    let view = analyse(&book.source(), &book.details.title, &chapters);
    Ok(json_response(200, &view)?.build())
}

/// `GET /api/v1/stories/{id}/export?format=markdown|epub|json[&job_id=]`: the book as a
/// file download, streamed one chapter at a time.
pub fn export(call: &Call, params: &Params<'_>) -> Result<Response, ApiError> {
    let viewer = viewer(call)?;
    let id = story_id(params)?;
    let query = ExportQuery::parse(call.request().query())?;
    let store = BookStore::open()?;
    let book = store.load(&viewer, id, query.job_id)?;
    let format = query.format;
    let file_name = format.file_name(&book.details.title);
    let stream = ExportStream::new(store, &book, format, call.request_id())?;
    let head = ResponseBuilder::new(200)
        .header("content-type", format.content_type())
        .header(
            "content-disposition",
            format!("attachment; filename=\"{file_name}\""),
        )
        .build();
    Ok(call.stream(head, stream))
}

/// From where the caller reads stories (401 anonymous callers only where the matrix
/// says so, 403 for the operator token).
fn viewer(call: &Call) -> Result<Viewer, ApiError> {
    tenant_viewer(call.principal(), Resource::Stories, Action::Read)
        .map_err(|denial| ApiError::denied(denial, "story"))
}

/// The `{id}` story; anything that is not a story id is a 404, so ids cannot be probed.
fn story_id(params: &Params<'_>) -> Result<StoryId, ApiError> {
    params
        .get("id")
        .and_then(StoryId::parse)
        .ok_or_else(|| BookError::StoryNotFound.into())
}
