//! The book model every writer reads, its validation, and the chapter-order check the
//! writers share.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::ExportError;

/// A whole book: what [`crate::import_json`] returns and what [`crate::write_book`] writes.
/// Exports that stream from a database use [`BookHeader`] and one [`Chapter`] at a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Book {
    /// Title, author, timestamps and the other descriptive fields.
    #[serde(flatten)]
    pub info: BookInfo,
    /// The chapters, in reading order (numbers strictly increasing).
    pub chapters: Vec<Chapter>,
    /// Anything else to carry through a JSON export and re-import unchanged (story bible,
    /// outline, quality report, continuity alerts, ...). Not rendered in Markdown or EPUB.
    #[serde(default)]
    pub metadata: serde_json::Value,
}

/// The descriptive fields of a book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookInfo {
    /// The story id. A UUID becomes the EPUB identifier as is; any other text is mapped to a
    /// stable name-based UUID.
    pub id: String,
    /// The title (must not be blank).
    pub title: String,
    /// A subtitle or logline, shown under the title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    /// The author line (an author or tenant label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// A well-formed BCP 47 language tag; `en` when absent from JSON.
    #[serde(default = "default_language")]
    pub language: String,
    /// The genre, e.g. `science-fiction`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genre: Option<String>,
    /// Back-cover copy; paragraphs separated by blank lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synopsis: Option<String>,
    /// When the story was created (RFC 3339).
    pub created_at: String,
    /// When the story last changed (RFC 3339); the EPUB's `dcterms:modified`.
    pub modified_at: String,
}

fn default_language() -> String {
    "en".to_owned()
}

/// One chapter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chapter {
    /// Its number, from 1.
    pub number: u32,
    /// Its title (may be empty: the heading is then just `Chapter N`).
    pub title: String,
    /// Prose: paragraphs separated by blank lines; `*emphasis*` and `**strong**` are
    /// rendered, and a paragraph of only `*`, `-`, `#` or `~` marks a scene break.
    pub text: String,
}

/// What a streaming writer needs before the first chapter: the descriptive fields and the
/// table of contents (numbers and titles only, cheap to load up front).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookHeader {
    /// Title, author, timestamps and the other descriptive fields.
    #[serde(flatten)]
    pub info: BookInfo,
    /// The chapters that will follow, in order.
    pub contents: Vec<ContentsEntry>,
}

/// One line of the table of contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentsEntry {
    /// The chapter's number.
    pub number: u32,
    /// The chapter's title.
    pub title: String,
}

impl Book {
    /// The header a streaming writer starts from: this book's fields and contents.
    pub fn header(&self) -> BookHeader {
        BookHeader {
            info: self.info.clone(),
            contents: self.chapters.iter().map(ContentsEntry::of).collect(),
        }
    }
}

impl ContentsEntry {
    /// The contents line of `chapter`.
    pub fn of(chapter: &Chapter) -> Self {
        Self {
            number: chapter.number,
            title: chapter.title.clone(),
        }
    }
}

/// Chapter heading text: `Chapter N: Title`, or `Chapter N` when the title is blank.
pub(crate) fn heading(number: u32, title: &str) -> String {
    let title = title.trim();
    if title.is_empty() {
        format!("Chapter {number}")
    } else {
        format!("Chapter {number}: {title}")
    }
}

