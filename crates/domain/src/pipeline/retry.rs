//! What happens when a step attempt fails: retry later (with capped exponential backoff,
//! honouring a provider's retry-after) or fail the job.

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// Backoff after a step's first failure.
const BASE_BACKOFF_MS: u64 = 2_000;
/// Longest computed backoff.
const MAX_BACKOFF_MS: u64 = 60_000;
/// Longest provider retry-after honoured.
const MAX_RETRY_AFTER_MS: u64 = 300_000;

/// Why a step attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureCode {
    /// The provider is rate limiting (retryable).
    RateLimited,
    /// The provider failed or cannot be reached (retryable).
    Unavailable,
    /// The prompt does not fit the model.
    ContextTooLong,
    /// The provider refused the credentials.
    Auth,
    /// The provider refused the request as malformed.
    InvalidRequest,
    /// The answer could not be used (retryable: another attempt may answer better).
    MalformedOutput,
    /// What the step needs from earlier steps is missing.
    MissingInput,
}

impl FailureCode {
    /// The snake_case name, as stored and served.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RateLimited => "rate_limited",
            Self::Unavailable => "unavailable",
            Self::ContextTooLong => "context_too_long",
            Self::Auth => "auth",
            Self::InvalidRequest => "invalid_request",
            Self::MalformedOutput => "malformed_output",
            Self::MissingInput => "missing_input",
        }
    }

    /// Whether another attempt may succeed.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::RateLimited | Self::Unavailable | Self::MalformedOutput
        )
    }
}

/// One failed step attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepFailure {
    /// Why.
    pub code: FailureCode,
    /// What happened, for people.
    pub message: String,
    /// The provider's retry-after, if it gave one.
    pub retry_after_ms: Option<u64>,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepVerdict {
    /// Run the step again at `at`.
    Retry {
        /// When the step is due again.
        at: Timestamp,
    },
    /// Fail the job.
    Fail,
}

/// The delay before the next attempt after the `failures`-th failure (from 1):
/// 2 s, 4 s, 8 s … capped at 60 s, or the provider's retry-after if longer (capped at
/// 5 minutes).
pub fn backoff_millis(failures: u32, retry_after_ms: Option<u64>) -> u64 {
    let exponent = failures.saturating_sub(1).min(16);
    let computed = BASE_BACKOFF_MS
        .saturating_mul(1 << exponent)
        .min(MAX_BACKOFF_MS);
    computed.max(retry_after_ms.unwrap_or(0).min(MAX_RETRY_AFTER_MS))
}

/// Decides after the `failures`-th failure of a step (this one included) with at most
/// `max_attempts` failures allowed: a retryable failure below the limit is retried after
/// [`backoff_millis`]; anything else fails the job.
pub fn judge_failure(
    failure: &StepFailure,
    failures: u32,
    max_attempts: u32,
    now: Timestamp,
) -> StepVerdict {
    if !failure.code.is_retryable() || failures >= max_attempts {
        return StepVerdict::Fail;
    }
    let delay = backoff_millis(failures, failure.retry_after_ms);
    StepVerdict::Retry {
        at: now.plus_millis(i64::try_from(delay).unwrap_or(i64::MAX)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: FailureCode, retry_after_ms: Option<u64>) -> StepFailure {
        StepFailure {
            code,
            message: "x".into(),
            retry_after_ms,
        }
    }

    #[test]
    fn backoff_doubles_up_to_a_cap_and_honours_retry_after() {
        let delays: Vec<u64> = (1..=7).map(|n| backoff_millis(n, None)).collect();
        assert_eq!(
            delays,
            [2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]
        );
        assert_eq!(backoff_millis(u32::MAX, None), 60_000);
        assert_eq!(backoff_millis(1, Some(9_000)), 9_000);
        assert_eq!(backoff_millis(3, Some(1_000)), 8_000);
        assert_eq!(backoff_millis(1, Some(u64::MAX)), 300_000);
    }

    #[test]
    fn retryable_failures_retry_until_the_limit() {
        let now = Timestamp::parse("2025-01-01T00:00:00Z").unwrap();
        let rate_limited = failure(FailureCode::RateLimited, Some(5_000));
        assert_eq!(
            judge_failure(&rate_limited, 1, 3, now),
            StepVerdict::Retry {
                at: now.plus_millis(5_000)
            }
        );
        let unavailable = failure(FailureCode::Unavailable, None);
        assert_eq!(
            judge_failure(&unavailable, 2, 3, now),
            StepVerdict::Retry {
                at: now.plus_millis(4_000)
            }
        );
        assert_eq!(judge_failure(&unavailable, 3, 3, now), StepVerdict::Fail);
    }

    #[test]
    fn permanent_failures_fail_at_once() {
        let now = Timestamp::now();
        for code in [
            FailureCode::Auth,
            FailureCode::InvalidRequest,
            FailureCode::ContextTooLong,
            FailureCode::MissingInput,
        ] {
            assert!(!code.is_retryable());
            assert_eq!(
                judge_failure(&failure(code, None), 1, 3, now),
                StepVerdict::Fail
            );
        }
    }

    #[test]
    fn codes_match_serde() {
        let json = serde_json::to_value(FailureCode::ContextTooLong).unwrap();
        assert_eq!(json, "context_too_long");
        assert_eq!(FailureCode::MalformedOutput.as_str(), "malformed_output");
    }
}
