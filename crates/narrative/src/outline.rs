//! `outline@1`: the prompt and the parser of its answer, which normalises the outline to the
//! requested number of chapters.

use minijinja::context;
use serde_json::{Map, Value};

use crate::error::NarrativeError;
use crate::frame::{self, StoryFrame};
use crate::json::{field, find_json, text, texts, unwrap_object, whole_number};
use crate::prompts::{RenderedPrompt, Template, render};
use crate::spec::GenerationSpec;
use crate::story::{ChapterPlan, Decision, Outline, PremiseAnalysis};
use crate::text::sentences;

const STAGE: &str = "outline";
const WHAT: &str = "outline";

/// The `outline@1` prompt: the analysis's cast, places and themes, and the chapter count and
/// word budgets to plan for. `max_tokens` is 400 plus 300 per chapter.
pub fn outline_prompt(spec: &GenerationSpec, analysis: &PremiseAnalysis) -> RenderedPrompt {
    let max_tokens = spec.chapters.saturating_mul(300).saturating_add(400);
    let context = context! {
        story => StoryFrame::new(spec, Some(analysis)),
        characters => frame::characters(&analysis.characters),
        places => frame::places(&analysis.places),
        themes => frame::lines(&analysis.themes),
    };
    render(Template::Outline, context, max_tokens)
}

/// Reads an `outline@1` answer and normalises it to exactly `spec.chapters` chapters.
///
/// Corrections, each recorded as a [`Decision`] (stage `outline`): entries that are not
/// objects are dropped; extra chapters are cut and missing ones added as planned
/// continuations (the last one resolving the story); chapters are renumbered 1..=n in the
/// order given; a `Chapter N:` prefix is removed from titles and a missing title becomes
/// `Chapter N`; missing beats come from the summary's sentences and a missing summary from
/// the beats; a word budget that is missing or outside ¼×–4× `spec.words_per_chapter`
/// becomes `spec.words_per_chapter`.
///
/// # Errors
/// [`NarrativeError::Malformed`] when the answer holds no JSON, or no chapter in it.
pub fn parse_outline(
    spec: &GenerationSpec,
    answer: &str,
) -> Result<(Outline, Vec<Decision>), NarrativeError> {
    let value = find_json(answer, |v| chapter_entries(v).is_some())
        .ok_or_else(|| NarrativeError::malformed(WHAT, "no JSON with a list of chapters"))?;
    let entries = chapter_entries(&value).unwrap_or_default();
    let mut decisions = Vec::new();
    let mut decide = |text: String| decisions.push(Decision::new(STAGE, text));

    let objects: Vec<&Map<String, Value>> = entries.iter().filter_map(Value::as_object).collect();
    if objects.len() < entries.len() {
        decide(format!(
            "Dropped {} outline entr{} that were not chapter objects.",
            entries.len() - objects.len(),
            if entries.len() - objects.len() == 1 {
                "y"
            } else {
                "ies"
            }
        ));
    }
    if objects.is_empty() {
        return Err(NarrativeError::malformed(WHAT, "no chapter objects"));
    }
    let wanted = usize::try_from(spec.chapters).unwrap_or(usize::MAX);
    let given = objects.len();
    if given > wanted {
        decide(format!(
            "The outline had {given} chapters for {wanted}; kept the first {wanted}."
        ));
    }

    let mut fixes = Fixes::default();
    let mut chapters: Vec<ChapterPlan> = objects
        .iter()
        .take(wanted)
        .zip(1u32..)
        .map(|(object, number)| read_chapter(spec, object, number, &mut fixes))
        .collect();
    fixes.report(spec, &mut decide);

    if given < wanted {
        decide(format!(
            "The outline had {given} chapters for {wanted}; added chapters {}–{wanted} as planned continuations.",
            given + 1
        ));
        chapters.extend(
            (given + 1..=wanted)
                .filter_map(|n| u32::try_from(n).ok())
                .map(|n| planned(spec, n)),
        );
    }
    Ok((Outline { chapters }, decisions))
}

/// The chapter entries of an outline answer: its `chapters` list, or a bare list of objects.
fn chapter_entries(value: &Value) -> Option<&[Value]> {
    match value {
        Value::Array(items) if items.iter().any(Value::is_object) => Some(items),
        Value::Array(_) => None,
        _ => unwrap_object(value, &["chapters"])
            .and_then(|o| field(o, "chapters"))
            .and_then(Value::as_array)
            .map(Vec::as_slice),
    }
}

