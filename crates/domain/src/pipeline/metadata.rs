//! A job's metadata, kept as JSON with the job: what the AI established (premise
//! analysis, outline, story bible and its continuity ledger), the decisions it made, every
//! chapter's quality attempts, and the request's warnings.

use fabula_narrative::{Decision, Outline, PremiseAnalysis, StoryBible};
use serde::{Deserialize, Serialize};

use super::quality::{ChapterQuality, Continuity};
use super::request::Warning;

/// The job's metadata; every part is filled in by the step that produces it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobMetadata {
    /// From the premise step.
    #[serde(default)]
    pub premise_analysis: Option<PremiseAnalysis>,
    /// From the outline step.
    #[serde(default)]
    pub outline: Option<Outline>,
    /// Characters, places and facts established so far (premise step, then each chapter).
    #[serde(default)]
    pub bible: Option<StoryBible>,
    /// The continuity ledger and its alerts (premise step, then each quality step).
    #[serde(default)]
    pub continuity: Option<Continuity>,
    /// Every chapter's gate attempts, in chapter order (quality steps).
    #[serde(default)]
    pub quality: Vec<ChapterQuality>,
    /// What the AI decided along the way (normalised outlines, renamed characters, ...).
    #[serde(default)]
    pub decisions: Vec<Decision>,
    /// The request's warnings.
    #[serde(default)]
    pub warnings: Vec<Warning>,
}

impl JobMetadata {
    /// Metadata of a new job.
    pub fn new(warnings: Vec<Warning>) -> Self {
        Self {
            warnings,
            ..Self::default()
        }
    }
}
