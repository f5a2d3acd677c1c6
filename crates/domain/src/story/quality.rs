//! A story's quality gate policy: how create and patch requests change it, and how it is
//! kept in a story row's `quality` column.
//!
//! Requests give a partial [`QualityPolicy`] (`{"max_revisions": 1, "thresholds":
//! {"max_rep_4": 0.2}}`): a new story's changes apply on top of the default policy, a
//! patch's on top of the story's current one, and a patch's `null` resets to the default.

use fabula_quality::{DialogueRange, DialogueTargets, GateThresholds};

use crate::pipeline::QualityPolicy;
use crate::validation::{ValidationError, Violations};

/// The field name of the policy in requests, responses and field errors.
pub(crate) const FIELD: &str = "quality";

/// A validated change of a story's policy, applied by [`QualityChange::apply_to`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum QualityChange {
    /// Back to [`QualityPolicy::default`] (`"quality": null`).
    Reset,
    /// A partial policy (a JSON object) to merge on top of the current policy.
    Merge(serde_json::Value),
}

impl QualityChange {
    /// Checks the `quality` of a patch: `null` resets, an object must be a valid partial
    /// policy. Only the checks that hold whatever the current policy are made here (see
    /// [`permissive_base`]); [`QualityChange::apply_to`] makes the rest.
    pub(crate) fn check(v: &mut Violations, changes: Option<serde_json::Value>) -> Option<Self> {
        let Some(changes) = changes else {
            return Some(Self::Reset);
        };
        permissive_base()
            .with_changes(v, FIELD, &changes)
            .map(|_| Self::Merge(changes))
    }

    /// The policy that results from this change on top of `current`. Fails only when a
    /// dialogue range bound given alone crosses the other bound of `current`.
    pub(crate) fn apply_to(
        &self,
        current: &QualityPolicy,
    ) -> Result<QualityPolicy, ValidationError> {
        match self {
            Self::Reset => Ok(QualityPolicy::default()),
            Self::Merge(changes) => {
                let mut v = Violations::new();
                let policy = current.with_changes(&mut v, FIELD, changes);
                v.finish(policy)
            }
        }
    }
}

/// The `quality` of a new story: the default policy with `changes` (a partial policy)
/// applied; absent or `null` keeps the default.
pub(crate) fn new_story_policy(
    v: &mut Violations,
    changes: Option<&serde_json::Value>,
) -> Option<QualityPolicy> {
    match changes {
        None | Some(serde_json::Value::Null) => Some(QualityPolicy::default()),
        Some(changes) => QualityPolicy::default().with_changes(v, FIELD, changes),
    }
}

/// A policy that every base-independent valid change is valid on top of: the default with
/// every dialogue range widened to `0..=1`. A change that fails on this base fails on any
/// valid base (wrong type, unknown field, value out of its range, `min > max` given
/// together), so patches report those errors with every other field's.
fn permissive_base() -> QualityPolicy {
    let wide = DialogueRange { min: 0.0, max: 1.0 };
    QualityPolicy {
        thresholds: GateThresholds {
            dialogue: DialogueTargets {
                sparse: wide,
                balanced: wide,
                rich: wide,
            },
            ..GateThresholds::default()
        },
        ..QualityPolicy::default()
    }
}

