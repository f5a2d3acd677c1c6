//! `chapter@1`: the prompt with its continuity context, and finishing the model's prose.

use std::collections::BTreeSet;

use minijinja::context;
use serde::Serialize;

use crate::bible::StoryBible;
use crate::context::fit;
use crate::frame::{self, ChapterView, StoryFrame};
use crate::prompts::{RenderedPrompt, Template, prose_max_tokens, render};
use crate::spec::GenerationSpec;
use crate::story::{ChapterPlan, ChapterSummary, Outline, PremiseAnalysis, WrittenChapter};
use crate::text::{clip_words, one_line, sentences, strip_code_fence, word_count, words};

/// The `chapter@1` prompt for chapter `number`.
///
/// Shows the chapter's plan (title, word budget, beats), every chapter's title (in the system
/// message), the bible's characters and places (the analysis's when the bible has none), and
/// the summaries of earlier chapters and the bible's facts fitted into
/// `context_token_budget` tokens: summaries first, newest kept whole, older ones shortened to
/// their titles and then dropped; facts get what is left, newest first. A chapter the outline
/// lacks is written from a bare plan (`Chapter N`, `spec.words_per_chapter` words).
/// `max_tokens` is 2 per budgeted word plus 256.
pub fn chapter_prompt(
    spec: &GenerationSpec,
    analysis: &PremiseAnalysis,
    outline: &Outline,
    bible: &StoryBible,
    earlier: &[ChapterSummary],
    number: u32,
    context_token_budget: u32,
) -> RenderedPrompt {
    let plan = outline
        .chapter(number)
        .cloned()
        .unwrap_or_else(|| ChapterPlan {
            number,
            title: format!("Chapter {number}"),
            word_budget: spec.words_per_chapter,
            ..ChapterPlan::default()
        });
    let characters = if bible.characters.is_empty() {
        &analysis.characters
    } else {
        &bible.characters
    };
    let places = if bible.places.is_empty() {
        &analysis.places
    } else {
        &bible.places
    };
    let continuity = fit(earlier, &bible.facts, number, context_token_budget);
    let context = context! {
        story => StoryFrame::new(spec, Some(analysis)),
        chapter => ChapterView::new(&plan),
        outline => outline.chapters.iter().map(TitleItem::new).collect::<Vec<_>>(),
        characters => frame::characters(characters),
        places => frame::places(places),
        earlier => continuity.earlier,
        facts => continuity.facts,
    };
    render(
        Template::Chapter,
        context,
        prose_max_tokens(plan.word_budget),
    )
}

/// A chapter of the outline as the system message lists it.
#[derive(Serialize)]
struct TitleItem {
    number: u32,
    title: String,
}

impl TitleItem {
    fn new(plan: &ChapterPlan) -> Self {
        Self {
            number: plan.number,
            title: one_line(&plan.title),
        }
    }
}

/// Turns a `chapter@1` (or `rewrite@1`) answer into a finished chapter.
///
/// The text loses a surrounding code fence and up to three leading heading lines (`# ...`,
/// `Chapter 3: ...`, or the chapter's title), keeps its paragraphs separated by one blank
/// line and is trimmed. `word_count` counts `\b\w+\b` words. The summary is extractive: the
/// first and the last sentence (each clipped to 40 words), or the plan's summary when the
/// text has no sentence. The facts are the plan's beats the text achieved: at least half of
/// a beat's content words (four letters or more, not a stop word, compared by their first
/// five letters) occur in the text.
pub fn finish_chapter(plan: &ChapterPlan, answer: &str) -> WrittenChapter {
    let text = clean(plan, answer);
    let all = sentences(&text);
    let summary = match all.as_slice() {
        [] => one_line(&plan.summary),
        [only] => clip_words(only, 40),
        [first, .., last] => format!("{} {}", clip_words(first, 40), clip_words(last, 40)),
    };
    let present = stems(&text);
    let facts = plan
        .beats
        .iter()
        .map(|beat| one_line(beat))
        .filter(|beat| {
            let wanted = stems(beat);
            !wanted.is_empty() && wanted.intersection(&present).count() * 2 >= wanted.len()
        })
        .collect();
    WrittenChapter {
        number: plan.number,
        title: plan.title.clone(),
        word_count: word_count(&text),
        text,
        summary,
        facts,
    }
}

/// The prose without fences, headings, trailing spaces or runs of blank lines.
fn clean(plan: &ChapterPlan, answer: &str) -> String {
    let normalised = strip_code_fence(answer).replace("\r\n", "\n");
    let mut lines: Vec<&str> = normalised.lines().map(str::trim_end).collect();
    for _ in 0..3 {
        let Some(first) = lines.iter().position(|l| !l.trim().is_empty()) else {
            break;
        };
        if !is_heading(plan, lines[first]) {
            break;
        }
        lines.drain(..=first);
    }
    let mut text = String::new();
    let mut blank = false;
    for line in lines {
        if line.trim().is_empty() {
            blank = !text.is_empty();
            continue;
        }
        if blank {
            text.push_str("\n\n");
        } else if !text.is_empty() {
            text.push('\n');
        }
        blank = false;
        text.push_str(line);
    }
    text
}

/// A Markdown heading, a short `Chapter ...` line or the chapter's title.
fn is_heading(plan: &ChapterPlan, line: &str) -> bool {
    let line = line.trim();
    if line.starts_with('#') {
        return true;
    }
    let bare = line
        .trim_matches(|c: char| matches!(c, '*' | '_' | ' '))
        .trim_end_matches([':', '.']);
    let title = one_line(&plan.title);
    let short = words(bare).count() <= 12;
    let chapter_line = bare
        .get(..8)
        .is_some_and(|head| head.eq_ignore_ascii_case("chapter "));
    (short && chapter_line) || (!title.is_empty() && bare.eq_ignore_ascii_case(&title))
}

