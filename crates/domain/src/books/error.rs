//! Every way a book request fails, with its HTTP status and machine-readable code.

use super::query::accepted_formats;
use crate::pipeline::{JobId, JobStatus};

/// Why a book (analysis or export) cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    /// No such story, or one the caller may not read (404 `not_found`, so ids cannot be
    /// probed).
    #[error("story not found")]
    StoryNotFound,
    /// `job_id` names no job of this story (404 `not_found`).
    #[error("job not found")]
    JobNotFound,
    /// The story has no completed generation job (404 `no_manuscript`).
    #[error(
        "this story has no completed generation yet: start one with \
         POST /api/v1/stories/{{id}}/generations and wait for it to complete"
    )]
    NoManuscript,
    /// `job_id` names a job of this story that has not completed (404 `no_manuscript`).
    #[error("job {job} is {status}: its book is available once it has completed")]
    JobNotCompleted {
        /// The job.
        job: JobId,
        /// Its status.
        status: JobStatus,
    },
    /// `job_id` is not a job id (400 `invalid_job_id`).
    #[error("`job_id` must be a job id (a UUID), got {0:?}")]
    InvalidJobId(String),
    /// The export names no `format` (400 `unsupported_format`).
    #[error("missing `format`: pass ?format= one of {formats}", formats = accepted_formats())]
    MissingFormat,
    /// The export's `format` is not one of [`Format::ALL`] (400 `unsupported_format`).
    #[error("unsupported format {0:?}: use one of {formats}", formats = accepted_formats())]
    UnknownFormat(String),
}

impl BookError {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Self::InvalidJobId(_) | Self::MissingFormat | Self::UnknownFormat(_) => 400,
            Self::StoryNotFound
            | Self::JobNotFound
            | Self::NoManuscript
            | Self::JobNotCompleted { .. } => 404,
        }
    }

    /// The machine-readable error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::StoryNotFound | Self::JobNotFound => "not_found",
            Self::NoManuscript | Self::JobNotCompleted { .. } => "no_manuscript",
            Self::InvalidJobId(_) => "invalid_job_id",
            Self::MissingFormat | Self::UnknownFormat(_) => "unsupported_format",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_codes() {
        let job = JobId::generate();
        let cases = [
            (BookError::StoryNotFound, 404, "not_found"),
            (BookError::JobNotFound, 404, "not_found"),
            (BookError::NoManuscript, 404, "no_manuscript"),
            (
                BookError::JobNotCompleted {
                    job,
                    status: JobStatus::Running,
                },
                404,
                "no_manuscript",
            ),
            (BookError::InvalidJobId("x".into()), 400, "invalid_job_id"),
            (BookError::MissingFormat, 400, "unsupported_format"),
            (
                BookError::UnknownFormat("pdf".into()),
                400,
                "unsupported_format",
            ),
        ];
        for (error, status, code) in cases {
            assert_eq!((error.status(), error.code()), (status, code), "{error}");
        }
    }

    #[test]
    fn format_errors_list_the_accepted_formats() {
        let error = BookError::UnknownFormat("pdf".into());
        assert_eq!(
            error.to_string(),
            "unsupported format \"pdf\": use one of markdown, epub, json"
        );
        assert!(
            BookError::MissingFormat
                .to_string()
                .contains("markdown, epub, json")
        );
        let running = BookError::JobNotCompleted {
            job: JobId::generate(),
            status: JobStatus::Running,
        };
        assert!(running.to_string().contains("is running"), "{running}");
    }
}
