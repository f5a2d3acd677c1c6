//! Requests, completions and errors: the shared mirrors of the `fabula:llm/text-generation`
//! WIT types, from [`fabula_llm_types`], under this crate's names ([`ChatRequest`],
//! [`LlmError`]).
//!
//! What an OpenAI-compatible backend makes of them:
//!
//! - [`ChatRequest`]: the model is passed through; unset options are left out of the body
//!   (see [`crate::request_body`]), so the backend's defaults apply.
//! - [`Completion`]: the text is empty when the backend sent no content; the finish reason
//!   maps `stop`, `length` and `content_filter`, and anything else (`tool_calls`, missing,
//!   unknown) is [`FinishReason::Other`]; usage is the backend's, or `ceil(chars / 4)`
//!   estimates when it reported none; the model is the backend's name for it (the
//!   request's when it gave none); `attempts` counts HTTP attempts, retries included.
//! - [`LlmError`]: 429 is [`LlmError::RateLimited`] with `Retry-After` in milliseconds,
//!   401/403 or missing credentials [`LlmError::Auth`], 5xx, timeouts, unreadable answers
//!   and no connection [`LlmError::Unavailable`], any other 4xx
//!   [`LlmError::InvalidRequest`] (see [`crate::classify_status`]).

pub use fabula_llm_types::{
    Completion, Error as LlmError, FinishReason, Message, Request as ChatRequest, Role, Usage,
};