/// The chapters each kind of correction touched, reported as one decision per kind.
#[derive(Default)]
struct Fixes {
    renumbered: Vec<(u32, Option<u64>)>,
    prefixed: Vec<u32>,
    untitled: Vec<u32>,
    beats_from_summary: Vec<u32>,
    summary_from_beats: Vec<u32>,
    budget: Vec<u32>,
}

impl Fixes {
    fn report(self, spec: &GenerationSpec, decide: &mut impl FnMut(String)) {
        if !self.renumbered.is_empty() {
            let given: Vec<String> = self
                .renumbered
                .iter()
                .map(|(n, g)| {
                    format!(
                        "{n} (given {})",
                        g.map_or("none".to_owned(), |g| g.to_string())
                    )
                })
                .collect();
            decide(format!(
                "Renumbered chapters in the order given: {}.",
                given.join(", ")
            ));
        }
        if !self.prefixed.is_empty() {
            decide(format!(
                "Removed the “Chapter N” prefix from the title of {}.",
                which(&self.prefixed)
            ));
        }
        if !self.untitled.is_empty() {
            decide(format!(
                "Titled {} “Chapter N” (no title given).",
                which(&self.untitled)
            ));
        }
        if !self.beats_from_summary.is_empty() {
            decide(format!(
                "Took the beats of {} from the summary (no beats given).",
                which(&self.beats_from_summary)
            ));
        }
        if !self.summary_from_beats.is_empty() {
            decide(format!(
                "Took the summary of {} from the beats (no summary given).",
                which(&self.summary_from_beats)
            ));
        }
        if !self.budget.is_empty() {
            let (low, high) = budget_range(spec.words_per_chapter);
            decide(format!(
                "Set the word budget of {} to {} (missing or outside {low}–{high}).",
                which(&self.budget),
                spec.words_per_chapter
            ));
        }
    }
}

/// `chapter 2` or `chapters 1, 3`.
fn which(numbers: &[u32]) -> String {
    let list = numbers
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if numbers.len() == 1 {
        format!("chapter {list}")
    } else {
        format!("chapters {list}")
    }
}

/// Accepted word budgets: ¼× to 4× the requested words per chapter.
fn budget_range(words_per_chapter: u32) -> (u32, u32) {
    (
        (words_per_chapter / 4).max(1),
        words_per_chapter.saturating_mul(4).max(1),
    )
}

fn read_chapter(
    spec: &GenerationSpec,
    object: &Map<String, Value>,
    number: u32,
    fixes: &mut Fixes,
) -> ChapterPlan {
    let given_number = whole_number(field(object, "number"));
    if given_number != Some(u64::from(number)) {
        fixes.renumbered.push((number, given_number));
    }
    let title = match text(field(object, "title")) {
        None => {
            fixes.untitled.push(number);
            format!("Chapter {number}")
        }
        Some(title) => match strip_chapter_prefix(&title) {
            Some(stripped) => {
                fixes.prefixed.push(number);
                stripped.to_owned()
            }
            None => title,
        },
    };
    let mut summary = text(field(object, "summary")).unwrap_or_default();
    let mut beats = texts(field(object, "beats"));
    if beats.is_empty() {
        fixes.beats_from_summary.push(number);
        beats = sentences(&summary);
        if beats.is_empty() {
            beats.push(format!("{title}."));
        }
    }
    if summary.is_empty() {
        fixes.summary_from_beats.push(number);
        summary = beats.join(" ");
    }
    let (low, high) = budget_range(spec.words_per_chapter);
    let word_budget = match whole_number(field(object, "word_budget")) {
        Some(budget) if (u64::from(low)..=u64::from(high)).contains(&budget) => {
            u32::try_from(budget).unwrap_or(spec.words_per_chapter)
        }
        _ => {
            fixes.budget.push(number);
            spec.words_per_chapter
        }
    };
    ChapterPlan {
        number,
        title,
        summary,
        beats,
        word_budget,
    }
}

/// The title after a `Chapter 3:` / `Chapter Three -` prefix, if it has one and something
/// follows it.
fn strip_chapter_prefix(title: &str) -> Option<&str> {
    let head = title.get(..7)?;
    if !head.eq_ignore_ascii_case("chapter") {
        return None;
    }
    let rest = title[7..].strip_prefix(char::is_whitespace)?.trim_start();
    let after_word = rest.trim_start_matches(char::is_alphanumeric);
    if after_word.len() == rest.len() {
        return None;
    }
    let stripped = after_word
        .trim_start()
        .strip_prefix([':', '.', '-', '–', '—'])?
        .trim();
    (!stripped.is_empty()).then_some(stripped)
}

