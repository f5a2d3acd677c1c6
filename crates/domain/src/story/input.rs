//! Client input that creates or changes a story, and its validation.
//!
//! Inputs deserialise leniently (every field optional, untyped where a typed parse would
//! stop at the first bad field) so that validation can report every problem at once.

use serde::Deserialize;

use super::Genre;
use super::model::{
    CHAPTER_COUNT_RANGE, DEFAULT_CHAPTER_COUNT, DEFAULT_TARGET_WORDS, PREMISE_MAX_CHARS,
    TARGET_WORDS_RANGE, TITLE_MAX_CHARS,
};
use crate::json_body::present;
use crate::validation::{FieldCode, ValidationError, Violations};

/// Body of a create request. `target_words`, `chapter_count` and `public` default when
/// absent.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStory {
    /// Required title.
    pub title: Option<String>,
    /// Required premise.
    pub premise: Option<String>,
    /// Required genre name (kebab-case).
    pub genre: Option<String>,
    /// Optional target length in words.
    pub target_words: Option<i64>,
    /// Optional number of chapters.
    pub chapter_count: Option<i64>,
    /// Whether every caller may read the story (default: private to its tenant).
    pub public: Option<bool>,
}

/// A validated [`NewStory`]: every field present, trimmed and within its limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryDraft {
    pub(crate) title: String,
    pub(crate) premise: String,
    pub(crate) genre: Genre,
    pub(crate) target_words: u32,
    pub(crate) chapter_count: u32,
    pub(crate) public: bool,
}

/// Body of a partial update. Absent fields stay unchanged; `null` is refused because no
/// story field can be cleared. `version` is the version the client last saw.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoryPatch {
    /// New title.
    #[serde(default, deserialize_with = "present")]
    pub title: Option<Option<String>>,
    /// New premise.
    #[serde(default, deserialize_with = "present")]
    pub premise: Option<Option<String>>,
    /// New genre name.
    #[serde(default, deserialize_with = "present")]
    pub genre: Option<Option<String>>,
    /// New target length in words.
    #[serde(default, deserialize_with = "present")]
    pub target_words: Option<Option<i64>>,
    /// New number of chapters.
    #[serde(default, deserialize_with = "present")]
    pub chapter_count: Option<Option<i64>>,
    /// New visibility.
    #[serde(default, deserialize_with = "present")]
    pub public: Option<Option<bool>>,
    /// The version the change is based on (alternative to an `If-Match` header).
    pub version: Option<u64>,
}

/// The validated changes of a [`StoryPatch`]; `None` leaves a field unchanged.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StoryChanges {
    pub(crate) title: Option<String>,
    pub(crate) premise: Option<String>,
    pub(crate) genre: Option<Genre>,
    pub(crate) target_words: Option<u32>,
    pub(crate) chapter_count: Option<u32>,
    pub(crate) public: Option<bool>,
}

/// A validated [`StoryPatch`]: at least one change, plus the optional expected version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedPatch {
    /// What to change.
    pub changes: StoryChanges,
    /// The `version` field of the body, if given.
    pub expected_version: Option<u64>,
}

impl NewStory {
    /// Checks every field and reports all violations together.
    pub fn validate(self) -> Result<StoryDraft, ValidationError> {
        let mut v = Violations::new();
        let title = v
            .required("title", self.title)
            .and_then(|t| v.text("title", t, TITLE_MAX_CHARS));
        let premise = v
            .required("premise", self.premise)
            .and_then(|p| v.text("premise", p, PREMISE_MAX_CHARS));
        let genre = v
            .required("genre", self.genre)
            .and_then(|g| check_genre(&mut v, &g));
        let target_words = v.in_range(
            "target_words",
            self.target_words.unwrap_or(DEFAULT_TARGET_WORDS.into()),
            TARGET_WORDS_RANGE,
        );
        let chapter_count = v.in_range(
            "chapter_count",
            self.chapter_count.unwrap_or(DEFAULT_CHAPTER_COUNT.into()),
            CHAPTER_COUNT_RANGE,
        );
        let public = self.public.unwrap_or(false);
        let draft = match (title, premise, genre, target_words, chapter_count) {
            (Some(title), Some(premise), Some(genre), Some(target_words), Some(chapter_count)) => {
                Some(StoryDraft {
                    title,
                    premise,
                    genre,
                    target_words,
                    chapter_count,
                    public,
                })
            }
            _ => None,
        };
        v.finish(draft)
    }
}

