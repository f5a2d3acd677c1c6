//! The stage runner every stage component shares ([`handle_message`]).
//!
//! 1. **Begin** (one transaction): load the job; a message for a terminal job, or for a
//!    step that is not the job's current one, does nothing (a duplicate of a done step
//!    re-publishes the next step if its publication was never confirmed). A step whose
//!    retry is not due yet (`retry_at` in the future: backoff or `Retry-After`) is left to
//!    the sweeper, which re-publishes it once due. Otherwise the
//!    job becomes `running` (`job_started` the first time), the step's attempt is counted
//!    and `stage_started` recorded.
//! 2. **Call** the provider (outside any transaction) with the step's prompt.
//! 3. **Commit** (one transaction, guarded by the step's status): the calls' accounting
//!    (call → step → job → tenant), the step's output (metadata, chapter, manuscript), its
//!    events and the job's next step. A step found done already is a duplicate (a
//!    concurrent attempt won): only its calls' accounting is kept, since the backend billed
//!    them. A job cancelled meanwhile also keeps only the accounting.
//! 4. **Publish** the next step, then mark it published. A lost publish makes the
//!    handler fail, so the queue redelivers and step 1 re-publishes it.
//!
//! A failed attempt records the call (if one was made) and either schedules a retry
//! (`stage_retrying`, `retry_at`; the handler fails so the queue redelivers) or fails the
//! job (`stage_failed`, `job_failed`; chapters already written are kept).

use std::time::Instant;

use fabula_domain::Timestamp;
use fabula_domain::pipeline::{
    Event, FailureCode, JobFailure, JobId, JobStatus, PricingTable, Setting, Stage, Step,
    StepFailure, StepMessage, StepVerdict, Usage, format_usd, judge_failure,
};
use fabula_narrative::{ChapterSummary, RenderedPrompt, step_seed};

use super::llm::{Llm, LlmCompletion, LlmRequest};
use super::publish::{PublishError, publish};
use super::quality::{ChapterText, check_chapter};
use super::rows::{JobRecord, job_columns, usage_columns};
use super::settings::{model_for, pricing, setting};
use super::work::{self, StepInput, StepOutput};
use super::writes::{CallRecord, append_event, json_text, record_call};
use super::{PipelineDb, Tx};
use crate::db::{Db, DbError, FromRow, Row, Value, column, integer, nullable_text, text};
use crate::log::{Level, log};

const SELECT_JOB: &str = concat!(
    "SELECT ",
    job_columns!(),
    " FROM generation_jobs WHERE id = ?"
);
const SELECT_STEP: &str = "SELECT status, failures, next_published FROM job_steps \
     WHERE job_id = ? AND step = ?";
const START_JOB: &str = "UPDATE generation_jobs SET status = 'running', \
     started_at = COALESCE(started_at, ?) WHERE id = ?";
const START_STEP: &str = "INSERT INTO job_steps (job_id, step, ordinal, status, attempts, \
     started_at) VALUES (?, ?, ?, 'running', 1, ?) ON CONFLICT (job_id, step) DO UPDATE SET \
     status = 'running', attempts = attempts + 1, started_at = excluded.started_at \
     RETURNING attempts";
const TOUCH_JOB: &str = "UPDATE generation_jobs SET retry_at = NULL, updated_at = ? WHERE id = ?";
const SELECT_EARLIER: &str = "SELECT number, title, summary FROM chapters \
     WHERE job_id = ? AND number < ? ORDER BY number";
const SELECT_TEXTS: &str =
    "SELECT number, text FROM chapters WHERE job_id = ? AND number <= ? ORDER BY number";
const MARK_PUBLISHED: &str =
    "UPDATE job_steps SET next_published = 1 WHERE job_id = ? AND step = ?";
const DROP_STEP: &str =
    "UPDATE job_steps SET status = 'cancelled' WHERE job_id = ? AND step = ? AND status != 'done'";
const FINISH_STEP: &str = "UPDATE job_steps SET status = 'done', duration_ms = ?, error = NULL, \
     finished_at = ? WHERE job_id = ? AND step = ? AND status != 'done' RETURNING step";
