//! The completed job a book comes from, and which job that may be.

use super::error::BookError;
use crate::pipeline::{JobId, JobMetadata, JobSpec, JobStatus};
use crate::time::Timestamp;

/// The job a book is made from, as stored.
#[derive(Debug, Clone, Copy)]
pub struct BookSource<'a> {
    /// The story.
    pub story_id: &'a str,
    /// The job.
    pub job_id: JobId,
    /// What the job generated (title, genre, style, quality policy, ...).
    pub spec: &'a JobSpec,
    /// What the job established (analysis, outline, bible, continuity, quality attempts).
    pub metadata: &'a JobMetadata,
    /// When the job completed.
    pub finished_at: Option<Timestamp>,
}

/// Whether the job a caller named (`?job_id=`), found in the story owner's tenant as
/// belonging to `job_story_id` with `status`, can give story `story_id`'s book: a job of
/// another story is [`BookError::JobNotFound`], an unfinished one
/// [`BookError::JobNotCompleted`].
pub fn check_requested_job(
    story_id: &str,
    job: JobId,
    job_story_id: &str,
    status: JobStatus,
) -> Result<(), BookError> {
    if job_story_id != story_id {
        return Err(BookError::JobNotFound);
    }
    if status != JobStatus::Completed {
        return Err(BookError::JobNotCompleted { job, status });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_completed_job_of_the_story_gives_its_book() {
        let job = JobId::generate();
        assert_eq!(
            check_requested_job("s1", job, "s1", JobStatus::Completed),
            Ok(())
        );
        assert_eq!(
            check_requested_job("s1", job, "s2", JobStatus::Completed),
            Err(BookError::JobNotFound)
        );
        for status in [
            JobStatus::Queued,
            JobStatus::Running,
            JobStatus::Failed,
            JobStatus::Cancelled,
        ] {
            assert_eq!(
                check_requested_job("s1", job, "s1", status),
                Err(BookError::JobNotCompleted { job, status })
            );
        }
    }
}
