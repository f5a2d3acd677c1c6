//! How often and how long to wait before a failed delivery is tried again.

use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

/// Retry schedule for message deliveries that fail (the handler returned an error, trapped or
/// timed out), and for reconnecting a lost subscriber connection.
///
/// The wait after the `n`-th failed attempt is `initial_backoff * 2^(n-1)`, capped at
/// `max_backoff`, then jittered down to a random value in `[wait/2, wait]` so that many
/// failing messages do not retry in lock step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Deliveries tried per message before it is parked in the dead-letter table (at least 1).
    pub max_attempts: u32,
    /// Wait after the first failure.
    pub initial_backoff: Duration,
    /// Longest wait between two attempts.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, waiting 200 ms after the first failure and at most 30 s.
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The jittered wait after `failures` consecutive failures (`failures` ≥ 1).
    pub fn backoff(&self, failures: u32) -> Duration {
        let full = self.backoff_ceiling(failures);
        let half = full / 2;
        let spread = (full - half).as_nanos() as u64;
        let jitter = if spread == 0 {
            0
        } else {
            random_u64() % (spread + 1)
        };
        half + Duration::from_nanos(jitter)
    }

    /// The wait after `failures` failures before jitter: exponential, capped at `max_backoff`.
    fn backoff_ceiling(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(32);
        self.initial_backoff
            .checked_mul(1u32 << doublings.min(31))
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }
}

/// A pseudo-random number: good enough for jitter, not for anything secret.
fn random_u64() -> u64 {
    // Every `RandomState` is seeded differently (per-process random keys, bumped per call).
    RandomState::new().hash_one(std::time::Instant::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_and_is_capped() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
        };
        assert_eq!(policy.backoff_ceiling(1), Duration::from_millis(100));
        assert_eq!(policy.backoff_ceiling(2), Duration::from_millis(200));
        assert_eq!(policy.backoff_ceiling(4), Duration::from_millis(800));
        assert_eq!(policy.backoff_ceiling(5), Duration::from_secs(1));
        assert_eq!(policy.backoff_ceiling(500), Duration::from_secs(1));
        for failures in 1..20 {
            let wait = policy.backoff(failures);
            let ceiling = policy.backoff_ceiling(failures);
            assert!(
                wait >= ceiling / 2 && wait <= ceiling,
                "{wait:?} vs {ceiling:?}"
            );
        }
    }
}
