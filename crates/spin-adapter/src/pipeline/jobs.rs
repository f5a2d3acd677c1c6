//! Jobs as one tenant sees them: the repository behind the jobs API. Every statement
//! filters on the tenant, bound when the repository is made.

use fabula_domain::pipeline::{
    ChapterView, Event, JobEvent, JobId, JobMetadata, JobSpec, JobStatus, ManuscriptView, Step,
    TransitionError, Usage, Warning,
};
use fabula_domain::{Page, StoryId, TenantId, Timestamp};

use super::rows::{
    ChapterRow, EventRow, JobRecord, ManuscriptRow, StepRecord, job_columns, usage_columns,
};
use super::writes::{append_event, json_text};
use super::{PipelineDb, Tx};
use crate::db::{Db, DbError, FromRow, Row, Value, column, integer, nullable_text, text};

const INSERT_JOB: &str = "INSERT INTO generation_jobs (id, tenant_id, story_id, status, spec, \
     chapters_total, current_step, metadata, created_at, updated_at) \
     VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)";
const SELECT_JOB: &str = concat!(
    "SELECT ",
    job_columns!(),
    " FROM generation_jobs WHERE tenant_id = ? AND id = ?"
);
// Newest first; '' as the cursor means the first page. NULL filters match everything.
const SELECT_PAGE: &str = concat!(
    "SELECT ",
    job_columns!(),
    " FROM generation_jobs WHERE tenant_id = ? AND (? IS NULL OR status = ?) \
     AND (? IS NULL OR story_id = ?) AND (? = '' OR id < ?) ORDER BY id DESC LIMIT ?"
);
const SELECT_STEPS: &str = "SELECT s.step, s.status, s.attempts, s.failures, s.prompt_tokens, \
     s.completion_tokens, s.cost_nanos, s.duration_ms, s.error, s.next_published \
     FROM job_steps s JOIN generation_jobs j ON j.id = s.job_id \
     WHERE j.tenant_id = ? AND s.job_id = ? ORDER BY s.ordinal";
const SELECT_CHAPTERS: &str = "SELECT c.number, c.title, c.text, c.word_count, c.summary \
     FROM chapters c JOIN generation_jobs j ON j.id = c.job_id \
     WHERE j.tenant_id = ? AND c.job_id = ? AND c.number > ? ORDER BY c.number LIMIT ?";
const SELECT_MANUSCRIPT: &str = "SELECT m.title, m.synopsis, m.chapters, m.word_count, \
     m.created_at FROM manuscripts m JOIN generation_jobs j ON j.id = m.job_id \
     WHERE j.tenant_id = ? AND m.job_id = ?";
const SELECT_EVENTS: &str = "SELECT e.seq, e.kind, e.data, e.created_at \
     FROM job_events e JOIN generation_jobs j ON j.id = e.job_id \
     WHERE j.tenant_id = ? AND e.job_id = ? AND e.seq > ? ORDER BY e.seq LIMIT ?";
const SELECT_STATUS: &str = "SELECT status FROM generation_jobs WHERE tenant_id = ? AND id = ?";
const CANCEL: &str = "UPDATE generation_jobs SET status = 'cancelled', retry_at = NULL, \
     finished_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ?";
const RETRY: &str = "UPDATE generation_jobs SET status = 'running', retry_at = NULL, \
     error = NULL, finished_at = NULL, started_at = COALESCE(started_at, ?), updated_at = ? \
     WHERE tenant_id = ? AND id = ?";
const RESET_STEP: &str = "UPDATE job_steps SET status = 'pending', failures = 0, error = NULL \
     WHERE job_id = ? AND step = ? AND status != 'done'";
const SELECT_TENANT_USAGE: &str = "SELECT calls, prompt_tokens, completion_tokens, cost_nanos \
     FROM tenant_usage WHERE tenant_id = ?";
const SELECT_STORY_USAGE: &str = "SELECT story_id, COUNT(*) AS jobs, \
     SUM(prompt_tokens) AS prompt_tokens, SUM(completion_tokens) AS completion_tokens, \
     SUM(cost_nanos) AS cost_nanos FROM generation_jobs WHERE tenant_id = ? \
     GROUP BY story_id ORDER BY story_id";

/// A job to create.
pub struct NewJob {
    /// Its id.
    pub id: JobId,
    /// Its story.
    pub story_id: StoryId,
    /// What it generates.
    pub spec: JobSpec,
    /// The request's warnings.
    pub warnings: Vec<Warning>,
}

