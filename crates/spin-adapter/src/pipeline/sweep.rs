//! The sweeper: re-publishes the current step of `queued`/`running` jobs that are due
//! for a retry or have stalled (see `fabula_domain::pipeline::sweep_reason`). Served by the
//! `sweeper` component (channel `fabula.sweep`) and `POST /api/v1/system/sweep`.

use fabula_domain::Timestamp;
use fabula_domain::auth::DataScope;
use fabula_domain::pipeline::{
    Event, JobId, JobStatus, Step, StepMessage, SweepCandidate, SweepReason, sweep_reason,
};
use serde::Serialize;

use super::publish::publish;
use super::writes::append_event;
use super::{PipelineDb, Tx};
use crate::db::{
    DbError, FromRow, Row, column, integer, nullable_column, nullable_text,
    nullable_timestamp_column, text, timestamp_column,
};
use crate::log::{Level, log};

/// Most jobs one sweep looks at (the longest-waiting first).
const BATCH: u64 = 500;

const SELECT_ACTIVE: &str = "SELECT id, status, current_step, retry_at, updated_at \
     FROM generation_jobs WHERE status IN ('queued', 'running') \
     AND (? IS NULL OR tenant_id = ?) ORDER BY updated_at LIMIT ?";
// Only if nothing happened to the job since it was read.
const REQUEUE: &str = "UPDATE generation_jobs SET retry_at = NULL, updated_at = ? \
     WHERE id = ? AND updated_at = ? AND current_step = ? \
     AND status IN ('queued', 'running') RETURNING id";

/// A step the sweep re-published: `{"job_id", "step", "reason", "published"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Requeued {
    /// The job.
    pub job_id: JobId,
    /// Its current step.
    pub step: Step,
    /// `stalled` or `retry_due`.
    pub reason: SweepReason,
    /// Whether the publish succeeded (if not, the next sweep tries again).
    pub published: bool,
}

struct Active {
    id: JobId,
    step: Option<Step>,
    candidate: SweepCandidate,
    updated_at: String,
}

impl FromRow for Active {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        let id = column::<&str>(row, "id")?;
        let status = column::<&str>(row, "status")?;
        let step = nullable_column::<&str>(row, "current_step")?;
        Ok(Self {
            id: JobId::parse(id).ok_or_else(|| DbError::column("id", "not a UUID"))?,
            step: step.and_then(|s| Step::parse(s).ok()),
            candidate: SweepCandidate {
                status: JobStatus::parse(status)
                    .ok_or_else(|| DbError::column("status", "unknown status"))?,
                retry_at: nullable_timestamp_column(row, "retry_at")?,
                updated_at: timestamp_column(row, "updated_at")?,
            },
            updated_at: column::<&str>(row, "updated_at")?.to_owned(),
        })
    }
}

/// Re-publishes the current step of every due or stalled job within `scope` at `now`
/// (`step_requeued` event, progress time reset) and returns what it re-published.
pub fn sweep(
    pipeline: &PipelineDb,
    scope: &DataScope,
    now: Timestamp,
    stall_seconds: u32,
) -> Result<Vec<Requeued>, DbError> {
    let tenant = nullable_text(match scope {
        DataScope::All => None,
        DataScope::Tenant(id) => Some(id.as_str()),
    });
    let active: Vec<Active> = pipeline
        .db()
        .query(SELECT_ACTIVE, &[tenant.clone(), tenant, integer(BATCH)?])?;
    let mut requeued = Vec::new();
    for job in active {
        let (Some(step), Some(reason)) =
            (job.step, sweep_reason(&job.candidate, now, stall_seconds))
        else {
            continue;
        };
        let claimed = pipeline.transaction(|db| {
            let updated = db.execute(
                REQUEUE,
                &[
                    text(now.to_string()),
                    text(job.id.to_string()),
                    text(job.updated_at.as_str()),
                    text(step.to_string()),
                ],
            )?;
            if updated.rows.is_empty() {
                return Ok(Tx::Rollback(false));
            }
            let event = Event::StepRequeued {
                step: step.to_string(),
                reason,
            };
            append_event(db, job.id, &event, now)?;
            Ok::<_, DbError>(Tx::Commit(true))
        })?;
        if !claimed {
            continue;
        }
        let message = StepMessage {
            job_id: job.id,
            step,
        };
        let published = match publish(&message) {
            Ok(()) => true,
            Err(e) => {
                log(Level::Error, "sweep", format_args!("{e}"));
                false
            }
        };
        requeued.push(Requeued {
            job_id: job.id,
            step,
            reason,
            published,
        });
    }
    Ok(requeued)
}
