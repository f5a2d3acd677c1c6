//! The Markdown export: a title page, a linked table of contents, then the chapters as
//! `## Chapter N: Title`, written one chapter at a time.
//!
//! Output is CommonMark. Prose is escaped so that only the story's own `*emphasis*` and
//! `**strong**` become markup: a paragraph starting with `- `, `1984. ` or `#` stays a
//! paragraph. Each chapter heading is preceded by an `<a id="chapter-N"></a>` anchor, which
//! the contents link to, so links work whatever heading ids a renderer generates.

use std::io::Write;

use crate::book::{ChapterOrder, heading, present};
use crate::text::{Block, Style, blocks, is_allowed, spans};
use crate::{BookHeader, Chapter, ExportError};

/// Streams a book as Markdown: [`MarkdownWriter::begin`] writes the title page and
/// contents, each [`MarkdownWriter::chapter`] writes one chapter in a single `write_all`,
/// and [`MarkdownWriter::finish`] checks that every chapter came and flushes.
#[derive(Debug)]
pub struct MarkdownWriter<W: Write> {
    out: W,
    buf: String,
    order: ChapterOrder,
}

impl<W: Write> MarkdownWriter<W> {
    /// Validates `header` and writes the title page (title, subtitle, author, synopsis)
    /// and the table of contents.
    pub fn begin(mut out: W, header: &BookHeader) -> Result<Self, ExportError> {
        header.validate()?;
        let info = &header.info;
        let mut buf = String::new();
        buf.push_str("# ");
        escape_inline(&mut buf, info.title.trim());
        buf.push_str("\n\n");
        if let Some(subtitle) = present(&info.subtitle) {
            buf.push('*');
            escape_inline(&mut buf, subtitle);
            buf.push_str("*\n\n");
        }
        if let Some(author) = present(&info.author) {
            buf.push_str("by ");
            escape_inline(&mut buf, author);
            buf.push_str("\n\n");
        }
        if let Some(synopsis) = present(&info.synopsis) {
            buf.push_str("## Synopsis\n\n");
            push_blocks(&mut buf, synopsis);
        }
        if !header.contents.is_empty() {
            buf.push_str("## Contents\n\n");
            for entry in &header.contents {
                buf.push_str("- [");
                escape_inline(&mut buf, &heading(entry.number, &entry.title));
                buf.push_str(&format!("](#{})\n", anchor(entry.number)));
            }
            buf.push('\n');
        }
        out.write_all(buf.as_bytes())?;
        Ok(Self {
            out,
            buf,
            order: ChapterOrder::new(&header.contents),
        })
    }

    /// Writes the next chapter (it must be the next one in the contents).
    pub fn chapter(&mut self, chapter: &Chapter) -> Result<(), ExportError> {
        self.order.accept(chapter.number)?;
        let buf = &mut self.buf;
        buf.clear();
        buf.push_str(&format!("<a id=\"{}\"></a>\n\n## ", anchor(chapter.number)));
        escape_inline(buf, &heading(chapter.number, &chapter.title));
        buf.push_str("\n\n");
        push_blocks(buf, &chapter.text);
        self.out.write_all(buf.as_bytes())?;
        Ok(())
    }

    /// Checks that every chapter of the contents was written, flushes, and returns the
    /// output.
    pub fn finish(mut self) -> Result<W, ExportError> {
        self.order.finish()?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The anchor id of chapter `number`, which the contents link to.
fn anchor(number: u32) -> String {
    format!("chapter-{number}")
}

/// Appends prose as Markdown paragraphs and scene breaks, each followed by a blank line.
fn push_blocks(buf: &mut String, text: &str) {
    for block in blocks(text) {
        match block {
            Block::SceneBreak => buf.push_str("* * *\n\n"),
            Block::Paragraph(paragraph) => {
                let start = buf.len();
                for (style, span) in spans(&paragraph) {
                    let mark = match style {
                        Style::Plain => "",
                        Style::Emphasis => "*",
                        Style::Strong => "**",
                    };
                    buf.push_str(mark);
                    escape_inline(buf, span);
                    buf.push_str(mark);
                }
                escape_block_start(buf, start);
                buf.push_str("\n\n");
            }
        }
    }
}

/// Appends `text` with every character that could start inline markup backslash-escaped
/// (and `&` only where it would start an entity reference); control characters dropped.
fn escape_inline(buf: &mut String, text: &str) {
    for (i, c) in text.char_indices() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '~' | '|' => {
                buf.push('\\');
                buf.push(c);
            }
            '&' if starts_entity(&text[i + 1..]) => buf.push_str("\\&"),
            '\n' | '\r' | '\t' => buf.push(' '),
            c if is_allowed(c) => buf.push(c),
            _ => {}
        }
    }
}

/// Whether text after an `&` would make it an entity reference (`&amp;`, `&#38;`).
fn starts_entity(rest: &str) -> bool {
    let body = rest.strip_prefix('#').unwrap_or(rest);
    let len = body.chars().take_while(char::is_ascii_alphanumeric).count();
    len > 0 && body[len..].starts_with(';')
}

