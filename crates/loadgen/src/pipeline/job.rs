//! Reading a job as served by `GET /api/v1/jobs/{id}`: its status and its progress.

use serde_json::Value;

/// Where a job is, as far as the benchmark cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Not finished yet (`queued`, `running`, or any other non-terminal status).
    InProgress,
    /// `completed`: the book is written.
    Completed,
    /// `failed` or `cancelled`: the job ended without a book.
    Ended(String),
}

/// One reading of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSnapshot {
    /// Where the job is.
    pub phase: Phase,
    /// `progress.chapters_done`, when the job reports it.
    pub chapters_done: Option<u64>,
}

impl JobSnapshot {
    /// Reads a job body; `None` when it has no string `status`.
    pub fn read(job: &Value) -> Option<Self> {
        let phase = match job.get("status")?.as_str()? {
            "completed" => Phase::Completed,
            ended @ ("failed" | "cancelled") => Phase::Ended(ended.to_owned()),
            _ => Phase::InProgress,
        };
        let chapters_done = job
            .pointer("/progress/chapters_done")
            .and_then(Value::as_u64);
        Some(Self {
            phase,
            chapters_done,
        })
    }

    /// Whether at least one chapter is written.
    pub fn has_a_chapter(&self) -> bool {
        self.chapters_done.is_some_and(|done| done >= 1)
    }
}

/// The job's own `timings` object, when it reports one (kept as served).
pub fn timings(job: &Value) -> Option<Value> {
    job.get("timings").filter(|t| !t.is_null()).cloned()
}

/// The job's own duration, `timings.duration_ms` (measured by the app, start to finish).
pub fn own_duration(timings: &Value) -> Option<std::time::Duration> {
    let millis = timings.get("duration_ms")?.as_f64()?;
    std::time::Duration::try_from_secs_f64(millis / 1e3).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statuses() {
        let read = |status: &str| {
            JobSnapshot::read(&json!({ "status": status }))
                .unwrap()
                .phase
        };
        assert_eq!(read("queued"), Phase::InProgress);
        assert_eq!(read("running"), Phase::InProgress);
        assert_eq!(read("completed"), Phase::Completed);
        assert_eq!(read("failed"), Phase::Ended("failed".into()));
        assert_eq!(read("cancelled"), Phase::Ended("cancelled".into()));
    }

    #[test]
    fn progress() {
        let job =
            json!({"status": "running", "progress": {"chapters_done": 0, "chapters_total": 5}});
        let snapshot = JobSnapshot::read(&job).unwrap();
        assert_eq!(snapshot.chapters_done, Some(0));
        assert!(!snapshot.has_a_chapter());
        let job = json!({"status": "running", "progress": {"chapters_done": 2}});
        assert!(JobSnapshot::read(&job).unwrap().has_a_chapter());
        let job = json!({"status": "running"});
        let snapshot = JobSnapshot::read(&job).unwrap();
        assert_eq!(snapshot.chapters_done, None);
        assert!(!snapshot.has_a_chapter());
    }

    #[test]
    fn a_body_without_a_status_is_not_a_job() {
        assert_eq!(
            JobSnapshot::read(&json!({"error": {"code": "not_found"}})),
            None
        );
        assert_eq!(JobSnapshot::read(&json!({"status": 3})), None);
        assert_eq!(JobSnapshot::read(&json!([])), None);
    }

    #[test]
    fn timings_are_kept_when_present() {
        let t = json!({"queued_ms": 3, "total_ms": 812});
        assert_eq!(
            timings(&json!({"status": "completed", "timings": t})),
            Some(t)
        );
        assert_eq!(
            timings(&json!({"status": "completed", "timings": null})),
            None
        );
        assert_eq!(timings(&json!({"status": "completed"})), None);
    }

    #[test]
    fn the_jobs_own_duration() {
        use std::time::Duration;
        assert_eq!(
            own_duration(&json!({"duration_ms": 43, "started_at": "2026-11-22T08:35:59.785Z"})),
            Some(Duration::from_millis(43))
        );
        assert_eq!(own_duration(&json!({"duration_ms": null})), None);
        assert_eq!(own_duration(&json!({"duration_ms": -1})), None);
        assert_eq!(own_duration(&json!({})), None);
    }
}