const INSERT_CHAPTER: &str = "INSERT INTO chapters (job_id, number, title, text, word_count, \
     summary, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
const REVISE_CHAPTER: &str = "UPDATE chapters SET text = ?, word_count = ?, summary = ? \
     WHERE job_id = ? AND number = ?";
const WORDS_WRITTEN: &str =
    "SELECT COALESCE(SUM(word_count), 0) AS n, COUNT(*) AS chapters FROM chapters WHERE job_id = ?";
const INSERT_MANUSCRIPT: &str = "INSERT INTO manuscripts (job_id, title, synopsis, chapters, \
     word_count, created_at) VALUES (?, ?, ?, ?, ?, ?)";
const ADVANCE_JOB: &str = "UPDATE generation_jobs SET status = ?, current_step = ?, \
     chapters_done = chapters_done + ?, metadata = ?, retry_at = NULL, finished_at = ?, \
     updated_at = ? WHERE id = ?";
const STEP_USAGE: &str = "SELECT prompt_tokens, completion_tokens, cost_nanos FROM job_steps \
     WHERE job_id = ? AND step = ?";
const JOB_USAGE: &str = "SELECT prompt_tokens, completion_tokens, cost_nanos, chapters_done, \
     chapters_total FROM generation_jobs WHERE id = ?";
const RETRY_STEP: &str = "UPDATE job_steps SET status = 'retrying', failures = ?, error = ? \
     WHERE job_id = ? AND step = ?";
const SCHEDULE_RETRY: &str = "UPDATE generation_jobs SET retry_at = ?, updated_at = ? WHERE id = ?";
const FAIL_STEP: &str = "UPDATE job_steps SET status = 'failed', failures = ?, error = ?, \
     finished_at = ? WHERE job_id = ? AND step = ?";
const FAIL_JOB: &str = "UPDATE generation_jobs SET status = 'failed', error = ?, \
     retry_at = NULL, finished_at = ?, updated_at = ? WHERE id = ?";

/// Why a message could not be handled; the queue redelivers it.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// SQLite failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The next step could not be published.
    #[error(transparent)]
    Publish(#[from] PublishError),
    /// The attempt failed and the step is retried (`retry_at` is set).
    #[error("{step} of job {job} failed ({code}: {message}); retrying")]
    Retrying {
        /// The job.
        job: JobId,
        /// The step.
        step: Step,
        /// Why.
        code: &'static str,
        /// What happened.
        message: String,
    },
}

/// Handles one queue message for `stage` with `llm` as the provider. Payloads that are not
/// step messages of this stage are logged and dropped (`Ok`), so they are not redelivered.
pub fn handle_message(stage: Stage, llm: &impl Llm, payload: &[u8]) -> Result<(), StageError> {
    let message = match StepMessage::parse(payload) {
        Ok(message) if message.step.stage() == stage => message,
        Ok(message) => {
            log(
                Level::Warn,
                "-",
                format_args!(
                    "{} got a message for {}; dropped",
                    stage.as_str(),
                    message.step
                ),
            );
            return Ok(());
        }
        Err(e) => {
            log(
                Level::Warn,
                "-",
                format_args!("{}: not a step message ({e}); dropped", stage.as_str()),
            );
            return Ok(());
        }
    };
    let tag = format!("job:{}/{}", message.job_id, message.step);
    let pipeline = PipelineDb::open()?;
    match begin(&pipeline, &message, Timestamp::now())? {
        Begin::Skip(reason) => {
            log(Level::Info, &tag, format_args!("skipped: {reason}"));
            Ok(())
        }
        Begin::Duplicate(next) => {
            log(Level::Info, &tag, "duplicate delivery of a done step");
            match next {
                Some(next) => publish_next(&pipeline, &message, &next),
                None => Ok(()),
            }
        }
        Begin::NotDue(at) => {
            let why = format_args!("not due before {at}; the sweeper re-publishes it then");
            log(Level::Info, &tag, why);
            Ok(())
        }
        Begin::Run(started) => run(&pipeline, llm, &tag, *started),
    }
}

