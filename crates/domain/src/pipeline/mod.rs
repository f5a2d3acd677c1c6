//! The novel-generation pipeline's rules: jobs and their status machine, steps and their
//! order, generation requests and their validation, events, pricing and cost, retry
//! backoff, sweep rules, and the JSON views the API serves.
//!
//! A job runs its steps in order: `premise` → `outline` → `chapter:1` → `quality:1` …
//! `chapter:N` → `quality:N` → `assembly`. Each step is one queue message ([`StepMessage`]) on its stage's channel.

mod event;
mod job;
mod metadata;
mod pricing;
mod quality;
mod request;
mod retry;
mod settings;
mod sse;
mod step;
mod sweep;
mod view;

pub use event::{Event, EventKind, JobEvent, Tokens};
pub use job::{InvalidJobId, JobFailure, JobId, JobStatus, TransitionError};
pub use metadata::JobMetadata;
pub use pricing::{Price, PricingError, PricingTable, Usage, format_usd};
pub use quality::{
    AttemptScores, ChapterQuality, Continuity, DEFAULT_MAX_REVISIONS, MAX_REVISIONS_LIMIT,
    QualityAttempt, QualityPolicy, best_attempt, revision_due,
};
pub use request::{
    CHAPTERS_RANGE, GenerationRequest, JobSpec, StageModels, StoryDefaults, StyleInput,
    ValidatedRequest, WORDS_PER_CHAPTER_RANGE, Warning,
};
pub use retry::{FailureCode, StepFailure, StepVerdict, backoff_millis, judge_failure};
pub use settings::{Setting, SettingError};
pub use sse::{SseFrame, accepts_event_stream, resume_after};
pub use step::{InvalidStep, Stage, Step, StepMessage};
pub use sweep::{SweepCandidate, SweepReason, sweep_reason};
pub use view::{
    ChapterView, CostView, EventPage, JobSummary, JobView, ManuscriptView, MetadataView,
    ProgressView, StepView, StoryUsageView, TimingsView, TokensView, UsageView,
};
