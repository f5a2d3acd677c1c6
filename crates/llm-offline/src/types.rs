//! Plain Rust mirrors of the `fabula:llm/text-generation` WIT types.

/// Who wrote a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Instructions; the first line names the task (`Task: outline@1`).
    System,
    /// The prompt's data: fields and sections.
    User,
    /// An earlier answer (ignored by the offline model).
    Assistant,
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
    /// Echoed back as the completion's model (empty: [`crate::MODEL`]).
    pub model: String,
    /// The conversation: a system message and a user message.
    pub messages: Vec<Message>,
    /// Ignored: the offline model's output depends on the seed alone.
    pub temperature: Option<f32>,
    /// Upper bound on completion tokens (`ceil(chars / 4)`); longer text is cut.
    pub max_tokens: Option<u32>,
    /// The text ends before the first of these sequences.
    pub stop: Vec<String>,
    /// The seed every choice derives from; none is treated as 0, except that a missing seed
    /// never selects the deliberately repetitive chapter drafts.
    pub seed: Option<u64>,
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    /// The answer is complete, or a stop sequence cut it.
    Stop,
    /// `max_tokens` cut it.
    Length,
    /// Never produced offline; mirrors the WIT.
    ContentFilter,
    /// Never produced offline; mirrors the WIT.
    Other,
}

/// Tokens used by one generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// `ceil(chars / 4)` over all message contents.
    pub prompt_tokens: u32,
    /// `ceil(chars / 4)` over the returned text.
    pub completion_tokens: u32,
    /// Always false: these counts are the offline model's own.
    pub estimated: bool,
}

/// A successful generation.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The answer.
    pub text: String,
    /// Why it ended.
    pub finish_reason: FinishReason,
    /// Token counts.
    pub usage: Usage,
    /// The request's model, or [`crate::MODEL`] when it named none.
    pub model: String,
    /// Always 1.
    pub attempts: u32,
}

/// Why a generation failed. The offline model only ever reports [`Error::InvalidRequest`];
/// the other cases mirror the WIT so callers can map one type.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// Rate limited; retry after this many milliseconds if known.
    #[error("rate limited")]
    RateLimited(Option<u64>),
    /// The prompt does not fit the context window.
    #[error("context too long: {0}")]
    ContextTooLong(String),
    /// Credentials refused.
    #[error("auth: {0}")]
    Auth(String),
    /// The backend failed; a later attempt may succeed.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The request cannot be answered: no task line, an unknown task, a missing field.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}
