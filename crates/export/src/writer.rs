//! One writer for any format, for callers that pick the format at run time.

use std::io::Write;

use crate::{
    Book, BookHeader, Chapter, EpubWriter, ExportError, Format, JsonWriter, MarkdownWriter,
};

/// A streaming writer of any [`Format`], with the same three steps as each format's own.
pub enum BookWriter<W: Write> {
    /// Markdown.
    Markdown(MarkdownWriter<W>),
    /// EPUB 3.
    Epub(EpubWriter<W>),
    /// `fabula-book` JSON.
    Json(JsonWriter<W>),
}

impl<W: Write> BookWriter<W> {
    /// Validates `header` and writes everything that comes before the chapters.
    pub fn begin(format: Format, out: W, header: &BookHeader) -> Result<Self, ExportError> {
        Ok(match format {
            Format::Markdown => Self::Markdown(MarkdownWriter::begin(out, header)?),
            Format::Epub => Self::Epub(EpubWriter::begin(out, header)?),
            Format::Json => Self::Json(JsonWriter::begin(out, header)?),
        })
    }

    /// Writes the next chapter (it must be the next one in the contents).
    pub fn chapter(&mut self, chapter: &Chapter) -> Result<(), ExportError> {
        match self {
            Self::Markdown(writer) => writer.chapter(chapter),
            Self::Epub(writer) => writer.chapter(chapter),
            Self::Json(writer) => writer.chapter(chapter),
        }
    }

    /// Ends the export and returns the output; `metadata` is written by JSON only.
    pub fn finish(self, metadata: &serde_json::Value) -> Result<W, ExportError> {
        match self {
            Self::Markdown(writer) => writer.finish(),
            Self::Epub(writer) => writer.finish(),
            Self::Json(writer) => writer.finish(metadata),
        }
    }
}

/// Writes a whole in-memory `book` in `format` to `out` and returns `out`.
pub fn write_book<W: Write>(format: Format, book: &Book, out: W) -> Result<W, ExportError> {
    let mut writer = BookWriter::begin(format, out, &book.header())?;
    for chapter in &book.chapters {
        writer.chapter(chapter)?;
    }
    writer.finish(&book.metadata)
}
