//! The quality gate: per-story thresholds and the check of one chapter's metrics.
//!
//! A metric that is undefined for the chapter (`None`, e.g. distinct-3 of a two-word text)
//! is not checked; the length and beat checks still catch an empty chapter. Failure messages
//! are written to be pasted into a critique prompt: each names the problem, the measured
//! value, the threshold and, where possible, the offending phrases.

use serde::{Deserialize, Serialize};

use crate::dialogue::{DialogueRange, DialogueTargets, DialogueVerdict};
use crate::distinct::RepeatedNgram;
use crate::report::ChapterMetrics;

/// Thresholds of the gate. Every field has a default, so a story may override any subset
/// (`{"max_rep_4": 0.2}` keeps the other defaults).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GateThresholds {
    /// Lowest distinct-2 (default 0.60; varied prose of a few thousand words is ~0.85+).
    pub min_distinct_2: f64,
    /// Lowest distinct-3 (default 0.80; varied prose is ~0.95+).
    pub min_distinct_3: f64,
    /// Highest rep-4 within the chapter (default 0.10).
    pub max_rep_4: f64,
    /// Highest share of 4-grams already used in earlier chapters (default 0.20: chapters
    /// share names and turns of phrase; a chapter retelling an earlier one reuses far more).
    pub max_cross_chapter_rep_4: f64,
    /// Highest slop index, weighted hits per 1000 words (default 12).
    pub max_slop_index: f64,
    /// Lowest length score S_l (default 70: roughly 63 %–190 % of the budget).
    pub min_length_score: f64,
    /// Lowest share of checkable beats found in the text (default 0.5).
    pub min_beat_adherence: f64,
    /// Dialogue share ranges per dialogue setting.
    pub dialogue: DialogueTargets,
}

impl Default for GateThresholds {
    fn default() -> Self {
        Self {
            min_distinct_2: 0.60,
            min_distinct_3: 0.80,
            max_rep_4: 0.10,
            max_cross_chapter_rep_4: 0.20,
            max_slop_index: 12.0,
            min_length_score: 70.0,
            min_beat_adherence: 0.5,
            dialogue: DialogueTargets::default(),
        }
    }
}

/// A threshold outside its meaningful range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("gate threshold `{field}` = {value} is invalid: {reason}")]
pub struct ThresholdError {
    /// The offending field (dotted for dialogue ranges, e.g. `dialogue.rich.min`).
    pub field: String,
    /// Its value.
    pub value: f64,
    /// What is expected instead.
    pub reason: &'static str,
}

impl GateThresholds {
    /// Checks that ratios lie in 0..=1, the length score in 0..=100, the slop index is a
    /// non-negative number and every dialogue range has `min <= max`.
    pub fn validate(&self) -> Result<(), ThresholdError> {
        let ratios = [
            ("min_distinct_2", self.min_distinct_2),
            ("min_distinct_3", self.min_distinct_3),
            ("max_rep_4", self.max_rep_4),
            ("max_cross_chapter_rep_4", self.max_cross_chapter_rep_4),
            ("min_beat_adherence", self.min_beat_adherence),
        ];
        for (field, value) in ratios {
            within(field, value, 0.0, 1.0, "expected a share between 0 and 1")?;
        }
        within(
            "min_length_score",
            self.min_length_score,
            0.0,
            100.0,
            "expected 0 to 100",
        )?;
        within(
            "max_slop_index",
            self.max_slop_index,
            0.0,
            f64::MAX,
            "expected a number >= 0",
        )?;
        let d = &self.dialogue;
        for (name, range) in [
            ("sparse", d.sparse),
            ("balanced", d.balanced),
            ("rich", d.rich),
        ] {
            let why = "expected a share between 0 and 1";
            within(&format!("dialogue.{name}.min"), range.min, 0.0, 1.0, why)?;
            within(
                &format!("dialogue.{name}.max"),
                range.max,
                range.min,
                1.0,
                "expected min <= max <= 1",
            )?;
        }
        Ok(())
    }
}

fn within(
    field: &str,
    value: f64,
    lo: f64,
    hi: f64,
    reason: &'static str,
) -> Result<(), ThresholdError> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(ThresholdError {
            field: field.to_owned(),
            value,
            reason,
        })
    }
}

