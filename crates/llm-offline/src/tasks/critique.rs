//! `critique@1`: measurable problems of `## Text` as JSON `{"issues": [...], "suggestions":
//! [...]}`: repeated sentences and 4-grams, length against `Word budget`, beats the text does
//! not dramatise, characters it never names, plus the problems the prompt lists (list items
//! in the system message's instructions, or a `## Problems` section).

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::english::word_count;
use crate::prompt::Prompt;
use crate::prose::contains_word;
use crate::types::Error;

#[derive(Serialize)]
struct Critique {
    issues: Vec<String>,
    suggestions: Vec<String>,
}

/// Sections whose items are problems found earlier (e.g. by the quality gate).
const PROBLEM_SECTIONS: &[&str] = &["Problems", "Issues", "Quality problems"];

/// Writes the critique. It depends on the prompt only, not on the seed.
pub fn critique(prompt: &Prompt) -> Result<String, Error> {
    let text = prompt.block("Text").ok_or_else(|| {
        Error::InvalidRequest("critique@1 needs the chapter under `## Text`".into())
    })?;
    let mut c = Critique {
        issues: Vec::new(),
        suggestions: Vec::new(),
    };
    // Problems listed by automatic checks: in the instructions, or in a section.
    for item in prompt.instruction_items() {
        c.issues.push(item.to_owned());
    }
    for section in PROBLEM_SECTIONS {
        for item in prompt.items(section) {
            c.issues.push(item.clone());
        }
    }

    let distinct = distinct_4grams(text);
    if distinct < 0.8 {
        c.issues.push(format!(
            "The prose repeats itself: only {:.0}% of its four-word sequences are distinct.",
            distinct * 100.0
        ));
        c.suggestions
            .push("Rewrite repeated passages so every paragraph moves the scene forward.".into());
    }
    let repeated = repeated_sentences(text);
    if !repeated.is_empty() {
        c.issues.push(format!(
            "{} sentence(s) appear more than once, e.g. \"{}\".",
            repeated.len(),
            repeated[0]
        ));
        c.suggestions
            .push("Cut duplicated sentences and vary sentence openings.".into());
    }
    if let Some(budget) = prompt.number("Word budget")? {
        let words = word_count(text) as f64;
        let budget = f64::from(budget.max(1));
        if words < budget * 0.8 {
            c.issues.push(format!(
                "The chapter is short: {words:.0} words for a budget of {budget:.0}."
            ));
            c.suggestions
                .push("Expand the key scenes with action and dialogue.".into());
        } else if words > budget * 1.2 {
            c.issues.push(format!(
                "The chapter is long: {words:.0} words for a budget of {budget:.0}."
            ));
            c.suggestions
                .push("Trim description that does not serve a beat.".into());
        }
    }
    let lower = text.to_lowercase();
    for (n, beat) in prompt.items("Beats").iter().enumerate() {
        if !dramatised(&lower, beat) {
            c.issues
                .push(format!("Beat {} is not clearly dramatised: {beat}", n + 1));
            c.suggestions
                .push(format!("Give beat {} its own scene on the page.", n + 1));
        }
    }
    for person in prompt.characters() {
        let first = person.name.split_whitespace().next().unwrap_or("");
        if !contains_word(text, &person.name) && !contains_word(text, first) {
            c.issues.push(format!("{} never appears.", person.name));
            c.suggestions.push(format!(
                "Bring {} into the chapter or drop them from its plan.",
                person.name
            ));
        }
    }
    if c.suggestions.is_empty() {
        c.suggestions
            .push("Sharpen the chapter's final image so it pulls the reader into the next.".into());
    }
    super::to_json(&c)
}

/// Lowercase words (`\w+` runs).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Distinct 4-grams over all 4-grams (1.0 for texts under four words).
pub fn distinct_4grams(text: &str) -> f64 {
    let words = words(text);
    if words.len() < 4 {
        return 1.0;
    }
    let grams: Vec<&[String]> = words.windows(4).collect();
    let distinct: HashSet<&[String]> = grams.iter().copied().collect();
    distinct.len() as f64 / grams.len() as f64
}

/// Sentences of five words or more that occur more than once, in first-seen order.
fn repeated_sentences(text: &str) -> Vec<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut order = Vec::new();
    for sentence in text.split_inclusive(['.', '!', '?']) {
        let s = sentence.trim().to_owned();
        if word_count(&s) < 5 {
            continue;
        }
        let n = counts.entry(s.clone()).or_default();
        *n += 1;
        if *n == 2 {
            order.push(s);
        }
    }
    order
}

/// True when most of the beat's content words (five letters or more) occur in the text.
fn dramatised(lower_text: &str, beat: &str) -> bool {
    let content: Vec<String> = words(beat).into_iter().filter(|w| w.len() >= 5).collect();
    if content.is_empty() {
        return true;
    }
    let found = content
        .iter()
        .filter(|w| contains_word(lower_text, w))
        .count();
    found * 2 >= content.len()
}
