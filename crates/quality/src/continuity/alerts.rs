//! Continuity alerts and where the facts they rely on were established.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ledger::AttributeKind;
use super::timeline::Weekday;

/// Where a fact entered the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Established {
    /// Seeded from the story bible before any chapter.
    Bible,
    /// Stated in a chapter.
    Chapter {
        /// Chapter number.
        chapter: u32,
        /// The sentence that stated it.
        sentence: String,
    },
}

impl Established {
    /// The chapter that established the fact (`None` for the story bible).
    pub fn chapter(&self) -> Option<u32> {
        match self {
            Self::Bible => None,
            Self::Chapter { chapter, .. } => Some(*chapter),
        }
    }
}

impl fmt::Display for Established {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bible => write!(f, "in the story bible"),
            Self::Chapter { chapter, sentence } => {
                write!(f, "in chapter {chapter}: \"{sentence}\"")
            }
        }
    }
}

/// The kind of a continuity problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A person's name that is neither known nor introduced.
    NameFromNowhere,
    /// A character acts after their recorded death.
    ActsAfterDeath,
    /// A fixed attribute (eye or hair colour, age) contradicts canon.
    AttributeContradiction,
    /// A stated weekday contradicts the one the timeline implies.
    TimelineDrift,
}

/// What an alert found, with the facts it was checked against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AlertDetail {
    /// See [`AlertKind::NameFromNowhere`].
    NameFromNowhere {
        /// The name as written.
        name: String,
    },
    /// See [`AlertKind::ActsAfterDeath`].
    ActsAfterDeath {
        /// The character's canonical name.
        character: String,
        /// Where the death was recorded.
        death: Established,
    },
    /// See [`AlertKind::AttributeContradiction`].
    AttributeContradiction {
        /// The character's canonical name.
        character: String,
        /// Which attribute.
        attribute: AttributeKind,
        /// The canon value.
        canon: String,
        /// Where the canon value was established.
        established: Established,
        /// The value this sentence states.
        stated: String,
    },
    /// See [`AlertKind::TimelineDrift`].
    TimelineDrift {
        /// The weekday the sentence states.
        stated: Weekday,
        /// The weekday the timeline implies.
        implied: Weekday,
        /// The last explicitly stated weekday the implication starts from.
        anchor_day: Weekday,
        /// Where that weekday was stated.
        anchor: Established,
        /// Days the relative cues ("the next morning", "two days later") added since.
        days: u32,
    },
}

impl AlertDetail {
    /// The alert's kind.
    pub fn kind(&self) -> AlertKind {
        match self {
            Self::NameFromNowhere { .. } => AlertKind::NameFromNowhere,
            Self::ActsAfterDeath { .. } => AlertKind::ActsAfterDeath,
            Self::AttributeContradiction { .. } => AlertKind::AttributeContradiction,
            Self::TimelineDrift { .. } => AlertKind::TimelineDrift,
        }
    }

    fn message(&self, chapter: u32) -> String {
        match self {
            Self::NameFromNowhere { name } => format!(
                "\"{name}\" appears as a character in chapter {chapter} but is neither in the \
                 story bible nor introduced in the text (e.g. \"a fisherman named {name}\", \
                 \"{name}, the harbourmaster,\")"
            ),
            Self::ActsAfterDeath { character, death } => {
                format!("{character} acts in chapter {chapter} after dying {death}")
            }
            Self::AttributeContradiction {
                character,
                attribute,
                canon,
                established,
                stated,
            } => format!(
                "{character}'s {} is stated as {stated} in chapter {chapter}, but canon is {canon} \
                 (established {established})",
                attribute.label()
            ),
            Self::TimelineDrift {
                stated,
                implied,
                anchor_day,
                anchor,
                days,
            } => format!(
                "chapter {chapter} says {stated}, but {anchor_day} (stated {anchor}) plus {days} \
                 day{} implies {implied}",
                if *days == 1 { "" } else { "s" }
            ),
        }
    }
}

/// One continuity problem, citing the chapter and sentence that raised it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContinuityAlert {
    /// Chapter that raised it.
    pub chapter: u32,
    /// The sentence that raised it (whitespace collapsed).
    pub sentence: String,
    /// A readable explanation.
    pub message: String,
    /// The kind (serialised as `kind`) and its facts.
    #[serde(flatten)]
    pub detail: AlertDetail,
}

impl ContinuityAlert {
    /// Builds an alert with its message.
    pub fn new(chapter: u32, sentence: String, detail: AlertDetail) -> Self {
        Self {
            chapter,
            message: detail.message(chapter),
            sentence,
            detail,
        }
    }

    /// The alert's kind.
    pub fn kind(&self) -> AlertKind {
        self.detail.kind()
    }
}