/// What the begin transaction decided.
enum Begin {
    /// Nothing to do.
    Skip(&'static str),
    /// The step is done already; re-publish this next step if its publication was never
    /// confirmed.
    Duplicate(Option<StepMessage>),
    /// The step waits for its retry time (`retry_at`, from backoff or `Retry-After`).
    NotDue(Timestamp),
    /// Run the attempt.
    Run(Box<Started>),
}

/// A started attempt.
struct Started {
    job: JobRecord,
    input: StepInput,
    attempt: u32,
}

/// The step's row, if it has one.
struct StepState {
    status: String,
    failures: u32,
    next_published: bool,
}

impl FromRow for StepState {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        Ok(Self {
            status: column::<&str>(row, "status")?.to_owned(),
            failures: column(row, "failures")?,
            next_published: column(row, "next_published")?,
        })
    }
}

fn load_job(db: &Db, id: JobId) -> Result<Option<JobRecord>, DbError> {
    db.query_optional(SELECT_JOB, &[text(id.to_string())])
}

fn load_step(db: &Db, id: JobId, step: Step) -> Result<Option<StepState>, DbError> {
    db.query_optional(SELECT_STEP, &[text(id.to_string()), text(step.to_string())])
}

/// The next step to re-publish for a duplicate of done `step`: only while the job waits
/// on exactly that step and its publication was not confirmed.
fn republish(job: &JobRecord, step: Step, state: &StepState) -> Option<StepMessage> {
    let next = step.next(job.chapters_total)?;
    let waiting = !job.status.is_terminal() && job.current_step == Some(next);
    (waiting && !state.next_published).then_some(StepMessage {
        job_id: job.id,
        step: next,
    })
}

fn begin(pipeline: &PipelineDb, message: &StepMessage, now: Timestamp) -> Result<Begin, DbError> {
    let step = message.step;
    let begun = pipeline.transaction(|db| {
        let Some(job) = load_job(db, message.job_id)? else {
            return Ok(Tx::Rollback(Begin::Skip("no such job")));
        };
        if job.status.start().is_err() {
            return Ok(Tx::Rollback(Begin::Skip("the job is not running")));
        }
        let state = load_step(db, job.id, step)?;
        if let Some(state) = state.as_ref().filter(|s| s.status == "done") {
            return Ok(Tx::Rollback(Begin::Duplicate(republish(&job, step, state))));
        }
        if job.current_step != Some(step) {
            return Ok(Tx::Rollback(Begin::Skip("not the job's current step")));
        }
        if let Some(at) = job.retry_at.filter(|at| *at > now) {
            return Ok(Tx::Rollback(Begin::NotDue(at)));
        }
        let id = text(job.id.to_string());
        if job.status == JobStatus::Queued {
            db.execute(START_JOB, &[text(now.to_string()), id.clone()])?;
            append_event(db, job.id, &Event::JobStarted { retry: false }, now)?;
        }
        let attempts = db.execute(
            START_STEP,
            &[
                id.clone(),
                text(step.to_string()),
                integer(step.ordinal(job.chapters_total))?,
                text(now.to_string()),
            ],
        )?;
        let attempt = attempts
            .rows()
            .next()
            .map(|row| column::<u32>(&row, "attempts"))
            .transpose()?
            .unwrap_or(1);
        db.execute(TOUCH_JOB, &[text(now.to_string()), id])?;
        let started = Event::StageStarted {
            step: step.to_string(),
            attempt,
        };
        append_event(db, job.id, &started, now)?;
        let earlier = match step {
            Step::Chapter(n) => earlier_chapters(db, job.id, n)?,
            Step::Assembly => earlier_chapters(db, job.id, u32::MAX)?,
            Step::Premise | Step::Outline | Step::Quality(_) => Vec::new(),
        };
        let texts = match step {
            Step::Quality(n) => chapter_texts(db, job.id, n)?,
            _ => Vec::new(),
        };
        let input = StepInput {
            step,
            spec: job.spec.clone(),
            metadata: job.metadata.clone(),
            earlier,
            context_token_budget: 0,
            texts,
        };
        Ok(Tx::Commit(Begin::Run(Box::new(Started {
            job,
            input,
            attempt,
        }))))
    })?;
    Ok(begun)
}