/// An optional text field with blanks treated as absent.
pub(crate) fn present(field: &Option<String>) -> Option<&str> {
    field.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl BookHeader {
    /// Checks what every format relies on: a non-blank id and title, a well-formed BCP 47
    /// language tag, RFC 3339 timestamps, and chapter numbers from 1, strictly increasing.
    pub fn validate(&self) -> Result<(), ExportError> {
        let info = &self.info;
        if info.id.trim().is_empty() {
            return Err(ExportError::invalid("id", "is blank"));
        }
        if info.title.trim().is_empty() {
            return Err(ExportError::invalid("title", "is blank"));
        }
        oxilangtag::LanguageTag::parse(info.language.as_str()).map_err(|e| {
            ExportError::invalid(
                "language",
                format!("{:?} is not BCP 47: {e}", info.language),
            )
        })?;
        utc_seconds("created_at", &info.created_at)?;
        utc_seconds("modified_at", &info.modified_at)?;
        let mut previous = 0;
        for entry in &self.contents {
            if entry.number <= previous {
                return Err(ExportError::invalid(
                    "contents",
                    format!(
                        "chapter numbers must start at 1 and increase; {} follows {previous}",
                        entry.number
                    ),
                ));
            }
            previous = entry.number;
        }
        Ok(())
    }
}

/// An RFC 3339 timestamp in UTC to whole seconds, `CCYY-MM-DDThh:mm:ssZ` (the form EPUB's
/// `dcterms:modified` requires).
pub(crate) fn utc_seconds(field: &'static str, text: &str) -> Result<String, ExportError> {
    let at = DateTime::parse_from_rfc3339(text.trim())
        .map_err(|e| ExportError::invalid(field, format!("{text:?} is not RFC 3339: {e}")))?;
    Ok(at
        .with_timezone(&Utc)
        .to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// Tracks that chapters arrive exactly as the contents list them.
#[derive(Debug)]
pub(crate) struct ChapterOrder {
    numbers: Vec<u32>,
    next: usize,
}

impl ChapterOrder {
    /// Expects the chapters of `contents`, in order.
    pub(crate) fn new(contents: &[ContentsEntry]) -> Self {
        Self {
            numbers: contents.iter().map(|entry| entry.number).collect(),
            next: 0,
        }
    }

    /// Accepts chapter `number` if it is the next one expected.
    pub(crate) fn accept(&mut self, number: u32) -> Result<(), ExportError> {
        let expected = self.numbers.get(self.next).copied();
        if expected != Some(number) {
            return Err(ExportError::UnexpectedChapter {
                expected,
                found: number,
            });
        }
        self.next += 1;
        Ok(())
    }

    /// Fails if a chapter of the contents was never accepted.
    pub(crate) fn finish(&self) -> Result<(), ExportError> {
        match self.numbers.get(self.next) {
            Some(&next) => Err(ExportError::MissingChapters { next }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small valid header with chapters 1 and 2.
    pub(crate) fn header() -> BookHeader {
        BookHeader {
            info: BookInfo {
                id: "0190f5a0-0000-7000-8000-000000000001".into(),
                title: "The Salt Road".into(),
                subtitle: None,
                author: None,
                language: "en".into(),
                genre: None,
                synopsis: None,
                created_at: "2025-01-31T12:00:00.000Z".into(),
                modified_at: "2025-02-01T08:30:00+01:00".into(),
            },
            contents: vec![
                ContentsEntry {
                    number: 1,
                    title: "One".into(),
                },
                ContentsEntry {
                    number: 2,
                    title: "Two".into(),
                },
            ],
        }
    }

    #[test]
    fn a_valid_header_passes() {
        header().validate().unwrap();
    }

    #[test]
    fn rejects_blank_title_bad_language_bad_timestamps_and_bad_numbering() {
        type Breaker = fn(&mut BookHeader);
        let cases: [(&str, Breaker); 6] = [
            ("title", |h| h.info.title = "  ".into()),
            ("id", |h| h.info.id = String::new()),
            ("language", |h| h.info.language = "english please".into()),
            ("created_at", |h| h.info.created_at = "yesterday".into()),
            ("modified_at", |h| {
                h.info.modified_at = "2025-13-01T00:00:00Z".into()
            }),
            ("contents", |h| h.contents[1].number = 1),
        ];
        for (field, break_it) in cases {
            let mut h = header();
            break_it(&mut h);
            match h.validate() {
                Err(ExportError::InvalidField { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        let mut zero = header();
        zero.contents[0].number = 0;
        assert!(zero.validate().is_err());
    }

    #[test]
    fn modified_time_is_converted_to_utc_seconds() {
        assert_eq!(
            utc_seconds("modified_at", "2025-02-01T08:30:00.999+01:00").unwrap(),
            "2025-02-01T07:30:00Z"
        );
    }

    #[test]
    fn json_defaults_language_to_en_and_omits_absent_fields() {
        let info: BookInfo = serde_json::from_str(
            r#"{"id":"x","title":"T","created_at":"2025-01-01T00:00:00Z","modified_at":"2025-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(info.language, "en");
        let json = serde_json::to_string(&info).unwrap();
        assert!(!json.contains("subtitle"), "{json}");
    }

    #[test]
    fn chapter_order_follows_the_contents() {
        let mut order = ChapterOrder::new(&header().contents);
        assert!(matches!(
            order.accept(2),
            Err(ExportError::UnexpectedChapter {
                expected: Some(1),
                found: 2
            })
        ));
        order.accept(1).unwrap();
        assert!(matches!(
            order.finish(),
            Err(ExportError::MissingChapters { next: 2 })
        ));
        order.accept(2).unwrap();
        order.finish().unwrap();
        assert!(matches!(
            order.accept(3),
            Err(ExportError::UnexpectedChapter {
                expected: None,
                found: 3
            })
        ));
    }

    #[test]
    fn headings_drop_a_blank_title() {
        assert_eq!(heading(3, " The Storm "), "Chapter 3: The Storm");
        assert_eq!(heading(4, " "), "Chapter 4");
    }
}
