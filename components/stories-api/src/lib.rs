//! The stories route group, `/api/v1/stories`.
//!
//! | Route | Success | Errors |
//! |---|---|---|
//! | `POST /api/v1/stories` | 201 + `Location` + `ETag` | 400, 413, 415, 422 |
//! | `GET /api/v1/stories?limit=&cursor=` | 200 `{"items", "next_cursor"}` | 400 `invalid_cursor`, 422 |
//! | `GET /api/v1/stories/{id}` | 200 + `ETag`, 304 | 404 |
//! | `PATCH /api/v1/stories/{id}` | 200 + `ETag` | 400, 404, 412, 413, 415, 422, 428 |
//! | `DELETE /api/v1/stories/{id}` | 204 | 404, 412 |
//!
//! Stories live in SQLite `default`; single stories are cached in key-value `default`.

mod cache;
mod handlers;
mod repo;

use fabula_spin::ApiError;
use fabula_spin::router::Router;
use spin_sdk::http::{Method, Request, Response};

fabula_spin::http_entry!(handle);

fn handle(req: Request) -> Result<Response, ApiError> {
    Router::new()
        .route(Method::Get, "/api/v1/stories", handlers::list)
        .route(Method::Post, "/api/v1/stories", handlers::create)
        .route(Method::Get, "/api/v1/stories/{id}", handlers::show)
        .route(Method::Patch, "/api/v1/stories/{id}", handlers::update)
        .route(Method::Delete, "/api/v1/stories/{id}", handlers::delete)
        .handle(&req)
}
