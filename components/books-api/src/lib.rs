//! The books route group: what a story's book (the manuscript of a completed generation
//! job) reads like to the quality gate, and the book itself in the formats readers use.
//!
//! | Route | Success | Errors |
//! |---|---|---|
//! | `GET /api/v1/stories/{id}/analysis[?job_id=]` | 200 quality report and continuity alerts | 400 `invalid_job_id`, 401, 403, 404 `not_found` / `no_manuscript` |
//! | `GET /api/v1/stories/{id}/export?format=markdown\|epub\|json[&job_id=]` | 200 streamed file, `Content-Disposition: attachment` | 400 `unsupported_format` / `invalid_job_id`, 401, 403, 404 `not_found` / `no_manuscript` |
//!
//! The book is the story's newest completed job's (by completion time), or the job named
//! by `job_id`, which must be a completed job of that story. Visibility is the story's
//! (the stories read permission): a tenant's key reads its own stories' books and other
//! tenants' public ones, anonymous callers public ones only, the operator token gets 403;
//! a story the caller may not read is a 404 like one that does not exist.

mod handlers;

use fabula_spin::api::Call;
use fabula_spin::router::Router;
use spin_sdk::http::Method;

fabula_spin::api_entry!(routes);

fn routes() -> Router<Call> {
    Router::new()
        .route(
            Method::Get,
            "/api/v1/stories/{id}/analysis",
            handlers::analysis,
        )
        .route(Method::Get, "/api/v1/stories/{id}/export", handlers::export)
}
