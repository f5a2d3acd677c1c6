//! The closed set of story genres.

use serde::{Deserialize, Serialize};

/// A story's genre, serialised in kebab-case (`science-fiction`, `young-adult`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Genre {
    /// `fantasy`
    Fantasy,
    /// `science-fiction`
    ScienceFiction,
    /// `mystery`
    Mystery,
    /// `thriller`
    Thriller,
    /// `romance`
    Romance,
    /// `horror`
    Horror,
    /// `literary`
    Literary,
    /// `historical`
    Historical,
    /// `young-adult`
    YoungAdult,
    /// `other`
    Other,
}

impl Genre {
    /// Every genre, in documentation order.
    pub const ALL: [Genre; 10] = [
        Self::Fantasy,
        Self::ScienceFiction,
        Self::Mystery,
        Self::Thriller,
        Self::Romance,
        Self::Horror,
        Self::Literary,
        Self::Historical,
        Self::YoungAdult,
        Self::Other,
    ];

    /// The kebab-case name, as serialised and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fantasy => "fantasy",
            Self::ScienceFiction => "science-fiction",
            Self::Mystery => "mystery",
            Self::Thriller => "thriller",
            Self::Romance => "romance",
            Self::Horror => "horror",
            Self::Literary => "literary",
            Self::Historical => "historical",
            Self::YoungAdult => "young-adult",
            Self::Other => "other",
        }
    }

    /// The genre with exactly this kebab-case name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde_and_round_trip() {
        for genre in Genre::ALL {
            let json = serde_json::to_string(&genre).unwrap();
            assert_eq!(json, format!("\"{}\"", genre.as_str()));
            assert_eq!(Genre::parse(genre.as_str()), Some(genre));
        }
        assert_eq!(Genre::parse("Fantasy"), None);
        assert_eq!(Genre::parse("sci-fi"), None);
    }
}
