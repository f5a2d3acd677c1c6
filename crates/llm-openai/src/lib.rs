//! OpenAI-compatible chat completions: request bodies, response parsing, error
//! classification and retry policy. Plain Rust, no Spin dependency;
//! `components/provider-openai` supplies the wasi:http [`Transport`].
//!
//! Behaviour (see `shared/reference/llm-backends.md`): retry 429 (honouring `Retry-After`,
//! seconds or HTTP date), 408, 5xx, timeouts and unreadable answers with capped exponential
//! backoff and jitter; never retry other 4xx; take usage from the answer, estimating
//! `ceil(chars / 4)` when it is absent.

mod body;
mod response;
mod retry;
mod types;

pub use body::{endpoint_url, request_body, split_url};
pub use response::{
    Failure, classify_status, estimate_tokens, parse_completion, parse_retry_after,
};
pub use retry::{HttpReply, RetryPolicy, Transport, complete};
pub use types::{ChatRequest, Completion, FinishReason, LlmError, Message, Role, Usage};
