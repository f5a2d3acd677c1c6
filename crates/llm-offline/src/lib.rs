//! The offline LLM: deterministic prose and JSON for Fabula's prompts, from a seed. Plain
//! Rust, no Spin dependency; `components/provider-offline` exports it over
//! `fabula:llm/text-generation`.
//!
//! [`generate`] reads the prompt wire format (`notes/contract.md`, "Prompt wire format"),
//! answers the task named on the system message's first line and reports token counts as
//! `ceil(chars / 4)`. The same request (messages, seed, max tokens) always gives the same
//! text. `chapter@1` drafts are deliberately repetitive when `seed % 16 == 0`.

mod dice;
mod english;
mod grammar;
mod lexicon;
mod prompt;
mod prose;
mod tasks;
pub mod types;

pub use tasks::TASKS;
pub use types::{Completion, Error, FinishReason, Message, Request, Role, Usage};

use dice::{Dice, stable_hash};
use prompt::Prompt;

/// The model name reported when the request names none.
pub const MODEL: &str = "fabula-offline-1";

/// Answers a request.
///
/// Errors: [`Error::InvalidRequest`] when there is no system message, its first line is not
/// `Task: <name>@<version>`, the task is not one of [`TASKS`], or a numeric field is not a
/// number.
pub fn generate(request: &Request) -> Result<Completion, Error> {
    let prompt = Prompt::parse(&request.messages)?;
    let mut material = Vec::new();
    for m in &request.messages {
        material.extend_from_slice(m.content.as_bytes());
        material.push(0);
    }
    let seed = request.seed.unwrap_or(0);
    let dice = Dice::new(seed ^ stable_hash(&material));
    let full = tasks::run(&prompt, request.seed, dice)?;
    let (text, finish_reason) = limit(full, &request.stop, request.max_tokens);
    let prompt_chars: usize = request
        .messages
        .iter()
        .map(|m| m.content.chars().count())
        .sum();
    Ok(Completion {
        usage: Usage {
            prompt_tokens: tokens_for(prompt_chars),
            completion_tokens: estimate_tokens(&text),
            estimated: false,
        },
        text,
        finish_reason,
        model: if request.model.is_empty() {
            MODEL.to_owned()
        } else {
            request.model.clone()
        },
        attempts: 1,
    })
}

/// Tokens in `text` as the offline model counts them: `ceil(chars / 4)`.
pub fn estimate_tokens(text: &str) -> u32 {
    tokens_for(text.chars().count())
}

fn tokens_for(chars: usize) -> u32 {
    u32::try_from(chars.div_ceil(4)).unwrap_or(u32::MAX)
}

/// Applies the stop sequences (the text ends before the first one) and `max_tokens` (the
/// text is cut to `4 * max_tokens` characters, back to a word boundary when there is one).
fn limit(mut text: String, stop: &[String], max_tokens: Option<u32>) -> (String, FinishReason) {
    if let Some(cut) = stop
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s.as_str()))
        .min()
    {
        text.truncate(cut);
    }
    let Some(max) = max_tokens else {
        return (text, FinishReason::Stop);
    };
    if estimate_tokens(&text) <= max {
        return (text, FinishReason::Stop);
    }
    let max_chars = max as usize * 4;
    let byte_end = text
        .char_indices()
        .nth(max_chars)
        .map_or(text.len(), |(i, _)| i);
    text.truncate(byte_end);
    if let Some(space) = text.rfind(char::is_whitespace)
        && space > 0
    {
        text.truncate(space);
    }
    (text.trim_end().to_owned(), FinishReason::Length)
}

#[cfg(test)]
mod tests;