struct SummaryRow(ChapterSummary);

impl FromRow for SummaryRow {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        Ok(Self(ChapterSummary {
            number: column(row, "number")?,
            title: column::<&str>(row, "title")?.to_owned(),
            summary: column::<&str>(row, "summary")?.to_owned(),
        }))
    }
}

/// Summaries of the job's chapters numbered below `before`, in order.
fn earlier_chapters(db: &Db, job: JobId, before: u32) -> Result<Vec<ChapterSummary>, DbError> {
    let rows: Vec<SummaryRow> = db.query(
        SELECT_EARLIER,
        &[text(job.to_string()), integer(before.into())?],
    )?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

struct TextRow(ChapterText);

impl FromRow for TextRow {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        Ok(Self(ChapterText {
            number: column(row, "number")?,
            text: column::<&str>(row, "text")?.to_owned(),
        }))
    }
}

/// The texts of the job's chapters 1..=`through`, in order.
fn chapter_texts(db: &Db, job: JobId, through: u32) -> Result<Vec<ChapterText>, DbError> {
    let rows: Vec<TextRow> = db.query(
        SELECT_TEXTS,
        &[text(job.to_string()), integer(through.into())?],
    )?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// One provider call's facts, for accounting.
struct CallFacts {
    template: String,
    model: String,
    usage: Usage,
    estimated: bool,
    duration_ms: u64,
    provider_attempts: u32,
    finish_reason: Option<&'static str>,
    error: Option<String>,
}

/// The provider calls of one attempt: each gets the step's model and its own seed, and
/// leaves its facts for the accounting, whether it succeeded or not.
struct Calls<'a, L: Llm> {
    llm: &'a L,
    tag: &'a str,
    model: String,
    job_seed: u64,
    step: Step,
    pricing: Option<PricingTable>,
    facts: Vec<CallFacts>,
}

impl<'a, L: Llm> Calls<'a, L> {
    fn new(llm: &'a L, tag: &'a str, input: &StepInput) -> Self {
        Self {
            llm,
            tag,
            model: model_for(input.step.stage(), &input.spec),
            job_seed: input.spec.generation.seed,
            step: input.step,
            pricing: None,
            facts: Vec::new(),
        }
    }

    /// Sends `prompt`; the answer's text, or why there is none.
    fn call(&mut self, prompt: &RenderedPrompt) -> Result<String, StepFailure> {
        let seed = call_seed(self.job_seed, self.step, self.facts.len());
        let request = request(prompt, self.model.clone(), seed);
        let clock = Instant::now();
        let result = self.llm.generate(&request);
        let duration_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut facts = CallFacts {
            template: prompt.template.clone(),
            model: self.model.clone(),
            usage: Usage::default(),
            estimated: false,
            duration_ms,
            provider_attempts: 1,
            finish_reason: None,
            error: None,
        };
        let answer = match result {
            Err(failure) => {
                facts.error = Some(format!("{}: {}", failure.code.as_str(), failure.message));
                Err(failure)
            }
            Ok(completion) => {
                facts.usage = self.usage(&completion);
                facts.estimated = completion.estimated;
                facts.provider_attempts = completion.attempts;
                facts.finish_reason = Some(completion.finish_reason);
                Ok(completion.text)
            }
        };
        self.facts.push(facts);
        answer
    }

    /// The call's usage priced by the requested model, else by the model that answered.
    fn usage(&mut self, completion: &LlmCompletion) -> Usage {
        let tag = self.tag;
        let table = self.pricing.get_or_insert_with(|| pricing(tag));
        let priced = if table.price(&self.model).is_some() {
            &self.model
        } else {
            &completion.model
        };
        if table.price(priced).is_none() {
            log(
                Level::Warn,
                tag,
                format_args!("model {} has no price; its cost counts as 0", self.model),
            );
        }
        table.usage(
            priced,
            completion.prompt_tokens.into(),
            completion.completion_tokens.into(),
        )
    }
}

