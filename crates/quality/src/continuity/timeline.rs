//! The weekday timeline: the last stated weekday plus the days relative cues added since.
//!
//! Rules (see the continuity module doc for the extraction side):
//! - a weekday stated in narration re-anchors the timeline (`days = 0`);
//! - a relative cue ("the next morning", "two days later", "a week later") adds days;
//! - once cues have added days to an anchor, the implied weekday is `anchor + days`. A
//!   weekday that is then *asserted as the current day* — in the same sentence as, and after,
//!   a cue ("The next morning, a Thursday, …") or in a stative form ("It was Thursday",
//!   "that Thursday") — and differs from the implied one is drift. Any other mention
//!   ("On Thursday, …") is a legitimate jump forward and only re-anchors.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::alerts::{AlertDetail, Established};
use super::lexicon::WEEKDAYS;

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

const ALL: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

impl Weekday {
    /// Parses a lowercase weekday name.
    pub fn from_lowercase(name: &str) -> Option<Self> {
        WEEKDAYS.iter().position(|d| *d == name).map(|i| ALL[i])
    }

    /// The weekday `days` days later.
    pub fn plus(self, days: u32) -> Self {
        let index = ALL.iter().position(|d| *d == self).unwrap_or(0) as u32;
        ALL[((index + days % 7) % 7) as usize]
    }
}

impl fmt::Display for Weekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = WEEKDAYS[ALL.iter().position(|d| d == self).unwrap_or(0)];
        let mut chars = name.chars();
        if let Some(first) = chars.next() {
            write!(f, "{}{}", first.to_ascii_uppercase(), chars.as_str())?;
        }
        Ok(())
    }
}

/// A time reference found in one sentence, in text order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeEvent {
    /// A relative cue adding days.
    Advance(u32),
    /// A weekday; `stative` when asserted as the current day ("it was Thursday").
    Weekday {
        /// The day named.
        day: Weekday,
        /// Whether the form asserts the current day.
        stative: bool,
    },
}

/// The last stated weekday and where it was stated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayAnchor {
    /// The weekday.
    pub day: Weekday,
    /// Where it was stated.
    pub established: Established,
}

/// The timeline state kept in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Timeline {
    /// The last explicitly stated weekday, if any.
    pub anchor: Option<DayAnchor>,
    /// Days relative cues added since the anchor.
    pub days: u32,
}

impl Timeline {
    /// The weekday the cues imply, once at least one cue followed the anchor.
    pub fn implied(&self) -> Option<Weekday> {
        self.anchor
            .as_ref()
            .filter(|_| self.days > 0)
            .map(|a| a.day.plus(self.days))
    }

    /// Applies one sentence's events; returns the drift found, if any.
    pub fn apply(
        &mut self,
        events: &[TimeEvent],
        chapter: u32,
        sentence: &str,
    ) -> Vec<AlertDetail> {
        let mut drift = Vec::new();
        let mut cue_seen = false;
        for event in events {
            match *event {
                TimeEvent::Advance(days) => {
                    self.days = self.days.saturating_add(days);
                    cue_seen = true;
                }
                TimeEvent::Weekday { day, stative } => {
                    if let (Some(implied), Some(anchor)) = (self.implied(), &self.anchor)
                        && (cue_seen || stative)
                        && implied != day
                    {
                        drift.push(AlertDetail::TimelineDrift {
                            stated: day,
                            implied,
                            anchor_day: anchor.day,
                            anchor: anchor.established.clone(),
                            days: self.days,
                        });
                    }
                    self.anchor = Some(DayAnchor {
                        day,
                        established: Established::Chapter {
                            chapter,
                            sentence: sentence.to_owned(),
                        },
                    });
                    self.days = 0;
                }
            }
        }
        drift
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wd(day: Weekday) -> TimeEvent {
        TimeEvent::Weekday {
            day,
            stative: false,
        }
    }

    #[test]
    fn weekday_arithmetic_wraps() {
        assert_eq!(Weekday::Monday.plus(1), Weekday::Tuesday);
        assert_eq!(Weekday::Saturday.plus(2), Weekday::Monday);
        assert_eq!(Weekday::Friday.plus(7), Weekday::Friday);
        assert_eq!(Weekday::Sunday.to_string(), "Sunday");
        assert_eq!(Weekday::from_lowercase("thursday"), Some(Weekday::Thursday));
        assert_eq!(Weekday::from_lowercase("thursdays"), None);
    }

    #[test]
    fn stative_mismatch_after_a_cue_is_drift_and_jumps_are_not() {
        let mut t = Timeline::default();
        assert!(t.apply(&[wd(Weekday::Monday)], 1, "On Monday.").is_empty());
        assert!(
            t.apply(&[TimeEvent::Advance(1)], 1, "The next morning.")
                .is_empty()
        );
        assert_eq!(t.implied(), Some(Weekday::Tuesday));
        // "On Thursday" (not stative, no cue in the sentence): a jump, re-anchors.
        assert!(
            t.apply(&[wd(Weekday::Thursday)], 1, "On Thursday.")
                .is_empty()
        );
        assert_eq!(t.implied(), None);
        t.apply(&[TimeEvent::Advance(2)], 2, "Two days later.");
        let drift = t.apply(
            &[TimeEvent::Weekday {
                day: Weekday::Friday,
                stative: true,
            }],
            2,
            "It was Friday.",
        );
        assert_eq!(
            drift,
            [AlertDetail::TimelineDrift {
                stated: Weekday::Friday,
                implied: Weekday::Saturday,
                anchor_day: Weekday::Thursday,
                anchor: Established::Chapter {
                    chapter: 1,
                    sentence: "On Thursday.".into()
                },
                days: 2,
            }]
        );
        // a matching statement raises nothing
        t.apply(&[TimeEvent::Advance(1)], 2, "The next day.");
        assert!(
            t.apply(
                &[TimeEvent::Weekday {
                    day: Weekday::Saturday,
                    stative: true
                }],
                2,
                "It was Saturday."
            )
            .is_empty()
        );
    }

    #[test]
    fn cue_and_weekday_in_one_sentence() {
        let mut t = Timeline::default();
        t.apply(&[wd(Weekday::Monday)], 1, "On Monday.");
        let drift = t.apply(
            &[TimeEvent::Advance(1), wd(Weekday::Wednesday)],
            1,
            "The next morning, Wednesday.",
        );
        assert_eq!(drift.len(), 1);
        // a weekday before the cue in the same sentence just re-anchors
        let mut t = Timeline::default();
        t.apply(&[wd(Weekday::Monday)], 1, "On Monday.");
        t.apply(&[TimeEvent::Advance(1)], 1, "Next day.");
        assert!(
            t.apply(
                &[wd(Weekday::Friday), TimeEvent::Advance(1)],
                1,
                "On Friday; the next day."
            )
            .is_empty()
        );
        assert_eq!(t.implied(), Some(Weekday::Saturday));
    }
}
