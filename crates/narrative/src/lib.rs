//! Story craft for the novel pipeline: a versioned prompt registry, genres and styles as data,
//! premise analysis, outlines, the story bible and the chapter continuity context.
//!
//! Plain Rust with no Spin dependency (it also compiles for `wasm32-wasip2`, where the pipeline
//! stages use it). Every prompt follows the wire format of `notes/contract.md`: the system
//! message starts with `Task: <name>@<version>`; the user message is made of `Label: value`
//! fields, `## Section` item lists and free `## Critique` / `## Text` blocks. The parsers accept
//! real model answers (code fences, prose around the JSON, missing optional fields) and record
//! every correction they make as a [`Decision`].

#![warn(missing_docs)]

mod bible;
mod chapter;
mod context;
mod error;
mod frame;
mod json;
mod outline;
mod premise;
pub mod prompts;
mod revision;
mod seed;
mod spec;
mod story;
mod style;
mod synopsis;
mod text;
mod tokens;

pub use bible::{Fact, StoryBible};
pub use chapter::{chapter_prompt, finish_chapter};
pub use error::NarrativeError;
pub use outline::{outline_prompt, parse_outline};
pub use premise::{parse_premise, premise_prompt};
pub use prompts::RenderedPrompt;
pub use revision::{critique_prompt, parse_critique, rewrite_prompt};
pub use seed::step_seed;
pub use spec::{DialogueLevel, GenerationSpec, Pov, StyleOptions, Tense};
pub use story::{
    ChapterPlan, ChapterSummary, Character, Critique, Decision, Outline, Place, PremiseAnalysis,
    WrittenChapter,
};
pub use synopsis::synopsis_prompt;
pub use tokens::estimate_tokens;
