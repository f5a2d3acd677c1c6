//! The generation jobs route group.
//!
//! | Route | Success | Errors |
//! |---|---|---|
//! | `POST /api/v1/stories/{id}/generations` | 202 job + `Location` | 400, 401, 403, 404, 413, 415, 422 |
//! | `GET /api/v1/stories/{id}/generations?limit&cursor` | 200 page of jobs | 400, 401, 403, 404, 422 |
//! | `GET /api/v1/jobs?status&story_id&limit&cursor` | 200 page of jobs, newest first | 400, 401, 403, 422 |
//! | `GET /api/v1/jobs/{id}` | 200 job | 401, 403, 404 |
//! | `GET /api/v1/jobs/{id}/chapters?limit&cursor` | 200 page of chapters, in order | 400, 401, 403, 404, 422 |
//! | `GET /api/v1/jobs/{id}/events?after&limit` | 200 `{"items", "next_cursor"}`, or SSE with `Accept: text/event-stream` | 401, 403, 404, 422 |
//! | `POST /api/v1/jobs/{id}/cancel` | 200 job | 401, 403, 404, 409 |
//! | `POST /api/v1/jobs/{id}/retry` | 202 job | 401, 403, 404, 409 |
//! | `GET /api/v1/usage` | 200 tenant and per-story totals | 401, 403 |
//! | `POST /api/v1/system/sweep` | 200 `{"requeued": [...]}` | 401, 403 |
//!
//! Jobs are tenant data: a tenant's keys (admin, user, service) create, read, cancel and
//! retry their own tenant's jobs; another tenant's job is a 404; anonymous callers get 401
//! and the operator token 403. The sweep is for operators (every tenant) and tenant admins
//! (their own tenant's jobs).

mod events;
mod jobs;
mod query;
mod sweep;
mod usage;
mod view;

use fabula_spin::api::Call;
use fabula_spin::router::Router;
use spin_sdk::http::Method;

fabula_spin::api_entry!(routes);

fn routes() -> Router<Call> {
    Router::new()
        .route(
            Method::Post,
            "/api/v1/stories/{id}/generations",
            jobs::create,
        )
        .route(
            Method::Get,
            "/api/v1/stories/{id}/generations",
            jobs::list_for_story,
        )
        .route(Method::Get, "/api/v1/jobs", jobs::list)
        .route(Method::Get, "/api/v1/jobs/{id}", jobs::show)
        .route(Method::Get, "/api/v1/jobs/{id}/chapters", jobs::chapters)
        .route(Method::Get, "/api/v1/jobs/{id}/events", events::list)
        .route(Method::Post, "/api/v1/jobs/{id}/cancel", jobs::cancel)
        .route(Method::Post, "/api/v1/jobs/{id}/retry", jobs::retry)
        .route(Method::Get, "/api/v1/usage", usage::show)
        .route(Method::Post, "/api/v1/system/sweep", sweep::run)
}
