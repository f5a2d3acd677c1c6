//! The retry loop: capped exponential backoff with jitter, honouring `Retry-After`, over any
//! HTTP [`Transport`] (the provider component's is wasi:http; tests use a script).

use std::time::{Duration, SystemTime};

use crate::body::request_body;
use crate::response::{Failure, classify_status, parse_completion};
use crate::types::{ChatRequest, Completion, LlmError};

/// How often and how long to wait between attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so at most `max_retries + 1` attempts).
    pub max_retries: u32,
    /// The first backoff step; each retry doubles it.
    pub base_delay: Duration,
    /// The longest wait between attempts. A `Retry-After` longer than this is not waited
    /// out: the rate limit is reported at once, with its delay, for the caller to schedule.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 3 retries, 500 ms doubling, at most 20 s.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry `retry` (1 for the first retry), or None to give up now.
    ///
    /// With a `Retry-After` of at most `max_delay`: exactly that. Without one: "equal
    /// jitter" — half of `min(max_delay, base_delay * 2^(retry-1))` plus `jitter` (0..1)
    /// times the other half.
    pub fn delay(
        &self,
        retry: u32,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> Option<Duration> {
        if let Some(wait) = retry_after {
            return (wait <= self.max_delay).then_some(wait);
        }
        let doubling = 2u32.saturating_pow(retry.saturating_sub(1));
        let step = self.base_delay.saturating_mul(doubling).min(self.max_delay);
        let jitter = jitter.clamp(0.0, 1.0);
        Some(step / 2 + (step / 2).mul_f64(jitter))
    }
}

/// A raw HTTP answer.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

/// What the retry loop needs from its environment.
pub trait Transport {
    /// POSTs the JSON body to the chat-completions endpoint. A failure to get an answer
    /// (timeout, refused connection, denied host) is a [`Failure`], retryable or not.
    fn send(&mut self, body: &[u8]) -> Result<HttpReply, Failure>;
    /// Waits.
    fn sleep(&mut self, delay: Duration);
    /// A number in `0.0..1.0` for jitter.
    fn jitter(&mut self) -> f64;
    /// The current time (for `Retry-After` dates).
    fn now(&self) -> SystemTime;
}

