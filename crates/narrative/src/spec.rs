//! What the user asked for: the generation spec and its writing-style options.

use serde::{Deserialize, Serialize};

/// Everything a generation job needs to know about the requested book.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct GenerationSpec {
    /// The story's title.
    pub title: String,
    /// The user's premise, free text.
    pub premise: String,
    /// Genre key in kebab-case: `fantasy`, `science-fiction`, `mystery`, `thriller`, `romance`,
    /// `horror`, `literary`, `historical`, `young-adult` or `other` (unknown keys read as `other`).
    pub genre: String,
    /// Number of chapters.
    pub chapters: u32,
    /// Target words per chapter.
    pub words_per_chapter: u32,
    /// Writing-style options.
    #[serde(default)]
    pub style: StyleOptions,
    /// The job's seed; each step derives its own with [`crate::step_seed`].
    pub seed: u64,
}

impl GenerationSpec {
    /// The whole book's target length: chapters × words per chapter (saturating).
    pub fn total_words(&self) -> u32 {
        self.chapters.saturating_mul(self.words_per_chapter)
    }
}

/// How the book is written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct StyleOptions {
    /// Narrative point of view.
    #[serde(default)]
    pub pov: Pov,
    /// Narrative tense.
    #[serde(default)]
    pub tense: Tense,
    /// Requested tone in a few words; `None` lets the premise analysis (or the genre) choose.
    #[serde(default)]
    pub tone: Option<String>,
    /// How much of the text is dialogue.
    #[serde(default)]
    pub dialogue: DialogueLevel,
}

/// Narrative point of view, serialised in kebab-case (`first-person`, `third-limited`, ...).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pov {
    /// `first-person`: "I".
    FirstPerson,
    /// `third-limited`: "she", close to one viewpoint character (the default).
    #[default]
    ThirdLimited,
    /// `third-omniscient`: "she", with an all-knowing narrator.
    ThirdOmniscient,
    /// `second-person`: "you".
    SecondPerson,
}

/// Narrative tense, serialised in kebab-case (`past`, `present`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tense {
    /// `past` (the default).
    #[default]
    Past,
    /// `present`.
    Present,
}

/// How much dialogue, serialised in kebab-case (`sparse`, `balanced`, `rich`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DialogueLevel {
    /// `sparse`: mostly narration.
    Sparse,
    /// `balanced` (the default).
    #[default]
    Balanced,
    /// `rich`: mostly dialogue.
    Rich,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn style_options_default_and_serialise_in_kebab_case() {
        let json = serde_json::to_value(StyleOptions::default()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"pov": "third-limited", "tense": "past", "tone": null, "dialogue": "balanced"})
        );
        let style: StyleOptions =
            serde_json::from_str(r#"{"pov": "first-person", "tense": "present"}"#).unwrap();
        assert_eq!(style.pov, Pov::FirstPerson);
        assert_eq!(style.tense, Tense::Present);
        assert_eq!(style.dialogue, DialogueLevel::Balanced);
    }

    #[test]
    fn total_words_saturates() {
        let spec = GenerationSpec {
            title: "T".into(),
            premise: "P".into(),
            genre: "other".into(),
            chapters: u32::MAX,
            words_per_chapter: 3,
            style: StyleOptions::default(),
            seed: 0,
        };
        assert_eq!(spec.total_words(), u32::MAX);
    }
}
