//! Word and sentence splitting shared by every metric.
//!
//! Words follow the EQ-Bench convention: every match of the Unicode regex `\b\w+\b`,
//! lowercased. `\w` is Unicode-aware (letters, marks, decimal digits, connector
//! punctuation), so "don't" is two words (`don`, `t`) and "naïve" is one.
//!
//! Sentences: the text is first cut into paragraphs at blank lines; inside a paragraph a
//! sentence ends at `.`, `!`, `?` or `…` (optionally followed by closing quotes or brackets)
//! followed by whitespace, unless the next character is lowercase (`"Wait!" she said.`),
//! or the terminator is a single `.` after a common abbreviation (`Mr.`, `Dr.`, `St.` …) or
//! after a single capital letter (an initial).

use std::sync::LazyLock;

use regex::Regex;

static WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b\w+\b").expect("constant regex"));
static PARAGRAPH_BREAK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\n[ \t\r]*\n").expect("constant regex"));
static BOUNDARY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"([.!?…]+["”’')\]]*)\s+"#).expect("constant regex"));

/// Abbreviations after which a `.` does not end a sentence (compared lowercase).
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "st", "prof", "capt", "lt", "col", "gen", "sgt", "jr", "sr", "vs",
    "mt", "rev", "fr", "etc", "e.g", "i.e",
];

/// The text's words: lowercase matches of `\b\w+\b`, in order.
pub fn words(text: &str) -> Vec<String> {
    WORD.find_iter(text)
        .map(|m| m.as_str().to_lowercase())
        .collect()
}

/// Number of words in the text (same rule as [`words`]).
pub fn word_count(text: &str) -> usize {
    WORD.find_iter(text).count()
}

/// The text's paragraphs (split at blank lines), trimmed, empty ones dropped.
pub fn paragraphs(text: &str) -> Vec<&str> {
    PARAGRAPH_BREAK
        .split(text)
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// The text's sentences in order, as trimmed slices of the input (see the module doc).
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for paragraph in paragraphs(text) {
        let mut start = 0;
        for caps in BOUNDARY.captures_iter(paragraph) {
            let (Some(whole), Some(end)) = (caps.get(0), caps.get(1)) else {
                continue;
            };
            if !ends_sentence(paragraph, start, end.start(), end.as_str(), whole.end()) {
                continue;
            }
            push_trimmed(&mut out, &paragraph[start..end.end()]);
            start = whole.end();
        }
        push_trimmed(&mut out, &paragraph[start..]);
    }
    out
}

/// A sentence collapsed to single spaces, for citing it in a report.
pub fn cite(sentence: &str) -> String {
    sentence.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn push_trimmed<'a>(out: &mut Vec<&'a str>, s: &'a str) {
    let s = s.trim();
    if !s.is_empty() {
        out.push(s);
    }
}

/// Whether the terminator at `term_start` really ends the sentence begun at `start`.
fn ends_sentence(para: &str, start: usize, term_start: usize, term: &str, next: usize) -> bool {
    if para[next..].chars().next().is_some_and(char::is_lowercase) {
        return false;
    }
    if term != "." {
        return true;
    }
    let before = &para[start..term_start];
    let last_word = before
        .rsplit(|c: char| c.is_whitespace() || c == '(' || c == '"' || c == '“')
        .next()
        .unwrap_or("");
    let is_initial = {
        let mut chars = last_word.chars();
        matches!((chars.next(), chars.next()), (Some(c), None) if c.is_uppercase())
    };
    !(is_initial || ABBREVIATIONS.contains(&last_word.to_lowercase().as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lowercase_w_runs() {
        assert_eq!(
            words("Don't stop—the Naïve cat_2 ran!"),
            ["don", "t", "stop", "the", "naïve", "cat_2", "ran"]
        );
        assert_eq!(word_count("Don't stop—the Naïve cat_2 ran!"), 7);
    }

    #[test]
    fn empty_and_punctuation_only_texts_have_no_words() {
        assert!(words("").is_empty());
        assert!(words(" … — !? ").is_empty());
        assert!(sentences("").is_empty());
        assert!(sentences("   \n\n  ").is_empty());
    }

    #[test]
    fn sentences_split_at_terminators_and_paragraphs() {
        let text = "Mr. Hale waited. \"Wait!\" she said. Was it J. R. Smith?\nNo. Yes…\n\nNew paragraph without end";
        assert_eq!(
            sentences(text),
            [
                "Mr. Hale waited.",
                "\"Wait!\" she said.",
                "Was it J. R. Smith?",
                "No.",
                "Yes…",
                "New paragraph without end",
            ]
        );
    }

    #[test]
    fn cite_collapses_whitespace() {
        assert_eq!(cite("  a\n  b\tc "), "a b c");
    }
}
