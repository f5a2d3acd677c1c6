//! Job events: an append-only log per job (`seq` from 1), served as JSON and as
//! Server-Sent Events. [`Event`] is what the pipeline records; [`JobEvent`] what is stored
//! and served.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::job::JobFailure;
use super::pricing::{Usage, format_usd};
use super::request::Warning;
use super::sweep::SweepReason;
use crate::time::Timestamp;

/// The kind of an event, as stored and sent as the SSE `event:` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The job was created and its first step published.
    JobQueued,
    /// The job's first step started, or the job was retried.
    JobStarted,
    /// A step attempt started.
    StageStarted,
    /// A step finished and committed its output.
    StageCompleted,
    /// A step failed for good (the job fails too).
    StageFailed,
    /// A step attempt failed and will be retried.
    StageRetrying,
    /// A chapter was written.
    ChapterWritten,
    /// A chapter went through the quality gate (and its revisions, if any).
    ChapterChecked,
    /// The job's running totals changed.
    CostUpdated,
    /// Every step is done.
    JobCompleted,
    /// The job failed.
    JobFailed,
    /// The job was cancelled.
    JobCancelled,
    /// The sweeper re-published the job's current step.
    StepRequeued,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 13] = [
        Self::JobQueued,
        Self::JobStarted,
        Self::StageStarted,
        Self::StageCompleted,
        Self::StageFailed,
        Self::StageRetrying,
        Self::ChapterWritten,
        Self::ChapterChecked,
        Self::CostUpdated,
        Self::JobCompleted,
        Self::JobFailed,
        Self::JobCancelled,
        Self::StepRequeued,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::JobQueued => "job_queued",
            Self::JobStarted => "job_started",
            Self::StageStarted => "stage_started",
            Self::StageCompleted => "stage_completed",
            Self::StageFailed => "stage_failed",
            Self::StageRetrying => "stage_retrying",
            Self::ChapterWritten => "chapter_written",
            Self::ChapterChecked => "chapter_checked",
            Self::CostUpdated => "cost_updated",
            Self::JobCompleted => "job_completed",
            Self::JobFailed => "job_failed",
            Self::JobCancelled => "job_cancelled",
            Self::StepRequeued => "step_requeued",
        }
    }

    /// The kind with exactly this name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// Token counts as events and views show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    /// Prompt (input) tokens.
    pub prompt: u64,
    /// Completion (output) tokens.
    pub completion: u64,
}

impl From<Usage> for Tokens {
    fn from(usage: Usage) -> Self {
        Self {
            prompt: usage.prompt_tokens,
            completion: usage.completion_tokens,
        }
    }
}

/// An event to record, with its payload.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum Event {
    /// `{story_id, chapters, words_per_chapter, warnings}`.
    JobQueued {
        /// The story.
        story_id: String,
        /// Chapters to write.
        chapters: u32,
        /// Words per chapter.
        words_per_chapter: u32,
        /// The request's warnings.
        warnings: Vec<Warning>,
    },
    /// `{retry}`: whether a caller retried the job.
    JobStarted {
        /// True after `POST /jobs/{id}/retry`.
        retry: bool,
    },
    /// `{step, attempt}`.
    StageStarted {
        /// The step.
        step: String,
        /// Its attempt number, from 1.
        attempt: u32,
    },
    /// `{step, tokens, cost_nanos, duration_ms}` of the step.
    StageCompleted {
        /// The step.
        step: String,
        /// Its tokens.
        tokens: Tokens,
        /// Its cost.
        cost_nanos: u64,
        /// How long its attempt took.
        duration_ms: u64,
    },
    /// `{step, code, message, attempt}`.
    StageFailed {
        /// The step.
        step: String,
        /// Machine-readable reason.
        code: String,
        /// What happened.
        message: String,
        /// The failed attempt.
        attempt: u32,
    },
    /// `{step, code, message, attempt, retry_at}`.
    StageRetrying {
        /// The step.
        step: String,
        /// Machine-readable reason.
        code: String,
        /// What happened.
        message: String,
        /// The failed attempt.
        attempt: u32,
        /// When the step is due again.
        retry_at: Timestamp,
    },
    /// `{number, title, word_count}`.
    ChapterWritten {
        /// Chapter number.
        number: u32,
        /// Its title.
        title: String,
        /// Its length.
        word_count: u32,
    },
    /// `{number, passed, attempts, kept, word_count, continuity_alerts}`.
    ChapterChecked {
        /// Chapter number.
        number: u32,
        /// Whether the kept attempt passed the gate.
        passed: bool,
        /// Attempts made: the draft plus revisions.
        attempts: u32,
        /// The attempt kept (0 = the draft).
        kept: u32,
        /// Length of the kept text.
        word_count: u32,
        /// Continuity alerts the chapter raised.
        continuity_alerts: u32,
    },
    /// The job's totals: `{tokens, cost_nanos, cost_usd, chapters_done, chapters_total}`.
    CostUpdated {
        /// Job tokens so far.
        tokens: Tokens,
        /// Job cost so far.
        cost_nanos: u64,
        /// The same in USD, as a decimal string.
        cost_usd: String,
        /// Chapters written.
        chapters_done: u32,
        /// Chapters planned.
        chapters_total: u32,
    },
    /// `{chapters, word_count, tokens, cost_nanos, cost_usd}` of the finished job.
    JobCompleted {
        /// Chapters written.
        chapters: u32,
        /// Words in the manuscript.
        word_count: u64,
        /// Job tokens.
        tokens: Tokens,
        /// Job cost.
        cost_nanos: u64,
        /// The same in USD.
        cost_usd: String,
    },
    /// The failure: `{step, code, message}`.
    JobFailed(JobFailure),
    /// `{step}`: the step that was current.
    JobCancelled {
        /// The current step when cancelled (`null` if none).
        step: Option<String>,
    },
    /// `{step, reason}`: `stalled` or `retry_due`.
    StepRequeued {
        /// The step re-published.
        step: String,
        /// Why.
        reason: SweepReason,
    },
}

