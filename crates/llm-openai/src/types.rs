//! Requests, completions and errors, mirroring the `fabula:llm/text-generation` WIT.

use std::time::Duration;

/// Who wrote a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Instructions.
    System,
    /// The prompt.
    User,
    /// An earlier answer.
    Assistant,
}

impl Role {
    /// The role's name in the chat-completions API.
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
pub struct ChatRequest {
    /// The model, passed through.
    pub model: String,
    /// The conversation, oldest first.
    pub messages: Vec<Message>,
    /// Sampling temperature; none: the backend's default.
    pub temperature: Option<f32>,
    /// Upper bound on generated tokens; none: the backend's default.
    pub max_tokens: Option<u32>,
    /// Stop sequences (omitted from the body when empty).
    pub stop: Vec<String>,
    /// Seed for reproducible sampling where supported.
    pub seed: Option<u64>,
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    /// `stop`: a natural end or a stop sequence.
    Stop,
    /// `length`: the token limit.
    Length,
    /// `content_filter`.
    ContentFilter,
    /// Anything else (`tool_calls`, missing, unknown).
    Other,
}

/// Tokens used by one generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Completion tokens.
    pub completion_tokens: u32,
    /// True when the backend reported no usage and these are `ceil(chars / 4)` estimates.
    pub estimated: bool,
}

/// A successful generation.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The generated text (empty when the backend sent no content).
    pub text: String,
    /// Why it ended.
    pub finish_reason: FinishReason,
    /// Token counts.
    pub usage: Usage,
    /// The model that answered, as the backend named it (the request's when it did not).
    pub model: String,
    /// HTTP attempts made, retries included.
    pub attempts: u32,
}

/// Why a generation failed, after retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// HTTP 429; retry after this long if the backend said.
    #[error("rate limited (retry after {0:?})")]
    RateLimited(Option<Duration>),
    /// The prompt and max tokens exceed the model's context window.
    #[error("context too long: {0}")]
    ContextTooLong(String),
    /// 401/403, or no usable credentials.
    #[error("auth: {0}")]
    Auth(String),
    /// 5xx, a timeout, an unreadable answer, or no connection; a later attempt may succeed.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Any other 4xx: the request itself is wrong; never retried.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}
