//! The quality step's rules: a story's gate policy (thresholds and revision budget), the
//! scores recorded for every attempt at a chapter, which attempt is kept, and the
//! continuity ledger seeded from the premise analysis.
//!
//! A chapter's attempts are numbered from 0 (the draft the chapter step wrote); attempt
//! `k > 0` is the `k`-th revision (critique → rewrite). The loop stops at the first attempt
//! that passes or after `max_revisions` revisions, so it never runs forever, and keeps
//! [`best_attempt`].

use fabula_narrative::PremiseAnalysis;
use fabula_quality::continuity::{CharacterSeed, ContinuityAlert, Ledger};
use fabula_quality::{ChapterReport, DialogueLevel, GateFailure, GateThresholds, QualitySettings};
use serde::{Deserialize, Serialize};

use super::request::JobSpec;
use crate::validation::{FieldCode, Violations};

/// Revisions allowed per chapter, at most.
pub const MAX_REVISIONS_LIMIT: u32 = 5;
/// Revisions per chapter when the story does not say.
pub const DEFAULT_MAX_REVISIONS: u32 = 2;

/// How strict a story is about its chapters: the gate's thresholds and how many revisions
/// a failing chapter gets. Every field is optional in JSON (`{"max_revisions": 1,
/// "thresholds": {"max_rep_4": 0.2}}` keeps the other defaults).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QualityPolicy {
    /// The gate's thresholds.
    pub thresholds: GateThresholds,
    /// Revisions a failing chapter gets (0..=5, default 2).
    pub max_revisions: u32,
}

impl Default for QualityPolicy {
    fn default() -> Self {
        Self {
            thresholds: GateThresholds::default(),
            max_revisions: DEFAULT_MAX_REVISIONS,
        }
    }
}

impl QualityPolicy {
    /// Applies the JSON object `changes` (a partial policy, as in a request body) on top of
    /// this policy, recording problems under `field` (e.g. `quality`) in `v`.
    pub fn with_changes(
        &self,
        v: &mut Violations,
        field: &str,
        changes: &serde_json::Value,
    ) -> Option<Self> {
        let mut merged = serde_json::to_value(self).unwrap_or_default();
        if !changes.is_object() {
            v.push(field, FieldCode::InvalidType, "must be an object");
            return None;
        }
        merge(&mut merged, changes);
        let policy = match serde_path_to_error::deserialize::<_, Self>(merged) {
            Ok(policy) => policy,
            Err(e) => {
                let path = e.path().to_string();
                let at = if path == "." {
                    field.to_owned()
                } else {
                    format!("{field}.{path}")
                };
                v.push(&at, FieldCode::InvalidValue, e.into_inner().to_string());
                return None;
            }
        };
        policy.check(v, field)
    }

    /// The policy if its thresholds and revision budget are in range.
    fn check(self, v: &mut Violations, field: &str) -> Option<Self> {
        let mut valid = true;
        if let Err(e) = self.thresholds.validate() {
            let at = format!("{field}.thresholds.{}", e.field);
            v.push(&at, FieldCode::InvalidValue, e.reason);
            valid = false;
        }
        if self.max_revisions > MAX_REVISIONS_LIMIT {
            let at = format!("{field}.max_revisions");
            let message = format!("must be 0 to {MAX_REVISIONS_LIMIT}");
            v.push(&at, FieldCode::InvalidValue, message);
            valid = false;
        }
        valid.then_some(self)
    }
}

impl JobSpec {
    /// What the quality gate checks this job's chapters against: its policy's thresholds
    /// and its style's dialogue setting.
    pub fn quality_settings(&self) -> QualitySettings {
        let dialogue = match self.generation.style.dialogue {
            fabula_narrative::DialogueLevel::Sparse => DialogueLevel::Sparse,
            fabula_narrative::DialogueLevel::Balanced => DialogueLevel::Balanced,
            fabula_narrative::DialogueLevel::Rich => DialogueLevel::Rich,
        };
        QualitySettings {
            dialogue,
            thresholds: self.quality.thresholds,
        }
    }
}

