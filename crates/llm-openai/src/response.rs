//! Reading a chat-completions answer, and classifying failed ones.

use std::time::{Duration, SystemTime};

use serde::Deserialize;

use crate::types::{ChatRequest, Completion, FinishReason, LlmError, Usage};

/// One failed attempt: the error to report, and whether another attempt may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What went wrong.
    pub error: LlmError,
    /// True for 429 (except an exhausted quota), 408, 5xx, timeouts, lost connections and
    /// unreadable answers.
    pub retryable: bool,
}

impl Failure {
    /// A retryable [`LlmError::Unavailable`].
    pub fn unavailable(message: impl Into<String>) -> Self {
        Failure {
            error: LlmError::Unavailable(message.into()),
            retryable: true,
        }
    }
}

#[derive(Deserialize)]
struct Body {
    choices: Option<Vec<Choice>>,
    usage: Option<WireUsage>,
    model: Option<String>,
}

#[derive(Deserialize)]
struct Choice {
    message: Option<WireMessage>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct WireMessage {
    content: Option<String>,
}

#[derive(Deserialize)]
struct WireUsage {
    prompt_tokens: Option<u32>,
    completion_tokens: Option<u32>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: Option<ErrorDetail>,
}

/// `{"error": {"message", "type", "code"}}`; some servers send `error` as a plain string.
#[derive(Deserialize)]
#[serde(untagged)]
enum ErrorDetail {
    Object {
        message: Option<String>,
        #[serde(rename = "type")]
        kind: Option<String>,
        code: Option<serde_json::Value>,
    },
    Text(String),
}

/// Estimated tokens: `ceil(chars / 4)`.
pub fn estimate_tokens(text: &str) -> u32 {
    u32::try_from(text.chars().count().div_ceil(4)).unwrap_or(u32::MAX)
}

/// Reads a 2xx answer. `choices` missing, `null` or empty, or a body that is not JSON, is a
/// retryable failure. Missing usage (or either count) is estimated from the request's
/// messages and the text, and marked `estimated`.
pub fn parse_completion(body: &[u8], request: &ChatRequest) -> Result<Completion, Failure> {
    let parsed: Body = serde_json::from_slice(body)
        .map_err(|e| Failure::unavailable(format!("unreadable answer: {e}: {}", snippet(body))))?;
    let choice = parsed
        .choices
        .and_then(|c| c.into_iter().next())
        .ok_or_else(|| {
            Failure::unavailable(format!("answer without choices: {}", snippet(body)))
        })?;
    let text = choice.message.and_then(|m| m.content).unwrap_or_default();
    let finish_reason = match choice.finish_reason.as_deref() {
        Some("stop") => FinishReason::Stop,
        Some("length") => FinishReason::Length,
        Some("content_filter") => FinishReason::ContentFilter,
        _ => FinishReason::Other,
    };
    let usage = match parsed.usage {
        Some(WireUsage {
            prompt_tokens: Some(prompt_tokens),
            completion_tokens: Some(completion_tokens),
        }) => Usage {
            prompt_tokens,
            completion_tokens,
            estimated: false,
        },
        _ => Usage {
            prompt_tokens: request
                .messages
                .iter()
                .map(|m| estimate_tokens(&m.content))
                .fold(0u32, u32::saturating_add),
            completion_tokens: estimate_tokens(&text),
            estimated: true,
        },
    };
    Ok(Completion {
        text,
        finish_reason,
        usage,
        model: parsed
            .model
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| request.model.clone()),
        attempts: 1,
    })
}

/// Classifies a non-2xx answer: 429 → rate limited (with `Retry-After`), but an exhausted
/// quota (`insufficient_quota`) → auth; 401/403 → auth;
/// 408 and 5xx → unavailable (retryable); a context-length complaint in any 4xx body (or a
/// 413) → context too long; any other 4xx → invalid request. Only rate limits (not an
/// exhausted quota), 408 and 5xx are retryable.
pub fn classify_status(
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
    now: SystemTime,
) -> Failure {
    let detail = error_detail(body);
    let message = format!("HTTP {status}: {}", detail.message);
    let (error, retryable) = match status {
        // An exhausted quota is an account problem: waiting does not fix it.
        429 if detail.quota => (LlmError::Auth(message), false),
        429 => (
            LlmError::RateLimited(
                retry_after
                    .and_then(|v| parse_retry_after(v, now))
                    .map(|wait| u64::try_from(wait.as_millis()).unwrap_or(u64::MAX)),
            ),
            true,
        ),
        401 | 403 => (LlmError::Auth(message), false),
        408 => (LlmError::Unavailable(message), true),
        413 => (LlmError::ContextTooLong(message), false),
        400..=499 if detail.context_length => (LlmError::ContextTooLong(message), false),
        400..=499 => (LlmError::InvalidRequest(message), false),
        _ => (LlmError::Unavailable(message), true),
    };
    Failure { error, retryable }
}

/// What an error body says.
struct Detail {
    message: String,
    context_length: bool,
    quota: bool,
}

fn error_detail(body: &[u8]) -> Detail {
    let (message, code) = match serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .and_then(|b| b.error)
    {
        Some(ErrorDetail::Object {
            message,
            kind,
            code,
        }) => {
            let code = code
                .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_owned))
                .or(kind)
                .unwrap_or_default();
            (message.unwrap_or_else(|| snippet(body)), code)
        }
        Some(ErrorDetail::Text(message)) => (message, String::new()),
        None => (snippet(body), String::new()),
    };
    let lower = format!("{code} {message}").to_lowercase();
    let context_length = [
        "context_length_exceeded",
        "context length",
        "context window",
        "maximum context",
        "too many tokens",
        "prompt is too long",
        "exceeds the available context",
    ]
    .iter()
    .any(|p| lower.contains(p));
    Detail {
        context_length,
        quota: code == "insufficient_quota",
        message,
    }
}

