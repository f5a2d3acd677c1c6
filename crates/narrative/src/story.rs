//! The story artefacts the pipeline produces: premise analysis, outline, chapters, decisions.

use serde::{Deserialize, Serialize};

/// The premise analysis (`premise-analysis@1`): the book's title, logline, cast and places.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct PremiseAnalysis {
    /// Working title.
    pub title: String,
    /// One sentence: who wants what, and what stands in the way.
    pub logline: String,
    /// Genre key (always the requested one).
    pub genre: String,
    /// Tone in a few words.
    pub tone: String,
    /// Where and when the story takes place.
    pub setting: String,
    /// Short theme phrases.
    pub themes: Vec<String>,
    /// The cast, protagonist first; never empty after [`crate::parse_premise`].
    pub characters: Vec<Character>,
    /// Named places.
    pub places: Vec<Place>,
}

/// A character of the story.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Character {
    /// Full name.
    pub name: String,
    /// Role in a word or two (`protagonist`, `antagonist`, `mentor`, ...).
    pub role: String,
    /// Short description.
    pub description: String,
    /// A few adjectives.
    pub traits: Vec<String>,
}

/// A named place of the story.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Place {
    /// Name.
    pub name: String,
    /// Short description.
    pub description: String,
}

/// The book's outline (`outline@1`): exactly one plan per chapter, numbered from 1.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Outline {
    /// The chapter plans in reading order.
    pub chapters: Vec<ChapterPlan>,
}

impl Outline {
    /// The plan of chapter `number`, if the outline has it.
    pub fn chapter(&self, number: u32) -> Option<&ChapterPlan> {
        self.chapters.iter().find(|c| c.number == number)
    }
}

/// The plan of one chapter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct ChapterPlan {
    /// Chapter number, from 1.
    pub number: u32,
    /// Short title, without "Chapter".
    pub title: String,
    /// What happens and what changes.
    pub summary: String,
    /// Events in order, one sentence each.
    pub beats: Vec<String>,
    /// Planned length in words.
    pub word_budget: u32,
}

/// What later chapters are told about an earlier one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct ChapterSummary {
    /// Chapter number.
    pub number: u32,
    /// Chapter title.
    pub title: String,
    /// A couple of sentences.
    pub summary: String,
}

/// A finished chapter (see [`crate::finish_chapter`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct WrittenChapter {
    /// Chapter number.
    pub number: u32,
    /// Chapter title, from the plan.
    pub title: String,
    /// The cleaned prose: paragraphs separated by blank lines, no heading.
    pub text: String,
    /// Words in `text` (matches of `\b\w+\b`).
    pub word_count: u32,
    /// Extractive summary: a couple of the chapter's own sentences.
    pub summary: String,
    /// Facts the chapter established (the planned beats it achieved).
    pub facts: Vec<String>,
}

impl WrittenChapter {
    /// The summary later chapters and the synopsis receive.
    pub fn to_summary(&self) -> ChapterSummary {
        ChapterSummary {
            number: self.number,
            title: self.title.clone(),
            summary: self.summary.clone(),
        }
    }
}

/// A choice the engine made on the model's behalf (an "AI decision" in the job metadata).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Decision {
    /// The pipeline step that made it: `premise` or `outline`.
    pub stage: String,
    /// What was decided and why, in one sentence.
    pub text: String,
}

impl Decision {
    pub(crate) fn new(stage: &str, text: impl Into<String>) -> Self {
        Self {
            stage: stage.to_owned(),
            text: text.into(),
        }
    }
}

/// An editor's critique of a chapter (`critique@1`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Critique {
    /// Concrete problems.
    pub issues: Vec<String>,
    /// Concrete revisions.
    pub suggestions: Vec<String>,
}
