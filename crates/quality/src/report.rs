//! Chapter and book reports: every metric, rounded for JSON, plus the gate's verdict.
//!
//! Rounding happens once, when a report is built, and the gate checks the rounded values,
//! so a report never shows a value that contradicts its own verdict. Shares and Self-BLEU
//! keep [`RATIO_PLACES`] decimals; the slop index and the length score keep
//! [`SCORE_PLACES`].
//!
//! Whole-book metrics: distinct-n/rep-n pool the chapters' n-grams (no n-gram spans two
//! chapters); cross-chapter rep-4 pools chapters 2..K (seen / total 4-gram occurrences,
//! `None` for a one-chapter book); Self-BLEU-4 takes chapters as units; the slop index,
//! dialogue share and beat adherence are computed over all chapters together; the length
//! score compares all words with the sum of the budgets.

use serde::{Deserialize, Serialize};

use crate::adherence::{Adherence, BeatMatch, beat_adherence};
use crate::dialogue::{DialogueLevel, DialogueSignal, QuotedWords, quoted_words};
use crate::distinct::{
    CrossChapterRepeat, Diversity, RepeatedNgram, cross_chapter_rep_4, repeated_ngrams,
};
use crate::gate::{GateResult, GateThresholds, check};
use crate::length::LengthCheck;
use crate::self_bleu::self_bleu_4;
use crate::slop::{SlopList, SlopScore};
use crate::tokenize::{sentences, words};

/// Decimals kept for shares and Self-BLEU.
pub const RATIO_PLACES: u32 = 4;
/// Decimals kept for the slop index and the length score.
pub const SCORE_PLACES: u32 = 2;
/// Repeated 4-grams listed per report.
const TOP_REPEATED: usize = 5;

/// One chapter to evaluate: its text and what its plan asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChapterInput {
    /// 1-based chapter number.
    pub number: u32,
    /// The chapter's prose.
    pub text: String,
    /// The planned length in words (0 = no budget).
    pub word_budget: u32,
    /// The planned beats, in order.
    pub beats: Vec<String>,
}

/// What a story asks of its chapters: its dialogue setting and gate thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct QualitySettings {
    /// The story's dialogue setting.
    pub dialogue: DialogueLevel,
    /// The gate's thresholds.
    pub thresholds: GateThresholds,
}

/// Every metric of one chapter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChapterMetrics {
    /// Chapter number.
    pub number: u32,
    /// Words (lowercase `\w+` tokens).
    pub words: usize,
    /// distinct-1..4 and rep-1..4.
    pub diversity: Diversity,
    /// The most repeated 4-grams of the chapter.
    pub top_repeated_4grams: Vec<RepeatedNgram>,
    /// 4-grams already used in earlier chapters.
    pub cross_chapter: CrossChapterRepeat,
    /// Self-BLEU-4 with the chapter's sentences as units.
    pub self_bleu_4_sentences: Option<f64>,
    /// Slop index.
    pub slop: SlopScore,
    /// Length against the budget.
    pub length: LengthCheck,
    /// Which beats appear.
    pub adherence: Adherence,
    /// Dialogue balance against the story's setting.
    pub dialogue: DialogueSignal,
}

/// A chapter's metrics and the gate's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChapterReport {
    /// The metrics.
    pub metrics: ChapterMetrics,
    /// Pass/fail with concrete failure messages.
    pub gate: GateResult,
}

/// Whole-book metrics (see the module doc for how chapters are pooled).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookMetrics {
    /// Number of chapters.
    pub chapters: usize,
    /// Words in all chapters.
    pub words: usize,
    /// distinct-1..4 and rep-1..4 over the book.
    pub diversity: Diversity,
    /// The most repeated 4-grams of the book.
    pub top_repeated_4grams: Vec<RepeatedNgram>,
    /// Pooled cross-chapter rep-4 of chapters 2..K.
    pub cross_chapter_rep_4: Option<f64>,
    /// Self-BLEU-4 with chapters as units (lower = chapters less alike).
    pub self_bleu_4_chapters: Option<f64>,
    /// Slop index of the book.
    pub slop: SlopScore,
    /// Total words against the sum of the budgets.
    pub length: LengthCheck,
    /// Beats found in all chapters / checkable beats.
    pub beat_adherence: Option<f64>,
    /// Dialogue balance of the book.
    pub dialogue: DialogueSignal,
}

/// The quality report of a book: every chapter plus the whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookReport {
    /// Version of the slop list used.
    pub slop_list_version: String,
    /// Chapter reports in reading order.
    pub chapters: Vec<ChapterReport>,
    /// Whole-book metrics.
    pub book: BookMetrics,
    /// Numbers of the chapters that failed their gate.
    pub failing_chapters: Vec<u32>,
}

