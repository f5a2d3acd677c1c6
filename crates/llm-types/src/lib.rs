//! Plain Rust mirrors of the `fabula:llm/text-generation` WIT types (`wit/llm/llm.wit`),
//! shared by the providers' domain crates (`fabula-llm-offline`, `fabula-llm-openai`). No
//! Spin dependency.
//!
//! The provider components convert between these and their own `wit_bindgen` types with
//! [`wit_conversions!`]. What a field means for one provider in particular (the offline
//! model ignores the temperature, say) is documented in that provider's crate.

/// Who wrote a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Instructions; in Fabula's prompts the first line names the task (`Task: outline@1`).
    System,
    /// The prompt.
    User,
    /// An earlier answer.
    Assistant,
}

impl Role {
    /// The role's name: `system`, `user` or `assistant` (as in the WIT and in the
    /// chat-completions API).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One chat message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// What it says.
    pub content: String,
}

/// One generation request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Request {
    /// The model to use; providers pass it through.
    pub model: String,
    /// The conversation, oldest first; usually a system message and a user message.
    pub messages: Vec<Message>,
    /// Sampling temperature; none: the provider's default.
    pub temperature: Option<f32>,
    /// Upper bound on generated tokens; none: the provider's default.
    pub max_tokens: Option<u32>,
    /// Sequences at which generation stops (not included in the text).
    pub stop: Vec<String>,
    /// Seed for reproducible output where the backend supports it.
    pub seed: Option<u64>,
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    /// A natural end or a stop sequence.
    Stop,
    /// The `max_tokens` limit.
    Length,
    /// The backend's content filter.
    ContentFilter,
    /// Anything else the backend reported.
    Other,
}

/// Tokens used by one generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Tokens in the prompt.
    pub prompt_tokens: u32,
    /// Tokens in the generated text.
    pub completion_tokens: u32,
    /// True when the backend did not report usage and the provider estimated it.
    pub estimated: bool,
}

/// A successful generation.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The generated text.
    pub text: String,
    /// Why it ended.
    pub finish_reason: FinishReason,
    /// Token counts.
    pub usage: Usage,
    /// The model that answered.
    pub model: String,
    /// Attempts the provider made, retries included.
    pub attempts: u32,
}

/// Why a generation failed, after the provider's own retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The backend is rate limiting; retry after this many milliseconds if known.
    #[error("rate limited{}", retry_after(*.0))]
    RateLimited(Option<u64>),
    /// The prompt and `max_tokens` do not fit the model's context window.
    #[error("context too long: {0}")]
    ContextTooLong(String),
    /// The credentials were refused or are missing.
    #[error("auth: {0}")]
    Auth(String),
    /// The backend failed, timed out, answered with something unreadable, or cannot be
    /// reached; a later attempt may succeed.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The request cannot be answered as it stands, or the provider is misconfigured; do
    /// not retry.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

/// ` (retry after N ms)`, or nothing when the delay is unknown.
fn retry_after(ms: Option<u64>) -> String {
    ms.map(|ms| format!(" (retry after {ms} ms)"))
        .unwrap_or_default()
}

