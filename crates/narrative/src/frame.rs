//! The values prompts show, prepared for the templates: every field and item is on one line,
//! names cannot break the `Name — rest` items, and tone and genre are resolved.

use serde::Serialize;

use crate::spec::GenerationSpec;
use crate::story::{ChapterPlan, Character, Place, PremiseAnalysis};
use crate::style::{self, Guide};
use crate::text::{item_name, item_role, one_line, sentences};

/// The story-level values every template can show as `story`.
#[derive(Debug, Serialize)]
pub(crate) struct StoryFrame {
    title: String,
    premise: String,
    logline: String,
    setting: String,
    genre: GenreView,
    tone: String,
    pov: &'static Guide,
    tense: &'static Guide,
    dialogue: &'static Guide,
    chapters: u32,
    words_per_chapter: u32,
    total_words: u32,
}

#[derive(Debug, Serialize)]
struct GenreView {
    key: &'static str,
    label: &'static str,
    instructions: &'static str,
}

impl StoryFrame {
    /// The frame for `spec`, with the analysis when there is one. Tone: the requested one; else,
    /// with an analysis, the analysis's or the genre's default; else none (empty), so a prompt
    /// without the analysis never states a tone the book was not written in. Logline: the
    /// analysis's, else the premise's first sentence.
    pub(crate) fn new(spec: &GenerationSpec, analysis: Option<&PremiseAnalysis>) -> Self {
        let key = style::genre_key(&spec.genre);
        let genre = style::genre(key);
        let requested = spec
            .style
            .tone
            .as_deref()
            .map(one_line)
            .filter(|t| !t.is_empty());
        let analysed = analysis
            .map(|a| one_line(&a.tone))
            .filter(|t| !t.is_empty());
        let genre_default = || analysis.and(genre.tone.clone());
        let tone = requested
            .or(analysed)
            .or_else(genre_default)
            .unwrap_or_default();
        let logline = analysis
            .map(|a| one_line(&a.logline))
            .filter(|l| !l.is_empty())
            .or_else(|| sentences(&spec.premise).into_iter().next())
            .unwrap_or_default();
        Self {
            title: one_line(&spec.title),
            premise: one_line(&spec.premise),
            logline,
            setting: analysis.map(|a| one_line(&a.setting)).unwrap_or_default(),
            genre: GenreView {
                key,
                label: &genre.label,
                instructions: &genre.instructions,
            },
            tone,
            pov: style::pov(spec.style.pov),
            tense: style::tense(spec.style.tense),
            dialogue: style::dialogue(spec.style.dialogue),
            chapters: spec.chapters,
            words_per_chapter: spec.words_per_chapter,
            total_words: spec.total_words(),
        }
    }
}

/// A `## Characters` item.
#[derive(Debug, Serialize)]
pub(crate) struct CharacterItem {
    name: String,
    role: String,
    description: String,
}

/// The `## Characters` items: nameless characters are left out, a missing role reads
/// `character`, and traits follow the description in parentheses.
pub(crate) fn characters(list: &[Character]) -> Vec<CharacterItem> {
    list.iter()
        .filter_map(|c| {
            let name = item_name(&c.name);
            if name.is_empty() {
                return None;
            }
            let role = Some(item_role(&c.role)).filter(|r| !r.is_empty());
            let traits = lines(&c.traits).join(", ");
            let description = match (one_line(&c.description), traits.is_empty()) {
                (d, true) => d,
                (d, false) if d.is_empty() => format!("({traits})"),
                (d, false) => format!("{d} ({traits})"),
            };
            Some(CharacterItem {
                name,
                role: role.unwrap_or_else(|| "character".to_owned()),
                description,
            })
        })
        .collect()
}

/// A `## Places` item.
#[derive(Debug, Serialize)]
pub(crate) struct PlaceItem {
    name: String,
    description: String,
}

/// The `## Places` items; nameless places are left out.
pub(crate) fn places(list: &[Place]) -> Vec<PlaceItem> {
    list.iter()
        .map(|p| PlaceItem {
            name: item_name(&p.name),
            description: one_line(&p.description),
        })
        .filter(|p| !p.name.is_empty())
        .collect()
}

/// One-line, non-empty items.
pub(crate) fn lines(list: &[String]) -> Vec<String> {
    list.iter()
        .map(|item| one_line(item))
        .filter(|item| !item.is_empty())
        .collect()
}

/// One chapter's plan, as `chapter`.
#[derive(Debug, Serialize)]
pub(crate) struct ChapterView {
    number: u32,
    title: String,
    summary: String,
    beats: Vec<String>,
    word_budget: u32,
}

impl ChapterView {
    pub(crate) fn new(plan: &ChapterPlan) -> Self {
        Self {
            number: plan.number,
            title: one_line(&plan.title),
            summary: one_line(&plan.summary),
            beats: lines(&plan.beats),
            word_budget: plan.word_budget,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::StyleOptions;

    fn spec(tone: Option<&str>) -> GenerationSpec {
        GenerationSpec {
            title: "The Salt\nRoad".into(),
            premise: "A cartographer maps a road that moves. She must find it.".into(),
            genre: "Mystery".into(),
            chapters: 3,
            words_per_chapter: 1000,
            style: StyleOptions {
                tone: tone.map(str::to_owned),
                ..StyleOptions::default()
            },
            seed: 1,
        }
    }

    #[test]
    fn tone_prefers_the_request_then_the_analysis_then_the_genre() {
        let bare = PremiseAnalysis::default();
        let analysis = PremiseAnalysis {
            tone: "bleak".into(),
            ..PremiseAnalysis::default()
        };
        assert_eq!(
            StoryFrame::new(&spec(Some(" wry ")), Some(&analysis)).tone,
            "wry"
        );
        assert_eq!(StoryFrame::new(&spec(Some(" wry ")), None).tone, "wry");
        assert_eq!(StoryFrame::new(&spec(None), Some(&analysis)).tone, "bleak");
        let default = StoryFrame::new(&spec(None), Some(&bare)).tone;
        assert_eq!(default, style::genre("mystery").tone.clone().unwrap());
        assert_eq!(StoryFrame::new(&spec(None), None).tone, "");
    }

    #[test]
    fn fields_are_single_lines_and_the_logline_falls_back_to_the_premise() {
        let frame = StoryFrame::new(&spec(None), None);
        assert_eq!(frame.title, "The Salt Road");
        assert_eq!(frame.genre.key, "mystery");
        assert_eq!(frame.logline, "A cartographer maps a road that moves.");
    }

    #[test]
    fn character_items_skip_nameless_entries_and_fill_roles() {
        let items = characters(&[
            Character {
                name: "Mara — Quill".into(),
                role: String::new(),
                description: "maps\nroads".into(),
                traits: vec!["stubborn".into(), " ".into()],
            },
            Character::default(),
        ]);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].name, "Mara-Quill");
        assert_eq!(items[0].role, "character");
        assert_eq!(items[0].description, "maps roads (stubborn)");
    }
}