/// Evaluates one chapter; `earlier` are the texts of the chapters before it, in order.
pub fn evaluate_chapter(
    chapter: &ChapterInput,
    earlier: &[&str],
    settings: &QualitySettings,
) -> ChapterReport {
    let tokens = words(&chapter.text);
    let earlier_tokens: Vec<Vec<String>> = earlier.iter().map(|t| words(t)).collect();
    let earlier_refs: Vec<&[String]> = earlier_tokens.iter().map(Vec::as_slice).collect();
    chapter_report(chapter, &tokens, &earlier_refs, settings)
}

/// Evaluates a whole book; `chapters` are in reading order.
pub fn evaluate_book(chapters: &[ChapterInput], settings: &QualitySettings) -> BookReport {
    let tokens: Vec<Vec<String>> = chapters.iter().map(|c| words(&c.text)).collect();
    let units: Vec<&[String]> = tokens.iter().map(Vec::as_slice).collect();
    let reports: Vec<ChapterReport> = chapters
        .iter()
        .enumerate()
        .map(|(i, c)| chapter_report(c, units[i], &units[..i], settings))
        .collect();
    let book = book_metrics(chapters, &units, &reports, settings);
    BookReport {
        slop_list_version: SlopList::builtin().version().to_owned(),
        failing_chapters: reports
            .iter()
            .filter(|r| !r.gate.passed)
            .map(|r| r.metrics.number)
            .collect(),
        chapters: reports,
        book,
    }
}

fn chapter_report(
    chapter: &ChapterInput,
    tokens: &[String],
    earlier: &[&[String]],
    settings: &QualitySettings,
) -> ChapterReport {
    let sentence_tokens: Vec<Vec<String>> =
        sentences(&chapter.text).into_iter().map(words).collect();
    let sentence_units: Vec<&[String]> = sentence_tokens.iter().map(Vec::as_slice).collect();
    let mut cross = cross_chapter_rep_4(tokens, earlier);
    cross.share = ratio(cross.share);
    let metrics = ChapterMetrics {
        number: chapter.number,
        words: tokens.len(),
        diversity: Diversity::of(&[tokens]).rounded(RATIO_PLACES),
        top_repeated_4grams: repeated_ngrams(&[tokens], 4, TOP_REPEATED),
        cross_chapter: cross,
        self_bleu_4_sentences: ratio(self_bleu_4(&sentence_units)),
        slop: slop(&[tokens]),
        length: length(chapter.word_budget, tokens.len()),
        adherence: adherence(beat_adherence(&chapter.beats, &chapter.text)),
        dialogue: dialogue(quoted_words(&chapter.text), settings),
    };
    let gate = check(&metrics, &settings.thresholds);
    ChapterReport { metrics, gate }
}

fn book_metrics(
    chapters: &[ChapterInput],
    units: &[&[String]],
    reports: &[ChapterReport],
    settings: &QualitySettings,
) -> BookMetrics {
    let words: usize = units.iter().map(|u| u.len()).sum();
    let budget = chapters
        .iter()
        .fold(0u32, |sum, c| sum.saturating_add(c.word_budget));
    let later = reports.iter().skip(1).map(|r| &r.metrics.cross_chapter);
    let (seen, total) = later.fold((0, 0), |(s, t), c| (s + c.seen, t + c.total));
    let beats: Vec<BeatMatch> = reports
        .iter()
        .flat_map(|r| r.metrics.adherence.beats.iter().cloned())
        .collect();
    let quoted = reports
        .iter()
        .map(|r| r.metrics.dialogue.quoted_words)
        .sum();
    BookMetrics {
        chapters: chapters.len(),
        words,
        diversity: Diversity::of(units).rounded(RATIO_PLACES),
        top_repeated_4grams: repeated_ngrams(units, 4, TOP_REPEATED),
        cross_chapter_rep_4: ratio((total > 0).then(|| seen as f64 / total as f64)),
        self_bleu_4_chapters: ratio(self_bleu_4(units)),
        slop: slop(units),
        length: length(budget, words),
        beat_adherence: Adherence::from_beats(beats)
            .share
            .map(|s| crate::round(s, RATIO_PLACES)),
        dialogue: dialogue(
            QuotedWords {
                quoted,
                total: words,
            },
            settings,
        ),
    }
}

fn ratio(value: Option<f64>) -> Option<f64> {
    value.map(|v| crate::round(v, RATIO_PLACES))
}

fn slop(units: &[&[String]]) -> SlopScore {
    let mut s = SlopList::builtin().score_units(units);
    s.index = s.index.map(|v| crate::round(v, SCORE_PLACES));
    s
}

fn length(budget: u32, words: usize) -> LengthCheck {
    let mut l = LengthCheck::new(budget, words);
    l.score = l.score.map(|v| crate::round(v, SCORE_PLACES));
    l
}

fn adherence(mut a: Adherence) -> Adherence {
    a.share = ratio(a.share);
    for b in &mut a.beats {
        b.coverage = ratio(b.coverage);
    }
    a
}

fn dialogue(counts: QuotedWords, settings: &QualitySettings) -> DialogueSignal {
    let mut d =
        DialogueSignal::from_counts(counts, settings.dialogue, &settings.thresholds.dialogue);
    d.share = ratio(d.share);
    d
}