/// The metric a gate failure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GateMetric {
    /// distinct-2 too low.
    #[serde(rename = "distinct_2")]
    Distinct2,
    /// distinct-3 too low.
    #[serde(rename = "distinct_3")]
    Distinct3,
    /// rep-4 too high.
    #[serde(rename = "rep_4")]
    Rep4,
    /// Too many 4-grams from earlier chapters.
    #[serde(rename = "cross_chapter_rep_4")]
    CrossChapterRep4,
    /// Slop index too high.
    #[serde(rename = "slop_index")]
    SlopIndex,
    /// Length score too low.
    #[serde(rename = "length_score")]
    LengthScore,
    /// Too few beats found.
    #[serde(rename = "beat_adherence")]
    BeatAdherence,
    /// Dialogue share outside the setting's range.
    #[serde(rename = "dialogue_share")]
    DialogueShare,
}

/// One failed check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateFailure {
    /// Which metric failed.
    pub metric: GateMetric,
    /// The chapter's value.
    pub value: f64,
    /// The bound it violated.
    pub threshold: f64,
    /// A concrete description for the critique prompt.
    pub message: String,
}

/// The gate's verdict on one chapter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateResult {
    /// True when no check failed.
    pub passed: bool,
    /// Failed checks, in a fixed order (diversity, repetition, slop, length, beats,
    /// dialogue).
    pub failures: Vec<GateFailure>,
}

/// Checks one chapter's metrics against the thresholds.
pub fn check(m: &ChapterMetrics, t: &GateThresholds) -> GateResult {
    let mut failures = Vec::new();
    let mut fail = |metric, value, threshold, message| {
        failures.push(GateFailure {
            metric,
            value,
            threshold,
            message,
        });
    };
    let repeated = examples(&m.top_repeated_4grams);
    if let Some(v) = m.diversity.distinct_2.filter(|&v| v < t.min_distinct_2) {
        let msg = format!(
            "too little variety in word pairs: only {} of its two-word sequences are distinct \
             (distinct-2 {v:.2}, minimum {:.2}){repeated}",
            pct(v),
            t.min_distinct_2
        );
        fail(GateMetric::Distinct2, v, t.min_distinct_2, msg);
    }
    if let Some(v) = m.diversity.distinct_3.filter(|&v| v < t.min_distinct_3) {
        let msg = format!(
            "too little variety in phrasing: only {} of its three-word sequences are distinct \
             (distinct-3 {v:.2}, minimum {:.2}){repeated}",
            pct(v),
            t.min_distinct_3
        );
        fail(GateMetric::Distinct3, v, t.min_distinct_3, msg);
    }
    if let Some(v) = m.diversity.rep_4.filter(|&v| v > t.max_rep_4) {
        let msg = format!(
            "repeats 4-word sequences: {} of its 4-word sequences repeat one used earlier in \
             the chapter (rep-4 {v:.2}, maximum {:.2}){repeated}",
            pct(v),
            t.max_rep_4
        );
        fail(GateMetric::Rep4, v, t.max_rep_4, msg);
    }
    if let Some(v) = m
        .cross_chapter
        .share
        .filter(|&v| v > t.max_cross_chapter_rep_4)
    {
        let quoted: Vec<String> = m
            .cross_chapter
            .examples
            .iter()
            .take(3)
            .map(|e| format!("\"{e}\""))
            .collect();
        let msg = format!(
            "retells earlier chapters: {} of its 4-word sequences already appeared in earlier \
             chapters (maximum {}); for example {}",
            pct(v),
            pct(t.max_cross_chapter_rep_4),
            quoted.join(", ")
        );
        fail(
            GateMetric::CrossChapterRep4,
            v,
            t.max_cross_chapter_rep_4,
            msg,
        );
    }
    if let Some(v) = m.slop.index.filter(|&v| v > t.max_slop_index) {
        let hits: Vec<String> = m
            .slop
            .top_hits
            .iter()
            .map(|h| format!("\"{}\" ×{}", h.phrase, h.count))
            .collect();
        let msg = format!(
            "leans on stock phrases: slop index {v:.1} per 1000 words (maximum {:.1}); \
             replace {}",
            t.max_slop_index,
            hits.join(", ")
        );
        fail(GateMetric::SlopIndex, v, t.max_slop_index, msg);
    }
    if let Some(v) = m.length.score.filter(|&v| v < t.min_length_score) {
        let (verdict, advice) = if m.length.words < m.length.budget as usize {
            ("too short", "develop the scenes further")
        } else {
            ("too long", "tighten it")
        };
        let msg = format!(
            "is {verdict}: {} words for a budget of {} (length score {v:.1}, minimum {:.1}); {advice}",
            m.length.words, m.length.budget, t.min_length_score
        );
        fail(GateMetric::LengthScore, v, t.min_length_score, msg);
    }
    if let Some(v) = m.adherence.share.filter(|&v| v < t.min_beat_adherence) {
        let missing: Vec<String> = m
            .adherence
            .beats
            .iter()
            .filter(|b| b.status == crate::adherence::BeatStatus::Missing)
            .map(|b| format!("\"{}\" (not found: {})", b.beat, b.missing_words.join(", ")))
            .collect();
        let msg = format!(
            "misses outline beats: {} of {} beats found ({}, minimum {}); missing: {}",
            m.adherence.matched,
            m.adherence.checkable,
            pct(v),
            pct(t.min_beat_adherence),
            missing.join("; ")
        );
        fail(GateMetric::BeatAdherence, v, t.min_beat_adherence, msg);
    }
    let d = &m.dialogue;
    if let (Some(v), Some(verdict)) = (d.share, d.verdict) {
        let DialogueRange { min, max } = d.target;
        let bound = match verdict {
            DialogueVerdict::Below => Some(("too little", min)),
            DialogueVerdict::Above => Some(("too much", max)),
            DialogueVerdict::Within => None,
        };
        if let Some((amount, threshold)) = bound {
            let msg = format!(
                "has {amount} dialogue for the story's {} dialogue setting: {} of its words are \
                 inside quotation marks (target {}–{})",
                d.level.name(),
                pct(v),
                pct(min),
                pct(max)
            );
            fail(GateMetric::DialogueShare, v, threshold, msg);
        }
    }
    GateResult {
        passed: failures.is_empty(),
        failures,
    }
}

