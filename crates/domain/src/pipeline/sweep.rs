//! Sweep rules: which jobs' current steps the sweeper re-publishes.
//!
//! A `queued` or `running` job is re-published when its step is due for a retry
//! (`retry_at` has passed) or when it has not progressed (`updated_at`) for the stall
//! timeout. Every re-publish counts as progress, so a job is re-published at most once
//! per timeout.

use serde::{Deserialize, Serialize};

use super::job::JobStatus;
use crate::time::Timestamp;

/// Why the sweeper re-published a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SweepReason {
    /// No progress for the stall timeout (e.g. a lost message).
    Stalled,
    /// A failed attempt's retry time has passed.
    RetryDue,
}

impl SweepReason {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stalled => "stalled",
            Self::RetryDue => "retry_due",
        }
    }
}

/// What the sweeper knows about a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepCandidate {
    /// Its status.
    pub status: JobStatus,
    /// When its current step is due again after a failed attempt.
    pub retry_at: Option<Timestamp>,
    /// Its last progress.
    pub updated_at: Timestamp,
}

/// Whether to re-publish the job's current step at `now`, and why.
pub fn sweep_reason(
    job: &SweepCandidate,
    now: Timestamp,
    stall_seconds: u32,
) -> Option<SweepReason> {
    if !matches!(job.status, JobStatus::Queued | JobStatus::Running) {
        return None;
    }
    match job.retry_at {
        Some(at) if at <= now => Some(SweepReason::RetryDue),
        Some(_) => None,
        None => {
            let stalled_since = job.updated_at.plus_millis(i64::from(stall_seconds) * 1_000);
            (stalled_since <= now).then_some(SweepReason::Stalled)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn stalled_and_due_jobs_are_swept_others_not() {
        let now = at("2025-01-01T00:10:00Z");
        let job = |status, retry_at, updated_at: &str| SweepCandidate {
            status,
            retry_at,
            updated_at: at(updated_at),
        };
        use JobStatus::*;
        let cases = [
            (
                job(Running, None, "2025-01-01T00:07:59Z"),
                Some(SweepReason::Stalled),
            ),
            (
                job(Running, None, "2025-01-01T00:08:00Z"),
                Some(SweepReason::Stalled),
            ),
            (job(Running, None, "2025-01-01T00:08:01Z"), None),
            (
                job(Queued, None, "2025-01-01T00:00:00Z"),
                Some(SweepReason::Stalled),
            ),
            (
                job(
                    Running,
                    Some(at("2025-01-01T00:09:59Z")),
                    "2025-01-01T00:09:58Z",
                ),
                Some(SweepReason::RetryDue),
            ),
            (
                job(
                    Running,
                    Some(at("2025-01-01T00:10:01Z")),
                    "2025-01-01T00:00:00Z",
                ),
                None,
            ),
            (job(Completed, None, "2025-01-01T00:00:00Z"), None),
            (job(Failed, None, "2025-01-01T00:00:00Z"), None),
            (
                job(
                    Cancelled,
                    Some(at("2025-01-01T00:00:00Z")),
                    "2025-01-01T00:00:00Z",
                ),
                None,
            ),
        ];
        for (candidate, expected) in cases {
            assert_eq!(
                sweep_reason(&candidate, now, 120),
                expected,
                "{candidate:?}"
            );
        }
    }
}
