//! The stages' view of `fabula:llm/text-generation`: a request, a completion and the
//! [`Llm`] trait, implemented in each stage component by [`wit_llm!`](crate::wit_llm)
//! over its own `wit_bindgen` import (so the adapter stays free of the import).

use fabula_domain::pipeline::{FailureCode, StepFailure};

/// One generation: a system and a user message.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmRequest {
    /// The model.
    pub model: String,
    /// The system message (its first line names the prompt: `Task: chapter@1`).
    pub system: String,
    /// The user message.
    pub user: String,
    /// Sampling temperature.
    pub temperature: f32,
    /// Upper bound on generated tokens.
    pub max_tokens: u32,
    /// The step's seed.
    pub seed: u64,
}

/// A successful generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmCompletion {
    /// The answer.
    pub text: String,
    /// `stop`, `length`, `content_filter` or `other`.
    pub finish_reason: &'static str,
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Completion tokens.
    pub completion_tokens: u32,
    /// Whether the provider estimated the usage.
    pub estimated: bool,
    /// The model that answered.
    pub model: String,
    /// HTTP attempts the provider made.
    pub attempts: u32,
}

/// A text generator (the imported provider).
pub trait Llm {
    /// Generates a completion, or says why not (after the provider's own retries).
    fn generate(&self, request: &LlmRequest) -> Result<LlmCompletion, StepFailure>;
}

/// The step failure for a provider error of `kind` (`rate-limited`, `unavailable`,
/// `context-too-long`, `auth`, `invalid-request`).
pub fn failure_from_provider(
    kind: &str,
    message: String,
    retry_after_ms: Option<u64>,
) -> StepFailure {
    let code = match kind {
        "rate-limited" => FailureCode::RateLimited,
        "context-too-long" => FailureCode::ContextTooLong,
        "auth" => FailureCode::Auth,
        "invalid-request" => FailureCode::InvalidRequest,
        _ => FailureCode::Unavailable,
    };
    StepFailure {
        code,
        message,
        retry_after_ms,
    }
}

/// Implements [`Llm`] for a unit struct over a component's `wit_bindgen` import of
/// `fabula:llm/text-generation`:
///
/// ```ignore
/// wit_bindgen::generate!({ path: "../../wit/llm", world: "fabula:llm/consumer" });
/// fabula_spin::wit_llm!(Provider, fabula::llm::text_generation);
/// ```
#[macro_export]
macro_rules! wit_llm {
    ($name:ident, $($wit:ident)::+) => {
        /// The imported `fabula:llm/text-generation` provider.
        struct $name;

        impl $crate::pipeline::Llm for $name {
            fn generate(
                &self,
                request: &$crate::pipeline::LlmRequest,
            ) -> ::std::result::Result<
                $crate::pipeline::LlmCompletion,
                $crate::pipeline::StepFailure,
            > {
                use $($wit)::+ as tg;
                let wit_request = tg::Request {
                    model: request.model.clone(),
                    messages: vec![
                        tg::Message {
                            role: tg::Role::System,
                            content: request.system.clone(),
                        },
                        tg::Message {
                            role: tg::Role::User,
                            content: request.user.clone(),
                        },
                    ],
                    temperature: Some(request.temperature),
                    max_tokens: Some(request.max_tokens),
                    stop: Vec::new(),
                    seed: Some(request.seed),
                };
                match tg::generate(&wit_request) {
                    Ok(c) => Ok($crate::pipeline::LlmCompletion {
                        text: c.text,
                        finish_reason: match c.finish_reason {
                            tg::FinishReason::Stop => "stop",
                            tg::FinishReason::Length => "length",
                            tg::FinishReason::ContentFilter => "content_filter",
                            tg::FinishReason::Other => "other",
                        },
                        prompt_tokens: c.usage.prompt_tokens,
                        completion_tokens: c.usage.completion_tokens,
                        estimated: c.usage.estimated,
                        model: c.model,
                        attempts: c.attempts,
                    }),
                    Err(e) => Err(match e {
                        tg::Error::RateLimited(after) => $crate::pipeline::failure_from_provider(
                            "rate-limited",
                            "the provider is rate limiting".to_owned(),
                            after,
                        ),
                        tg::Error::ContextTooLong(m) => {
                            $crate::pipeline::failure_from_provider("context-too-long", m, None)
                        }
                        tg::Error::Auth(m) => {
                            $crate::pipeline::failure_from_provider("auth", m, None)
                        }
                        tg::Error::Unavailable(m) => {
                            $crate::pipeline::failure_from_provider("unavailable", m, None)
                        }
                        tg::Error::InvalidRequest(m) => {
                            $crate::pipeline::failure_from_provider("invalid-request", m, None)
                        }
                    }),
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_errors_map_to_retryable_or_permanent_failures() {
        let cases = [
            ("rate-limited", FailureCode::RateLimited, true),
            ("unavailable", FailureCode::Unavailable, true),
            ("context-too-long", FailureCode::ContextTooLong, false),
            ("auth", FailureCode::Auth, false),
            ("invalid-request", FailureCode::InvalidRequest, false),
        ];
        for (kind, code, retryable) in cases {
            let failure = failure_from_provider(kind, "m".into(), Some(5));
            assert_eq!(failure.code, code, "{kind}");
            assert_eq!(failure.code.is_retryable(), retryable, "{kind}");
        }
        assert_eq!(
            failure_from_provider("rate-limited", "m".into(), Some(1500)).retry_after_ms,
            Some(1500)
        );
    }
}