/// `Retry-After`: delay-seconds or an HTTP date (a date in the past means now).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>()
        && seconds.is_finite()
        && seconds >= 0.0
    {
        return Some(Duration::from_secs_f64(seconds.min(86_400.0)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The start of a body, for error messages (at most 200 characters, lossy UTF-8).
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return "(empty body)".into();
    }
    trimmed.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Message, Role};

    fn request() -> ChatRequest {
        ChatRequest {
            model: "asked-model".into(),
            messages: vec![Message {
                role: Role::User,
                content: "12345678".into(),
            }],
            ..ChatRequest::default()
        }
    }

    #[test]
    fn reads_content_finish_reason_usage_and_model() {
        let body = br#"{"id":"x","model":"served-model","choices":[{"index":0,"message":{"role":"assistant","content":"Hello."},"finish_reason":"length"}],"usage":{"prompt_tokens":11,"completion_tokens":2,"total_tokens":13}}"#;
        let c = parse_completion(body, &request()).unwrap();
        assert_eq!(c.text, "Hello.");
        assert_eq!(c.finish_reason, FinishReason::Length);
        assert_eq!(
            c.usage,
            Usage {
                prompt_tokens: 11,
                completion_tokens: 2,
                estimated: false
            }
        );
        assert_eq!(c.model, "served-model");
    }

    #[test]
    fn missing_usage_is_estimated() {
        for usage in ["", r#","usage":null"#, r#","usage":{"prompt_tokens":3}"#] {
            let body = format!(
                r#"{{"choices":[{{"message":{{"content":"abcde"}},"finish_reason":"stop"}}]{usage}}}"#
            );
            let c = parse_completion(body.as_bytes(), &request()).unwrap();
            assert_eq!(
                c.usage,
                Usage {
                    prompt_tokens: 2,
                    completion_tokens: 2,
                    estimated: true
                },
                "{usage}"
            );
            assert_eq!(c.model, "asked-model");
        }
    }

    #[test]
    fn odd_finish_reasons_and_null_content_are_tolerated() {
        let body = br#"{"choices":[{"message":{"content":null},"finish_reason":"tool_calls"}]}"#;
        let c = parse_completion(body, &request()).unwrap();
        assert_eq!(
            (c.text.as_str(), c.finish_reason),
            ("", FinishReason::Other)
        );
        let body = br#"{"choices":[{"message":{"content":"x"},"finish_reason":"content_filter"}]}"#;
        assert_eq!(
            parse_completion(body, &request()).unwrap().finish_reason,
            FinishReason::ContentFilter
        );
    }

    #[test]
    fn no_choices_or_no_json_is_a_retryable_failure() {
        for body in [
            &br#"{"choices":null}"#[..],
            br#"{"choices":[]}"#,
            br#"{"object":"chat.completion"}"#,
            b"<html>Bad gateway</html>",
            b"",
            br#"{"choices":[{"message":{"content":"trunc"#,
        ] {
            let f = parse_completion(body, &request()).unwrap_err();
            assert!(f.retryable, "{body:?}");
            assert!(matches!(f.error, LlmError::Unavailable(_)));
        }
    }

    #[test]
    fn statuses_are_classified() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let f = classify_status(429, Some("7"), b"{}", now);
        assert_eq!(f.error, LlmError::RateLimited(Some(7000)));
        assert!(f.retryable);
        let quota = br#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#;
        let f = classify_status(429, None, quota, now);
        assert!(
            matches!(&f.error, LlmError::Auth(m) if m.contains("quota")),
            "{f:?}"
        );
        assert!(!f.retryable);
        for status in [401, 403] {
            let f = classify_status(status, None, br#"{"error":{"message":"bad key"}}"#, now);
            assert!(matches!(&f.error, LlmError::Auth(m) if m.contains("bad key")));
            assert!(!f.retryable);
        }
        for status in [400, 404, 409, 422] {
            let f = classify_status(status, None, b"nope", now);
            assert!(matches!(f.error, LlmError::InvalidRequest(_)), "{status}");
            assert!(!f.retryable);
        }
        for status in [408, 500, 502, 503, 504] {
            let f = classify_status(status, None, b"", now);
            assert!(matches!(f.error, LlmError::Unavailable(_)), "{status}");
            assert!(f.retryable);
        }
    }

    #[test]
    fn context_length_complaints_are_recognised() {
        let now = SystemTime::now();
        for body in [
            &br#"{"error":{"message":"This model's maximum context length is 8192 tokens.","type":"invalid_request_error","code":"context_length_exceeded"}}"#[..],
            br#"{"error":"the request exceeds the available context size, try increasing it"}"#,
            br#"{"error":{"message":"prompt is too long: 9000 tokens"}}"#,
        ] {
            let f = classify_status(400, None, body, now);
            assert!(matches!(f.error, LlmError::ContextTooLong(_)), "{body:?}");
            assert!(!f.retryable);
        }
        assert!(matches!(
            classify_status(413, None, b"", now).error,
            LlmError::ContextTooLong(_)
        ));
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after(" 1.5 ", now),
            Some(Duration::from_millis(1500))
        );
        // 1_445_412_480 is Wed, 21 Oct 2015 07:28:00 GMT.
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }
}
