//! Dialogue/narration balance: the share of words inside quotation marks, compared with a
//! target range for the story's dialogue setting.
//!
//! Quotation marks: curly `“` opens and `”` closes; a straight `"` toggles. Single quotes are
//! ignored (they cannot be told from apostrophes). A paragraph (split at blank lines) ends
//! any open quotation: by prose convention a speech running over several paragraphs leaves
//! its paragraphs unclosed, so the rest of such a paragraph counts as dialogue, and a stray
//! quote mark never swallows the rest of the chapter.

use serde::{Deserialize, Serialize};

use crate::tokenize::{paragraphs, word_count};

/// How much dialogue the story should carry (same spelling as the narrative crate's
/// `DialogueLevel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DialogueLevel {
    /// Mostly narration.
    Sparse,
    /// A mix of narration and dialogue.
    #[default]
    Balanced,
    /// Dialogue-driven.
    Rich,
}

impl DialogueLevel {
    /// The setting's name as written in JSON (`sparse`, `balanced`, `rich`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Sparse => "sparse",
            Self::Balanced => "balanced",
            Self::Rich => "rich",
        }
    }
}

/// An inclusive range of dialogue shares (0..=1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialogueRange {
    /// Lowest acceptable share.
    pub min: f64,
    /// Highest acceptable share.
    pub max: f64,
}

/// Target ranges per dialogue setting.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DialogueTargets {
    /// Range for `sparse` (default 0–20 %).
    pub sparse: DialogueRange,
    /// Range for `balanced` (default 15–45 %).
    pub balanced: DialogueRange,
    /// Range for `rich` (default 35–75 %).
    pub rich: DialogueRange,
}

impl Default for DialogueTargets {
    fn default() -> Self {
        Self {
            sparse: DialogueRange {
                min: 0.0,
                max: 0.20,
            },
            balanced: DialogueRange {
                min: 0.15,
                max: 0.45,
            },
            rich: DialogueRange {
                min: 0.35,
                max: 0.75,
            },
        }
    }
}

impl DialogueTargets {
    /// The range for one setting.
    pub fn range(&self, level: DialogueLevel) -> DialogueRange {
        match level {
            DialogueLevel::Sparse => self.sparse,
            DialogueLevel::Balanced => self.balanced,
            DialogueLevel::Rich => self.rich,
        }
    }
}

/// Where a text's dialogue share lies relative to its target range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DialogueVerdict {
    /// Less dialogue than the setting asks for.
    Below,
    /// Inside the range.
    Within,
    /// More dialogue than the setting asks for.
    Above,
}

/// Words inside and outside quotation marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QuotedWords {
    /// Words inside quotation marks.
    pub quoted: usize,
    /// All words.
    pub total: usize,
}

impl QuotedWords {
    /// `quoted / total`; `None` for a text without words.
    pub fn share(self) -> Option<f64> {
        (self.total > 0).then(|| self.quoted as f64 / self.total as f64)
    }
}

/// Counts the words inside quotation marks (see the module doc).
pub fn quoted_words(text: &str) -> QuotedWords {
    let quoted = paragraphs(text)
        .into_iter()
        .flat_map(quoted_spans)
        .map(word_count)
        .sum();
    QuotedWords {
        quoted,
        total: word_count(text),
    }
}

/// The quoted spans of one paragraph (an unclosed quote runs to the paragraph's end).
pub fn quoted_spans(paragraph: &str) -> Vec<&str> {
    let mut spans = Vec::new();
    let mut open: Option<usize> = None;
    for (i, c) in paragraph.char_indices() {
        let after = i + c.len_utf8();
        match (c, open) {
            ('“', _) => open = Some(after),
            ('”', Some(start)) | ('"', Some(start)) => {
                spans.push(&paragraph[start..i]);
                open = None;
            }
            ('"', None) => open = Some(after),
            _ => {}
        }
    }
    if let Some(start) = open {
        spans.push(&paragraph[start..]);
    }
    spans
}

/// The dialogue balance of a text against its setting's range: a voice and style signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DialogueSignal {
    /// The story's setting.
    pub level: DialogueLevel,
    /// Words inside quotation marks.
    pub quoted_words: usize,
    /// Share of words inside quotation marks; `None` without words.
    pub share: Option<f64>,
    /// The setting's target range.
    pub target: DialogueRange,
    /// Position of the share relative to the range; `None` without words.
    pub verdict: Option<DialogueVerdict>,
}

impl DialogueSignal {
    /// Measures `text` against the range for `level`.
    pub fn measure(text: &str, level: DialogueLevel, targets: &DialogueTargets) -> Self {
        Self::from_counts(quoted_words(text), level, targets)
    }

    /// Builds the signal from counted words.
    pub fn from_counts(
        counts: QuotedWords,
        level: DialogueLevel,
        targets: &DialogueTargets,
    ) -> Self {
        let target = targets.range(level);
        let share = counts.share();
        Self {
            level,
            quoted_words: counts.quoted,
            share,
            target,
            verdict: share.map(|s| verdict(s, target)),
        }
    }
}

/// Classifies a share against a range (bounds inclusive).
pub fn verdict(share: f64, range: DialogueRange) -> DialogueVerdict {
    if share < range.min {
        DialogueVerdict::Below
    } else if share > range.max {
        DialogueVerdict::Above
    } else {
        DialogueVerdict::Within
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPS: f64 = 1e-9;

    #[test]
    fn curly_and_straight_quotes_by_hand() {
        // 13 words (we sail at dawn mara said tom shook his head not without me);
        // quoted: "We sail at dawn" (4) and "Not without me" (3) → 7/13
        let text = "“We sail at dawn,” Mara said. Tom shook his head. \"Not without me.\"";
        let q = quoted_words(text);
        assert_eq!((q.quoted, q.total), (7, 13));
        assert!((q.share().unwrap() - 7.0 / 13.0).abs() < EPS);
    }

    #[test]
    fn an_unclosed_quote_stops_at_the_paragraph_end() {
        // paragraph 1: "“Listen to me" → 3 quoted words of 3 (left open, continues)
        // paragraph 2: "She left." → 0 of 2
        let q = quoted_words("“Listen to me\n\nShe left.");
        assert_eq!((q.quoted, q.total), (3, 5));
    }

    #[test]
    fn apostrophes_are_not_quotes_and_empty_text_has_no_share() {
        assert_eq!(quoted_words("Mara's boat isn't 'here'.").quoted, 0);
        assert_eq!(quoted_words("").share(), None);
        let s = DialogueSignal::measure("", DialogueLevel::Rich, &DialogueTargets::default());
        assert_eq!((s.share, s.verdict), (None, None));
    }

    #[test]
    fn verdict_against_the_setting() {
        let t = DialogueTargets::default();
        let text = "“We sail at dawn,” Mara said. Tom shook his head. \"Not without me.\"";
        // 7/13 ≈ 0.538: above balanced (max 0.45), within rich (0.35–0.75)
        assert_eq!(
            DialogueSignal::measure(text, DialogueLevel::Balanced, &t).verdict,
            Some(DialogueVerdict::Above)
        );
        assert_eq!(
            DialogueSignal::measure(text, DialogueLevel::Rich, &t).verdict,
            Some(DialogueVerdict::Within)
        );
        assert_eq!(
            DialogueSignal::measure("No one spoke.", DialogueLevel::Balanced, &t).verdict,
            Some(DialogueVerdict::Below)
        );
        assert_eq!(verdict(0.15, t.balanced), DialogueVerdict::Within);
    }
}