impl StoryPatch {
    /// Checks every given field and reports all violations together; a patch that
    /// changes nothing is an `empty_patch` error.
    pub fn validate(self) -> Result<ValidatedPatch, ValidationError> {
        let mut v = Violations::new();
        let title = patch_field(&mut v, "title", self.title, |v, t| {
            v.text("title", t, TITLE_MAX_CHARS)
        });
        let premise = patch_field(&mut v, "premise", self.premise, |v, p| {
            v.text("premise", p, PREMISE_MAX_CHARS)
        });
        let genre = patch_field(&mut v, "genre", self.genre, |v, g| check_genre(v, &g));
        let target_words = patch_field(&mut v, "target_words", self.target_words, |v, n| {
            v.in_range("target_words", n, TARGET_WORDS_RANGE)
        });
        let chapter_count = patch_field(&mut v, "chapter_count", self.chapter_count, |v, n| {
            v.in_range("chapter_count", n, CHAPTER_COUNT_RANGE)
        });
        let public = patch_field(&mut v, "public", self.public, |_, p| Some(p));
        let changes = match (title, premise, genre, target_words, chapter_count, public) {
            (
                Some(title),
                Some(premise),
                Some(genre),
                Some(target_words),
                Some(chapter_count),
                Some(public),
            ) => Some(StoryChanges {
                title,
                premise,
                genre,
                target_words,
                chapter_count,
                public,
            }),
            _ => None,
        };
        if changes.as_ref() == Some(&StoryChanges::default()) {
            v.push(
                "body",
                FieldCode::EmptyPatch,
                "must change at least one of title, premise, genre, target_words, chapter_count, \
                 public",
            );
        }
        let changes = v.finish(changes)?;
        Ok(ValidatedPatch {
            changes,
            expected_version: self.version,
        })
    }
}

/// Checks one patch field: `Some(None)` = unchanged, `Some(Some(x))` = valid change,
/// `None` = invalid (already recorded in `v`).
fn patch_field<T, U>(
    v: &mut Violations,
    field: &str,
    value: Option<Option<T>>,
    check: impl FnOnce(&mut Violations, T) -> Option<U>,
) -> Option<Option<U>> {
    match value {
        None => Some(None),
        Some(None) => {
            v.push(
                field,
                FieldCode::InvalidValue,
                "must not be null (omit the field to leave it unchanged)",
            );
            None
        }
        Some(Some(value)) => check(v, value).map(Some),
    }
}

