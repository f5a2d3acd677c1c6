//! Story identifiers: time-ordered UUID v7.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A story's id: a UUID v7, so ids sort by creation time. Rendered as lowercase
/// hyphenated text, whose string order equals the UUID's byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StoryId(Uuid);

/// A string that is not a hyphenated UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a story id")]
pub struct InvalidStoryId;

impl StoryId {
    /// A fresh, time-ordered id.
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }

    /// Accepts only the 36-character hyphenated form (any hex case).
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != 36 {
            return None;
        }
        Uuid::try_parse(text).ok().map(Self)
    }
}

impl fmt::Display for StoryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl TryFrom<String> for StoryId {
    type Error = InvalidStoryId;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).ok_or(InvalidStoryId)
    }
}

impl From<StoryId> for String {
    fn from(id: StoryId) -> Self {
        id.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_v7_and_round_trip() {
        let id = StoryId::generate();
        assert_eq!(id.0.get_version_num(), 7);
        assert_eq!(StoryId::parse(&id.to_string()), Some(id));
    }

    #[test]
    fn text_order_follows_creation_order() {
        let a = StoryId::generate();
        let b = StoryId::generate();
        assert!(a < b);
        assert!(a.to_string() < b.to_string());
    }

    #[test]
    fn parse_is_strict_and_normalises_case() {
        let upper = "0190F5A0-0000-7000-8000-000000000000";
        assert_eq!(
            StoryId::parse(upper).unwrap().to_string(),
            upper.to_lowercase()
        );
        for bad in [
            "",
            "42",
            "not-a-uuid",
            "0190f5a000007000800000000000000",
            "0190f5a0000070008000000000000000",
            "{0190f5a0-0000-7000-8000-000000000000}",
            "0190f5a0-0000-7000-8000-00000000000g",
        ] {
            assert_eq!(StoryId::parse(bad), None, "{bad}");
        }
    }
}
