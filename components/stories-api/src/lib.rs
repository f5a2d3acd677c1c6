//! The stories route group, `/api/v1/stories`.
//!
//! | Route | Success | Errors |
//! |---|---|---|
//! | `POST /api/v1/stories` | 201 + `Location` + `ETag` | 400, 401, 403, 413, 415, 422 |
//! | `GET /api/v1/stories?limit=&cursor=` | 200 `{"items", "next_cursor"}` | 400 `invalid_cursor`, 403, 422 |
//! | `GET /api/v1/stories/{id}` | 200 + `ETag`, 304 | 403, 404 |
//! | `PATCH /api/v1/stories/{id}` | 200 + `ETag` | 400, 401, 403, 404, 412, 413, 415, 422, 428 |
//! | `DELETE /api/v1/stories/{id}` | 204 | 401, 403, 404, 412 |
//!
//! Every request goes through the API pipeline (authentication, rate limits, idempotency
//! of the POST, audit of writes). A tenant's key works on its own tenant's stories and
//! reads other tenants' public ones; anonymous callers read public stories only; the
//! operator token has no tenant and gets 403.
//!
//! Stories live in SQLite `default`; single stories are cached in key-value `default`.

mod cache;
mod handlers;
mod repo;

use fabula_spin::api::Call;
use fabula_spin::router::Router;
use spin_sdk::http::Method;

fabula_spin::api_entry!(routes);

fn routes() -> Router<Call> {
    Router::new()
        .route(Method::Get, "/api/v1/stories", handlers::list)
        .route(Method::Post, "/api/v1/stories", handlers::create)
        .route(Method::Get, "/api/v1/stories/{id}", handlers::show)
        .route(Method::Patch, "/api/v1/stories/{id}", handlers::update)
        .route(Method::Delete, "/api/v1/stories/{id}", handlers::delete)
}
