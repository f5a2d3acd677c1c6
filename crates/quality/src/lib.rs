//! Deterministic quality metrics and the continuity ledger for generated books.
//!
//! Plain Rust with no Spin dependency (compiles for `wasm32-wasip2`), and no dependency on
//! other Fabula crates: callers map their chapters and story bible into this crate's input
//! types. Metric definitions follow `shared/reference/quality-metrics.md`; each module's
//! doc states its exact formula and choices.
//!
//! - [`evaluate_chapter`] / [`evaluate_book`]: distinct-n, rep-n, cross-chapter rep-4,
//!   Self-BLEU-4, slop index, length score, outline adherence and dialogue balance, with
//!   the gate's verdict ([`GateThresholds`]).
//! - [`continuity::Ledger`]: characters, places, fixed attributes, deaths and the weekday
//!   timeline, updated chapter by chapter, raising [`continuity::ContinuityAlert`]s.

#![warn(missing_docs)]

pub mod adherence;
pub mod continuity;
pub mod dialogue;
pub mod distinct;
pub mod gate;
pub mod length;
pub mod ngrams;
pub mod report;
pub mod self_bleu;
pub mod slop;
pub mod tokenize;

pub use dialogue::{DialogueLevel, DialogueRange, DialogueTargets};
pub use gate::{GateFailure, GateMetric, GateResult, GateThresholds, ThresholdError};
pub use report::{
    BookMetrics, BookReport, ChapterInput, ChapterMetrics, ChapterReport, QualitySettings,
    evaluate_book, evaluate_chapter,
};
pub use slop::SlopList;

/// Rounds `value` to `places` decimals (half away from zero).
pub fn round(value: f64, places: u32) -> f64 {
    let scale = 10f64.powi(places as i32);
    (value * scale).round() / scale
}