impl Event {
    /// `cost_updated` for job totals `usage`.
    pub fn cost_updated(usage: Usage, chapters_done: u32, chapters_total: u32) -> Self {
        Self::CostUpdated {
            tokens: usage.into(),
            cost_nanos: usage.cost_nanos,
            cost_usd: format_usd(usage.cost_nanos),
            chapters_done,
            chapters_total,
        }
    }

    /// Its kind.
    pub fn kind(&self) -> EventKind {
        match self {
            Self::JobQueued { .. } => EventKind::JobQueued,
            Self::JobStarted { .. } => EventKind::JobStarted,
            Self::StageStarted { .. } => EventKind::StageStarted,
            Self::StageCompleted { .. } => EventKind::StageCompleted,
            Self::StageFailed { .. } => EventKind::StageFailed,
            Self::StageRetrying { .. } => EventKind::StageRetrying,
            Self::ChapterWritten { .. } => EventKind::ChapterWritten,
            Self::ChapterChecked { .. } => EventKind::ChapterChecked,
            Self::CostUpdated { .. } => EventKind::CostUpdated,
            Self::JobCompleted { .. } => EventKind::JobCompleted,
            Self::JobFailed(_) => EventKind::JobFailed,
            Self::JobCancelled { .. } => EventKind::JobCancelled,
            Self::StepRequeued { .. } => EventKind::StepRequeued,
        }
    }

    /// Its payload as stored (a JSON object).
    pub fn data(&self) -> Value {
        // Strings, numbers and string-keyed maps only: serialisation cannot fail.
        match serde_json::to_value(self) {
            Ok(Value::Object(mut tagged)) => tagged.remove("data").unwrap_or(Value::Null),
            _ => Value::Null,
        }
    }
}

/// A stored event, as served: `{"seq", "kind", "data", "created_at"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobEvent {
    /// Position in the job's log, from 1.
    pub seq: u64,
    /// The kind.
    pub kind: EventKind,
    /// The payload.
    pub data: Value,
    /// When it was recorded.
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_match_serde() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                Value::String(kind.as_str().into())
            );
        }
    }

    #[test]
    fn payloads_have_the_documented_shapes() {
        let usage = Usage {
            prompt_tokens: 10,
            completion_tokens: 20,
            cost_nanos: 1_500,
        };
        let event = Event::cost_updated(usage, 2, 12);
        assert_eq!(event.kind(), EventKind::CostUpdated);
        assert_eq!(
            event.data(),
            serde_json::json!({
                "tokens": {"prompt": 10, "completion": 20},
                "cost_nanos": 1500, "cost_usd": "0.0000015",
                "chapters_done": 2, "chapters_total": 12
            })
        );
        let failed = Event::JobFailed(JobFailure {
            step: "chapter:3".into(),
            code: "auth".into(),
            message: "key refused".into(),
        });
        assert_eq!(failed.kind(), EventKind::JobFailed);
        assert_eq!(
            failed.data(),
            serde_json::json!({"step": "chapter:3", "code": "auth", "message": "key refused"})
        );
        let requeued = Event::StepRequeued {
            step: "outline".into(),
            reason: SweepReason::Stalled,
        };
        assert_eq!(
            requeued.data(),
            serde_json::json!({"step": "outline", "reason": "stalled"})
        );
    }

    #[test]
    fn every_event_maps_to_its_kind_name() {
        let events = [
            Event::JobStarted { retry: false },
            Event::StageStarted {
                step: "premise".into(),
                attempt: 1,
            },
            Event::JobCancelled { step: None },
        ];
        for event in events {
            let tagged = serde_json::to_value(&event).unwrap();
            assert_eq!(tagged["kind"], event.kind().as_str());
            assert!(event.data().is_object());
        }
    }
}
