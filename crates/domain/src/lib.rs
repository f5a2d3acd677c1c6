//! Fabula's domain: stories, input validation, cursor pagination and tenant scoping.
//!
//! Plain Rust with no Spin dependency, so everything here is unit-tested natively.

pub mod json_body;
pub mod pagination;
pub mod story;
pub mod tenant;
pub mod time;
pub mod validation;

pub use json_body::{BodyError, classify_json_error, from_json_object};
pub use pagination::{CursorError, Page, PageError, PageOf, decode_cursor, encode_cursor};
pub use story::{
    Genre, NewStory, Story, StoryChanges, StoryDraft, StoryId, StoryPatch, ValidatedPatch,
};
pub use tenant::{InvalidTenantId, TenantId};
pub use time::{InvalidTimestamp, Timestamp};
pub use validation::{FieldCode, FieldError, ValidationError, Violations};