/// Deep-merges the object `changes` into `base` (objects merge key by key, anything else
/// replaces).
fn merge(base: &mut serde_json::Value, changes: &serde_json::Value) {
    match (base, changes) {
        (serde_json::Value::Object(base), serde_json::Value::Object(changes)) => {
            for (key, value) in changes {
                match base.get_mut(key) {
                    Some(slot) if slot.is_object() && value.is_object() => merge(slot, value),
                    _ => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (base, changes) => *base = changes.clone(),
    }
}

/// The headline scores of one attempt, as recorded with the job (the full report is served
/// by the analysis route).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptScores {
    /// Words in the attempt.
    pub words: usize,
    /// distinct-2.
    pub distinct_2: Option<f64>,
    /// distinct-3.
    pub distinct_3: Option<f64>,
    /// rep-4 within the chapter.
    pub rep_4: Option<f64>,
    /// Share of 4-grams already used in earlier chapters.
    pub cross_chapter_rep_4: Option<f64>,
    /// Slop index per 1000 words.
    pub slop_index: Option<f64>,
    /// Length score against the chapter's budget.
    pub length_score: Option<f64>,
    /// Share of beats found.
    pub beat_adherence: Option<f64>,
    /// Share of words inside quotation marks.
    pub dialogue_share: Option<f64>,
}

impl From<&ChapterReport> for AttemptScores {
    fn from(report: &ChapterReport) -> Self {
        let m = &report.metrics;
        Self {
            words: m.words,
            distinct_2: m.diversity.distinct_2,
            distinct_3: m.diversity.distinct_3,
            rep_4: m.diversity.rep_4,
            cross_chapter_rep_4: m.cross_chapter.share,
            slop_index: m.slop.index,
            length_score: m.length.score,
            beat_adherence: m.adherence.share,
            dialogue_share: m.dialogue.share,
        }
    }
}

/// One attempt at a chapter: the draft (attempt 0) or a revision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityAttempt {
    /// 0 for the draft, `k` for the `k`-th revision.
    pub attempt: u32,
    /// Whether it passed the gate.
    pub passed: bool,
    /// Its scores.
    pub scores: AttemptScores,
    /// The checks it failed.
    pub failures: Vec<GateFailure>,
}

impl QualityAttempt {
    /// Attempt `attempt` as evaluated in `report`.
    pub fn new(attempt: u32, report: &ChapterReport) -> Self {
        Self {
            attempt,
            passed: report.gate.passed,
            scores: AttemptScores::from(report),
            failures: report.gate.failures.clone(),
        }
    }
}

/// Every attempt at one chapter and the one kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChapterQuality {
    /// The chapter.
    pub chapter: u32,
    /// Attempts in order, the draft first.
    pub attempts: Vec<QualityAttempt>,
    /// The attempt kept as the chapter's text.
    pub kept: u32,
    /// Whether the kept attempt passed the gate.
    pub passed: bool,
}

impl ChapterQuality {
    /// The record of `attempts` (not empty) for `chapter`, keeping [`best_attempt`].
    pub fn new(chapter: u32, attempts: Vec<QualityAttempt>) -> Self {
        let kept = best_attempt(&attempts);
        let passed = attempts.get(kept).is_some_and(|a| a.passed);
        Self {
            chapter,
            kept: u32::try_from(kept).unwrap_or(0),
            passed,
            attempts,
        }
    }
}

/// Whether another revision is due after `attempts`: the last attempt failed and fewer than
/// `max_revisions` revisions were made.
pub fn revision_due(attempts: &[QualityAttempt], max_revisions: u32) -> bool {
    let revisions = attempts.len().saturating_sub(1);
    attempts.last().is_some_and(|a| !a.passed) && revisions < max_revisions as usize
}

/// The index of the attempt to keep: the first that passed; if none did, the one with the
/// fewest failed checks (the earliest on a tie, as it drifted least from the plan).
pub fn best_attempt(attempts: &[QualityAttempt]) -> usize {
    if let Some(passed) = attempts.iter().position(|a| a.passed) {
        return passed;
    }
    attempts
        .iter()
        .enumerate()
        .min_by_key(|(i, a)| (a.failures.len(), *i))
        .map_or(0, |(i, _)| i)
}

/// The continuity state kept with the job's story bible.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Continuity {
    /// Characters, places, attributes, deaths and the timeline established so far.
    pub ledger: Ledger,
    /// Every alert raised so far, in chapter order.
    pub alerts: Vec<ContinuityAlert>,
}

impl Continuity {
    /// A ledger seeded with the premise analysis's characters and places.
    pub fn seeded(analysis: &PremiseAnalysis) -> Self {
        let mut ledger = Ledger::new();
        for character in &analysis.characters {
            ledger.add_character(CharacterSeed {
                name: character.name.clone(),
                aliases: Vec::new(),
                attributes: Vec::new(),
            });
        }
        for place in &analysis.places {
            ledger.add_place(place.name.clone());
        }
        Self {
            ledger,
            alerts: Vec::new(),
        }
    }

