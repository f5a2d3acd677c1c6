//! Thin adapter over spin-sdk shared by every Fabula component.
//!
//! - [`serve`] / [`http_entry!`]: the entry point (request id, bounded body, error rendering).
//! - [`api::run`] / [`api_entry!`]: the API pipeline on top of it (authentication, rate
//!   limits, idempotency, audit) handing handlers an [`api::Call`].
//! - [`ApiError`]: the JSON error envelope.
//! - [`router::Router`]: method + path routing with JSON 404/405.
//! - [`json`]: JSON bodies in and out. [`conditional`]: ETags and version preconditions.
//! - [`kv::JsonStore`] and [`db::Db`]: typed key-value and SQLite (with migrations);
//!   [`platform::Platform`]: the tenant, key, audit and idempotency tables.
//! - [`log`]: leveled stderr logging.
//! - [`pipeline`]: the novel pipeline's tables, stage runner, sweeper and queue publishing.
//! - [`books`]: a story's book (a completed job's manuscript) read for analysis and
//!   streamed as an export.

#![warn(missing_docs)]

pub mod api;
mod auth;
pub mod books;
pub mod conditional;
pub mod db;
mod error;
pub mod json;
pub mod kv;
pub mod log;
pub mod pipeline;
pub mod platform;
mod rate_limit;
pub mod request_id;
pub mod router;
mod serve;
mod settings;

pub use error::ApiError;
pub use serve::{BodyChunks, EntryHandler, Reply, serve, serve_reply};
