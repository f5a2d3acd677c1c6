//! Pipeline steps, their order, their stages and the queue message that starts one.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::job::JobId;

/// The component that runs a kind of step; one Redis channel each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Premise analysis.
    Premise,
    /// The outline: chapters, beats, word budgets.
    Outline,
    /// One chapter.
    Chapter,
    /// One chapter's quality gate, continuity check and revisions.
    Quality,
    /// The synopsis and the finished manuscript.
    Assembly,
}

impl Stage {
    /// Every stage, in pipeline order.
    pub const ALL: [Stage; 5] = [
        Self::Premise,
        Self::Outline,
        Self::Chapter,
        Self::Quality,
        Self::Assembly,
    ];

    /// The stage's name (`premise`, `outline`, `chapter`, `quality`, `assembly`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Premise => "premise",
            Self::Outline => "outline",
            Self::Chapter => "chapter",
            Self::Quality => "quality",
            Self::Assembly => "assembly",
        }
    }

    /// The Redis channel its messages go to: `fabula.stage.<name>`.
    pub fn channel(self) -> &'static str {
        match self {
            Self::Premise => "fabula.stage.premise",
            Self::Outline => "fabula.stage.outline",
            Self::Chapter => "fabula.stage.chapter",
            Self::Quality => "fabula.stage.quality",
            Self::Assembly => "fabula.stage.assembly",
        }
    }
}

/// One step of a job: `premise`, `outline`, `chapter:<n>`, `quality:<n>` (n from 1) or
/// `assembly`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// Analyse the premise.
    Premise,
    /// Plan the chapters.
    Outline,
    /// Write chapter `n` (1-based).
    Chapter(u32),
    /// Check chapter `n` against the quality gate and continuity ledger; revise it if it
    /// fails.
    Quality(u32),
    /// Write the synopsis and finish the manuscript.
    Assembly,
}

/// A step name that is not `premise`, `outline`, `chapter:<n>`, `quality:<n>` or `assembly`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a pipeline step: {0:?}")]
pub struct InvalidStep(String);

impl Step {
    /// Parses a step name; chapter numbers start at 1 and have no sign or leading zero.
    pub fn parse(name: &str) -> Result<Self, InvalidStep> {
        let invalid = || InvalidStep(name.chars().take(64).collect());
        match name {
            "premise" => Ok(Self::Premise),
            "outline" => Ok(Self::Outline),
            "assembly" => Ok(Self::Assembly),
            _ => {
                let (kind, digits) = name.split_once(':').ok_or_else(invalid)?;
                let make = match kind {
                    "chapter" => Self::Chapter,
                    "quality" => Self::Quality,
                    _ => return Err(invalid()),
                };
                if digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid());
                }
                digits.parse().map(make).map_err(|_| invalid())
            }
        }
    }

    /// The stage that runs it.
    pub fn stage(self) -> Stage {
        match self {
            Self::Premise => Stage::Premise,
            Self::Outline => Stage::Outline,
            Self::Chapter(_) => Stage::Chapter,
            Self::Quality(_) => Stage::Quality,
            Self::Assembly => Stage::Assembly,
        }
    }

    /// The chapter a chapter or quality step is about.
    pub fn chapter(self) -> Option<u32> {
        match self {
            Self::Chapter(n) | Self::Quality(n) => Some(n),
            Self::Premise | Self::Outline | Self::Assembly => None,
        }
    }

    /// The step after this one in a job of `chapters` chapters; `None` after assembly.
    pub fn next(self, chapters: u32) -> Option<Self> {
        match self {
            Self::Premise => Some(Self::Outline),
            Self::Outline if chapters == 0 => Some(Self::Assembly),
            Self::Outline => Some(Self::Chapter(1)),
            Self::Chapter(n) => Some(Self::Quality(n)),
            Self::Quality(n) if n < chapters => Some(Self::Chapter(n + 1)),
            Self::Quality(_) => Some(Self::Assembly),
            Self::Assembly => None,
        }
    }

    /// Every step of a job of `chapters` chapters, in order.
    pub fn all(chapters: u32) -> Vec<Self> {
        std::iter::successors(Some(Self::Premise), |step| step.next(chapters)).collect()
    }

    /// Position of this step in a job of `chapters` chapters (premise = 0), for sorting.
    pub fn ordinal(self, chapters: u32) -> u64 {
        match self {
            Self::Premise => 0,
            Self::Outline => 1,
            Self::Chapter(n) => 2 * u64::from(n),
            Self::Quality(n) => 2 * u64::from(n) + 1,
            Self::Assembly => 2 + 2 * u64::from(chapters),
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Chapter(n) => write!(f, "chapter:{n}"),
            Self::Quality(n) => write!(f, "quality:{n}"),
            other => f.write_str(other.stage().as_str()),
        }
    }
}

