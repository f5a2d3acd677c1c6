//! Genre instructions and writing-style options, as data (`data/style.json`).

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::spec::{DialogueLevel, Pov, Tense};

/// The style book shipped with the crate; its shape is checked by the tests.
static BOOK: LazyLock<StyleBook> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../data/style.json"))
        .expect("data/style.json is valid (checked by the style tests)")
});

/// How one option (a genre, a point of view, ...) is named and written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Guide {
    /// Human label shown in prompts (`first person`, `science fiction`).
    pub label: String,
    /// Instructions for the writer.
    pub instructions: String,
    /// A genre's default tone, when neither the user nor the analysis gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tone: Option<String>,
}

/// The data file; its top-level `version` documents the data for reviewers and is not read.
#[derive(Debug, Deserialize)]
struct StyleBook {
    genres: Genres,
    pov: PovGuides,
    tense: TenseGuides,
    dialogue: DialogueGuides,
    fallback_protagonists: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Genres {
    fantasy: Guide,
    science_fiction: Guide,
    mystery: Guide,
    thriller: Guide,
    romance: Guide,
    horror: Guide,
    literary: Guide,
    historical: Guide,
    young_adult: Guide,
    other: Guide,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct PovGuides {
    first_person: Guide,
    third_limited: Guide,
    third_omniscient: Guide,
    second_person: Guide,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct TenseGuides {
    past: Guide,
    present: Guide,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct DialogueGuides {
    sparse: Guide,
    balanced: Guide,
    rich: Guide,
}

/// The canonical genre key for `raw` (case, spaces and underscores forgiven); unknown → `other`.
pub(crate) fn genre_key(raw: &str) -> &'static str {
    let key = raw.trim().to_lowercase().replace([' ', '_'], "-");
    match key.as_str() {
        "fantasy" => "fantasy",
        "science-fiction" | "sci-fi" | "scifi" => "science-fiction",
        "mystery" => "mystery",
        "thriller" => "thriller",
        "romance" => "romance",
        "horror" => "horror",
        "literary" | "literary-fiction" => "literary",
        "historical" | "historical-fiction" => "historical",
        "young-adult" | "ya" => "young-adult",
        _ => "other",
    }
}

/// The guide of a genre key (as returned by [`genre_key`]).
pub(crate) fn genre(key: &str) -> &'static Guide {
    let g = &BOOK.genres;
    match genre_key(key) {
        "fantasy" => &g.fantasy,
        "science-fiction" => &g.science_fiction,
        "mystery" => &g.mystery,
        "thriller" => &g.thriller,
        "romance" => &g.romance,
        "horror" => &g.horror,
        "literary" => &g.literary,
        "historical" => &g.historical,
        "young-adult" => &g.young_adult,
        _ => &g.other,
    }
}

/// The guide of a point of view.
pub(crate) fn pov(pov: Pov) -> &'static Guide {
    let g = &BOOK.pov;
    match pov {
        Pov::FirstPerson => &g.first_person,
        Pov::ThirdLimited => &g.third_limited,
        Pov::ThirdOmniscient => &g.third_omniscient,
        Pov::SecondPerson => &g.second_person,
    }
}

/// The guide of a tense.
pub(crate) fn tense(tense: Tense) -> &'static Guide {
    match tense {
        Tense::Past => &BOOK.tense.past,
        Tense::Present => &BOOK.tense.present,
    }
}

/// The guide of a dialogue level.
pub(crate) fn dialogue(level: DialogueLevel) -> &'static Guide {
    let g = &BOOK.dialogue;
    match level {
        DialogueLevel::Sparse => &g.sparse,
        DialogueLevel::Balanced => &g.balanced,
        DialogueLevel::Rich => &g.rich,
    }
}

/// A protagonist's name for an analysis that named nobody, chosen by `seed`.
pub(crate) fn fallback_protagonist(seed: u64) -> &'static str {
    let names = &BOOK.fallback_protagonists;
    // The list is non-empty (checked by the tests); the fallback only guards the arithmetic.
    let index = usize::try_from(seed % names.len().max(1) as u64).unwrap_or(0);
    names.get(index).map_or("The protagonist", String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GENRES: [&str; 10] = [
        "fantasy",
        "science-fiction",
        "mystery",
        "thriller",
        "romance",
        "horror",
        "literary",
        "historical",
        "young-adult",
        "other",
    ];

    #[test]
    fn the_style_book_loads_and_every_option_has_text() {
        let mut guides: Vec<&Guide> = GENRES.iter().map(|g| genre(g)).collect();
        guides.extend(
            [
                Pov::FirstPerson,
                Pov::ThirdLimited,
                Pov::ThirdOmniscient,
                Pov::SecondPerson,
            ]
            .map(pov),
        );
        guides.extend([Tense::Past, Tense::Present].map(tense));
        guides.extend(
            [
                DialogueLevel::Sparse,
                DialogueLevel::Balanced,
                DialogueLevel::Rich,
            ]
            .map(dialogue),
        );
        for guide in guides {
            assert!(!guide.label.trim().is_empty());
            assert!(!guide.instructions.trim().is_empty(), "{}", guide.label);
            assert!(!guide.instructions.contains('\n'), "{}", guide.label);
        }
        for key in GENRES {
            assert!(genre(key).tone.is_some(), "{key} has a default tone");
        }
        assert!(!BOOK.fallback_protagonists.is_empty());
    }

    #[test]
    fn each_genre_key_has_its_own_instructions() {
        let distinct: std::collections::BTreeSet<&str> = GENRES
            .iter()
            .map(|g| genre(g).instructions.as_str())
            .collect();
        assert_eq!(distinct.len(), GENRES.len());
        for key in GENRES {
            assert_eq!(genre_key(key), key);
        }
    }

    #[test]
    fn genre_keys_are_forgiving_and_unknown_ones_read_as_other() {
        assert_eq!(genre_key("Science Fiction"), "science-fiction");
        assert_eq!(genre_key(" young_adult "), "young-adult");
        assert_eq!(genre_key("cozy-western"), "other");
        assert_eq!(genre("cozy-western"), genre("other"));
    }

    #[test]
    fn the_fallback_protagonist_depends_only_on_the_seed() {
        assert_eq!(fallback_protagonist(3), fallback_protagonist(3));
        assert_eq!(fallback_protagonist(0), BOOK.fallback_protagonists[0]);
        assert_eq!(
            fallback_protagonist(BOOK.fallback_protagonists.len() as u64 + 1),
            BOOK.fallback_protagonists[1]
        );
    }
}
