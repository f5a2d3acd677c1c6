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
use super::quality::{QualityChange, new_story_policy};
use crate::json_body::present;
use crate::pipeline::QualityPolicy;
use crate::validation::{FieldCode, ValidationError, Violations};

/// Body of a create request. `target_words`, `chapter_count`, `public` and `quality`
/// default when absent.
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
    /// Changes to the default quality gate policy (a partial [`QualityPolicy`]).
    pub quality: Option<serde_json::Value>,
}

/// A validated [`NewStory`]: every field present, trimmed and within its limits.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryDraft {
    pub(crate) title: String,
    pub(crate) premise: String,
    pub(crate) genre: Genre,
    pub(crate) target_words: u32,
    pub(crate) chapter_count: u32,
    pub(crate) public: bool,
    pub(crate) quality: QualityPolicy,
}

/// Body of a partial update. Absent fields stay unchanged; `null` is refused, except for
/// `quality`, where it resets the policy to the default. `version` is the version the
/// client last saw.
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
    /// Changes to the story's quality gate policy (a partial [`QualityPolicy`] applied on
    /// top of the current one), or `null` to reset it to the default.
    #[serde(default, deserialize_with = "present")]
    pub quality: Option<Option<serde_json::Value>>,
    /// The version the change is based on (alternative to an `If-Match` header).
    pub version: Option<u64>,
}

/// The validated changes of a [`StoryPatch`]; `None` leaves a field unchanged.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct StoryChanges {
    pub(crate) title: Option<String>,
    pub(crate) premise: Option<String>,
    pub(crate) genre: Option<Genre>,
    pub(crate) target_words: Option<u32>,
    pub(crate) chapter_count: Option<u32>,
    pub(crate) public: Option<bool>,
    pub(crate) quality: Option<QualityChange>,
}

/// A validated [`StoryPatch`]: at least one change, plus the optional expected version.
#[derive(Debug, Clone, PartialEq)]
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
        let quality = new_story_policy(&mut v, self.quality.as_ref());
        let draft = match (title, premise, genre, target_words, chapter_count, quality) {
            (
                Some(title),
                Some(premise),
                Some(genre),
                Some(target_words),
                Some(chapter_count),
                Some(quality),
            ) => Some(StoryDraft {
                title,
                premise,
                genre,
                target_words,
                chapter_count,
                public,
                quality,
            }),
            _ => None,
        };
        v.finish(draft)
    }
}

impl StoryPatch {
    /// Checks every given field and reports all violations together; a patch that
    /// changes nothing is an `empty_patch` error. A `quality` change is checked as far as
    /// it can be without the story; [`Story::apply`](super::Story::apply) checks the rest.
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
        let quality = match self.quality {
            None => Some(None),
            Some(changes) => QualityChange::check(&mut v, changes).map(Some),
        };
        let changes = match (
            title,
            premise,
            genre,
            target_words,
            chapter_count,
            public,
            quality,
        ) {
            (
                Some(title),
                Some(premise),
                Some(genre),
                Some(target_words),
                Some(chapter_count),
                Some(public),
                Some(quality),
            ) => Some(StoryChanges {
                title,
                premise,
                genre,
                target_words,
                chapter_count,
                public,
                quality,
            }),
            _ => None,
        };
        if changes.as_ref() == Some(&StoryChanges::default()) {
            v.push(
                "body",
                FieldCode::EmptyPatch,
                "must change at least one of title, premise, genre, target_words, chapter_count, \
                 public, quality",
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
    fn a_new_story_takes_a_partial_quality_policy_on_top_of_the_default() {
        let draft = new_story(
            r#"{"title": "T", "premise": "P", "genre": "other",
                "quality": {"max_revisions": 1, "thresholds": {"max_rep_4": 0.2}}}"#,
        )
        .unwrap();
        assert_eq!(draft.quality.max_revisions, 1);
        assert_eq!(draft.quality.thresholds.max_rep_4, 0.2);
        let defaults = QualityPolicy::default().thresholds;
        assert_eq!(
            draft.quality.thresholds.min_distinct_3,
            defaults.min_distinct_3
        );
        for absent in ["", r#", "quality": null"#, r#", "quality": {}"#] {
            let body = format!(r#"{{"title": "T", "premise": "P", "genre": "other"{absent}}}"#);
            assert_eq!(
                new_story(&body).unwrap().quality,
                QualityPolicy::default(),
                "{body}"
            );
        }
    }

    #[test]
    fn bad_quality_policies_are_reported_with_every_other_field() {
        let err = new_story(
            r#"{"title": "", "premise": "P", "genre": "other",
                "quality": {"max_revisions": 6, "thresholds": {"max_rep_4": 2}}}"#,
        )
        .unwrap_err();
        assert_eq!(
            codes(&err),
            [
                ("title", FieldCode::TooShort),
                ("quality.thresholds.max_rep_4", FieldCode::InvalidValue),
                ("quality.max_revisions", FieldCode::InvalidValue),
            ]
        );
        let valid = r#""title": "T", "premise": "P", "genre": "other""#;
        for (quality, field, code) in [
            (r#"{"max_revisions": 5}"#, None, FieldCode::InvalidValue),
            (
                r#"{"max_revisions": -1}"#,
                Some("quality.max_revisions"),
                FieldCode::InvalidValue,
            ),
            (
                r#"{"thresholds": {"min_length_score": 101}}"#,
                Some("quality.thresholds.min_length_score"),
                FieldCode::InvalidValue,
            ),
            (
                r#"{"thresholds": {"max_rep_5": 0.1}}"#,
                Some("quality.thresholds.max_rep_5"),
                FieldCode::InvalidValue,
            ),
            (r#""strict""#, Some("quality"), FieldCode::InvalidType),
        ] {
            let body = format!(r#"{{{valid}, "quality": {quality}}}"#);
            match (new_story(&body), field) {
                (Ok(_), None) => {}
                (Err(err), Some(field)) => assert_eq!(codes(&err), [(field, code)], "{body}"),
                (other, _) => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn patches_take_quality_changes_and_null_resets() {
        let valid = patch(r#"{"quality": {"thresholds": {"max_rep_4": 0.3}}}"#).unwrap();
        assert!(
            valid.changes.quality.is_some(),
            "a quality-only patch is not empty"
        );
        assert_eq!(
            patch(r#"{"quality": null}"#).unwrap().changes.quality,
            Some(QualityChange::Reset)
        );
        let err = patch(r#"{"title": null, "quality": {"max_revisions": 9}}"#).unwrap_err();
        assert_eq!(
            codes(&err),
            [
                ("title", FieldCode::InvalidValue),
                ("quality.max_revisions", FieldCode::InvalidValue),
            ]
        );
        assert_eq!(
            codes(&patch(r#"{"quality": [1]}"#).unwrap_err()),
            [("quality", FieldCode::InvalidType)]
        );
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
