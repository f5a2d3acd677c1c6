//! The quality report of a book: `GET /api/v1/stories/{id}/analysis`.
//!
//! Every chapter's metrics and gate verdict are computed now, over the kept text (the
//! `chapters` rows), with [`fabula_quality::evaluate_book`], the job's thresholds and the
//! story style's dialogue setting, so the report always matches the text a reader gets.
//! Each chapter is planned by the job's outline (beats and word budget; a chapter the
//! outline lacks gets the job's words per chapter and no beats). Next to it are the
//! attempts the quality step recorded (`metadata.quality`: every attempt's headline
//! scores and failures, and which one was kept), then the whole-book metrics and the
//! continuity alerts of `metadata.continuity`.

use fabula_export::Chapter;
use fabula_quality::continuity::ContinuityAlert;
use fabula_quality::{
    BookMetrics, ChapterInput, ChapterReport, DialogueLevel, GateThresholds, evaluate_book,
};
use serde::Serialize;

use super::source::BookSource;
use crate::pipeline::QualityAttempt;

/// The JSON of the analysis route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnalysisView {
    /// The story.
    pub story_id: String,
    /// The job whose book this is.
    pub job_id: String,
    /// The book's title.
    pub title: String,
    /// The slop list the slop index was scored against (e.g. `slop-v1`).
    pub slop_list_version: String,
    /// The story style's dialogue setting the dialogue share is measured against.
    pub dialogue: DialogueLevel,
    /// The job's gate thresholds.
    pub thresholds: GateThresholds,
    /// The revisions a failing chapter was allowed.
    pub max_revisions: u32,
    /// Every chapter, in reading order.
    pub chapters: Vec<ChapterAnalysis>,
    /// Whole-book metrics.
    pub book: BookMetrics,
    /// The chapters whose kept text fails the gate.
    pub failing_chapters: Vec<u32>,
    /// Every continuity alert the quality step raised, in chapter order.
    pub continuity_alerts: Vec<ContinuityAlert>,
}

/// One chapter of the analysis: its report now and its recorded attempts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChapterAnalysis {
    /// The chapter's number.
    pub number: u32,
    /// Its title.
    pub title: String,
    /// Its metrics and gate verdict, over the kept text (`metrics`, `gate`).
    #[serde(flatten)]
    pub report: ChapterReport,
    /// The attempts the quality step recorded, the draft first (empty when the job has
    /// no quality record for the chapter).
    pub attempts: Vec<QualityAttempt>,
    /// The attempt kept as the chapter's text (`None` without a quality record).
    pub kept: Option<u32>,
}

/// The analysis of `source`'s book titled `title`, whose stored `chapters` are in reading
/// order.
pub fn analyse(source: &BookSource<'_>, title: &str, chapters: &[Chapter]) -> AnalysisView {
    let settings = source.spec.quality_settings();
    let inputs: Vec<ChapterInput> = chapters.iter().map(|c| input(source, c)).collect();
    let report = evaluate_book(&inputs, &settings);
    let metadata = source.metadata;
    let analysed = chapters
        .iter()
        .zip(report.chapters)
        .map(|(chapter, report)| {
            let recorded = metadata
                .quality
                .iter()
                .find(|q| q.chapter == chapter.number);
            ChapterAnalysis {
                number: chapter.number,
                title: chapter.title.clone(),
                report,
                attempts: recorded.map(|q| q.attempts.clone()).unwrap_or_default(),
                kept: recorded.map(|q| q.kept),
            }
        })
        .collect();
    AnalysisView {
        story_id: source.story_id.to_owned(),
        job_id: source.job_id.to_string(),
        title: title.to_owned(),
        slop_list_version: report.slop_list_version,
        dialogue: settings.dialogue,
        thresholds: settings.thresholds,
        max_revisions: source.spec.quality.max_revisions,
        chapters: analysed,
        book: report.book,
        failing_chapters: report.failing_chapters,
        continuity_alerts: metadata
            .continuity
            .as_ref()
            .map(|c| c.alerts.clone())
            .unwrap_or_default(),
    }
}

/// What the quality metrics need of one chapter: its text and its plan.
fn input(source: &BookSource<'_>, chapter: &Chapter) -> ChapterInput {
    let plan = source
        .metadata
        .outline
        .as_ref()
        .and_then(|outline| outline.chapter(chapter.number));
    ChapterInput {
        number: chapter.number,
        text: chapter.text.clone(),
        word_budget: plan.map_or(source.spec.generation.words_per_chapter, |p| p.word_budget),
        beats: plan.map(|p| p.beats.clone()).unwrap_or_default(),
    }
}
