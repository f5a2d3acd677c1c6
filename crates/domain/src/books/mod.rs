//! Books: what the analysis and export routes make of a completed generation job.
//!
//! A story's *book* is the manuscript of one completed job: by default the story's newest
//! completed job, or the one a caller names with `?job_id=`. Everything here is pure: the
//! Spin side reads the rows (story, job, chapters, manuscript) and hands them over.
//!
//! - [`analyse`]: the quality report served by `GET /api/v1/stories/{id}/analysis`: every
//!   chapter's metrics and gate verdict, computed now over the kept text with the job's
//!   thresholds and the story style's dialogue setting, next to the attempts the quality
//!   step recorded, the whole-book metrics and the continuity alerts.
//! - [`BookDetails`], [`book_header`], [`export_metadata`] and [`book`]: what the exports
//!   of `GET /api/v1/stories/{id}/export` are written from.
//! - [`AnalysisQuery`] and [`ExportQuery`]: the routes' query strings.
//! - [`BookError`]: every way a book request fails, with its HTTP status and code.

mod analysis;
mod error;
mod export;
#[cfg(test)]
mod hand_made;
mod query;
mod source;

pub use analysis::{AnalysisView, ChapterAnalysis, analyse};
pub use error::BookError;
pub use export::{BookDetails, ExportMetadata, book, book_header, export_metadata};
pub use query::{AnalysisQuery, ExportQuery, accepted_formats};
pub use source::{BookSource, check_requested_job};