fn check_genre(v: &mut Violations, name: &str) -> Option<Genre> {
    let genre = Genre::parse(name);
    if genre.is_none() {
        let allowed: Vec<_> = Genre::ALL.iter().map(|g| g.as_str()).collect();
        v.push(
            "genre",
            FieldCode::InvalidValue,
            format!("must be one of: {}", allowed.join(", ")),
        );
    }
    genre
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json_body::{BodyError, from_json_object};
    use crate::validation::FieldError;

    fn new_story(json: &str) -> Result<StoryDraft, ValidationError> {
        serde_json::from_str::<NewStory>(json).unwrap().validate()
    }

    fn patch(json: &str) -> Result<ValidatedPatch, ValidationError> {
        serde_json::from_str::<StoryPatch>(json).unwrap().validate()
    }

    fn codes(err: &ValidationError) -> Vec<(&str, FieldCode)> {
        err.fields
            .iter()
            .map(|FieldError { field, code, .. }| (field.as_str(), *code))
            .collect()
    }

    #[test]
    fn valid_new_story_is_trimmed_and_defaulted() {
        let draft =
            new_story(r#"{"title": "  Dune ", "premise": " Sand. ", "genre": "science-fiction"}"#)
                .unwrap();
        assert_eq!(draft.title, "Dune");
        assert_eq!(draft.premise, "Sand.");
        assert_eq!(draft.genre, Genre::ScienceFiction);
        assert_eq!(draft.target_words, DEFAULT_TARGET_WORDS);
        assert_eq!(draft.chapter_count, DEFAULT_CHAPTER_COUNT);
        assert!(!draft.public, "stories are private unless marked public");
    }

    #[test]
    fn public_is_taken_and_patched() {
        let draft =
            new_story(r#"{"title": "T", "premise": "P", "genre": "other", "public": true}"#)
                .unwrap();
        assert!(draft.public);
        assert_eq!(
            patch(r#"{"public": false}"#).unwrap().changes.public,
            Some(false)
        );
        assert_eq!(
            codes(&patch(r#"{"public": null}"#).unwrap_err()),
            [("public", FieldCode::InvalidValue)]
        );
        let err = from_json_object::<NewStory>(br#"{"public": "yes"}"#).unwrap_err();
        let BodyError::Invalid(err) = err else {
            panic!("{err:?}")
        };
        assert_eq!(codes(&err), [("public", FieldCode::InvalidType)]);
    }

    #[test]
    fn null_optional_numbers_take_defaults() {
        let draft = new_story(
            r#"{"title": "T", "premise": "P", "genre": "other", "target_words": null, "chapter_count": null}"#,
        )
        .unwrap();
        assert_eq!(draft.target_words, DEFAULT_TARGET_WORDS);
    }

    #[test]
    fn every_field_error_is_reported_at_once() {
        let err = new_story(
            r#"{"title": "   ", "genre": "Space Opera", "target_words": 999, "chapter_count": 101}"#,
        )
        .unwrap_err();
        assert_eq!(
            codes(&err),
            [
                ("title", FieldCode::TooShort),
                ("premise", FieldCode::Required),
                ("genre", FieldCode::InvalidValue),
                ("target_words", FieldCode::OutOfRange),
                ("chapter_count", FieldCode::OutOfRange),
            ]
        );
    }

    #[test]
    fn limits_are_inclusive() {
        let ok = format!(
            r#"{{"title": "{}", "premise": "{}", "genre": "horror", "target_words": 500000, "chapter_count": 1}}"#,
            "t".repeat(TITLE_MAX_CHARS),
            "p".repeat(PREMISE_MAX_CHARS)
        );
        assert!(new_story(&ok).is_ok());
        let too_long = format!(
            r#"{{"title": "{}", "premise": "{}", "genre": "horror", "target_words": 1000, "chapter_count": 100}}"#,
            "t".repeat(TITLE_MAX_CHARS + 1),
            "p".repeat(PREMISE_MAX_CHARS + 1)
        );
        assert_eq!(
            codes(&new_story(&too_long).unwrap_err()),
            [
                ("title", FieldCode::TooLong),
                ("premise", FieldCode::TooLong)
            ]
        );
    }

    #[test]
    fn missing_required_fields() {
        let err = new_story("{}").unwrap_err();
        assert_eq!(
            codes(&err),
            [
                ("title", FieldCode::Required),
                ("premise", FieldCode::Required),
                ("genre", FieldCode::Required),
            ]
        );
    }

    #[test]
    fn unknown_fields_are_refused_through_the_body_parser() {
        let err = from_json_object::<NewStory>(br#"{"title": "T", "id": "x"}"#).unwrap_err();
        let BodyError::Invalid(err) = err else {
            panic!("{err:?}")
        };
        assert_eq!(codes(&err), [("id", FieldCode::UnknownField)]);
        let err = from_json_object::<StoryPatch>(br#"{"created_at": "x"}"#).unwrap_err();
        assert!(matches!(err, BodyError::Invalid(_)));
    }

    #[test]
    fn wrong_type_through_the_body_parser_names_the_field() {
        let err = from_json_object::<NewStory>(br#"{"chapter_count": "12"}"#).unwrap_err();
        let BodyError::Invalid(err) = err else {
            panic!("{err:?}")
        };
        assert_eq!(codes(&err), [("chapter_count", FieldCode::InvalidType)]);
    }

    #[test]
    fn patch_with_changes_and_version() {
        let valid = patch(r#"{"title": " New ", "target_words": 2000, "version": 3}"#).unwrap();
        assert_eq!(valid.expected_version, Some(3));
        assert_eq!(valid.changes.title.as_deref(), Some("New"));
        assert_eq!(valid.changes.target_words, Some(2000));
        assert_eq!(valid.changes.genre, None);
    }

    #[test]
    fn empty_patch_is_an_error_even_with_a_version() {
        for body in ["{}", r#"{"version": 2}"#] {
            assert_eq!(
                codes(&patch(body).unwrap_err()),
                [("body", FieldCode::EmptyPatch)],
                "{body}"
            );
        }
    }

    #[test]
    fn patch_nulls_and_bad_values_are_all_reported() {
        let err = patch(r#"{"title": null, "genre": "epic", "chapter_count": 0}"#).unwrap_err();
        assert_eq!(
            codes(&err),
            [
                ("title", FieldCode::InvalidValue),
                ("genre", FieldCode::InvalidValue),
                ("chapter_count", FieldCode::OutOfRange),
            ]
        );
    }
}