/// A share as a percentage: whole when close to one, else one decimal (`31%`, `2.5%`).
fn pct(share: f64) -> String {
    let p = share * 100.0;
    if (p - p.round()).abs() < 0.05 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

fn examples(repeated: &[RepeatedNgram]) -> String {
    if repeated.is_empty() {
        return String::new();
    }
    let list: Vec<String> = repeated
        .iter()
        .take(3)
        .map(|r| format!("\"{}\" ×{}", r.ngram, r.count))
        .collect();
    format!("; most repeated: {}", list.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_partial_overrides_keep_them() {
        assert_eq!(GateThresholds::default().validate(), Ok(()));
        let json = r#"{"max_rep_4": 0.2, "dialogue": {"rich": {"min": 0.5, "max": 0.9}}}"#;
        let t: GateThresholds = serde_json::from_str(json).unwrap();
        assert_eq!(t.max_rep_4, 0.2);
        assert_eq!(t.min_distinct_2, 0.60);
        assert_eq!(t.dialogue.rich, DialogueRange { min: 0.5, max: 0.9 });
        assert_eq!(t.dialogue.balanced, DialogueTargets::default().balanced);
    }

    #[test]
    fn invalid_thresholds_name_the_field() {
        let t = GateThresholds {
            max_rep_4: 1.5,
            ..GateThresholds::default()
        };
        assert_eq!(t.validate().unwrap_err().field, "max_rep_4");
        let t = GateThresholds {
            min_length_score: f64::NAN,
            ..GateThresholds::default()
        };
        assert_eq!(t.validate().unwrap_err().field, "min_length_score");
        let mut t = GateThresholds::default();
        t.dialogue.sparse = DialogueRange { min: 0.3, max: 0.1 };
        assert_eq!(t.validate().unwrap_err().field, "dialogue.sparse.max");
    }

    #[test]
    fn percentages_read_naturally() {
        assert_eq!(pct(0.31), "31%");
        assert_eq!(pct(0.025), "2.5%");
        assert_eq!(pct(1.0 / 3.0), "33.3%");
    }
}