/// Which jobs a list shows.
#[derive(Debug, Default, Clone)]
pub struct JobFilter {
    /// Only jobs with this status.
    pub status: Option<JobStatus>,
    /// Only jobs of this story.
    pub story_id: Option<StoryId>,
}

/// The outcome of a cancel or retry.
#[derive(Debug)]
pub enum StatusChange {
    /// Done; the job as it is now.
    Changed(Box<JobRecord>),
    /// The job's status does not allow it.
    Refused(TransitionError),
    /// No such job in the tenant.
    NotFound,
}

/// A tenant's usage: its totals and each story's.
pub struct TenantUsage {
    /// LLM calls made.
    pub calls: u64,
    /// Totals over every call.
    pub total: Usage,
    /// Per story id: jobs and totals over its jobs.
    pub stories: Vec<(String, u64, Usage)>,
}

/// One tenant's jobs.
pub struct Jobs<'p> {
    pipeline: &'p PipelineDb,
    tenant: TenantId,
}

impl<'p> Jobs<'p> {
    /// The jobs of `tenant`.
    pub fn new(pipeline: &'p PipelineDb, tenant: TenantId) -> Self {
        Self { pipeline, tenant }
    }

    fn db(&self) -> &Db {
        self.pipeline.db()
    }

    fn scoped(&self, id: JobId) -> [Value; 2] {
        [text(self.tenant.as_str()), text(id.to_string())]
    }

    /// Stores a new `queued` job (current step `premise`) and its `job_queued` event.
    pub fn create(&self, job: &NewJob, now: Timestamp) -> Result<JobRecord, DbError> {
        let generation = &job.spec.generation;
        self.pipeline.transaction(|db| {
            db.execute(
                INSERT_JOB,
                &[
                    text(job.id.to_string()),
                    text(self.tenant.as_str()),
                    text(job.story_id.to_string()),
                    json_text("spec", &job.spec)?,
                    integer(generation.chapters.into())?,
                    text(Step::Premise.to_string()),
                    json_text("metadata", &JobMetadata::new(job.warnings.clone()))?,
                    text(now.to_string()),
                    text(now.to_string()),
                ],
            )?;
            let queued = Event::JobQueued {
                story_id: job.story_id.to_string(),
                chapters: generation.chapters,
                words_per_chapter: generation.words_per_chapter,
                warnings: job.warnings.clone(),
            };
            append_event(db, job.id, &queued, now)?;
            Ok::<_, DbError>(Tx::Commit(()))
        })?;
        self.get(job.id)?
            .ok_or_else(|| DbError::column("id", "the new job vanished"))
    }

    /// The job with this id, if it is the tenant's.
    pub fn get(&self, id: JobId) -> Result<Option<JobRecord>, DbError> {
        self.db().query_optional(SELECT_JOB, &self.scoped(id))
    }

    /// Up to `page.fetch_limit()` jobs, newest first, after the cursor.
    pub fn list(&self, filter: &JobFilter, page: &Page<JobId>) -> Result<Vec<JobRecord>, DbError> {
        let status = nullable_text(filter.status.map(JobStatus::as_str));
        let story = nullable_text(filter.story_id.map(|s| s.to_string()));
        let after = text(page.after.map(|id| id.to_string()).unwrap_or_default());
        self.db().query(
            SELECT_PAGE,
            &[
                text(self.tenant.as_str()),
                status.clone(),
                status,
                story.clone(),
                story,
                after.clone(),
                after,
                integer(page.fetch_limit().into())?,
            ],
        )
    }

    /// The steps the job has started, in order.
    pub fn steps(&self, id: JobId) -> Result<Vec<StepRecord>, DbError> {
        self.db().query(SELECT_STEPS, &self.scoped(id))
    }

