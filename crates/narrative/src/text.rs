//! Small text helpers: one-line values for the wire format, words, sentences, code fences.

use std::sync::LazyLock;

use regex::Regex;

/// Words as the quality metrics count them: matches of `\b\w+\b` (Unicode).
static WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\w+\b").expect("a constant, valid pattern"));

/// Collapses every run of whitespace (newlines included) into one space and trims, so the
/// value fits on one `Label: value` line or one `- item` line.
pub(crate) fn one_line(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A name for a `- <Name> — <rest>` item: one line, without the dashes that separate the
/// name from the rest.
pub(crate) fn item_name(value: &str) -> String {
    one_line(&value.replace(['—', '–'], "-").replace(" - ", "-"))
}

/// A role for a `- <Name> — <role>: <description>` item: one line, without a colon.
pub(crate) fn item_role(value: &str) -> String {
    one_line(&value.replace(':', ","))
}

/// The words of `text` (matches of `\b\w+\b`).
pub(crate) fn words(text: &str) -> impl Iterator<Item = &str> {
    WORD.find_iter(text).map(|m| m.as_str())
}

/// The number of words of `text`, saturating at `u32::MAX`.
pub(crate) fn word_count(text: &str) -> u32 {
    u32::try_from(words(text).count()).unwrap_or(u32::MAX)
}

/// Splits prose into sentences: a sentence ends at `.`, `!`, `?` or `…` (optionally followed
/// by closing quotes or brackets) followed by whitespace and a word that does not start in
/// lowercase, or at a blank line. Sentences are
/// trimmed and joined onto one line; empty ones are skipped.
pub(crate) fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for paragraph in text.split("\n\n") {
        let chars: Vec<(usize, char)> = paragraph.char_indices().collect();
        let mut start = 0;
        let mut i = 0;
        while i < chars.len() {
            let (_, c) = chars[i];
            if matches!(c, '.' | '!' | '?' | '…') {
                let mut end = i + 1;
                while end < chars.len()
                    && matches!(
                        chars[end].1,
                        '"' | '\'' | '”' | '’' | ')' | '»' | '.' | '!' | '?'
                    )
                {
                    end += 1;
                }
                // A lowercase word after the stop continues the sentence (`"Run!" she said.`).
                let next_word = chars[end..].iter().find(|(_, c)| !c.is_whitespace());
                let continues = next_word.is_some_and(|(_, c)| c.is_lowercase());
                if (end == chars.len() || chars[end].1.is_whitespace()) && !continues {
                    let stop = chars.get(end).map_or(paragraph.len(), |(at, _)| *at);
                    push_sentence(&mut out, &paragraph[start..stop]);
                    start = stop;
                }
                i = end;
            } else {
                i += 1;
            }
        }
        push_sentence(&mut out, &paragraph[start..]);
    }
    out
}

fn push_sentence(out: &mut Vec<String>, raw: &str) {
    let sentence = one_line(raw);
    if words(&sentence).next().is_some() {
        out.push(sentence);
    }
}

/// The first `max` words of `sentence`, with `…` when it was cut.
pub(crate) fn clip_words(sentence: &str, max: usize) -> String {
    match WORD.find_iter(sentence).nth(max) {
        Some(next) => format!("{}…", sentence[..next.start()].trim_end()),
        None => sentence.to_owned(),
    }
}

/// `text` without a Markdown code fence around it (```` ```lang ```` … ```` ``` ````), trimmed.
pub(crate) fn strip_code_fence(text: &str) -> &str {
    let trimmed = text.trim();
    let Some(rest) = trimmed.strip_prefix("```") else {
        return trimmed;
    };
    // Drop the opening fence's line (it may name a language).
    let body = rest.split_once('\n').map_or("", |(_, body)| body);
    body.trim_end().strip_suffix("```").unwrap_or(body).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_values_cannot_break_the_wire_format() {
        assert_eq!(one_line("  a\n\nb\tc  "), "a b c");
        assert_eq!(item_name("Anne — the Bold"), "Anne-the Bold");
        assert_eq!(item_name("Jean - Luc"), "Jean-Luc");
        assert_eq!(item_role("captain: retired"), "captain, retired");
    }

    #[test]
    fn counts_words_like_the_quality_metrics() {
        assert_eq!(word_count("It's a dog-eat-dog world, Mara."), 8);
        assert_eq!(word_count("Zoë naïve café"), 3);
        assert_eq!(word_count("  \n "), 0);
    }

    #[test]
    fn splits_sentences_at_terminal_punctuation_and_paragraphs() {
        assert_eq!(
            sentences(
                "\"Run!\" she said. He ran… Then?\n\nA new paragraph without a stop\n\nLast one. 3.5 miles."
            ),
            vec![
                "\"Run!\" she said.",
                "He ran…",
                "Then?",
                "A new paragraph without a stop",
                "Last one.",
                "3.5 miles.",
            ]
        );
        assert!(sentences(" ... \n\n").is_empty());
    }

    #[test]
    fn clips_long_sentences_at_a_word_boundary() {
        assert_eq!(clip_words("one two three four", 2), "one two…");
        assert_eq!(clip_words("one two", 2), "one two");
    }

    #[test]
    fn strips_code_fences_with_or_without_a_language() {
        assert_eq!(strip_code_fence("```json\n{\"a\": 1}\n```"), "{\"a\": 1}");
        assert_eq!(strip_code_fence("```\ntext\n```\n"), "text");
        assert_eq!(strip_code_fence("```\nunterminated"), "unterminated");
        assert_eq!(strip_code_fence(" plain "), "plain");
    }
}
