//! Token-bucket arithmetic, pure and clock-free: the caller passes `now_ms`.
//!
//! A bucket holds up to `burst` tokens and refills continuously at `per_minute` tokens a
//! minute. Each request takes one token; with less than one token left it is refused.

use serde::{Deserialize, Serialize};

use super::Limit;

/// Milliseconds per minute.
const MINUTE_MS: f64 = 60_000.0;
/// Seconds per minute.
const MINUTE_SECS: f64 = 60.0;

/// A bucket's stored state: `{"tokens": 12.5, "updated_ms": 1700000000000}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    /// Tokens left after the last request, `0..=burst`.
    pub tokens: f64,
    /// When `tokens` was computed (Unix milliseconds).
    pub updated_ms: u64,
}

/// The result of taking one token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Take {
    /// What to report to the client.
    pub verdict: Verdict,
    /// The state to store, or `None` when nothing changed (a refused request).
    pub next: Option<Bucket>,
}

/// Whether a request may pass one bucket, with the numbers its headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// The bucket's capacity (`RateLimit-Limit`).
    pub limit: u32,
    /// Whole tokens left after this request (`RateLimit-Remaining`).
    pub remaining: u32,
    /// Seconds until the bucket is full again (`RateLimit-Reset`).
    pub reset_secs: u64,
    /// Seconds until one token is available; only for refused requests (`Retry-After`, ≥ 1).
    pub retry_after_secs: Option<u64>,
}

impl Limit {
    /// Takes one token from `stored` (`None`: a new, full bucket) at `now_ms`.
    ///
    /// A clock that went backwards refills nothing; it never drains the bucket either.
    pub fn take(&self, stored: Option<Bucket>, now_ms: u64) -> Take {
        let burst = f64::from(self.burst);
        let per_minute = f64::from(self.per_minute);
        let (tokens, updated_ms) = match stored {
            None => (burst, now_ms),
            Some(bucket) => {
                let elapsed_ms = now_ms.saturating_sub(bucket.updated_ms) as f64;
                let refill = elapsed_ms * per_minute / MINUTE_MS;
                let tokens = (bucket.tokens.max(0.0) + refill).min(burst);
                (tokens, bucket.updated_ms.max(now_ms))
            }
        };
        // Whole seconds until `missing` tokens have refilled (a saturating cast).
        let secs_until = |missing: f64| (missing * MINUTE_SECS / per_minute).ceil().max(0.0) as u64;
        if tokens >= 1.0 {
            let left = tokens - 1.0;
            Take {
                verdict: Verdict {
                    allowed: true,
                    limit: self.burst,
                    remaining: left.floor() as u32,
                    reset_secs: secs_until(burst - left),
                    retry_after_secs: None,
                },
                next: Some(Bucket {
                    tokens: left,
                    updated_ms,
                }),
            }
        } else {
            Take {
                verdict: Verdict {
                    allowed: false,
                    limit: self.burst,
                    remaining: 0,
                    reset_secs: secs_until(burst - tokens),
                    retry_after_secs: Some(secs_until(1.0 - tokens).max(1)),
                },
                next: None,
            }
        }
    }
}

impl Verdict {
    /// Which of two buckets' verdicts a response reports: a refusal over a pass, then
    /// the fewer remaining tokens, then the later reset.
    pub fn tighter(self, other: Self) -> Self {
        let key = |v: &Self| (v.allowed, v.remaining, std::cmp::Reverse(v.reset_secs));
        if key(&other) < key(&self) {
            other
        } else {
            self
        }
    }