/// Words that carry a beat's content, as five-letter stems.
fn stems(text: &str) -> BTreeSet<String> {
    const STOP: [&str; 30] = [
        "that", "this", "with", "from", "into", "their", "there", "them", "they", "then", "than",
        "what", "when", "where", "which", "while", "have", "been", "were", "will", "would",
        "could", "should", "about", "after", "before", "over", "under", "just", "only",
    ];
    words(text)
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 4 && !STOP.contains(&w.as_str()))
        .map(|w| w.chars().take(5).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bible::Fact;
    use crate::spec::StyleOptions;
    use crate::story::Character;

    fn plan() -> ChapterPlan {
        ChapterPlan {
            number: 2,
            title: "The Salt Road".into(),
            summary: "Mara follows the road.".into(),
            beats: vec![
                "Mara discovers the road has moved overnight.".into(),
                "Ivo confesses that he burned the old maps.".into(),
                "A dragon arrives.".into(),
            ],
            word_budget: 800,
        }
    }

    #[test]
    fn finishing_strips_fences_and_headings_and_counts_words() {
        let answer = "```markdown\n# Chapter 2\n**The Salt Road**\n\nMara woke early.   \r\nThe road had moved.\n\n\n\n\"Ivo?\" she called. He did not answer.\n```";
        let chapter = finish_chapter(&plan(), answer);
        assert_eq!(
            chapter.text,
            "Mara woke early.\nThe road had moved.\n\n\"Ivo?\" she called. He did not answer."
        );
        assert_eq!(chapter.word_count, 14);
        assert_eq!(chapter.number, 2);
        assert_eq!(chapter.title, "The Salt Road");
    }

    #[test]
    fn a_chapter_line_is_a_heading_but_prose_about_chapters_is_not() {
        let headed = finish_chapter(&plan(), "Chapter Two: Salt\n\nText.");
        assert_eq!(headed.text, "Text.");
        let prose = "Chapter and verse, the old priest recited the litany of every road he had ever walked, and the many more he had only dreamed of.";
        assert_eq!(finish_chapter(&plan(), prose).text, prose);
    }

    #[test]
    fn the_summary_is_the_first_and_last_sentence() {
        let chapter = finish_chapter(
            &plan(),
            "Mara woke. She ate.\n\nShe walked. The road ended.",
        );
        assert_eq!(chapter.summary, "Mara woke. The road ended.");
        assert_eq!(
            finish_chapter(&plan(), "Just one line").summary,
            "Just one line"
        );
        assert_eq!(
            finish_chapter(&plan(), "  ").summary,
            "Mara follows the road."
        );
        assert_eq!(finish_chapter(&plan(), "  ").word_count, 0);
    }

    #[test]
    fn facts_are_the_beats_the_text_achieved() {
        let text = "Mara discovered that the road had moved in the night. Ivo stared at the ashes; he had burned every map they owned and now confessed it.";
        let chapter = finish_chapter(&plan(), text);
        assert_eq!(
            chapter.facts,
            [
                "Mara discovers the road has moved overnight.",
                "Ivo confesses that he burned the old maps."
            ]
        );
    }

    fn spec() -> GenerationSpec {
        GenerationSpec {
            title: "The Salt Road".into(),
            premise: "A road that moves.".into(),
            genre: "fantasy".into(),
            chapters: 3,
            words_per_chapter: 800,
            style: StyleOptions::default(),
            seed: 1,
        }
    }

    #[test]
    fn the_chapter_prompt_uses_the_plan_the_bible_and_the_budget() {
        let analysis = PremiseAnalysis {
            characters: vec![Character {
                name: "Nobody From Analysis".into(),
                ..Character::default()
            }],
            ..PremiseAnalysis::default()
        };
        let bible = StoryBible {
            characters: vec![Character {
                name: "Mara Quill".into(),
                role: "protagonist".into(),
                ..Character::default()
            }],
            places: Vec::new(),
            facts: vec![Fact {
                chapter: 1,
                text: "Mara left Saltmere.".into(),
            }],
        };
        let outline = Outline {
            chapters: vec![
                ChapterPlan {
                    number: 1,
                    title: "Start".into(),
                    ..plan()
                },
                plan(),
            ],
        };
        let earlier = [ChapterSummary {
            number: 1,
            title: "Start".into(),
            summary: "Mara left.".into(),
        }];
        let prompt = chapter_prompt(&spec(), &analysis, &outline, &bible, &earlier, 2, 1000);
        assert!(prompt.system.starts_with("Task: chapter@1\n"));
        assert!(
            prompt
                .user
                .contains("\nChapter number: 2\nChapter title: The Salt Road\nWord budget: 800\n")
        );
        assert!(
            prompt
                .user
                .contains("## Characters\n- Mara Quill — protagonist\n")
        );
        assert!(!prompt.user.contains("Nobody From Analysis"));
        assert!(
            prompt
                .user
                .contains("## Earlier chapters\n- Chapter 1: Mara left.\n")
        );
        assert!(prompt.user.ends_with("## Facts\n- Mara left Saltmere."));
        assert_eq!(prompt.max_tokens, 800 * 2 + 256);

        let tight = chapter_prompt(&spec(), &analysis, &outline, &bible, &earlier, 2, 0);
        assert!(!tight.user.contains("## Earlier chapters") && !tight.user.contains("## Facts"));

        let missing = chapter_prompt(&spec(), &analysis, &outline, &bible, &earlier, 9, 1000);
        assert!(
            missing
                .user
                .contains("Chapter title: Chapter 9\nWord budget: 800")
        );
        assert!(!missing.user.contains("## Beats"));
    }
}
