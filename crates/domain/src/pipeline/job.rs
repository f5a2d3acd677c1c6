//! Generation jobs: their id, their status machine and how a failed one records why.

use serde::{Deserialize, Serialize};

use crate::ids::time_ordered_id;

time_ordered_id!(
    /// A generation job's id: a UUID v7, so ids sort by creation time.
    JobId,
    InvalidJobId,
    "a job id"
);

impl JobId {
    /// A seed derived from the id's random bits, for jobs that were given none.
    pub fn default_seed(self) -> u64 {
        let bytes = self.0.as_bytes();
        let mut tail = [0u8; 8];
        tail.copy_from_slice(&bytes[8..]);
        u64::from_be_bytes(tail)
    }
}

/// Where a job is in its life.
///
/// `queued` → `running` → `completed` | `failed` | `cancelled`; a `queued` job may also be
/// cancelled, and a `failed` or `cancelled` job may be retried (back to `running`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Created; its first step is published but not started yet.
    Queued,
    /// A step has started.
    Running,
    /// Every step is done; the manuscript is assembled.
    Completed,
    /// A step failed for good; what succeeded before is kept.
    Failed,
    /// Cancelled by a caller.
    Cancelled,
}

/// A status change the status machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {from} job cannot be {verb}")]
pub struct TransitionError {
    /// The job's current status.
    pub from: JobStatus,
    /// What was attempted (`started`, `cancelled`, `retried`, ...).
    pub verb: &'static str,
}

impl JobStatus {
    /// Every status, in life order.
    pub const ALL: [JobStatus; 5] = [
        Self::Queued,
        Self::Running,
        Self::Completed,
        Self::Failed,
        Self::Cancelled,
    ];

    /// The snake_case name, as stored and served.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// The status with exactly this name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether no step will run any more (until a retry).
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }

    /// A step starts: `queued` → `running` (`running` stays).
    pub fn start(self) -> Result<Self, TransitionError> {
        match self {
            Self::Queued | Self::Running => Ok(Self::Running),
            from => Err(TransitionError {
                from,
                verb: "started",
            }),
        }
    }

    /// A caller cancels: from `queued` or `running`.
    pub fn cancel(self) -> Result<Self, TransitionError> {
        match self {
            Self::Queued | Self::Running => Ok(Self::Cancelled),
            from => Err(TransitionError {
                from,
                verb: "cancelled",
            }),
        }
    }

    /// A caller retries: from `failed` or `cancelled`, back to `running`.
    pub fn retry(self) -> Result<Self, TransitionError> {
        match self {
            Self::Failed | Self::Cancelled => Ok(Self::Running),
            from => Err(TransitionError {
                from,
                verb: "retried",
            }),
        }
    }

    /// The last step finished: `running` → `completed`.
    pub fn complete(self) -> Result<Self, TransitionError> {
        match self {
            Self::Running => Ok(Self::Completed),
            from => Err(TransitionError {
                from,
                verb: "completed",
            }),
        }
    }

    /// A step failed for good: `queued` or `running` → `failed`.
    pub fn fail(self) -> Result<Self, TransitionError> {
        match self {
            Self::Queued | Self::Running => Ok(Self::Failed),
            from => Err(TransitionError {
                from,
                verb: "failed",
            }),
        }
    }
}

impl std::fmt::Display for JobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a job failed: the step, a machine-readable code and a message. Stored as the job's
/// `error` JSON and served as is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobFailure {
    /// The step that failed (`chapter:3`).
    pub step: String,
    /// `rate_limited`, `unavailable`, `context_too_long`, `auth`, `invalid_request`,
    /// `malformed_output` or `missing_input`.
    pub code: String,
    /// What happened, for people.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for status in JobStatus::ALL {
            assert_eq!(JobStatus::parse(status.as_str()), Some(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{status}\""));
        }
        assert_eq!(JobStatus::parse("Running"), None);
    }

    #[test]
    fn the_status_machine_allows_only_documented_changes() {
        use JobStatus::*;
        let table: [(JobStatus, [bool; 5]); 5] = [
            // start, cancel, retry, complete, fail
            (Queued, [true, true, false, false, true]),
            (Running, [true, true, false, true, true]),
            (Completed, [false, false, false, false, false]),
            (Failed, [false, false, true, false, false]),
            (Cancelled, [false, false, true, false, false]),
        ];
        for (from, allowed) in table {
            let results = [
                from.start(),
                from.cancel(),
                from.retry(),
                from.complete(),
                from.fail(),
            ];
            for (result, allowed) in results.into_iter().zip(allowed) {
                assert_eq!(result.is_ok(), allowed, "{from} {result:?}");
            }
        }
        assert_eq!(Failed.retry(), Ok(Running));
        assert_eq!(Queued.cancel(), Ok(Cancelled));
        let refused = Completed.cancel().unwrap_err();
        assert_eq!(refused.to_string(), "a completed job cannot be cancelled");
    }

    #[test]
    fn terminal_statuses() {
        let terminal: Vec<_> = JobStatus::ALL
            .into_iter()
            .filter(|s| s.is_terminal())
            .collect();
        assert_eq!(
            terminal,
            [
                JobStatus::Completed,
                JobStatus::Failed,
                JobStatus::Cancelled
            ]
        );
    }

    #[test]
    fn default_seeds_differ_between_jobs_and_are_stable() {
        let a = JobId::generate();
        let b = JobId::generate();
        assert_eq!(a.default_seed(), a.default_seed());
        assert_ne!(a.default_seed(), b.default_seed());
    }
}
