//! The pipeline's numeric settings (Spin variables), their defaults and limits.
//!
//! | variable | default | range |
//! |---|---|---|
//! | `max_step_attempts` | 3 | 1..=20 |
//! | `context_token_budget` | 2000 | 100..=100000 |
//! | `job_stall_seconds` | 120 | 5..=86400 |
//! | `sse_max_seconds` | 25 | 1..=3600 |

use std::ops::RangeInclusive;

/// A numeric pipeline setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// Failed attempts a step may have before its job fails.
    MaxStepAttempts,
    /// Tokens of earlier-chapter summaries a chapter prompt may carry.
    ContextTokenBudget,
    /// Seconds without progress after which the sweeper re-publishes a job's step.
    JobStallSeconds,
    /// Seconds one Server-Sent Events response streams.
    SseMaxSeconds,
}

/// A setting whose value is not an integer in its range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("variable `{name}` must be an integer from {min} to {max}, not {value:?}")]
pub struct SettingError {
    /// The variable.
    pub name: &'static str,
    /// Its value (at most 64 characters of it).
    pub value: String,
    /// Lowest allowed.
    pub min: u32,
    /// Highest allowed.
    pub max: u32,
}

impl Setting {
    /// The variable's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::MaxStepAttempts => "max_step_attempts",
            Self::ContextTokenBudget => "context_token_budget",
            Self::JobStallSeconds => "job_stall_seconds",
            Self::SseMaxSeconds => "sse_max_seconds",
        }
    }

    /// Its value when blank or absent.
    pub fn default_value(self) -> u32 {
        match self {
            Self::MaxStepAttempts => 3,
            Self::ContextTokenBudget => 2_000,
            Self::JobStallSeconds => 120,
            Self::SseMaxSeconds => 25,
        }
    }

    fn range(self) -> RangeInclusive<u32> {
        match self {
            Self::MaxStepAttempts => 1..=20,
            Self::ContextTokenBudget => 100..=100_000,
            Self::JobStallSeconds => 5..=86_400,
            Self::SseMaxSeconds => 1..=3_600,
        }
    }

    /// Parses a variable's value (blank or absent: the default).
    pub fn parse(self, value: Option<&str>) -> Result<u32, SettingError> {
        let text = value.unwrap_or("").trim();
        if text.is_empty() {
            return Ok(self.default_value());
        }
        let range = self.range();
        text.parse::<u32>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| SettingError {
                name: self.name(),
                value: text.chars().take(64).collect(),
                min: *range.start(),
                max: *range.end(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_means_default_and_values_are_bounded() {
        let s = Setting::SseMaxSeconds;
        assert_eq!(s.parse(None), Ok(25));
        assert_eq!(s.parse(Some(" ")), Ok(25));
        assert_eq!(s.parse(Some("3")), Ok(3));
        assert!(s.parse(Some("0")).is_err());
        assert!(s.parse(Some("-1")).is_err());
        assert!(s.parse(Some("1.5")).is_err());
        let error = Setting::MaxStepAttempts.parse(Some("99")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "variable `max_step_attempts` must be an integer from 1 to 20, not \"99\""
        );
        assert_eq!(Setting::JobStallSeconds.parse(None), Ok(120));
        assert_eq!(Setting::ContextTokenBudget.parse(None), Ok(2_000));
    }
}