    /// Up to `limit` written chapters after chapter `after`, in order.
    pub fn chapters(&self, id: JobId, after: u32, limit: u32) -> Result<Vec<ChapterView>, DbError> {
        let [tenant, job] = self.scoped(id);
        let rows: Vec<ChapterRow> = self.db().query(
            SELECT_CHAPTERS,
            &[tenant, job, integer(after.into())?, integer(limit.into())?],
        )?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The assembled manuscript, once there is one.
    pub fn manuscript(&self, id: JobId) -> Result<Option<ManuscriptView>, DbError> {
        let row: Option<ManuscriptRow> = self
            .db()
            .query_optional(SELECT_MANUSCRIPT, &self.scoped(id))?;
        Ok(row.map(|r| r.0))
    }

    /// Up to `limit` events with `seq > after`, in order.
    pub fn events_after(
        &self,
        id: JobId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<JobEvent>, DbError> {
        let [tenant, job] = self.scoped(id);
        let rows: Vec<EventRow> = self.db().query(
            SELECT_EVENTS,
            &[tenant, job, integer(after)?, integer(limit.into())?],
        )?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The job's status, if it is the tenant's.
    pub fn status(&self, id: JobId) -> Result<Option<JobStatus>, DbError> {
        let row: Option<StatusRow> = self.db().query_optional(SELECT_STATUS, &self.scoped(id))?;
        Ok(row.map(|r| r.0))
    }

    /// Cancels a `queued` or `running` job (`job_cancelled` event). A step in flight
    /// finishes its call (its usage is still accounted) but its output is dropped.
    pub fn cancel(&self, id: JobId, now: Timestamp) -> Result<StatusChange, DbError> {
        self.change(id, JobStatus::cancel, |db, job| {
            db.execute(
                CANCEL,
                &[
                    text(now.to_string()),
                    text(now.to_string()),
                    text(self.tenant.as_str()),
                    text(id.to_string()),
                ],
            )?;
            let event = Event::JobCancelled {
                step: job.current_step.map(|s| s.to_string()),
            };
            append_event(db, id, &event, now)
        })
    }

    /// Resumes a `failed` or `cancelled` job at its current step (failures reset,
    /// `job_started` event with `retry: true`). The caller publishes the step.
    pub fn retry(&self, id: JobId, now: Timestamp) -> Result<StatusChange, DbError> {
        self.change(id, JobStatus::retry, |db, job| {
            db.execute(
                RETRY,
                &[
                    text(now.to_string()),
                    text(now.to_string()),
                    text(self.tenant.as_str()),
                    text(id.to_string()),
                ],
            )?;
            if let Some(step) = job.current_step {
                db.execute(RESET_STEP, &[text(id.to_string()), text(step.to_string())])?;
            }
            append_event(db, id, &Event::JobStarted { retry: true }, now)
        })
    }

    /// A status change in one transaction: `transition` decides, `write` applies.
    fn change(
        &self,
        id: JobId,
        transition: fn(JobStatus) -> Result<JobStatus, TransitionError>,
        write: impl FnOnce(&Db, &JobRecord) -> Result<(), DbError>,
    ) -> Result<StatusChange, DbError> {
        let outcome = self.pipeline.transaction(|db| {
            let Some(job) = db.query_optional::<JobRecord>(SELECT_JOB, &self.scoped(id))? else {
                return Ok(Tx::Rollback(None));
            };
            if let Err(refused) = transition(job.status) {
                return Ok(Tx::Rollback(Some(Err(refused))));
            }
            write(db, &job)?;
            Ok::<_, DbError>(Tx::Commit(Some(Ok(()))))
        })?;
        Ok(match outcome {
            None => StatusChange::NotFound,
            Some(Err(refused)) => StatusChange::Refused(refused),
            Some(Ok(())) => match self.get(id)? {
                Some(job) => StatusChange::Changed(Box::new(job)),
                None => StatusChange::NotFound,
            },
        })
    }

    /// The tenant's totals (from `tenant_usage`) and each story's (summed over its jobs).
    pub fn usage(&self) -> Result<TenantUsage, DbError> {
        let tenant = [text(self.tenant.as_str())];
        let totals: Option<UsageRow> = self.db().query_optional(SELECT_TENANT_USAGE, &tenant)?;
        let stories: Vec<StoryUsageRow> = self.db().query(SELECT_STORY_USAGE, &tenant)?;
        let (calls, total) = totals.map_or((0, Usage::default()), |r| (r.calls, r.usage));
        Ok(TenantUsage {
            calls,
            total,
            stories: stories
                .into_iter()
                .map(|r| (r.story_id, r.jobs, r.usage))
                .collect(),
        })
    }
}

struct StatusRow(JobStatus);

impl FromRow for StatusRow {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        JobStatus::parse(column::<&str>(row, "status")?)
            .map(Self)
            .ok_or_else(|| DbError::column("status", "unknown status"))
    }
}

struct UsageRow {
    calls: u64,
    usage: Usage,
}

impl FromRow for UsageRow {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        Ok(Self {
            calls: column(row, "calls")?,
            usage: usage_columns(row)?,
        })
    }
}

struct StoryUsageRow {
    story_id: String,
    jobs: u64,
    usage: Usage,
}

impl FromRow for StoryUsageRow {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        Ok(Self {
            story_id: column::<&str>(row, "story_id")?.to_owned(),
            jobs: column(row, "jobs")?,
            usage: usage_columns(row)?,
        })
    }
}
