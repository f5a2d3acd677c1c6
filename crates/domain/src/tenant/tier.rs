//! The closed set of tenant tiers.

use serde::{Deserialize, Serialize};

/// A tenant's tier: decides its rate limits; `internal` tenants belong to the platform
/// operator (their admin keys manage every tenant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// `demo`: trial tenants, the tightest limits (also applied to anonymous callers).
    Demo,
    /// `standard`
    Standard,
    /// `enterprise`
    Enterprise,
    /// `internal`: the operator's own tenants; unlimited by default.
    Internal,
}

impl Tier {
    /// Every tier, in documentation order.
    pub const ALL: [Tier; 4] = [Self::Demo, Self::Standard, Self::Enterprise, Self::Internal];

    /// The lowercase name, as serialised and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Demo => "demo",
            Self::Standard => "standard",
            Self::Enterprise => "enterprise",
            Self::Internal => "internal",
        }
    }

    /// The tier with exactly this name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde_and_round_trip() {
        for tier in Tier::ALL {
            let json = serde_json::to_string(&tier).unwrap();
            assert_eq!(json, format!("\"{}\"", tier.as_str()));
            assert_eq!(Tier::parse(tier.as_str()), Some(tier));
        }
        assert_eq!(Tier::parse("Demo"), None);
        assert_eq!(Tier::parse("platinum"), None);
    }
}