/// Implements `From` between these types and a provider component's `wit_bindgen` export
/// of `fabula:llm/text-generation`, in the directions a provider needs: the WIT request
/// (with its messages and roles) into a [`Request`], and a [`Completion`] (with its
/// finish reason and usage) and an [`Error`] back into the WIT types.
///
/// ```ignore
/// wit_bindgen::generate!({ path: "../../wit/llm", world: "fabula:llm/provider" });
/// fabula_llm_types::wit_conversions!(exports::fabula::llm::text_generation);
///
/// impl Guest for Provider {
///     fn generate(request: Request) -> Result<Completion, Error> {
///         my_provider::generate(&request.into()).map(Into::into).map_err(Into::into)
///     }
/// }
/// ```
#[macro_export]
macro_rules! wit_conversions {
    ($($wit:ident)::+) => {
        const _: () = {
            use $($wit)::+ as tg;

            impl ::std::convert::From<tg::Role> for $crate::Role {
                fn from(role: tg::Role) -> Self {
                    match role {
                        tg::Role::System => $crate::Role::System,
                        tg::Role::User => $crate::Role::User,
                        tg::Role::Assistant => $crate::Role::Assistant,
                    }
                }
            }

            impl ::std::convert::From<tg::Message> for $crate::Message {
                fn from(message: tg::Message) -> Self {
                    $crate::Message {
                        role: message.role.into(),
                        content: message.content,
                    }
                }
            }

            impl ::std::convert::From<tg::Request> for $crate::Request {
                fn from(request: tg::Request) -> Self {
                    $crate::Request {
                        model: request.model,
                        messages: request.messages.into_iter().map(Into::into).collect(),
                        temperature: request.temperature,
                        max_tokens: request.max_tokens,
                        stop: request.stop,
                        seed: request.seed,
                    }
                }
            }

            impl ::std::convert::From<$crate::FinishReason> for tg::FinishReason {
                fn from(reason: $crate::FinishReason) -> Self {
                    match reason {
                        $crate::FinishReason::Stop => tg::FinishReason::Stop,
                        $crate::FinishReason::Length => tg::FinishReason::Length,
                        $crate::FinishReason::ContentFilter => tg::FinishReason::ContentFilter,
                        $crate::FinishReason::Other => tg::FinishReason::Other,
                    }
                }
            }

            impl ::std::convert::From<$crate::Usage> for tg::Usage {
                fn from(usage: $crate::Usage) -> Self {
                    tg::Usage {
                        prompt_tokens: usage.prompt_tokens,
                        completion_tokens: usage.completion_tokens,
                        estimated: usage.estimated,
                    }
                }
            }

            impl ::std::convert::From<$crate::Completion> for tg::Completion {
                fn from(c: $crate::Completion) -> Self {
                    tg::Completion {
                        text: c.text,
                        finish_reason: c.finish_reason.into(),
                        usage: c.usage.into(),
                        model: c.model,
                        attempts: c.attempts,
                    }
                }
            }

            impl ::std::convert::From<$crate::Error> for tg::Error {
                fn from(e: $crate::Error) -> Self {
                    match e {
                        $crate::Error::RateLimited(ms) => tg::Error::RateLimited(ms),
                        $crate::Error::ContextTooLong(m) => tg::Error::ContextTooLong(m),
                        $crate::Error::Auth(m) => tg::Error::Auth(m),
                        $crate::Error::Unavailable(m) => tg::Error::Unavailable(m),
                        $crate::Error::InvalidRequest(m) => tg::Error::InvalidRequest(m),
                    }
                }
            }
        };
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_as_their_wit_variants() {
        assert_eq!(Error::RateLimited(None).to_string(), "rate limited");
        assert_eq!(
            Error::RateLimited(Some(1500)).to_string(),
            "rate limited (retry after 1500 ms)"
        );
        assert_eq!(
            Error::InvalidRequest("no task".into()).to_string(),
            "invalid request: no task"
        );
    }

    /// The real export bindings, as a provider component generates them.
    mod generated {
        wit_bindgen::generate!({
            path: "../../wit/llm",
            world: "fabula:llm/provider",
            additional_derives: [PartialEq],
        });
        pub use exports::fabula::llm::text_generation;
    }

    crate::wit_conversions!(generated::text_generation);

    #[test]
    fn the_macro_converts_requests_in_and_completions_and_errors_out() {
        use generated::text_generation as tg;
        let request: Request = tg::Request {
            model: "m".into(),
            messages: vec![tg::Message {
                role: tg::Role::Assistant,
                content: "hi".into(),
            }],
            temperature: Some(0.5),
            max_tokens: Some(9),
            stop: vec!["\n".into()],
            seed: Some(7),
        }
        .into();
        assert_eq!(
            request,
            Request {
                model: "m".into(),
                messages: vec![Message {
                    role: Role::Assistant,
                    content: "hi".into(),
                }],
                temperature: Some(0.5),
                max_tokens: Some(9),
                stop: vec!["\n".into()],
                seed: Some(7),
            }
        );
        let completion: tg::Completion = Completion {
            text: "t".into(),
            finish_reason: FinishReason::ContentFilter,
            usage: Usage {
                prompt_tokens: 1,
                completion_tokens: 2,
                estimated: true,
            },
            model: "m".into(),
            attempts: 3,
        }
        .into();
        assert_eq!(completion.finish_reason, tg::FinishReason::ContentFilter);
        assert_eq!(
            completion.usage,
            tg::Usage {
                prompt_tokens: 1,
                completion_tokens: 2,
                estimated: true,
            }
        );
        assert_eq!((completion.text.as_str(), completion.attempts), ("t", 3));
        assert_eq!(
            tg::Error::from(Error::RateLimited(Some(1500))),
            tg::Error::RateLimited(Some(1500))
        );
        assert_eq!(
            tg::Error::from(Error::Auth("no key".into())),
            tg::Error::Auth("no key".into())
        );
    }

    #[test]
    fn roles_are_named_as_in_the_wit() {
        let names = [Role::System, Role::User, Role::Assistant].map(Role::as_str);
        assert_eq!(names, ["system", "user", "assistant"]);
    }
}
