//! The JSON the jobs API serves.

use fabula_narrative::{Decision, Outline, PremiseAnalysis, StoryBible};
use fabula_quality::continuity::ContinuityAlert;
use serde::Serialize;

use super::event::JobEvent;
use super::job::{JobFailure, JobStatus};
use super::pricing::{Usage, format_usd};
use super::quality::ChapterQuality;
use super::request::{JobSpec, Warning};
use crate::time::Timestamp;

/// `{"prompt", "completion", "total"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TokensView {
    /// Prompt (input) tokens.
    pub prompt: u64,
    /// Completion (output) tokens.
    pub completion: u64,
    /// Both.
    pub total: u64,
}

/// Tokens and cost, flattened into the objects that carry them:
/// `{"tokens": {...}, "cost_nanos": 123, "cost_usd": "0.000000123"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostView {
    /// Tokens.
    pub tokens: TokensView,
    /// Cost in nano-USD (exact).
    pub cost_nanos: u64,
    /// The same in USD, as a decimal string.
    pub cost_usd: String,
}

impl From<Usage> for CostView {
    fn from(usage: Usage) -> Self {
        Self {
            tokens: TokensView {
                prompt: usage.prompt_tokens,
                completion: usage.completion_tokens,
                total: usage.prompt_tokens.saturating_add(usage.completion_tokens),
            },
            cost_nanos: usage.cost_nanos,
            cost_usd: format_usd(usage.cost_nanos),
        }
    }
}

/// `{"chapters_done", "chapters_total"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ProgressView {
    /// Chapters written.
    pub chapters_done: u32,
    /// Chapters planned.
    pub chapters_total: u32,
}

/// When things happened; `duration_ms` from the first start to the end (or now).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TimingsView {
    /// Created.
    pub created_at: Timestamp,
    /// Its first step started.
    pub started_at: Option<Timestamp>,
    /// It completed, failed or was cancelled.
    pub finished_at: Option<Timestamp>,
    /// Its last progress.
    pub updated_at: Timestamp,
    /// From start to finish (or to now while it runs).
    pub duration_ms: Option<u64>,
}

impl TimingsView {
    /// The timings, with the duration computed at `now`.
    pub fn new(
        created_at: Timestamp,
        started_at: Option<Timestamp>,
        finished_at: Option<Timestamp>,
        updated_at: Timestamp,
        now: Timestamp,
    ) -> Self {
        let duration_ms = started_at.map(|start| {
            let end = finished_at.unwrap_or(now);
            u64::try_from(end.unix_millis() - start.unix_millis()).unwrap_or(0)
        });
        Self {
            created_at,
            started_at,
            finished_at,
            updated_at,
            duration_ms,
        }
    }
}

/// One step of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepView {
    /// `premise`, `outline`, `chapter:<n>`, `quality:<n>`, `assembly`.
    pub step: String,
    /// `running`, `retrying`, `done`, `failed`, `cancelled`, or `pending` (reset by a job retry).
    pub status: String,
    /// Attempts started.
    pub attempts: u32,
    /// Attempts failed.
    pub failures: u32,
    /// Tokens and cost of its calls.
    #[serde(flatten)]
    pub cost: CostView,
    /// Duration of its successful attempt.
    pub duration_ms: Option<u64>,
    /// Its last failure `{code, message}`.
    pub error: Option<serde_json::Value>,
}

/// The finished manuscript's summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManuscriptView {
    /// Its title.
    pub title: String,
    /// Back-cover copy.
    pub synopsis: String,
    /// Chapters.
    pub chapters: u32,
    /// Words in all chapters.
    pub word_count: u64,
    /// When it was assembled.
    pub created_at: Timestamp,
}

/// A job in lists: `{"id", "story_id", "status", "progress", "current_step", "tokens",
/// "cost_nanos", "cost_usd", "created_at", "updated_at"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobSummary {
    /// The job's id.
    pub id: String,
    /// Its story.
    pub story_id: String,
    /// Its status.
    pub status: JobStatus,
    /// Chapters done and planned.
    pub progress: ProgressView,
    /// The step running or next (`null` when completed).
    pub current_step: Option<String>,
    /// Totals.
    #[serde(flatten)]
    pub cost: CostView,
    /// Created.
    pub created_at: Timestamp,
    /// Last progress.
    pub updated_at: Timestamp,
}

/// What the AI established, as served under `metadata`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetadataView {
    /// From the premise step.
    pub premise_analysis: Option<PremiseAnalysis>,
    /// From the outline step.
    pub outline: Option<Outline>,
    /// Characters, places and facts established so far.
    pub bible: Option<StoryBible>,
    /// Every checked chapter's gate attempts (scores, failures) and the attempt kept.
    pub quality: Vec<ChapterQuality>,
    /// Continuity problems found so far, each citing its chapter and sentence.
    pub continuity_alerts: Vec<ContinuityAlert>,
}

