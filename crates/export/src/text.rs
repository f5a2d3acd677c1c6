//! Chapter prose as blocks (paragraphs, scene breaks) and inline spans (plain, `*emphasis*`,
//! `**strong**`), shared by the Markdown and XHTML renderers so both show the same thing.

/// A block of prose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Block {
    /// One paragraph, its lines joined by single spaces, control characters removed.
    Paragraph(String),
    /// A scene break: a paragraph made only of `*`, `-`, `#` or `~` marks.
    SceneBreak,
}

/// How a span of a paragraph is styled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Plain text (may contain literal asterisks).
    Plain,
    /// `*emphasis*`.
    Emphasis,
    /// `**strong**`.
    Strong,
}

/// Whether `c` may appear in output text: everything but control characters (tab, line
/// feed and carriage return excepted) and the non-characters U+FFFE and U+FFFF, which XML
/// forbids.
pub(crate) fn is_allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || !(c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}')
}

/// Splits prose into blocks: paragraphs are separated by blank lines (whitespace only),
/// CRLF or LF line ends; tabs and stray carriage returns become spaces.
pub(crate) fn blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut paragraph = String::new();
    for line in text.split('\n') {
        let line = clean_line(line);
        if line.is_empty() {
            push_block(&mut blocks, &mut paragraph);
            continue;
        }
        if !paragraph.is_empty() {
            paragraph.push(' ');
        }
        paragraph.push_str(&line);
    }
    push_block(&mut blocks, &mut paragraph);
    blocks
}

/// A line without control characters, tabs and carriage returns made spaces, trimmed.
fn clean_line(line: &str) -> String {
    let cleaned: String = line
        .chars()
        .filter_map(|c| match c {
            '\t' | '\r' => Some(' '),
            c if is_allowed(c) => Some(c),
            _ => None,
        })
        .collect();
    cleaned.trim().to_owned()
}

fn push_block(blocks: &mut Vec<Block>, paragraph: &mut String) {
    if paragraph.is_empty() {
        return;
    }
    let text = std::mem::take(paragraph);
    let is_break = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .all(|c| matches!(c, '*' | '-' | '#' | '~'));
    blocks.push(if is_break {
        Block::SceneBreak
    } else {
        Block::Paragraph(text)
    });
}

/// Splits a paragraph into styled spans. A run of one (two) asterisks followed by a
/// non-space opens emphasis (strong) that the next run of exactly as many asterisks after
/// a non-space closes; anything unmatched stays literal. Spans do not nest.
pub(crate) fn spans(paragraph: &str) -> Vec<(Style, &str)> {
    let bytes = paragraph.as_bytes();
    let mut spans = Vec::new();
    let mut plain_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'*' {
            i += 1;
            continue;
        }
        let run = asterisk_run(bytes, i);
        let after = i + run;
        let style = match run {
            1 => Style::Emphasis,
            2 => Style::Strong,
            _ => {
                i = after;
                continue;
            }
        };
        let opens = paragraph[after..]
            .chars()
            .next()
            .is_some_and(|c| !c.is_whitespace());
        if let Some(close) = opens.then(|| closing_run(paragraph, after, run)).flatten() {
            if plain_start < i {
                spans.push((Style::Plain, &paragraph[plain_start..i]));
            }
            spans.push((style, &paragraph[after..close]));
            i = close + run;
            plain_start = i;
        } else {
            i = after;
        }
    }
    if plain_start < bytes.len() {
        spans.push((Style::Plain, &paragraph[plain_start..]));
    }
    spans
}

/// Prose as plain text: paragraphs without emphasis marks, separated by blank lines;
/// scene breaks dropped. For metadata fields such as the EPUB description.
pub(crate) fn plain(text: &str) -> String {
    let paragraphs: Vec<String> = blocks(text)
        .into_iter()
        .filter_map(|block| match block {
            Block::Paragraph(paragraph) => {
                Some(spans(&paragraph).into_iter().map(|(_, s)| s).collect())
            }
            Block::SceneBreak => None,
        })
        .collect();
    paragraphs.join("\n\n")
}

fn asterisk_run(bytes: &[u8], start: usize) -> usize {
    bytes[start..].iter().take_while(|&&b| b == b'*').count()
}

/// The start of the first run of exactly `run` asterisks after `from` that follows a
/// non-space character.
fn closing_run(paragraph: &str, from: usize, run: usize) -> Option<usize> {
    let bytes = paragraph.as_bytes();
    let mut j = from;
    while j < bytes.len() {
        if bytes[j] != b'*' {
            j += 1;
            continue;
        }
        let len = asterisk_run(bytes, j);
        let after_text = paragraph[..j]
            .chars()
            .next_back()
            .is_some_and(|c| !c.is_whitespace());
        if len == run && j > from && after_text {
            return Some(j);
        }
        j += len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use Style::*;

    fn paragraphs(text: &str) -> Vec<String> {
        blocks(text)
            .into_iter()
            .map(|b| match b {
                Block::Paragraph(p) => p,
                Block::SceneBreak => "<break>".into(),
            })
            .collect()
    }

    #[test]
    fn paragraphs_split_on_blank_lines_and_join_wrapped_lines() {
        let text = "  First line\r\nstill first.\r\n\r\n \t \nSecond.\n\n\n* * *\n\nThird\tone.\n";
        assert_eq!(
            paragraphs(text),
            [
                "First line still first.",
                "Second.",
                "<break>",
                "Third one."
            ]
        );
        assert!(blocks("\n \n").is_empty());
    }

    #[test]
    fn control_characters_are_removed() {
        assert_eq!(
            paragraphs("a\u{0}b\u{7}c\u{1b}[0m\u{85}d\u{FFFF}e"),
            ["abc[0mde"]
        );
        assert!(is_allowed('\n') && is_allowed('é') && !is_allowed('\u{c}'));
    }

    #[test]
    fn plain_text_drops_marks_and_breaks() {
        assert_eq!(
            plain("A *bold*\nline.\n\n***\n\n**B** 5 * 3"),
            "A bold line.\n\nB 5 * 3"
        );
    }

    #[test]
    fn scene_break_marks() {
        for mark in ["***", "* * *", "#", "---", "~ ~ ~"] {
            assert_eq!(blocks(mark), [Block::SceneBreak], "{mark}");
        }
        assert_eq!(paragraphs("- yes"), ["- yes"]);
    }

    #[test]
    fn emphasis_and_strong_spans() {
        assert_eq!(
            spans("She said *never* and **meant** it."),
            [
                (Plain, "She said "),
                (Emphasis, "never"),
                (Plain, " and "),
                (Strong, "meant"),
                (Plain, " it.")
            ]
        );
        assert_eq!(spans("*all of it*"), [(Emphasis, "all of it")]);
    }

    #[test]
    fn unmatched_or_spaced_asterisks_stay_literal() {
        for text in ["5 * 3 = 15", "a *b", "a* b*", "* not", "***x***", "**"] {
            assert_eq!(spans(text), [(Plain, text)], "{text}");
        }
        assert_eq!(
            spans("x *a **b** c* y"),
            [(Plain, "x "), (Emphasis, "a **b** c"), (Plain, " y")]
        );
        assert_eq!(spans("*é* ü"), [(Emphasis, "é"), (Plain, " ü")]);
    }
}
