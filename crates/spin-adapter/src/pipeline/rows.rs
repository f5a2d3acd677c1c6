//! Pipeline rows mapped to domain types.

use fabula_domain::pipeline::{
    ChapterView, EventKind, JobEvent, JobFailure, JobId, JobMetadata, JobSpec, JobStatus,
    ManuscriptView, Step, Usage,
};
use fabula_domain::{TenantId, Timestamp};
use serde::de::DeserializeOwned;

use crate::db::{
    DbError, FromRow, Row, column, nullable_column, nullable_timestamp_column, tenant_id_column,
    timestamp_column,
};

/// The job columns [`JobRecord`] reads.
macro_rules! job_columns {
    () => {
        "id, tenant_id, story_id, status, spec, chapters_total, chapters_done, current_step, \
         retry_at, prompt_tokens, completion_tokens, cost_nanos, error, metadata, created_at, \
         started_at, finished_at, updated_at"
    };
}
pub(super) use job_columns;

/// One job as stored.
#[derive(Debug, Clone)]
pub struct JobRecord {
    /// Its id.
    pub id: JobId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Its story (a story id).
    pub story_id: String,
    /// Its status.
    pub status: JobStatus,
    /// What it generates.
    pub spec: JobSpec,
    /// Chapters planned.
    pub chapters_total: u32,
    /// Chapters written.
    pub chapters_done: u32,
    /// The step running or next; `None` when completed.
    pub current_step: Option<Step>,
    /// When the current step is due again after a failed attempt.
    pub retry_at: Option<Timestamp>,
    /// Totals over its calls.
    pub usage: Usage,
    /// Why it failed.
    pub error: Option<JobFailure>,
    /// Premise analysis, outline, bible, decisions, warnings.
    pub metadata: JobMetadata,
    /// Created.
    pub created_at: Timestamp,
    /// First started.
    pub started_at: Option<Timestamp>,
    /// Completed, failed or cancelled.
    pub finished_at: Option<Timestamp>,
    /// Last progress.
    pub updated_at: Timestamp,
}

impl FromRow for JobRecord {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        let id = column::<&str>(row, "id")?;
        let status = column::<&str>(row, "status")?;
        let current_step = nullable_column::<&str>(row, "current_step")?
            .map(|s| Step::parse(s).map_err(|e| DbError::column("current_step", e.to_string())))
            .transpose()?;
        Ok(Self {
            id: JobId::parse(id).ok_or_else(|| DbError::column("id", "not a UUID"))?,
            tenant_id: tenant_id_column(row, "tenant_id")?,
            story_id: column::<&str>(row, "story_id")?.to_owned(),
            status: JobStatus::parse(status)
                .ok_or_else(|| DbError::column("status", "unknown status"))?,
            spec: json_column(row, "spec")?,
            chapters_total: column(row, "chapters_total")?,
            chapters_done: column(row, "chapters_done")?,
            current_step,
            retry_at: nullable_timestamp_column(row, "retry_at")?,
            usage: usage_columns(row)?,
            error: nullable_json_column(row, "error")?,
            metadata: json_column(row, "metadata")?,
            created_at: timestamp_column(row, "created_at")?,
            started_at: nullable_timestamp_column(row, "started_at")?,
            finished_at: nullable_timestamp_column(row, "finished_at")?,
            updated_at: timestamp_column(row, "updated_at")?,
        })
    }
}

/// One started step as stored.
#[derive(Debug, Clone)]
pub struct StepRecord {
    /// Its name.
    pub step: String,
    /// `running`, `retrying`, `done`, `failed`, `cancelled`, or `pending` (reset by a job retry).
    pub status: String,
    /// Attempts started.
    pub attempts: u32,
    /// Attempts failed.
    pub failures: u32,
    /// Totals over its calls.
    pub usage: Usage,
    /// Duration of its successful attempt.
    pub duration_ms: Option<u64>,
    /// Its last failure `{code, message}`.
    pub error: Option<serde_json::Value>,
    /// Whether the message of the step after it was published.
    pub next_published: bool,
}

impl FromRow for StepRecord {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        Ok(Self {
            step: column::<&str>(row, "step")?.to_owned(),
            status: column::<&str>(row, "status")?.to_owned(),
            attempts: column(row, "attempts")?,
            failures: column(row, "failures")?,
            usage: usage_columns(row)?,
            duration_ms: nullable_column(row, "duration_ms")?,
            error: nullable_json_column(row, "error")?,
            next_published: column(row, "next_published")?,
        })
    }
}

/// A written chapter.
pub struct ChapterRow(pub ChapterView);

impl FromRow for ChapterRow {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        Ok(Self(ChapterView {
            number: column(row, "number")?,
            title: column::<&str>(row, "title")?.to_owned(),
            text: column::<&str>(row, "text")?.to_owned(),
            word_count: column(row, "word_count")?,
            summary: column::<&str>(row, "summary")?.to_owned(),
        }))
    }
}

/// A stored event.
pub struct EventRow(pub JobEvent);

impl FromRow for EventRow {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        let kind = column::<&str>(row, "kind")?;
        Ok(Self(JobEvent {
            seq: column(row, "seq")?,
            kind: EventKind::parse(kind).ok_or_else(|| DbError::column("kind", "unknown kind"))?,
            data: json_column(row, "data")?,
            created_at: timestamp_column(row, "created_at")?,
        }))
    }
}

/// An assembled manuscript.
pub struct ManuscriptRow(pub ManuscriptView);

impl FromRow for ManuscriptRow {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        Ok(Self(ManuscriptView {
            title: column::<&str>(row, "title")?.to_owned(),
            synopsis: column::<&str>(row, "synopsis")?.to_owned(),
            chapters: column(row, "chapters")?,
            word_count: column(row, "word_count")?,
            created_at: timestamp_column(row, "created_at")?,
        }))
    }
}

/// `prompt_tokens`, `completion_tokens` and `cost_nanos`.
pub(super) fn usage_columns(row: &Row<'_>) -> Result<Usage, DbError> {
    Ok(Usage {
        prompt_tokens: column(row, "prompt_tokens")?,
        completion_tokens: column(row, "completion_tokens")?,
        cost_nanos: column(row, "cost_nanos")?,
    })
}

fn json_column<T: DeserializeOwned>(row: &Row<'_>, name: &str) -> Result<T, DbError> {
    serde_json::from_str(column::<&str>(row, name)?)
        .map_err(|e| DbError::column(name, e.to_string()))
}

fn nullable_json_column<T: DeserializeOwned>(
    row: &Row<'_>,
    name: &str,
) -> Result<Option<T>, DbError> {
    nullable_column::<&str>(row, name)?
        .map(|text| serde_json::from_str(text).map_err(|e| DbError::column(name, e.to_string())))
        .transpose()
}