/// Sends the request, retrying retryable failures under `policy`. The completion's
/// `attempts` counts every HTTP attempt.
pub fn complete(
    request: &ChatRequest,
    policy: &RetryPolicy,
    transport: &mut impl Transport,
) -> Result<Completion, LlmError> {
    let body = request_body(request);
    let mut attempts: u32 = 0;
    loop {
        attempts += 1;
        let failure = match transport.send(&body) {
            Ok(reply) if (200..300).contains(&reply.status) => {
                match parse_completion(&reply.body, request) {
                    Ok(mut completion) => {
                        completion.attempts = attempts;
                        return Ok(completion);
                    }
                    Err(failure) => failure,
                }
            }
            Ok(reply) => classify_status(
                reply.status,
                reply.retry_after.as_deref(),
                &reply.body,
                transport.now(),
            ),
            Err(failure) => failure,
        };
        if !failure.retryable || attempts > policy.max_retries {
            return Err(failure.error);
        }
        let retry_after = match &failure.error {
            LlmError::RateLimited(wait_ms) => wait_ms.map(Duration::from_millis),
            _ => None,
        };
        let jitter = transport.jitter();
        match policy.delay(attempts, retry_after, jitter) {
            Some(delay) => transport.sleep(delay),
            None => return Err(failure.error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{FinishReason, Message, Role};

    /// Plays back scripted answers and records what the loop did.
    struct Script {
        answers: Vec<Result<HttpReply, Failure>>,
        sent: usize,
        slept: Vec<Duration>,
    }

    impl Script {
        fn new(answers: Vec<Result<HttpReply, Failure>>) -> Self {
            Script {
                answers,
                sent: 0,
                slept: Vec::new(),
            }
        }
    }

    impl Transport for Script {
        fn send(&mut self, _body: &[u8]) -> Result<HttpReply, Failure> {
            self.sent += 1;
            self.answers.remove(0)
        }
        fn sleep(&mut self, delay: Duration) {
            self.slept.push(delay);
        }
        fn jitter(&mut self) -> f64 {
            0.5
        }
        fn now(&self) -> SystemTime {
            SystemTime::UNIX_EPOCH
        }
    }

    fn reply(status: u16, retry_after: Option<&str>, body: &str) -> Result<HttpReply, Failure> {
        Ok(HttpReply {
            status,
            retry_after: retry_after.map(str::to_owned),
            body: body.as_bytes().to_vec(),
        })
    }

    const OK: &str = r#"{"choices":[{"message":{"content":"done"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#;

    fn request() -> ChatRequest {
        ChatRequest {
            model: "m".into(),
            messages: vec![Message {
                role: Role::User,
                content: "hi".into(),
            }],
            ..ChatRequest::default()
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let p = RetryPolicy {
            max_retries: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
        };
        assert_eq!(p.delay(1, None, 0.0), Some(Duration::from_millis(50)));
        assert_eq!(p.delay(1, None, 1.0), Some(Duration::from_millis(100)));
        assert_eq!(p.delay(3, None, 1.0), Some(Duration::from_millis(400)));
        assert_eq!(p.delay(8, None, 1.0), Some(Duration::from_millis(1000)));
        assert_eq!(
            p.delay(u32::MAX, None, 0.5),
            Some(Duration::from_millis(750))
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_millis(900)), 0.0),
            Some(Duration::from_millis(900))
        );
        assert_eq!(p.delay(1, Some(Duration::from_secs(5)), 0.0), None);
    }

    #[test]
    fn rate_limits_wait_for_retry_after_then_succeed() {
        let mut t = Script::new(vec![reply(429, Some("1"), "{}"), reply(200, None, OK)]);
        let c = complete(&request(), &RetryPolicy::default(), &mut t).unwrap();
        assert_eq!(
            (c.text.as_str(), c.finish_reason, c.attempts),
            ("done", FinishReason::Stop, 2)
        );
        assert_eq!(t.slept, vec![Duration::from_secs(1)]);
    }

    #[test]
    fn server_errors_timeouts_and_garbage_are_retried() {
        let mut t = Script::new(vec![
            reply(500, None, "oops"),
            Err(Failure::unavailable("timed out")),
            reply(200, None, "not json"),
            reply(200, None, OK),
        ]);
        let c = complete(&request(), &RetryPolicy::default(), &mut t).unwrap();
        assert_eq!(c.attempts, 4);
        assert_eq!(t.slept.len(), 3);
    }

    #[test]
    fn retries_stop_after_the_limit() {
        let mut t = Script::new((0..4).map(|_| reply(503, None, "")).collect());
        let e = complete(&request(), &RetryPolicy::default(), &mut t).unwrap_err();
        assert!(matches!(e, LlmError::Unavailable(_)));
        assert_eq!(t.sent, 4);
    }

    #[test]
    fn client_errors_are_never_retried() {
        for (status, check) in [
            (
                400,
                (|e: &LlmError| matches!(e, LlmError::InvalidRequest(_))) as fn(&LlmError) -> bool,
            ),
            (401, |e| matches!(e, LlmError::Auth(_))),
            (404, |e| matches!(e, LlmError::InvalidRequest(_))),
        ] {
            let mut t = Script::new(vec![reply(status, None, "{}"), reply(200, None, OK)]);
            let e = complete(&request(), &RetryPolicy::default(), &mut t).unwrap_err();
            assert!(check(&e), "{status}: {e:?}");
            assert_eq!(t.sent, 1);
            assert!(t.slept.is_empty());
        }
    }

    #[test]
    fn a_retry_after_beyond_the_cap_is_reported_not_waited() {
        let mut t = Script::new(vec![reply(429, Some("3600"), "{}"), reply(200, None, OK)]);
        let e = complete(&request(), &RetryPolicy::default(), &mut t).unwrap_err();
        assert_eq!(e, LlmError::RateLimited(Some(3_600_000)));
        assert_eq!(t.sent, 1);
    }
}
