//! Thin adapter over spin-sdk shared by every Fabula component.
//!
//! - [`serve`] / [`http_entry!`]: the entry point (request id, bounded body, error rendering).
//! - [`ApiError`]: the JSON error envelope.
//! - [`router::Router`]: method + path routing with JSON 404/405.
//! - [`json`]: JSON bodies in and out. [`conditional`]: ETags and version preconditions.
//! - [`kv::JsonStore`] and [`db::Db`]: typed key-value and SQLite (with migrations).
//! - [`log`]: leveled stderr logging.

pub mod conditional;
pub mod db;
mod error;
pub mod json;
pub mod kv;
pub mod log;
pub mod request_id;
pub mod router;
mod serve;

pub use error::ApiError;
pub use serve::{EntryHandler, serve};