    /// Reads chapter `number` (again, if it was read before: its earlier alerts are
    /// replaced) and returns the alerts it raised.
    pub fn ingest(&mut self, number: u32, text: &str) -> Vec<ContinuityAlert> {
        let raised = self.ledger.ingest_chapter(number, text);
        self.alerts.retain(|a| a.chapter != number);
        self.alerts.extend(raised.iter().cloned());
        raised
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fabula_narrative::{Character, Place};
    use fabula_quality::{ChapterInput, QualitySettings, evaluate_chapter};

    fn attempt(attempt: u32, text: &str) -> QualityAttempt {
        let input = ChapterInput {
            number: 1,
            text: text.into(),
            word_budget: 0,
            beats: Vec::new(),
        };
        QualityAttempt::new(
            attempt,
            &evaluate_chapter(&input, &[], &QualitySettings::default()),
        )
    }

    const LOOPING: &str = "The bell rang and the bell rang and the bell rang and the bell rang \
        and the bell rang and the bell rang.";
    const VARIED: &str = "Mara climbed the crooked stair while gulls argued over the harbour. \
        At the top she found a ledger, its pages swollen with salt and older grief. \
        \"Who kept this ledger so carefully, and why up here?\" she whispered.";

    #[test]
    fn policies_take_partial_changes_on_top_of_the_story_policy() {
        let story = QualityPolicy {
            max_revisions: 1,
            ..QualityPolicy::default()
        };
        let mut v = Violations::new();
        let changes = serde_json::json!({"thresholds": {"max_rep_4": 0.2}});
        let policy = story.with_changes(&mut v, "quality", &changes).unwrap();
        assert_eq!(policy.max_revisions, 1);
        assert_eq!(policy.thresholds.max_rep_4, 0.2);
        assert_eq!(
            policy.thresholds.min_distinct_2,
            GateThresholds::default().min_distinct_2
        );
    }

    #[test]
    fn bad_policies_name_the_field() {
        for (changes, field) in [
            (
                serde_json::json!({"max_revisions": 9}),
                "quality.max_revisions",
            ),
            (
                serde_json::json!({"thresholds": {"max_rep_4": 3.0}}),
                "quality.thresholds.max_rep_4",
            ),
            (
                serde_json::json!({"thresholds": {"nope": 1}}),
                "quality.thresholds",
            ),
            (serde_json::json!({"max_revisions": "two"}), "quality"),
            (serde_json::json!([1]), "quality"),
        ] {
            let mut v = Violations::new();
            let policy = QualityPolicy::default().with_changes(&mut v, "quality", &changes);
            assert!(policy.is_none(), "{changes}");
            let error = v.finish(None::<()>).unwrap_err();
            let body = format!("{error:?}");
            assert!(body.contains(field), "{changes}: {body}");
        }
    }

    #[test]
    fn the_loop_stops_at_a_pass_or_when_the_revisions_run_out() {
        let failed = attempt(0, LOOPING);
        assert!(!failed.passed, "{:?}", failed.failures);
        let passed = attempt(1, VARIED);
        assert!(passed.passed, "{:?}", passed.failures);
        assert!(revision_due(std::slice::from_ref(&failed), 2));
        assert!(!revision_due(&[failed.clone(), passed.clone()], 2));
        assert!(!revision_due(std::slice::from_ref(&failed), 0));
        assert!(!revision_due(
            &[failed.clone(), failed.clone(), failed.clone()],
            2
        ));
        assert!(!revision_due(&[], 2));
    }

    #[test]
    fn the_kept_attempt_is_the_pass_or_the_least_failing_earliest() {
        let failed = attempt(0, LOOPING);
        let passed = attempt(1, VARIED);
        let record = ChapterQuality::new(1, vec![failed.clone(), passed]);
        assert_eq!((record.kept, record.passed), (1, true));
        let mut fewer = failed.clone();
        fewer.failures.truncate(1);
        assert_eq!(best_attempt(&[failed.clone(), fewer.clone(), fewer]), 1);
        let record = ChapterQuality::new(1, vec![failed.clone(), failed]);
        assert_eq!((record.kept, record.passed), (0, false));
    }

    #[test]
    fn continuity_is_seeded_from_the_analysis_and_cites_the_chapter() {
        let analysis = PremiseAnalysis {
            characters: vec![Character {
                name: "Mara Vell".into(),
                ..Character::default()
            }],
            places: vec![Place {
                name: "The Spire".into(),
                description: String::new(),
            }],
            ..PremiseAnalysis::default()
        };
        let mut continuity = Continuity::seeded(&analysis);
        assert!(continuity.ingest(1, VARIED).is_empty());
        let raised = continuity.ingest(2, "Mara Vell died at dawn. Later, Mara Vell laughed.");
        assert_eq!(raised.len(), 1, "{raised:?}");
        assert_eq!(raised[0].chapter, 2);
        assert!(raised[0].sentence.contains("laughed"), "{raised:?}");
        let again = continuity.ingest(2, "Mara Vell died at dawn. Later, Mara Vell laughed.");
        assert_eq!(again.len(), 1);
        assert_eq!(continuity.alerts.len(), 1, "re-reading replaces alerts");
    }
}