    /// The `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` headers, plus
    /// `Retry-After` for a refusal.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            ("ratelimit-limit", self.limit.to_string()),
            ("ratelimit-remaining", self.remaining.to_string()),
            ("ratelimit-reset", self.reset_secs.to_string()),
        ];
        if let Some(secs) = self.retry_after_secs {
            headers.push(("retry-after", secs.to_string()));
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000_000;

    fn limit(per_minute: u32, burst: u32) -> Limit {
        Limit { per_minute, burst }
    }

    /// Takes `n` tokens at `now`, threading the state; returns the verdicts.
    fn take_n(limit: Limit, state: &mut Option<Bucket>, n: usize, now: u64) -> Vec<Verdict> {
        (0..n)
            .map(|_| {
                let take = limit.take(*state, now);
                if let Some(next) = take.next {
                    *state = Some(next);
                }
                take.verdict
            })
            .collect()
    }

    #[test]
    fn a_new_bucket_admits_exactly_the_burst() {
        let mut state = None;
        let verdicts = take_n(limit(60, 5), &mut state, 7, T0);
        let allowed: Vec<bool> = verdicts.iter().map(|v| v.allowed).collect();
        assert_eq!(allowed, [true, true, true, true, true, false, false]);
        let remaining: Vec<u32> = verdicts.iter().map(|v| v.remaining).collect();
        assert_eq!(remaining, [4, 3, 2, 1, 0, 0, 0]);
        assert!(verdicts.iter().all(|v| v.limit == 5));
    }

    #[test]
    fn refill_is_continuous_and_capped_at_the_burst() {
        let l = limit(60, 5); // one token a second
        let mut state = None;
        take_n(l, &mut state, 5, T0);
        assert!(!l.take(state, T0 + 999).verdict.allowed);
        let after_one_second = l.take(state, T0 + 1000);
        assert!(after_one_second.verdict.allowed);
        assert_eq!(after_one_second.verdict.remaining, 0);
        // An hour later the bucket is full, not fuller.
        let much_later = l.take(state, T0 + 3_600_000);
        assert_eq!(much_later.verdict.remaining, 4);
        assert_eq!(much_later.next.unwrap().tokens, 4.0);
    }

    #[test]
    fn refusals_say_when_to_retry_and_store_nothing() {
        let l = limit(1, 5); // one token a minute
        let mut state = None;
        take_n(l, &mut state, 5, T0);
        let refused = l.take(state, T0 + 15_000);
        assert_eq!(refused.next, None);
        assert_eq!(refused.verdict.retry_after_secs, Some(45));
        assert_eq!(
            refused.verdict.reset_secs, 285,
            "4.75 tokens at one a minute"
        );
        // Fractions round up and never go below one second.
        let l = limit(600_000, 1); // ten tokens a millisecond
        let empty = Some(Bucket {
            tokens: 0.0,
            updated_ms: T0,
        });
        assert_eq!(l.take(empty, T0).verdict.retry_after_secs, Some(1));
    }

    #[test]
    fn reset_is_the_time_to_a_full_bucket() {
        let l = limit(60, 10);
        let first = l.take(None, T0).verdict;
        assert_eq!((first.remaining, first.reset_secs), (9, 1));
        let state = Some(Bucket {
            tokens: 2.5,
            updated_ms: T0,
        });
        assert_eq!(
            l.take(state, T0).verdict.reset_secs,
            9,
            "8.5 tokens missing, ceil"
        );
    }

    #[test]
    fn clocks_going_backwards_refill_nothing() {
        let l = limit(60, 5);
        let state = Some(Bucket {
            tokens: 1.5,
            updated_ms: T0,
        });
        let take = l.take(state, T0 - 10_000);
        assert!(take.verdict.allowed);
        assert_eq!(
            take.next,
            Some(Bucket {
                tokens: 0.5,
                updated_ms: T0
            })
        );
        let corrupt = Some(Bucket {
            tokens: -3.0,
            updated_ms: T0,
        });
        assert_eq!(l.take(corrupt, T0 + 1000).verdict.remaining, 0);
    }

    #[test]
    fn the_tighter_verdict_is_reported() {
        let pass = |remaining, reset_secs| Verdict {
            allowed: true,
            limit: 10,
            remaining,
            reset_secs,
            retry_after_secs: None,
        };
        let refusal = Verdict {
            allowed: false,
            remaining: 0,
            retry_after_secs: Some(3),
            ..pass(0, 9)
        };
        assert_eq!(pass(5, 1).tighter(pass(2, 1)), pass(2, 1));
        assert_eq!(pass(2, 1).tighter(pass(5, 1)), pass(2, 1));
        assert_eq!(pass(2, 1).tighter(pass(2, 7)), pass(2, 7));
        assert_eq!(pass(0, 1).tighter(refusal), refusal);
        assert_eq!(refusal.tighter(pass(0, 1)), refusal);
    }

    #[test]
    fn headers_are_formatted_as_integers() {
        let l = limit(1, 5);
        let mut state = None;
        let verdicts = take_n(l, &mut state, 6, T0);
        assert_eq!(
            verdicts[0].headers(),
            [
                ("ratelimit-limit", "5".to_owned()),
                ("ratelimit-remaining", "4".to_owned()),
                ("ratelimit-reset", "60".to_owned()),
            ]
        );
        assert_eq!(
            verdicts[5].headers(),
            [
                ("ratelimit-limit", "5".to_owned()),
                ("ratelimit-remaining", "0".to_owned()),
                ("ratelimit-reset", "300".to_owned()),
                ("retry-after", "60".to_owned()),
            ]
        );
    }

    #[test]
    fn stored_state_is_the_documented_json() {
        let bucket = Bucket {
            tokens: 12.5,
            updated_ms: T0,
        };
        let json = serde_json::to_string(&bucket).unwrap();
        assert_eq!(json, r#"{"tokens":12.5,"updated_ms":1700000000000}"#);
        assert_eq!(serde_json::from_str::<Bucket>(&json).unwrap(), bucket);
        assert!(serde_json::from_str::<Bucket>(r#"{"tokens":1}"#).is_err());
    }
}
