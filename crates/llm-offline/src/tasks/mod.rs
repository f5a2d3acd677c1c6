//! One module per prompt task; [`run`] dispatches on the task line.

mod cast;
mod chapter;
pub(crate) mod critique;
mod outline;
mod premise;
mod synopsis;

use crate::dice::Dice;
use crate::prompt::Prompt;
use crate::types::Error;

/// The tasks the offline model answers, as `name@version`.
pub const TASKS: &[&str] = &[
    "premise-analysis@1",
    "outline@1",
    "chapter@1",
    "synopsis@1",
    "critique@1",
    "rewrite@1",
];

/// Writes the answer to `prompt`. `seed` is the request's seed (it selects the deliberately
/// repetitive chapter drafts); `dice` is seeded from it and the prompt.
pub fn run(prompt: &Prompt, seed: Option<u64>, dice: Dice) -> Result<String, Error> {
    match (prompt.task.as_str(), prompt.version) {
        ("premise-analysis", 1) => premise::analyse(prompt, dice),
        ("outline", 1) => outline::outline(prompt, dice),
        ("chapter", 1) => {
            let repetitive = seed.is_some_and(|s| s % 16 == 0);
            chapter::chapter(prompt, dice, repetitive)
        }
        ("rewrite", 1) => chapter::rewrite(prompt, dice),
        ("synopsis", 1) => synopsis::synopsis(prompt, dice),
        ("critique", 1) => critique::critique(prompt),
        _ => Err(Error::InvalidRequest(format!(
            "unknown task `{}` (the offline model answers {})",
            prompt.task_id(),
            TASKS.join(", ")
        ))),
    }
}

/// Serialises an answer object as pretty JSON.
fn to_json<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string_pretty(value)
        .map_err(|e| Error::InvalidRequest(format!("cannot serialise the answer: {e}")))
}

#[cfg(test)]
pub use critique::distinct_4grams;