/// `GET /api/v1/jobs/{id}`: the summary plus everything known about the job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobView {
    /// The list fields.
    #[serde(flatten)]
    pub summary: JobSummary,
    /// What it generates.
    pub spec: JobSpec,
    /// When things happened.
    pub timings: TimingsView,
    /// When its current step is due again after a failed attempt.
    pub retry_at: Option<Timestamp>,
    /// Why it failed.
    pub error: Option<JobFailure>,
    /// The request's warnings.
    pub warnings: Vec<Warning>,
    /// What the AI decided.
    pub decisions: Vec<Decision>,
    /// Every step started so far, in order.
    pub steps: Vec<StepView>,
    /// The manuscript, once assembled.
    pub manuscript: Option<ManuscriptView>,
    /// Premise analysis, outline and story bible.
    pub metadata: MetadataView,
}

/// One written chapter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChapterView {
    /// Its number, from 1.
    pub number: u32,
    /// Its title.
    pub title: String,
    /// Its prose.
    pub text: String,
    /// Its length in words.
    pub word_count: u32,
    /// Its summary (used as context for later chapters).
    pub summary: String,
}

/// `GET /api/v1/jobs/{id}/events`: `{"items", "next_cursor"}`; `next_cursor` is the seq to
/// pass as `after` for the next page, `null` when this page is the last so far.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventPage {
    /// Events in seq order.
    pub items: Vec<JobEvent>,
    /// The last seq of a full page.
    pub next_cursor: Option<u64>,
}

impl EventPage {
    /// A page from up to `limit` events fetched after some seq.
    pub fn new(items: Vec<JobEvent>, limit: u32) -> Self {
        let full = items.len() >= usize::try_from(limit).unwrap_or(usize::MAX);
        let next_cursor = if full {
            items.last().map(|e| e.seq)
        } else {
            None
        };
        Self { items, next_cursor }
    }
}

/// One story's usage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoryUsageView {
    /// The story.
    pub story_id: String,
    /// Its jobs.
    pub jobs: u64,
    /// Totals over its jobs.
    #[serde(flatten)]
    pub cost: CostView,
}

/// `GET /api/v1/usage`: the tenant's totals and each story's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsageView {
    /// The tenant.
    pub tenant_id: String,
    /// LLM calls made.
    pub calls: u64,
    /// The tenant's totals.
    #[serde(flatten)]
    pub cost: CostView,
    /// Per story, in story id order.
    pub stories: Vec<StoryUsageView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_flatten_into_their_owner() {
        let usage = Usage {
            prompt_tokens: 3,
            completion_tokens: 4,
            cost_nanos: 2_500,
        };
        let view = StoryUsageView {
            story_id: "s".into(),
            jobs: 2,
            cost: usage.into(),
        };
        assert_eq!(
            serde_json::to_value(view).unwrap(),
            serde_json::json!({
                "story_id": "s", "jobs": 2,
                "tokens": {"prompt": 3, "completion": 4, "total": 7},
                "cost_nanos": 2500, "cost_usd": "0.0000025"
            })
        );
    }

    #[test]
    fn durations_run_from_start_to_finish_or_now() {
        let t = |s: &str| Timestamp::parse(s).unwrap();
        let created = t("2025-01-01T00:00:00Z");
        let now = t("2025-01-01T00:01:00Z");
        let queued = TimingsView::new(created, None, None, created, now);
        assert_eq!(queued.duration_ms, None);
        let running =
            TimingsView::new(created, Some(t("2025-01-01T00:00:10Z")), None, created, now);
        assert_eq!(running.duration_ms, Some(50_000));
        let done = TimingsView::new(
            created,
            Some(t("2025-01-01T00:00:10Z")),
            Some(t("2025-01-01T00:00:20Z")),
            created,
            now,
        );
        assert_eq!(done.duration_ms, Some(10_000));
    }

    #[test]
    fn event_pages_have_a_cursor_only_when_full() {
        let event = |seq| JobEvent {
            seq,
            kind: super::super::event::EventKind::JobQueued,
            data: serde_json::json!({}),
            created_at: Timestamp::now(),
        };
        assert_eq!(
            EventPage::new(vec![event(1), event(2)], 2).next_cursor,
            Some(2)
        );
        assert_eq!(EventPage::new(vec![event(1)], 2).next_cursor, None);
        assert_eq!(EventPage::new(vec![], 2).next_cursor, None);
    }
}