/// A chapter the answer did not plan: a continuation, or the resolution when it is the last.
fn planned(spec: &GenerationSpec, number: u32) -> ChapterPlan {
    let (summary, beats): (String, [&str; 3]) = if number == spec.chapters {
        (
            "The central conflict comes to a head and is resolved.".to_owned(),
            [
                "The protagonist confronts the central conflict.",
                "The conflict is resolved and its cost becomes clear.",
                "The protagonist's world settles into its changed shape.",
            ],
        )
    } else {
        (
            format!(
                "The story continues from chapter {} and the conflict deepens.",
                number.saturating_sub(1)
            ),
            [
                "The protagonist deals with the consequences of the previous chapter.",
                "A new obstacle stands between the protagonist and the goal.",
                "The protagonist makes a choice that raises the stakes.",
            ],
        )
    };
    ChapterPlan {
        number,
        title: format!("Chapter {number}"),
        summary,
        beats: beats.map(str::to_owned).to_vec(),
        word_budget: spec.words_per_chapter,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::StyleOptions;

    fn spec(chapters: u32) -> GenerationSpec {
        GenerationSpec {
            title: "The Salt Road".into(),
            premise: "A cartographer maps a road that moves.".into(),
            genre: "fantasy".into(),
            chapters,
            words_per_chapter: 1000,
            style: StyleOptions::default(),
            seed: 1,
        }
    }

    fn chapter_json(number: u32) -> String {
        format!(
            r#"{{"number": {number}, "title": "Part {number}", "summary": "Things happen. More things.", "beats": ["Mara walks.", "Ivo waits."], "word_budget": 1100}}"#
        )
    }

    fn outline_json(numbers: impl IntoIterator<Item = u32>) -> String {
        let chapters: Vec<String> = numbers.into_iter().map(chapter_json).collect();
        format!(r#"{{"chapters": [{}]}}"#, chapters.join(", "))
    }

    #[test]
    fn a_clean_outline_is_kept_without_decisions() {
        let (outline, decisions) = parse_outline(&spec(3), &outline_json(1..=3)).unwrap();
        assert!(decisions.is_empty(), "{decisions:?}");
        assert_eq!(outline.chapters.len(), 3);
        assert_eq!(outline.chapters[2].title, "Part 3");
        assert_eq!(outline.chapters[2].beats, ["Mara walks.", "Ivo waits."]);
        assert_eq!(outline.chapters[2].word_budget, 1100);
    }

    #[test]
    fn noise_around_the_json_and_a_bare_array_are_accepted() {
        let noisy = format!(
            "Sure! Here's the outline [v2] for {{title}}, in [1] JSON block:\n```json\n{}\n```\nEnjoy!",
            outline_json(1..=3)
        );
        assert_eq!(
            parse_outline(&spec(3), &noisy).unwrap(),
            parse_outline(&spec(3), &outline_json(1..=3)).unwrap()
        );
        let array = format!("[{}, {}]", chapter_json(1), chapter_json(2));
        assert_eq!(parse_outline(&spec(2), &array).unwrap().0.chapters.len(), 2);
    }

    #[test]
    fn extra_chapters_are_cut_with_a_decision() {
        let (outline, decisions) = parse_outline(&spec(2), &outline_json(1..=4)).unwrap();
        assert_eq!(outline.chapters.len(), 2);
        assert_eq!(decisions.len(), 1);
        assert_eq!(
            decisions[0].text,
            "The outline had 4 chapters for 2; kept the first 2."
        );
        assert_eq!(decisions[0].stage, "outline");
    }

    #[test]
    fn missing_chapters_are_planned_and_the_last_resolves_the_story() {
        let (outline, decisions) = parse_outline(&spec(4), &outline_json(1..=2)).unwrap();
        let numbers: Vec<u32> = outline.chapters.iter().map(|c| c.number).collect();
        assert_eq!(numbers, [1, 2, 3, 4]);
        assert_eq!(outline.chapters[2].title, "Chapter 3");
        assert!(
            outline.chapters[2]
                .summary
                .contains("continues from chapter 2")
        );
        assert!(outline.chapters[3].summary.contains("resolved"));
        assert!(
            outline
                .chapters
                .iter()
                .all(|c| c.word_budget > 0 && !c.beats.is_empty())
        );
        assert_eq!(
            decisions
                .iter()
                .map(|d| d.text.as_str())
                .collect::<Vec<_>>(),
            ["The outline had 2 chapters for 4; added chapters 3–4 as planned continuations."]
        );
    }

    #[test]
    fn chapters_are_renumbered_in_the_order_given() {
        let answer = format!(
            r#"{{"chapters": [{}, {}, {{"title": "Untold", "beats": ["X."], "summary": "S."}}]}}"#,
            chapter_json(0),
            chapter_json(7)
        );
        let (outline, decisions) = parse_outline(&spec(3), &answer).unwrap();
        let numbers: Vec<u32> = outline.chapters.iter().map(|c| c.number).collect();
        assert_eq!(numbers, [1, 2, 3]);
        assert_eq!(outline.chapters[1].title, "Part 7");
        assert_eq!(
            decisions[0].text,
            "Renumbered chapters in the order given: 1 (given 0), 2 (given 7), 3 (given none)."
        );
    }

    #[test]
    fn missing_and_absurd_fields_are_filled_and_reported() {
        let answer = r#"{"Chapters": [
            {"number": 1, "title": "Chapter 1: The Road", "summary": "Mara leaves. Ivo follows.", "word_budget": 50},
            {"number": 2, "beats": "Mara arrives.", "word_budget": "1,200 words"},
            {"number": 3, "title": "Chapter Three", "summary": "End.", "beats": ["Mara wins."], "wordBudget": 999999}
        ]}"#;
        let (outline, decisions) = parse_outline(&spec(3), answer).unwrap();
        let [one, two, three] = &outline.chapters[..] else {
            panic!("three chapters")
        };
        assert_eq!(one.title, "The Road");
        assert_eq!(one.beats, ["Mara leaves.", "Ivo follows."]);
        assert_eq!(one.word_budget, 1000);
        assert_eq!(two.title, "Chapter 2");
        assert_eq!(two.beats, ["Mara arrives."]);
        assert_eq!(two.summary, "Mara arrives.");
        assert_eq!(two.word_budget, 1200);
        assert_eq!(three.title, "Chapter Three");
        assert_eq!(three.word_budget, 1000);
        let texts: Vec<&str> = decisions.iter().map(|d| d.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Removed the “Chapter N” prefix from the title of chapter 1.",
                "Titled chapter 2 “Chapter N” (no title given).",
                "Took the beats of chapter 1 from the summary (no beats given).",
                "Took the summary of chapter 2 from the beats (no summary given).",
                "Set the word budget of chapters 1, 3 to 1000 (missing or outside 250–4000).",
            ]
        );
    }

    #[test]
    fn non_chapter_entries_are_dropped() {
        let answer = format!(r#"{{"chapters": ["oops", {}, 3]}}"#, chapter_json(1));
        let (outline, decisions) = parse_outline(&spec(1), &answer).unwrap();
        assert_eq!(outline.chapters.len(), 1);
        assert_eq!(
            decisions[0].text,
            "Dropped 2 outline entries that were not chapter objects."
        );
    }

    #[test]
    fn unusable_answers_are_errors() {
        for answer in [
            "No outline today.",
            r#"{"chapters": []}"#,
            r#"{"plan": "later"}"#,
            r#"{"chapters": ["a"]}"#,
            "{\"chapters\": [{\"title\": \"cut off",
        ] {
            assert!(
                matches!(
                    parse_outline(&spec(3), answer),
                    Err(NarrativeError::Malformed {
                        what: "outline",
                        ..
                    })
                ),
                "{answer}"
            );
        }
    }

    #[test]
    fn chapter_prefixes_are_recognised_only_before_a_separator() {
        assert_eq!(strip_chapter_prefix("Chapter 12: Salt"), Some("Salt"));
        assert_eq!(strip_chapter_prefix("CHAPTER two — Salt"), Some("Salt"));
        assert_eq!(strip_chapter_prefix("Chapter Two"), None);
        assert_eq!(strip_chapter_prefix("Chapterhouse: Dune"), None);
        assert_eq!(strip_chapter_prefix("Chapter 1:"), None);
        assert_eq!(strip_chapter_prefix("Chap"), None);
        assert_eq!(strip_chapter_prefix("Chäpter 1: x"), None);
    }
}
