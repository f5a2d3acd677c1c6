//! What a book export is written from: the title page fields ([`BookDetails`]), the
//! streaming writers' header ([`book_header`]), the re-import metadata
//! ([`export_metadata`]) and, for callers that hold every chapter, the whole [`Book`].

use fabula_export::{Book, BookHeader, BookInfo, Chapter, ContentsEntry};
use serde::{Deserialize, Serialize};

use super::source::BookSource;
use crate::pipeline::{JobId, JobMetadata, JobSpec, ManuscriptView};
use crate::time::Timestamp;

/// The language of every generated book (prompts are written in English).
const LANGUAGE: &str = "en";

/// The descriptive fields of a book that come from its story and manuscript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookDetails {
    /// The manuscript's title, or the story's when the manuscript has none.
    pub title: String,
    /// The manuscript's back-cover copy, if any.
    pub synopsis: Option<String>,
    /// When the story was created.
    pub created_at: Timestamp,
    /// When the book last changed: the job's completion (or the manuscript's assembly).
    pub modified_at: Timestamp,
}

impl BookDetails {
    /// The details of a book of the story titled `story_title` (created at
    /// `story_created_at`) from a job that completed at `finished_at` with `manuscript`.
    pub fn new(
        story_title: &str,
        story_created_at: Timestamp,
        manuscript: Option<&ManuscriptView>,
        finished_at: Option<Timestamp>,
    ) -> Self {
        let title = manuscript
            .map(|m| m.title.trim())
            .filter(|t| !t.is_empty())
            .unwrap_or(story_title.trim())
            .to_owned();
        let synopsis = manuscript
            .map(|m| m.synopsis.trim())
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let modified_at = finished_at
            .or(manuscript.map(|m| m.created_at))
            .unwrap_or(story_created_at);
        Self {
            title,
            synopsis,
            created_at: story_created_at,
            modified_at,
        }
    }
}

/// The metadata a JSON export carries so the book can be re-imported with its history:
/// the story and job it came from, the job's spec, and the job's metadata (premise
/// analysis, outline, story bible, continuity ledger and alerts, quality attempts,
/// decisions, warnings) flattened next to them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportMetadata {
    /// The story.
    pub story_id: String,
    /// The job whose book this is.
    pub job_id: JobId,
    /// When the job completed.
    pub finished_at: Option<Timestamp>,
    /// What the job generated.
    pub spec: JobSpec,
    /// What the job established.
    #[serde(flatten)]
    pub job: JobMetadata,
}

/// The descriptive fields of `source`'s book: the story id, the title, the premise
/// analysis's logline as subtitle, the genre and the synopsis.
fn book_info(source: &BookSource<'_>, details: &BookDetails) -> BookInfo {
    let subtitle = source
        .metadata
        .premise_analysis
        .as_ref()
        .map(|a| a.logline.trim())
        .filter(|l| !l.is_empty())
        .map(str::to_owned);
    let genre = source.spec.generation.genre.trim();
    BookInfo {
        id: source.story_id.to_owned(),
        title: details.title.clone(),
        subtitle,
        author: None,
        language: LANGUAGE.to_owned(),
        genre: (!genre.is_empty()).then(|| genre.to_owned()),
        synopsis: details.synopsis.clone(),
        created_at: details.created_at.to_string(),
        modified_at: details.modified_at.to_string(),
    }
}

/// The header a streaming export starts from: the book's fields and its `contents`
/// (every chapter's number and title, in order).
pub fn book_header(
    source: &BookSource<'_>,
    details: &BookDetails,
    contents: Vec<ContentsEntry>,
) -> BookHeader {
    BookHeader {
        info: book_info(source, details),
        contents,
    }
}

/// The metadata member of a JSON export of `source`'s book ([`ExportMetadata`]).
pub fn export_metadata(source: &BookSource<'_>) -> serde_json::Value {
    let metadata = ExportMetadata {
        story_id: source.story_id.to_owned(),
        job_id: source.job_id,
        finished_at: source.finished_at,
        spec: source.spec.clone(),
        job: source.metadata.clone(),
    };
    // Plain data with string keys: serialisation cannot fail.
    serde_json::to_value(metadata).unwrap_or_default()
}

/// The whole book of `source` with its stored `chapters` (in reading order).
pub fn book(source: &BookSource<'_>, details: &BookDetails, chapters: Vec<Chapter>) -> Book {
    Book {
        info: book_info(source, details),
        chapters,
        metadata: export_metadata(source),
    }
}