/// Escapes what would make the paragraph starting at `buf[start..]` a list item:
/// `- `, `+ `, `1. `, `1) ` (other block starters are escaped inline).
fn escape_block_start(buf: &mut String, start: usize) {
    let paragraph = &buf[start..];
    let rest_is_gap = |at: usize| paragraph[at..].chars().next().is_none_or(|c| c == ' ');
    if paragraph.starts_with(['-', '+']) && rest_is_gap(1) {
        buf.insert(start, '\\');
        return;
    }
    let digits = paragraph.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits)
        && paragraph[digits..].starts_with(['.', ')'])
        && rest_is_gap(digits + 1)
    {
        buf.insert(start + digits, '\\');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::tests::header;
    use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

    fn render(text: &str) -> String {
        let mut buf = String::new();
        push_blocks(&mut buf, text);
        buf
    }

    /// The text a CommonMark reader sees, with emphasis shown as `<em>`/`<strong>`.
    fn rendered_text(markdown: &str) -> String {
        let mut seen = String::new();
        for event in Parser::new(markdown) {
            match event {
                Event::Text(t) => seen.push_str(&t),
                Event::Start(Tag::Emphasis) => seen.push_str("<em>"),
                Event::End(TagEnd::Emphasis) => seen.push_str("</em>"),
                Event::Start(Tag::Strong) => seen.push_str("<strong>"),
                Event::End(TagEnd::Strong) => seen.push_str("</strong>"),
                Event::Start(Tag::Paragraph) | Event::End(TagEnd::Paragraph) => {}
                Event::Rule => seen.push_str("<hr>"),
                Event::SoftBreak => seen.push(' '),
                other => seen.push_str(&format!("<{other:?}>")),
            }
        }
        seen
    }

    #[test]
    fn prose_that_looks_like_markdown_stays_prose() {
        let text = "- not a list\n\n1984. A year.\n\n# not a heading\n\n> not a quote\n\n\
                    `code` <b>html</b> [link](x) _under_ ~~strike~~ a|b &amp; \\ 5 * 3\n\n\
                    + plus\n\n2) two";
        let seen = rendered_text(&render(text));
        assert_eq!(
            seen,
            "- not a list1984. A year.# not a heading> not a quote\
             `code` <b>html</b> [link](x) _under_ ~~strike~~ a|b &amp; \\ 5 * 3\
             + plus2) two"
        );
    }

    #[test]
    fn story_emphasis_becomes_markdown_emphasis() {
        let seen = rendered_text(&render(
            "She *whispered* “**run**,” and *“go!”* — *a [b] c*.\n\n* * *\n\nAfter.",
        ));
        assert_eq!(
            seen,
            "She <em>whispered</em> “<strong>run</strong>,” and <em>“go!”</em> — \
             <em>a [b] c</em>.<hr>After."
        );
    }

    #[test]
    fn contents_link_to_anchors_that_precede_each_heading() {
        let mut out = MarkdownWriter::begin(Vec::new(), &header()).unwrap();
        for (number, title) in [(1, "One"), (2, "Two")] {
            out.chapter(&Chapter {
                number,
                title: title.into(),
                text: "Text.".into(),
            })
            .unwrap();
        }
        let markdown = String::from_utf8(out.finish().unwrap()).unwrap();
        let mut links = Vec::new();
        let mut anchors = Vec::new();
        let mut headings = Vec::new();
        let mut in_heading = false;
        for event in Parser::new(&markdown) {
            match event {
                Event::Start(Tag::Link { dest_url, .. }) => links.push(dest_url.to_string()),
                Event::Html(html) | Event::InlineHtml(html) => {
                    if let Some(id) = html.trim().strip_prefix("<a id=\"") {
                        anchors.push(format!("#{}", id.split('"').next().unwrap()));
                    }
                }
                Event::Start(Tag::Heading {
                    level: HeadingLevel::H2,
                    ..
                }) => in_heading = true,
                Event::Text(t) if in_heading => headings.push(t.to_string()),
                Event::End(TagEnd::Heading(_)) => in_heading = false,
                _ => {}
            }
        }
        assert_eq!(links, ["#chapter-1", "#chapter-2"]);
        assert_eq!(anchors, links);
        assert_eq!(headings, ["Contents", "Chapter 1: One", "Chapter 2: Two"]);
    }

    #[test]
    fn chapters_must_follow_the_contents() {
        let mut out = MarkdownWriter::begin(Vec::new(), &header()).unwrap();
        let two = Chapter {
            number: 2,
            title: "Two".into(),
            text: String::new(),
        };
        assert!(matches!(
            out.chapter(&two),
            Err(ExportError::UnexpectedChapter { .. })
        ));
        assert!(matches!(
            out.finish(),
            Err(ExportError::MissingChapters { next: 1 })
        ));
    }

    #[test]
    fn ampersands_render_literally_and_stay_readable() {
        let text = "R&D &amp; &#169; &#x41; & &x";
        let mut buf = String::new();
        escape_inline(&mut buf, text);
        assert_eq!(rendered_text(&buf), text);
        assert!(buf.starts_with("R&D \\&amp;"), "{buf}");
    }
}