fn run(
    pipeline: &PipelineDb,
    llm: &impl Llm,
    tag: &str,
    mut started: Started,
) -> Result<(), StageError> {
    started.input.context_token_budget = setting(Setting::ContextTokenBudget, tag);
    let mut calls = Calls::new(llm, tag, &started.input);
    let output = match started.input.step {
        Step::Quality(number) => {
            check_chapter(&started.input, number, &mut |prompt| calls.call(prompt))
        }
        _ => work::prompt(&started.input)
            .and_then(|prompt| calls.call(&prompt))
            .and_then(|answer| work::finish(&started.input, &answer)),
    };
    match output {
        Ok(output) => commit(pipeline, tag, &started, &calls.facts, &output),
        Err(failure) => fail_attempt(pipeline, tag, &started, &calls.facts, &failure),
    }
}

/// The seed of the `index`-th call of a step: the step's own seed for its first call (so a
/// chapter's draft depends only on the job's seed and the chapter), then one per call.
fn call_seed(job_seed: u64, step: Step, index: usize) -> u64 {
    match index {
        0 => step_seed(job_seed, &step.to_string()),
        n => step_seed(job_seed, &format!("{step}#{n}")),
    }
}

/// The provider request for `prompt`: system then user message.
fn request(prompt: &RenderedPrompt, model: String, seed: u64) -> LlmRequest {
    LlmRequest {
        model,
        system: prompt.system.clone(),
        user: prompt.user.clone(),
        temperature: prompt.temperature,
        max_tokens: prompt.max_tokens,
        seed,
    }
}

/// Records every call of the attempt (call → step → job → tenant accounting).
fn record(db: &Db, started: &Started, calls: &[CallFacts], at: Timestamp) -> Result<(), DbError> {
    let step = started.input.step.to_string();
    for facts in calls {
        record_call(
            db,
            &CallRecord {
                job: started.job.id,
                tenant: &started.job.tenant_id,
                step: &step,
                template: &facts.template,
                model: &facts.model,
                usage: facts.usage,
                estimated: facts.estimated,
                duration_ms: facts.duration_ms,
                provider_attempts: facts.provider_attempts,
                finish_reason: facts.finish_reason,
                error: facts.error.as_deref(),
                at,
            },
        )?;
    }
    Ok(())
}

/// How the commit transaction ended.
enum Committed {
    /// Done; publish this next step (none after assembly).
    Advanced(Option<StepMessage>),
    /// The step was done already (a concurrent duplicate won); maybe re-publish.
    Duplicate(Option<StepMessage>),
    /// The job stopped meanwhile; only the accounting was kept.
    Dropped,
}

fn commit(
    pipeline: &PipelineDb,
    tag: &str,
    started: &Started,
    calls: &[CallFacts],
    output: &StepOutput,
) -> Result<(), StageError> {
    let step = started.input.step;
    let now = Timestamp::now();
    let outcome = pipeline.transaction(|db| {
        let Some(job) = load_job(db, started.job.id)? else {
            return Ok(Tx::Rollback(Committed::Dropped));
        };
        // The calls were made (and billed by the backend) whatever happens to their output.
        record(db, started, calls, now)?;
        let state = load_step(db, job.id, step)?;
        if let Some(state) = state.as_ref().filter(|s| s.status == "done") {
            return Ok(Tx::Commit(Committed::Duplicate(republish(
                &job, step, state,
            ))));
        }
        if job.status != JobStatus::Running || job.current_step != Some(step) {
            db.execute(
                DROP_STEP,
                &[text(job.id.to_string()), text(step.to_string())],
            )?;
            return Ok(Tx::Commit(Committed::Dropped));
        }
        let duration_ms = calls.iter().map(|c| c.duration_ms).sum();
        let next = write_output(db, &job, step, duration_ms, output, now)?;
        Ok::<_, DbError>(Tx::Commit(Committed::Advanced(next)))
    })?;
    match outcome {
        Committed::Advanced(Some(next)) | Committed::Duplicate(Some(next)) => publish_next(
            pipeline,
            &StepMessage {
                job_id: started.job.id,
                step,
            },
            &next,
        ),
        Committed::Advanced(None) => {
            log(Level::Info, tag, "job completed");
            Ok(())
        }
        Committed::Duplicate(None) => Ok(()),
        Committed::Dropped => {
            log(
                Level::Info,
                tag,
                "the job stopped during the call; output dropped",
            );
            Ok(())
        }
    }
}

