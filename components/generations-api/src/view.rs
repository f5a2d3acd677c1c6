//! Jobs as served.

use fabula_domain::Timestamp;
use fabula_domain::pipeline::{
    JobSummary, JobView, ManuscriptView, MetadataView, ProgressView, StepView, TimingsView,
};
use fabula_spin::pipeline::{JobRecord, StepRecord};

/// The list fields of a job.
pub fn summary(job: &JobRecord) -> JobSummary {
    JobSummary {
        id: job.id.to_string(),
        story_id: job.story_id.clone(),
        status: job.status,
        progress: ProgressView {
            chapters_done: job.chapters_done,
            chapters_total: job.chapters_total,
        },
        current_step: job.current_step.map(|s| s.to_string()),
        cost: job.usage.into(),
        created_at: job.created_at,
        updated_at: job.updated_at,
    }
}

/// Everything about a job, with durations computed at `now`.
pub fn detail(
    job: JobRecord,
    steps: Vec<StepRecord>,
    manuscript: Option<ManuscriptView>,
    now: Timestamp,
) -> JobView {
    let summary = summary(&job);
    let metadata = job.metadata;
    JobView {
        summary,
        spec: job.spec,
        timings: TimingsView::new(
            job.created_at,
            job.started_at,
            job.finished_at,
            job.updated_at,
            now,
        ),
        retry_at: job.retry_at,
        error: job.error,
        warnings: metadata.warnings,
        decisions: metadata.decisions,
        steps: steps
            .into_iter()
            .map(|s| StepView {
                step: s.step,
                status: s.status,
                attempts: s.attempts,
                failures: s.failures,
                cost: s.usage.into(),
                duration_ms: s.duration_ms,
                error: s.error,
            })
            .collect(),
        manuscript,
        metadata: MetadataView {
            premise_analysis: metadata.premise_analysis,
            outline: metadata.outline,
            bible: metadata.bible,
            quality: metadata.quality,
            continuity_alerts: metadata.continuity.map(|c| c.alerts).unwrap_or_default(),
        },
    }
}
