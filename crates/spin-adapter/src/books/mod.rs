//! A story's book on Spin: the rows it is made of (story, job, manuscript, chapters) read
//! from SQLite `default` as the caller may see them, and exports streamed one chapter at a
//! time. The rules (which job, what a report or an export holds, what each failure means)
//! are in [`fabula_domain::books`].
//!
//! Visibility is the story's: [`Viewer`](fabula_domain::auth::Viewer) from
//! `tenant_viewer(principal, Resource::Stories, Action::Read)`: a tenant's key reads its
//! own stories' books and other tenants' public ones; anonymous callers read public ones.
//! The job is always looked up in the story owner's tenant.

mod export_stream;
mod store;

pub use export_stream::ExportStream;
pub use store::{BookStore, BookStory, LoadedBook};

use fabula_domain::books::BookError;

use crate::ApiError;

impl From<BookError> for ApiError {
    /// The book error's status and code, with its message.
    fn from(error: BookError) -> Self {
        ApiError::new(error.status(), error.code(), error.to_string())
    }
}
