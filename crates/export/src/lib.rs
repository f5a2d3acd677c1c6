//! Book exports: Markdown, EPUB 3 and re-importable JSON, written as streams. Plain Rust, no
//! Spin dependency.
//!
//! Every writer takes any [`std::io::Write`] and works in three steps, so a caller can feed
//! chapters one at a time from a database cursor and never hold the whole book:
//! `begin(out, &header)` with the [`BookHeader`] (descriptive fields plus the chapter
//! numbers and titles, which the table of contents needs up front), `chapter(&chapter)` for
//! each chapter in order, then `finish`. [`BookWriter`] does the same for a [`Format`]
//! chosen at run time; [`write_book`] writes a whole in-memory [`Book`];
//! [`import_json`] reads a JSON export back.

#![warn(missing_docs)]

mod book;
mod epub;
mod error;
mod format;
mod json;
mod markdown;
mod text;
mod writer;
mod xml;

pub use book::{Book, BookHeader, BookInfo, Chapter, ContentsEntry};
pub use epub::EpubWriter;
pub use error::ExportError;
pub use format::Format;
pub use json::{FORMAT_NAME, FORMAT_VERSION, JsonWriter, import_json};
pub use markdown::MarkdownWriter;
pub use writer::{BookWriter, write_book};
