//! Writes shared by the API, the stages and the sweeper; callers run them inside one
//! transaction with the change they belong to.

use fabula_domain::pipeline::{Event, JobId, Usage};
use fabula_domain::{TenantId, Timestamp};
use serde::Serialize;

use crate::db::{Db, DbError, Value, integer, nullable_text, text};

const APPEND_EVENT: &str = "INSERT INTO job_events (job_id, seq, kind, data, created_at) \
     SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ? FROM job_events WHERE job_id = ?";
const INSERT_CALL: &str = "INSERT INTO llm_calls (id, job_id, tenant_id, step, template, model, \
     prompt_tokens, completion_tokens, estimated, cost_nanos, duration_ms, provider_attempts, \
     finish_reason, error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const ADD_TO_STEP: &str = "UPDATE job_steps SET prompt_tokens = prompt_tokens + ?, \
     completion_tokens = completion_tokens + ?, cost_nanos = cost_nanos + ? \
     WHERE job_id = ? AND step = ?";
const ADD_TO_JOB: &str = "UPDATE generation_jobs SET prompt_tokens = prompt_tokens + ?, \
     completion_tokens = completion_tokens + ?, cost_nanos = cost_nanos + ? WHERE id = ?";
const ADD_TO_TENANT: &str = "INSERT INTO tenant_usage \
     (tenant_id, calls, prompt_tokens, completion_tokens, cost_nanos, updated_at) \
     VALUES (?, 1, ?, ?, ?, ?) ON CONFLICT (tenant_id) DO UPDATE SET calls = calls + 1, \
     prompt_tokens = prompt_tokens + excluded.prompt_tokens, \
     completion_tokens = completion_tokens + excluded.completion_tokens, \
     cost_nanos = cost_nanos + excluded.cost_nanos, updated_at = excluded.updated_at";

/// Appends `event` to the job's log with the next `seq`.
pub(super) fn append_event(
    db: &Db,
    job: JobId,
    event: &Event,
    now: Timestamp,
) -> Result<(), DbError> {
    db.execute(
        APPEND_EVENT,
        &[
            text(job.to_string()),
            text(event.kind().as_str()),
            text(event.data().to_string()),
            text(now.to_string()),
            text(job.to_string()),
        ],
    )?;
    Ok(())
}

/// One LLM call, successful or not.
pub(super) struct CallRecord<'a> {
    pub job: JobId,
    pub tenant: &'a TenantId,
    pub step: &'a str,
    pub template: &'a str,
    pub model: &'a str,
    pub usage: Usage,
    pub estimated: bool,
    pub duration_ms: u64,
    pub provider_attempts: u32,
    pub finish_reason: Option<&'a str>,
    pub error: Option<&'a str>,
    pub at: Timestamp,
}

/// Records a call and adds its usage to its step, its job and its tenant, so that the
/// totals at every level are sums of the calls.
pub(super) fn record_call(db: &Db, call: &CallRecord<'_>) -> Result<(), DbError> {
    let usage = call.usage;
    let tokens = |u: Usage| -> Result<[Value; 3], DbError> {
        Ok([
            integer(u.prompt_tokens)?,
            integer(u.completion_tokens)?,
            integer(u.cost_nanos)?,
        ])
    };
    let [prompt, completion, cost] = tokens(usage)?;
    db.execute(
        INSERT_CALL,
        &[
            text(uuid::Uuid::now_v7().to_string()),
            text(call.job.to_string()),
            text(call.tenant.as_str()),
            text(call.step),
            text(call.template),
            text(call.model),
            prompt.clone(),
            completion.clone(),
            Value::Integer(call.estimated.into()),
            cost.clone(),
            integer(call.duration_ms)?,
            integer(call.provider_attempts.into())?,
            nullable_text(call.finish_reason),
            nullable_text(call.error),
            text(call.at.to_string()),
        ],
    )?;
    let [p, c, n] = tokens(usage)?;
    db.execute(
        ADD_TO_STEP,
        &[p, c, n, text(call.job.to_string()), text(call.step)],
    )?;
    let [p, c, n] = tokens(usage)?;
    db.execute(ADD_TO_JOB, &[p, c, n, text(call.job.to_string())])?;
    db.execute(
        ADD_TO_TENANT,
        &[
            text(call.tenant.as_str()),
            prompt,
            completion,
            cost,
            text(call.at.to_string()),
        ],
    )?;
    Ok(())
}

/// `value` as JSON text for a column.
pub(super) fn json_text<T: Serialize>(column: &str, value: &T) -> Result<Value, DbError> {
    serde_json::to_string(value)
        .map(text)
        .map_err(|e| DbError::column(column, e.to_string()))
}