/// Marks the step done and writes its output, events and the job's next step. Returns
/// the next step's message (none when the job completed).
fn write_output(
    db: &Db,
    job: &JobRecord,
    step: Step,
    duration_ms: u64,
    output: &StepOutput,
    now: Timestamp,
) -> Result<Option<StepMessage>, DbError> {
    let id = text(job.id.to_string());
    let finished = db.execute(
        FINISH_STEP,
        &[
            integer(duration_ms)?,
            text(now.to_string()),
            id.clone(),
            text(step.to_string()),
        ],
    )?;
    if finished.rows.is_empty() {
        return Err(DbError::column(
            "status",
            "the step was finished concurrently",
        ));
    }
    let step_usage = usage(db, STEP_USAGE, &[id.clone(), text(step.to_string())])?;
    let mut events = vec![Event::StageCompleted {
        step: step.to_string(),
        tokens: step_usage.into(),
        cost_nanos: step_usage.cost_nanos,
        duration_ms,
    }];
    let mut chapters_added = 0;
    if let Some(chapter) = &output.chapter {
        db.execute(
            INSERT_CHAPTER,
            &[
                id.clone(),
                integer(chapter.number.into())?,
                text(chapter.title.as_str()),
                text(chapter.text.as_str()),
                integer(chapter.word_count.into())?,
                text(chapter.summary.as_str()),
                text(now.to_string()),
            ],
        )?;
        chapters_added = 1;
        events.push(Event::ChapterWritten {
            number: chapter.number,
            title: chapter.title.clone(),
            word_count: chapter.word_count,
        });
    }
    if let Some(revised) = &output.revised {
        db.execute(
            REVISE_CHAPTER,
            &[
                text(revised.text.as_str()),
                integer(revised.word_count.into())?,
                text(revised.summary.as_str()),
                id.clone(),
                integer(revised.number.into())?,
            ],
        )?;
    }
    events.extend(output.events.iter().cloned());
    let mut manuscript = None;
    if let Some(synopsis) = &output.synopsis {
        let written = db.query_optional::<Written>(WORDS_WRITTEN, std::slice::from_ref(&id))?;
        let (word_count, chapters) = written.map_or((0, 0), |w| (w.words, w.chapters));
        db.execute(
            INSERT_MANUSCRIPT,
            &[
                id.clone(),
                text(job.spec.generation.title.as_str()),
                text(synopsis.as_str()),
                integer(chapters.into())?,
                integer(word_count)?,
                text(now.to_string()),
            ],
        )?;
        manuscript = Some((chapters, word_count));
    }
    let next = step.next(job.chapters_total);
    let status = match next {
        None => JobStatus::Completed,
        Some(_) => JobStatus::Running,
    };
    db.execute(
        ADVANCE_JOB,
        &[
            text(status.as_str()),
            nullable_text(next.map(|s| s.to_string())),
            integer(chapters_added)?,
            json_text("metadata", &output.metadata)?,
            nullable_text(next.is_none().then(|| now.to_string())),
            text(now.to_string()),
            id.clone(),
        ],
    )?;
    let totals = db
        .query_optional::<JobTotals>(JOB_USAGE, &[id])?
        .ok_or_else(|| DbError::column("id", "the job vanished"))?;
    events.push(Event::cost_updated(
        totals.usage,
        totals.chapters_done,
        totals.chapters_total,
    ));
    if next.is_none() {
        let (chapters, word_count) = manuscript.unwrap_or((totals.chapters_done, 0));
        events.push(Event::JobCompleted {
            chapters,
            word_count,
            tokens: totals.usage.into(),
            cost_nanos: totals.usage.cost_nanos,
            cost_usd: format_usd(totals.usage.cost_nanos),
        });
    }
    for event in &events {
        append_event(db, job.id, event, now)?;
    }
    Ok(next.map(|step| StepMessage {
        job_id: job.id,
        step,
    }))
}