/// A stored `quality` column that cannot be read back.
#[derive(Debug, thiserror::Error)]
pub enum StoredQualityError {
    /// The column does not hold JSON.
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The JSON is not a valid policy (unknown field, wrong type, value out of range).
    #[error("not a valid quality policy: {0}")]
    Invalid(#[from] ValidationError),
}

/// The JSON kept in a story row's `quality` column (the full policy).
pub fn quality_to_column(policy: &QualityPolicy) -> Result<String, StoredQualityError> {
    Ok(serde_json::to_string(policy)?)
}

/// The policy kept in a story row's `quality` column: SQL `NULL` (rows written before the
/// column existed) is the default policy; fields missing from the JSON take their default
/// (thresholds added since it was written).
pub fn quality_from_column(stored: Option<&str>) -> Result<QualityPolicy, StoredQualityError> {
    let Some(stored) = stored else {
        return Ok(QualityPolicy::default());
    };
    let value: serde_json::Value = serde_json::from_str(stored)?;
    let mut v = Violations::new();
    let policy = QualityPolicy::default().with_changes(&mut v, FIELD, &value);
    Ok(v.finish(policy)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::FieldCode;
    use serde_json::json;

    fn codes(err: &ValidationError) -> Vec<(&str, FieldCode)> {
        err.fields
            .iter()
            .map(|f| (f.field.as_str(), f.code))
            .collect()
    }

    fn check(changes: serde_json::Value) -> Result<QualityChange, ValidationError> {
        let mut v = Violations::new();
        let change = QualityChange::check(&mut v, Some(changes));
        v.finish(change)
    }

    #[test]
    fn a_new_story_merges_its_changes_on_the_default() {
        let mut v = Violations::new();
        let changes = json!({"max_revisions": 1, "thresholds": {"max_rep_4": 0.2}});
        let policy = new_story_policy(&mut v, Some(&changes)).unwrap();
        assert_eq!(policy.max_revisions, 1);
        assert_eq!(policy.thresholds.max_rep_4, 0.2);
        let defaults = GateThresholds::default();
        assert_eq!(policy.thresholds.min_distinct_2, defaults.min_distinct_2);
        assert_eq!(policy.thresholds.dialogue, defaults.dialogue);
        for absent in [None, Some(&serde_json::Value::Null)] {
            assert_eq!(
                new_story_policy(&mut v, absent),
                Some(QualityPolicy::default())
            );
        }
        assert!(v.finish(Some(())).is_ok());
    }

    #[test]
    fn base_independent_errors_are_found_before_the_story_is_read() {
        for (changes, field, code) in [
            (
                json!({"max_revisions": 6}),
                "quality.max_revisions",
                FieldCode::InvalidValue,
            ),
            (
                json!({"thresholds": {"max_rep_4": 1.5}}),
                "quality.thresholds.max_rep_4",
                FieldCode::InvalidValue,
            ),
            (
                json!({"thresholds": {"dialogue": {"rich": {"min": 0.9, "max": 0.8}}}}),
                "quality.thresholds.dialogue.rich.max",
                FieldCode::InvalidValue,
            ),
            (
                json!({"colour": 1}),
                "quality.colour",
                FieldCode::InvalidValue,
            ),
            (json!("strict"), "quality", FieldCode::InvalidType),
        ] {
            let err = check(changes.clone()).unwrap_err();
            assert_eq!(codes(&err), [(field, code)], "{changes}");
        }
    }

    #[test]
    fn a_dialogue_bound_given_alone_is_checked_against_the_current_policy() {
        let changes = json!({"thresholds": {"dialogue": {"rich": {"min": 0.8}}}});
        let change = check(changes).expect("valid for some policy");
        let err = change.apply_to(&QualityPolicy::default()).unwrap_err();
        assert_eq!(
            codes(&err),
            [(
                "quality.thresholds.dialogue.rich.max",
                FieldCode::InvalidValue
            )],
            "the default rich range ends at 0.75"
        );
        let mut wide = QualityPolicy::default();
        wide.thresholds.dialogue.rich.max = 0.9;
        let policy = change.apply_to(&wide).unwrap();
        assert_eq!(policy.thresholds.dialogue.rich.min, 0.8);
        assert_eq!(policy.thresholds.dialogue.rich.max, 0.9);
    }

    #[test]
    fn a_change_keeps_the_rest_and_null_resets() {
        let current = QualityPolicy {
            max_revisions: 4,
            thresholds: GateThresholds {
                min_distinct_2: 0.5,
                ..GateThresholds::default()
            },
        };
        let change = check(json!({"thresholds": {"max_rep_4": 0.3}})).unwrap();
        let policy = change.apply_to(&current).unwrap();
        assert_eq!(policy.max_revisions, 4);
        assert_eq!(policy.thresholds.min_distinct_2, 0.5);
        assert_eq!(policy.thresholds.max_rep_4, 0.3);
        let mut v = Violations::new();
        let reset = QualityChange::check(&mut v, None).unwrap();
        assert_eq!(reset.apply_to(&current).unwrap(), QualityPolicy::default());
    }

    #[test]
    fn the_column_round_trips_and_null_is_the_default() {
        let policy = QualityPolicy {
            max_revisions: 0,
            thresholds: GateThresholds {
                max_slop_index: 20.5,
                ..GateThresholds::default()
            },
        };
        let stored = quality_to_column(&policy).unwrap();
        assert_eq!(quality_from_column(Some(&stored)).unwrap(), policy);
        assert_eq!(quality_from_column(None).unwrap(), QualityPolicy::default());
        let partial = quality_from_column(Some(r#"{"max_revisions": 1}"#)).unwrap();
        assert_eq!(partial.thresholds, GateThresholds::default());
    }

    #[test]
    fn a_column_that_no_longer_parses_is_an_error() {
        for stored in [
            "not json",
            "[1]",
            "null",
            r#"{"max_revisions": 99}"#,
            r#"{"thresholds": {"retired": 0.5}}"#,
        ] {
            assert!(quality_from_column(Some(stored)).is_err(), "{stored}");
        }
    }
}
