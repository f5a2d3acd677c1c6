//! Liveness and readiness probes.
//!
//! - `GET /healthz`: 200 `{"status":"ok"}` whenever the component runs.
//! - `GET /readyz`: 200 `{"status":"ready","checks":{...}}` when SQLite `default` answers
//!   `SELECT 1` and key-value `default` answers `exists`; otherwise 503 `not_ready`.

use std::fmt::Display;

use fabula_spin::ApiError;
use fabula_spin::db::Db;
use fabula_spin::json::json_response;
use fabula_spin::kv::JsonStore;
use fabula_spin::log::{Level, log};
use fabula_spin::request_id::request_id;
use fabula_spin::router::{Params, Router};
use serde_json::json;
use spin_sdk::http::{Method, Request, Response};

fabula_spin::http_entry!(handle);

fn handle(req: Request) -> Result<Response, ApiError> {
    Router::new()
        .route(Method::Get, "/healthz", healthz)
        .route(Method::Get, "/readyz", readyz)
        .handle(&req)
}

fn healthz(_: &Request, _: &Params<'_>) -> Result<Response, ApiError> {
    Ok(json_response(200, &json!({"status": "ok"}))?.build())
}

fn readyz(req: &Request, _: &Params<'_>) -> Result<Response, ApiError> {
    let sqlite = Db::open_default().and_then(|db| db.execute("SELECT 1", &[]).map(drop));
    let sqlite = passed(req, "sqlite", sqlite);
    let key_value = JsonStore::open_default().and_then(|kv| kv.exists("fabula:readyz").map(drop));
    let key_value = passed(req, "key_value", key_value);

    if sqlite && key_value {
        let body = json!({"status": "ready", "checks": {"sqlite": "ok", "key_value": "ok"}});
        return Ok(json_response(200, &body)?.build());
    }
    let failing: Vec<&str> = [
        (!sqlite).then_some("sqlite database `default`"),
        (!key_value).then_some("key-value store `default`"),
    ]
    .into_iter()
    .flatten()
    .collect();
    Err(ApiError::not_ready(
        format!("not ready: {} unavailable", failing.join(" and ")),
        &[("sqlite", state(sqlite)), ("key_value", state(key_value))],
    ))
}

/// Whether a dependency check passed; a failure is logged with its cause.
fn passed(req: &Request, name: &str, result: Result<(), impl Display>) -> bool {
    match result {
        Ok(()) => true,
        Err(e) => {
            log(
                Level::Error,
                request_id(req),
                format_args!("readyz: {name} check failed: {e}"),
            );
            false
        }
    }
}

fn state(ok: bool) -> &'static str {
    if ok { "ok" } else { "error" }
}