impl Serialize for Step {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Self::parse(&name).map_err(serde::de::Error::custom)
    }
}

/// The queue message that asks a stage to run one step of one job:
/// `{"job_id": "<uuid>", "step": "chapter:3"}`. Stages read everything else from SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepMessage {
    /// The job.
    pub job_id: JobId,
    /// The step to run.
    pub step: Step,
}

impl StepMessage {
    /// The message as published.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Two plain strings: serialisation cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parses a received payload.
    pub fn parse(payload: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(payload)
    }

    /// The channel to publish it on.
    pub fn channel(&self) -> &'static str {
        self.step.stage().channel()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for step in [
            Step::Premise,
            Step::Outline,
            Step::Chapter(1),
            Step::Chapter(100),
            Step::Quality(3),
            Step::Assembly,
        ] {
            assert_eq!(Step::parse(&step.to_string()), Ok(step));
        }
        assert_eq!(Step::Chapter(7).to_string(), "chapter:7");
    }

    #[test]
    fn malformed_names_are_refused() {
        for bad in [
            "",
            "Premise",
            "chapter",
            "chapter:",
            "chapter:0",
            "chapter:01",
            "chapter:-1",
            "chapter:+1",
            "chapter:1x",
            "chapter:99999999999",
            "quality",
            "quality:0",
            "quality:",
            "outline:1",
            ":1",
        ] {
            assert!(Step::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn steps_run_in_order_premise_outline_chapters_with_their_gates_then_assembly() {
        let names: Vec<String> = Step::all(3).iter().map(Step::to_string).collect();
        assert_eq!(
            names,
            [
                "premise",
                "outline",
                "chapter:1",
                "quality:1",
                "chapter:2",
                "quality:2",
                "chapter:3",
                "quality:3",
                "assembly"
            ]
        );
        assert_eq!(Step::Assembly.next(3), None);
        assert_eq!(Step::Chapter(3).next(3), Some(Step::Quality(3)));
        assert_eq!(Step::Quality(3).next(3), Some(Step::Assembly));
        assert_eq!(Step::Quality(2).chapter(), Some(2));
        let ordinals: Vec<u64> = Step::all(3).iter().map(|s| s.ordinal(3)).collect();
        assert!(ordinals.windows(2).all(|w| w[0] < w[1]), "{ordinals:?}");
    }

    #[test]
    fn each_stage_has_its_channel() {
        assert_eq!(Step::Chapter(2).stage().channel(), "fabula.stage.chapter");
        let channels: Vec<_> = Stage::ALL.iter().map(|s| s.channel()).collect();
        assert_eq!(
            channels,
            [
                "fabula.stage.premise",
                "fabula.stage.outline",
                "fabula.stage.chapter",
                "fabula.stage.quality",
                "fabula.stage.assembly"
            ]
        );
    }

    #[test]
    fn messages_have_the_documented_shape() {
        let id = JobId::parse("0190f5a0-0000-7000-8000-000000000000").unwrap();
        let message = StepMessage {
            job_id: id,
            step: Step::Chapter(3),
        };
        let bytes = message.to_bytes();
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            r#"{"job_id":"0190f5a0-0000-7000-8000-000000000000","step":"chapter:3"}"#
        );
        assert_eq!(StepMessage::parse(&bytes).unwrap(), message);
        assert_eq!(message.channel(), "fabula.stage.chapter");
        for bad in [
            &b"tick"[..],
            br#"{"job_id":"x","step":"premise"}"#,
            br#"{"job_id":"0190f5a0-0000-7000-8000-000000000000","step":"chapter:0"}"#,
            br#"{"job_id":"0190f5a0-0000-7000-8000-000000000000","step":"premise","x":1}"#,
        ] {
            assert!(StepMessage::parse(bad).is_err());
        }
    }
}
