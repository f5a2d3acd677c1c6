//! Markdown snapshots, the JSON round trip of a whole book, and streaming: every format
//! hands its output to the writer chapter by chapter.

mod common;

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;

use common::{bare_book, tricky_book};
use fabula_export::{BookWriter, Chapter, ExportError, Format, import_json, write_book};

fn markdown(book: &fabula_export::Book) -> String {
    String::from_utf8(write_book(Format::Markdown, book, Vec::new()).unwrap()).unwrap()
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!(markdown(&tricky_book()));
}

#[test]
fn bare_markdown_snapshot() {
    insta::assert_snapshot!(markdown(&bare_book()));
}

#[test]
fn json_export_reimports_the_same_book() {
    for book in [tricky_book(), bare_book()] {
        let bytes = write_book(Format::Json, &book, Vec::new()).unwrap();
        assert_eq!(import_json(bytes.as_slice()).unwrap(), book);
    }
}

/// Records every `write` call's bytes as one chunk.
#[derive(Clone, Default)]
struct Recorder(Rc<RefCell<Vec<Vec<u8>>>>);

impl Recorder {
    fn chunks(&self) -> usize {
        self.0.borrow().len()
    }

    fn bytes(&self) -> Vec<u8> {
        self.0.borrow().concat()
    }

    fn contains(&self, needle: &str) -> bool {
        self.bytes()
            .windows(needle.len())
            .any(|window| window == needle.as_bytes())
    }
}

impl Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().push(buf.to_vec());
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A book whose chapters are each a few kilobytes of distinct text.
fn long_book(chapters: u32) -> fabula_export::Book {
    let mut book = tricky_book();
    book.chapters = (1..=chapters)
        .map(|number| Chapter {
            number,
            title: format!("Part {number}"),
            text: (0..60)
                .map(|line| format!("Line {line} of chapter {number}, marker-{number}-{line}."))
                .collect::<Vec<_>>()
                .join("\n\n"),
        })
        .collect();
    book
}

#[test]
fn markdown_and_json_write_each_chapter_as_it_arrives() {
    let book = long_book(5);
    for format in [Format::Markdown, Format::Json] {
        let out = Recorder::default();
        let mut writer = BookWriter::begin(format, out.clone(), &book.header()).unwrap();
        assert!(out.contains("Part 5"), "{format}: contents come first");
        assert!(!out.contains("marker-1-0"), "{format}: no chapter text yet");
        for chapter in &book.chapters {
            let before = out.chunks();
            writer.chapter(chapter).unwrap();
            assert_eq!(out.chunks(), before + 1, "{format}: one write per chapter");
            let n = chapter.number;
            assert!(
                out.contains(&format!("marker-{n}-59")),
                "{format}: chapter {n}"
            );
            assert!(!out.contains(&format!("marker-{}-0", n + 1)), "{format}");
        }
        writer.finish(&book.metadata).unwrap();
    }
}

#[test]
fn epub_hands_on_each_chapter_when_the_next_entry_starts() {
    let book = long_book(6);
    let out = Recorder::default();
    let mut writer = BookWriter::begin(Format::Epub, out.clone(), &book.header()).unwrap();
    assert!(out.contains("mimetype") && out.contains("EPUB/package.opf"));
    let mut sizes = vec![out.bytes().len()];
    for chapter in &book.chapters {
        writer.chapter(chapter).unwrap();
        sizes.push(out.bytes().len());
        // The previous entry (title page or chapter) is out; this one is still held.
        let previous = chapter.number - 1;
        if previous > 0 {
            assert!(out.contains(&format!("EPUB/chapter-{previous}.xhtml")));
        }
        assert!(!out.contains(&format!("EPUB/chapter-{}.xhtml", chapter.number)));
    }
    let epub = writer.finish(&serde_json::Value::Null).unwrap().bytes();
    assert!(
        sizes.is_sorted() && sizes.windows(2).all(|w| w[0] < w[1]),
        "{sizes:?}"
    );
    assert!(
        sizes[1] < epub.len() / 2,
        "the book was written in one piece"
    );
    assert_eq!(epub, write_book(Format::Epub, &book, Vec::new()).unwrap());
}

#[test]
fn every_format_rejects_chapters_that_do_not_match_the_contents() {
    let book = tricky_book();
    for format in Format::ALL {
        let mut writer = BookWriter::begin(format, Vec::new(), &book.header()).unwrap();
        assert!(matches!(
            writer.chapter(&book.chapters[1]),
            Err(ExportError::UnexpectedChapter {
                expected: Some(1),
                found: 2
            })
        ));
        writer.chapter(&book.chapters[0]).unwrap();
        assert!(matches!(
            writer.finish(&book.metadata),
            Err(ExportError::MissingChapters { next: 2 })
        ));
    }
}

#[test]
fn every_format_rejects_an_invalid_header_before_writing() {
    let mut book = tricky_book();
    book.info.modified_at = "last tuesday".into();
    for format in Format::ALL {
        let out = Recorder::default();
        let result = BookWriter::begin(format, out.clone(), &book.header());
        assert!(matches!(
            result,
            Err(ExportError::InvalidField {
                field: "modified_at",
                ..
            })
        ));
        assert_eq!(out.chunks(), 0, "{format}");
    }
}