fn usage(db: &Db, sql: &str, params: &[Value]) -> Result<Usage, DbError> {
    Ok(db
        .query_optional::<UsageRow>(sql, params)?
        .map_or_else(Usage::default, |r| r.0))
}

struct UsageRow(Usage);

impl FromRow for UsageRow {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        usage_columns(row).map(Self)
    }
}

struct JobTotals {
    usage: Usage,
    chapters_done: u32,
    chapters_total: u32,
}

impl FromRow for JobTotals {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        Ok(Self {
            usage: usage_columns(row)?,
            chapters_done: column(row, "chapters_done")?,
            chapters_total: column(row, "chapters_total")?,
        })
    }
}

struct Written {
    words: u64,
    chapters: u32,
}

impl FromRow for Written {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        Ok(Self {
            words: column(row, "n")?,
            chapters: column(row, "chapters")?,
        })
    }
}

/// How a failed attempt's transaction ended.
enum Failed {
    /// Retried at the step's `retry_at`.
    Retrying,
    /// The job failed.
    Fatal,
    /// Nothing to do (a duplicate finished the step, or the job stopped).
    Moot,
}

fn fail_attempt(
    pipeline: &PipelineDb,
    tag: &str,
    started: &Started,
    calls: &[CallFacts],
    failure: &StepFailure,
) -> Result<(), StageError> {
    let step = started.input.step;
    let now = Timestamp::now();
    let max_attempts = setting(Setting::MaxStepAttempts, tag);
    let outcome = pipeline.transaction(|db| {
        let Some(job) = load_job(db, started.job.id)? else {
            return Ok(Tx::Rollback(Failed::Moot));
        };
        let Some(state) = load_step(db, job.id, step)? else {
            return Ok(Tx::Rollback(Failed::Moot));
        };
        record(db, started, calls, now)?;
        if state.status == "done" {
            return Ok(Tx::Commit(Failed::Moot));
        }
        let id = text(job.id.to_string());
        let step_name = text(step.to_string());
        if job.status != JobStatus::Running || job.current_step != Some(step) {
            db.execute(DROP_STEP, &[id, step_name])?;
            return Ok(Tx::Commit(Failed::Moot));
        }
        let failures = state.failures.saturating_add(1);
        let error = json_text(
            "error",
            &serde_json::json!({"code": failure.code.as_str(), "message": failure.message}),
        )?;
        match judge_failure(failure, failures, max_attempts, now) {
            StepVerdict::Retry { at } => {
                db.execute(
                    RETRY_STEP,
                    &[integer(failures.into())?, error, id.clone(), step_name],
                )?;
                db.execute(
                    SCHEDULE_RETRY,
                    &[text(at.to_string()), text(now.to_string()), id],
                )?;
                let retrying = Event::StageRetrying {
                    step: step.to_string(),
                    code: failure.code.as_str().to_owned(),
                    message: failure.message.clone(),
                    attempt: started.attempt,
                    retry_at: at,
                };
                append_event(db, job.id, &retrying, now)?;
                Ok(Tx::Commit(Failed::Retrying))
            }
            StepVerdict::Fail => {
                db.execute(
                    FAIL_STEP,
                    &[
                        integer(failures.into())?,
                        error,
                        text(now.to_string()),
                        id.clone(),
                        step_name,
                    ],
                )?;
                let job_failure = JobFailure {
                    step: step.to_string(),
                    code: failure.code.as_str().to_owned(),
                    message: failure.message.clone(),
                };
                db.execute(
                    FAIL_JOB,
                    &[
                        json_text("error", &job_failure)?,
                        text(now.to_string()),
                        text(now.to_string()),
                        id,
                    ],
                )?;
                let stage_failed = Event::StageFailed {
                    step: step.to_string(),
                    code: job_failure.code.clone(),
                    message: job_failure.message.clone(),
                    attempt: started.attempt,
                };
                append_event(db, job.id, &stage_failed, now)?;
                append_event(db, job.id, &Event::JobFailed(job_failure), now)?;
                Ok::<_, DbError>(Tx::Commit(Failed::Fatal))
            }
        }
    })?;
    match outcome {
        Failed::Retrying => Err(StageError::Retrying {
            job: started.job.id,
            step,
            code: failure.code.as_str(),
            message: failure.message.clone(),
        }),
        Failed::Fatal => {
            let level = if failure.code == FailureCode::MissingInput {
                Level::Error
            } else {
                Level::Warn
            };
            log(
                level,
                tag,
                format_args!("job failed: {}: {}", failure.code.as_str(), failure.message),
            );
            Ok(())
        }
        Failed::Moot => Ok(()),
    }
}

