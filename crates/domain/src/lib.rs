//! Fabula's domain: stories, tenants, API keys and the permission matrix, rate limits,
//! idempotency, the audit log, input validation and cursor pagination.
//!
//! Plain Rust with no Spin dependency, so everything here is unit-tested natively.

#![warn(missing_docs)]

pub mod audit;
pub mod auth;
pub mod books;
pub mod idempotency;
mod ids;
pub mod json_body;
pub mod pagination;
pub mod pipeline;
pub mod rate_limit;
pub mod story;
pub mod tenant;
pub mod time;
pub mod validation;

pub use json_body::{BodyError, classify_json_error, from_json_object};
pub use pagination::{CursorError, Page, PageError, PageOf, decode_cursor, encode_cursor};
pub use story::{
    Genre, NewStory, Story, StoryChanges, StoryDraft, StoryId, StoryPatch, ValidatedPatch,
};
pub use tenant::{InvalidTenantId, NewTenant, Tenant, TenantId, Tier};
pub use time::{InvalidTimestamp, Timestamp};
pub use validation::{FieldCode, FieldError, ValidationError, Violations};
