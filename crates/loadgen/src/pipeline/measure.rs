//! One measured generation: create a story, start its job, poll the job until it completes.

use std::time::Duration;

use hyper::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::time::{Instant, MissedTickBehavior};

use super::PipelineError;
use super::job::{self, JobSnapshot, Phase};
use crate::api::ApiClient;

/// The premise every benchmark story gets.
const PREMISE: &str = "A lighthouse keeper on a drowned coast finds a map of islands that \
                       are not there, and sets out to learn who drew it.";

/// The smallest `target_words` the stories API accepts; shorter books ask for this much.
const MIN_TARGET_WORDS: u64 = 1_000;

/// What one run generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSpec {
    /// Chapters of the book.
    pub chapters: u32,
    /// Word budget per chapter.
    pub words_per_chapter: u32,
    /// The job's seed.
    pub seed: u64,
}

/// How often and for how long a job is polled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Polling {
    /// Time between two `GET /api/v1/jobs/{id}`.
    pub every: Duration,
    /// Longest a job may take before the run fails.
    pub limit: Duration,
}

/// The measurement of one job.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    /// What was generated.
    pub spec: RunSpec,
    /// The job's id.
    pub job_id: String,
    /// From sending `POST …/generations` to reading `completed`.
    pub end_to_end: Duration,
    /// From sending `POST …/generations` to first reading `progress.chapters_done >= 1`
    /// (`None` when the job never reports progress).
    pub first_chapter: Option<Duration>,
    /// The job's own `timings`, as served, when present.
    pub job_timings: Option<Value>,
}

/// Creates a story for `spec`, starts its generation and polls the job until it completes.
/// Times are wall-clock times seen by this client, to within one polling interval.
pub async fn measure(
    api: &mut ApiClient,
    spec: RunSpec,
    polling: Polling,
) -> Result<RunResult, PipelineError> {
    let story = json!({
        "title": format!("Bench {} chapters, seed {}", spec.chapters, spec.seed),
        "premise": PREMISE,
        "genre": "fantasy",
        "chapter_count": spec.chapters,
        "target_words": (u64::from(spec.chapters) * u64::from(spec.words_per_chapter))
            .max(MIN_TARGET_WORDS),
    });
    let story_id = api
        .post_for_field("/api/v1/stories", &story, StatusCode::CREATED, "id")
        .await?;
    let generation = json!({
        "chapters": spec.chapters,
        "words_per_chapter": spec.words_per_chapter,
        "seed": spec.seed,
    });
    let started = Instant::now();
    let job_id = api
        .post_for_field(
            &format!("/api/v1/stories/{story_id}/generations"),
            &generation,
            StatusCode::ACCEPTED,
            "id",
        )
        .await?;

    let path = format!("/api/v1/jobs/{job_id}");
    let mut first_chapter = None;
    let mut ticks = tokio::time::interval(polling.every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let body = api
            .expect_json(Method::GET, &path, None, StatusCode::OK)
            .await?;
        let seen = started.elapsed();
        let snapshot = JobSnapshot::read(&body).ok_or_else(|| PipelineError::NotAJob {
            id: job_id.clone(),
            body: body.to_string(),
        })?;
        if first_chapter.is_none() && snapshot.has_a_chapter() {
            first_chapter = Some(seen);
        }
        match snapshot.phase {
            Phase::Completed => {
                return Ok(RunResult {
                    spec,
                    job_id,
                    end_to_end: seen,
                    first_chapter,
                    job_timings: job::timings(&body),
                });
            }
            Phase::Ended(status) => {
                return Err(PipelineError::JobEnded {
                    id: job_id,
                    status,
                    body: body.to_string(),
                });
            }
            Phase::InProgress if seen > polling.limit => {
                return Err(PipelineError::JobTimeout {
                    id: job_id,
                    limit: polling.limit,
                    body: body.to_string(),
                });
            }
            Phase::InProgress => {}
        }
    }
}
