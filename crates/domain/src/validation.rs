//! Field-level validation errors and the small rules shared by every input type.

use std::ops::RangeInclusive;

use serde::Serialize;

/// Machine-readable reason a single field was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldCode {
    /// The field is missing or `null` but must be given.
    Required,
    /// The value is shorter than allowed (e.g. empty after trimming).
    TooShort,
    /// The value is longer than allowed.
    TooLong,
    /// The number lies outside its allowed range.
    OutOfRange,
    /// The value has the right type but is not an accepted value.
    InvalidValue,
    /// The value has the wrong JSON type.
    InvalidType,
    /// The field is not part of the input type.
    UnknownField,
    /// A partial update changes nothing.
    EmptyPatch,
}

/// One rejected field: which field, why (machine code) and a human message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name in the input (`body` when the error concerns the whole body).
    pub field: String,
    /// Why the field was rejected.
    pub code: FieldCode,
    /// A human-readable explanation.
    pub message: String,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(field: impl Into<String>, code: FieldCode, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// Every field error found in one input, reported together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("validation failed: {}", summary(.fields))]
pub struct ValidationError {
    /// The rejected fields, in input order; never empty.
    pub fields: Vec<FieldError>,
}

impl ValidationError {
    /// A validation error about a single field.
    pub fn single(field: impl Into<String>, code: FieldCode, message: impl Into<String>) -> Self {
        Self {
            fields: vec![FieldError::new(field, code, message)],
        }
    }
}

impl From<FieldError> for ValidationError {
    fn from(error: FieldError) -> Self {
        Self {
            fields: vec![error],
        }
    }
}

fn summary(fields: &[FieldError]) -> String {
    fields
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Collects field errors while an input is checked, so all of them are reported at once.
#[derive(Debug, Default)]
pub struct Violations {
    fields: Vec<FieldError>,
}

impl Violations {
    /// Starts with no errors.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one field error.
    pub fn push(&mut self, field: &str, code: FieldCode, message: impl Into<String>) {
        self.fields.push(FieldError::new(field, code, message));
    }

    /// `Ok(value)` when nothing was recorded, otherwise every recorded error.
    ///
    /// `value` is `None` exactly when some check failed, so callers build it from the
    /// per-field `Option`s their checks returned.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, ValidationError> {
        match value {
            Some(value) if self.fields.is_empty() => Ok(value),
            _ => Err(ValidationError {
                fields: self.fields,
            }),
        }
    }

    /// Trims `value` and checks that it has `1..=max_chars` characters.
    pub fn text(&mut self, field: &str, value: String, max_chars: usize) -> Option<String> {
        let trimmed = value.trim();
        let chars = trimmed.chars().count();
        if chars == 0 {
            self.push(field, FieldCode::TooShort, "must not be empty");
            None
        } else if chars > max_chars {
            self.push(
                field,
                FieldCode::TooLong,
                format!("must be at most {max_chars} characters (got {chars})"),
            );
            None
        } else if trimmed.len() == value.len() {
            Some(value)
        } else {
            Some(trimmed.to_owned())
        }
    }

    /// Checks that `value` lies in `range`.
    pub fn in_range(&mut self, field: &str, value: i64, range: RangeInclusive<u32>) -> Option<u32> {
        match u32::try_from(value) {
            Ok(v) if range.contains(&v) => Some(v),
            _ => {
                self.push(
                    field,
                    FieldCode::OutOfRange,
                    format!(
                        "must be between {} and {} (got {value})",
                        range.start(),
                        range.end()
                    ),
                );
                None
            }
        }
    }

    /// Records `required` for a missing (or `null`) field and passes a present one through.
    pub fn required<T>(&mut self, field: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.push(field, FieldCode::Required, "is required");
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_trims_and_bounds_by_characters() {
        let mut v = Violations::new();
        assert_eq!(v.text("t", "  hi  ".into(), 2), Some("hi".into()));
        assert_eq!(v.text("t", "ééé".into(), 3), Some("ééé".into()));
        assert_eq!(v.text("t", "   ".into(), 3), None);
        assert_eq!(v.text("t", "abcd".into(), 3), None);
        let err = v.finish(Some(())).unwrap_err();
        let codes: Vec<_> = err.fields.iter().map(|f| f.code).collect();
        assert_eq!(codes, [FieldCode::TooShort, FieldCode::TooLong]);
    }

    #[test]
    fn range_rejects_negative_and_huge_values() {
        let mut v = Violations::new();
        assert_eq!(v.in_range("n", 5, 1..=10), Some(5));
        assert_eq!(v.in_range("n", -1, 1..=10), None);
        assert_eq!(v.in_range("n", i64::MAX, 1..=10), None);
        assert_eq!(v.finish(Some(())).unwrap_err().fields.len(), 2);
    }

    #[test]
    fn display_lists_every_field() {
        let err = ValidationError {
            fields: vec![
                FieldError::new("a", FieldCode::Required, "is required"),
                FieldError::new("b", FieldCode::TooLong, "too long"),
            ],
        };
        assert_eq!(
            err.to_string(),
            "validation failed: a: is required; b: too long"
        );
    }

    #[test]
    fn codes_serialise_as_snake_case() {
        let json =
            serde_json::to_string(&[FieldCode::UnknownField, FieldCode::EmptyPatch]).unwrap();
        assert_eq!(json, r#"["unknown_field","empty_patch"]"#);
    }
}
