//! Requests, completions and errors: the shared mirrors of the `fabula:llm/text-generation`
//! WIT types, from [`fabula_llm_types`].
//!
//! What the offline model makes of them:
//!
//! - [`Request`]: the first line of the system message names the task
//!   (`Task: outline@1`) and the user message carries its fields and sections; assistant
//!   messages are ignored. The model is echoed back (empty: [`crate::MODEL`]). The
//!   temperature is ignored: the output depends on the messages and the seed alone. Longer
//!   text is cut at `max_tokens` (`ceil(chars / 4)`) and before the first stop sequence. A
//!   missing seed is treated as 0, except that it never selects the deliberately repetitive
//!   chapter drafts.
//! - [`Completion`]: the finish reason is [`FinishReason::Stop`] or
//!   [`FinishReason::Length`], never the others; usage counts are `ceil(chars / 4)` over the
//!   message contents and the returned text, never estimated; `attempts` is always 1.
//! - [`Error`]: only ever [`Error::InvalidRequest`] (no task line, an unknown task, a
//!   missing field); the other cases mirror the WIT so callers can map one type.

pub use fabula_llm_types::{Completion, Error, FinishReason, Message, Request, Role, Usage};
