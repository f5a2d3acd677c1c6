//! The re-importable JSON export and its import.
//!
//! One document, written chapter by chapter:
//! `{"format":"fabula-book","version":1,"header":{...,"contents":[...]},"chapters":[...],"metadata":...}`.
//! `header` is a [`BookHeader`], each chapter a [`Chapter`], `metadata` any JSON value.

use std::io::{BufReader, Read, Write};

use serde::Deserialize;

use crate::book::ChapterOrder;
use crate::{Book, BookHeader, Chapter, ExportError};

/// The `format` member of every document.
pub const FORMAT_NAME: &str = "fabula-book";
/// The document version this build writes and reads.
pub const FORMAT_VERSION: u64 = 1;

/// Streams a book as a `fabula-book` JSON document: [`JsonWriter::begin`] writes the
/// header, each [`JsonWriter::chapter`] one array element (one `write_all`), and
/// [`JsonWriter::finish`] the metadata and closing brackets.
#[derive(Debug)]
pub struct JsonWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
    order: ChapterOrder,
    first: bool,
}

impl<W: Write> JsonWriter<W> {
    /// Validates `header` and writes the document up to the start of the chapters.
    pub fn begin(mut out: W, header: &BookHeader) -> Result<Self, ExportError> {
        header.validate()?;
        let mut buf =
            format!("{{\"format\":\"{FORMAT_NAME}\",\"version\":{FORMAT_VERSION},\"header\":")
                .into_bytes();
        serde_json::to_writer(&mut buf, header)?;
        buf.extend_from_slice(b",\n\"chapters\":[");
        out.write_all(&buf)?;
        Ok(Self {
            out,
            buf,
            order: ChapterOrder::new(&header.contents),
            first: true,
        })
    }

    /// Writes the next chapter (it must be the next one in the contents).
    pub fn chapter(&mut self, chapter: &Chapter) -> Result<(), ExportError> {
        self.order.accept(chapter.number)?;
        self.buf.clear();
        self.buf
            .extend_from_slice(if self.first { b"\n" } else { b",\n" });
        serde_json::to_writer(&mut self.buf, chapter)?;
        self.out.write_all(&self.buf)?;
        self.first = false;
        Ok(())
    }

    /// Checks that every chapter of the contents was written, writes `metadata` and the
    /// end of the document, flushes, and returns the output.
    pub fn finish(mut self, metadata: &serde_json::Value) -> Result<W, ExportError> {
        self.order.finish()?;
        self.buf.clear();
        self.buf.extend_from_slice(b"\n],\n\"metadata\":");
        serde_json::to_writer(&mut self.buf, metadata)?;
        self.buf.extend_from_slice(b"}\n");
        self.out.write_all(&self.buf)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// A document as read: `format` and `version` first, so a foreign document is reported as
/// such rather than as a missing field.
#[derive(Deserialize)]
struct Document {
    format: String,
    version: u64,
    header: Option<BookHeader>,
    chapters: Option<Vec<Chapter>>,
    #[serde(default)]
    metadata: serde_json::Value,
}

/// Reads a `fabula-book` document (as written by [`JsonWriter`]) back into a [`Book`].
/// Checks the format name and version, the header as [`BookHeader::validate`] does, and
/// that the chapters are exactly those the contents list, in order. Unknown members are
/// ignored. The caller bounds the input size.
pub fn import_json(reader: impl Read) -> Result<Book, ExportError> {
    let document: Document = serde_json::from_reader(BufReader::new(reader))?;
    if document.format != FORMAT_NAME {
        return Err(ExportError::NotABook(document.format));
    }
    if document.version != FORMAT_VERSION {
        return Err(ExportError::UnsupportedVersion(document.version));
    }
    let header = document
        .header
        .ok_or_else(|| ExportError::invalid("header", "is missing"))?;
    let chapters = document
        .chapters
        .ok_or_else(|| ExportError::invalid("chapters", "are missing"))?;
    header.validate()?;
    let mut order = ChapterOrder::new(&header.contents);
    for chapter in &chapters {
        order.accept(chapter.number)?;
    }
    order.finish()?;
    Ok(Book {
        info: header.info,
        chapters,
        metadata: document.metadata,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::BookInfo;
    use crate::book::tests::header;

    fn book() -> Book {
        let h = header();
        Book {
            info: BookInfo {
                subtitle: Some("A \"logline\" \\ with\nbreaks".into()),
                synopsis: Some("One.\n\nTwo.".into()),
                ..h.info
            },
            chapters: vec![
                Chapter {
                    number: 1,
                    title: "One".into(),
                    text: "“Hi,” *she* said.\u{1}\n\n</script> ]]> 😀".into(),
                },
                Chapter {
                    number: 2,
                    title: "Two".into(),
                    text: String::new(),
                },
            ],
            metadata: json!({"bible": {"characters": [{"name": "Ada"}]}, "alerts": []}),
        }
    }

    fn export(book: &Book) -> Vec<u8> {
        let mut writer = JsonWriter::begin(Vec::new(), &book.header()).unwrap();
        for chapter in &book.chapters {
            writer.chapter(chapter).unwrap();
        }
        writer.finish(&book.metadata).unwrap()
    }

    #[test]
    fn round_trips_every_field() {
        let book = book();
        let bytes = export(&book);
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(value["format"], "fabula-book");
        assert_eq!(value["version"], 1);
        assert_eq!(
            value["header"]["contents"][1],
            json!({"number": 2, "title": "Two"})
        );
        assert_eq!(import_json(bytes.as_slice()).unwrap(), book);
    }

    #[test]
    fn an_empty_book_is_valid_json_and_round_trips() {
        let mut book = book();
        book.chapters.clear();
        book.metadata = serde_json::Value::Null;
        let bytes = export(&book);
        assert_eq!(import_json(bytes.as_slice()).unwrap(), book);
    }

    fn import_value(value: serde_json::Value) -> Result<Book, ExportError> {
        import_json(value.to_string().as_bytes())
    }

    #[test]
    fn rejects_foreign_or_newer_documents() {
        let good: serde_json::Value = serde_json::from_slice(&export(&book())).unwrap();
        let mut foreign = good.clone();
        foreign["format"] = json!("other");
        assert!(matches!(import_value(foreign), Err(ExportError::NotABook(f)) if f == "other"));
        let mut newer = good.clone();
        newer["version"] = json!(2);
        assert!(matches!(
            import_value(newer),
            Err(ExportError::UnsupportedVersion(2))
        ));
        assert!(matches!(
            import_json(&b"{\"format\": \"fabula-book\", "[..]),
            Err(ExportError::Json(_))
        ));
        assert!(matches!(
            import_value(json!({"format": "fabula-book", "version": 1})),
            Err(ExportError::InvalidField {
                field: "header",
                ..
            })
        ));
    }

    #[test]
    fn rejects_chapters_that_do_not_match_the_contents() {
        let good: serde_json::Value = serde_json::from_slice(&export(&book())).unwrap();
        let mut missing = good.clone();
        missing["chapters"].as_array_mut().unwrap().pop();
        assert!(matches!(
            import_value(missing),
            Err(ExportError::MissingChapters { next: 2 })
        ));
        let mut swapped = good.clone();
        swapped["chapters"].as_array_mut().unwrap().swap(0, 1);
        assert!(matches!(
            import_value(swapped),
            Err(ExportError::UnexpectedChapter { .. })
        ));
        let mut bad_language = good;
        bad_language["header"]["language"] = json!("not a tag");
        assert!(matches!(
            import_value(bad_language),
            Err(ExportError::InvalidField {
                field: "language",
                ..
            })
        ));
    }
}