/// Publishes `next` (the step after `done`) and records that it was published.
fn publish_next(
    pipeline: &PipelineDb,
    done: &StepMessage,
    next: &StepMessage,
) -> Result<(), StageError> {
    publish(next)?;
    pipeline.db().execute(
        MARK_PUBLISHED,
        &[text(done.job_id.to_string()), text(done.step.to_string())],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use fabula_domain::TenantId;
    use fabula_domain::pipeline::{JobMetadata, JobSpec, StageModels};
    use fabula_narrative::{GenerationSpec, StyleOptions};

    fn job(status: JobStatus, current_step: Option<Step>) -> JobRecord {
        let now = Timestamp::now();
        JobRecord {
            id: JobId::generate(),
            tenant_id: TenantId::parse("acme").unwrap(),
            story_id: "s".into(),
            status,
            spec: JobSpec {
                generation: GenerationSpec {
                    title: "T".into(),
                    premise: "P".into(),
                    genre: "fantasy".into(),
                    chapters: 3,
                    words_per_chapter: 500,
                    style: StyleOptions::default(),
                    seed: 9,
                },
                models: StageModels::default(),
                quality: Default::default(),
            },
            chapters_total: 3,
            chapters_done: 0,
            current_step,
            retry_at: None,
            usage: Usage::default(),
            error: None,
            metadata: JobMetadata::default(),
            created_at: now,
            started_at: None,
            finished_at: None,
            updated_at: now,
        }
    }

    fn done(next_published: bool) -> StepState {
        StepState {
            status: "done".into(),
            failures: 0,
            next_published,
        }
    }

    #[test]
    fn duplicates_republish_only_an_unconfirmed_next_step_the_job_waits_on() {
        let waiting = job(JobStatus::Running, Some(Step::Chapter(2)));
        let again = republish(&waiting, Step::Quality(1), &done(false)).unwrap();
        assert_eq!((again.job_id, again.step), (waiting.id, Step::Chapter(2)));
        assert!(republish(&waiting, Step::Quality(1), &done(true)).is_none());
        let moved_on = job(JobStatus::Running, Some(Step::Chapter(3)));
        assert!(republish(&moved_on, Step::Quality(1), &done(false)).is_none());
        let cancelled = job(JobStatus::Cancelled, Some(Step::Chapter(2)));
        assert!(republish(&cancelled, Step::Quality(1), &done(false)).is_none());
        let completed = job(JobStatus::Completed, None);
        assert!(republish(&completed, Step::Assembly, &done(false)).is_none());
    }

    #[test]
    fn requests_carry_the_prompt_and_a_per_step_seed() {
        let prompt = RenderedPrompt {
            template: "outline@1".into(),
            system: "Task: outline@1".into(),
            user: "Title: T".into(),
            temperature: 0.7,
            max_tokens: 900,
        };
        let outline = request(&prompt, "m".into(), call_seed(9, Step::Outline, 0));
        assert_eq!(outline.system, "Task: outline@1");
        assert_eq!(outline.max_tokens, 900);
        assert_eq!(outline.seed, step_seed(9, "outline"));
        let chapter = call_seed(9, Step::Chapter(1), 0);
        assert_ne!(chapter, outline.seed);
        let seeds: std::collections::HashSet<u64> =
            (0..4).map(|i| call_seed(9, Step::Quality(1), i)).collect();
        assert_eq!(seeds.len(), 4, "each call of a step has its own seed");
    }
}
