//! Parsing a raw JSON request body into an input type, with serde errors turned into
//! field-level errors where the failing field is known.

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Deserializer};

use crate::validation::{FieldCode, FieldError, ValidationError};

/// Longest field name echoed back in an error (unknown keys are client-controlled).
const MAX_ECHOED_FIELD_CHARS: usize = 64;

/// Why a JSON body could not be turned into an input type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// The body is not well-formed JSON (or is empty); the message says where it broke.
    #[error("request body is not valid JSON: {0}")]
    Syntax(String),
    /// The body is well-formed JSON but not an object.
    #[error("request body must be a JSON object")]
    NotAnObject,
    /// The body is an object but a field has an unknown name, a wrong type or a bad value.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
}

/// Parses `body` as a JSON object into `T`, rejecting trailing data and non-object bodies.
pub fn from_json_object<T: DeserializeOwned>(body: &[u8]) -> Result<T, BodyError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        None => return Err(BodyError::Syntax("request body is empty".into())),
        Some(b'{') => {}
        Some(_) => {
            // serde would happily read a struct from an array, so anything that is not an
            // object is refused here; only the kind of refusal depends on the syntax.
            return match serde_json::from_slice::<IgnoredAny>(body) {
                Ok(_) => Err(BodyError::NotAnObject),
                Err(e) => Err(BodyError::Syntax(clean_message(&e))),
            };
        }
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| classify_json_error(&e))?;
    de.end().map_err(|e| BodyError::Syntax(clean_message(&e)))?;
    Ok(value)
}

/// Turns a serde_json error met while deserialising a body into a [`BodyError`]: syntax
/// problems stay body-level, data problems become a field error naming the field
/// (`unknown_field`, `invalid_type`, `invalid_value`, `required`).
pub fn classify_json_error(err: &serde_path_to_error::Error<serde_json::Error>) -> BodyError {
    let inner = err.inner();
    let message = clean_message(inner);
    if !inner.is_data() {
        return BodyError::Syntax(message);
    }
    let path = err.path().to_string();
    let at_root = err.path().iter().next().is_none();
    let field_error = if let Some(name) = quoted_after(&message, "unknown field `") {
        FieldError::new(echo(name), FieldCode::UnknownField, "is not a known field")
    } else if let Some(name) = quoted_after(&message, "duplicate field `") {
        FieldError::new(
            echo(name),
            FieldCode::InvalidValue,
            "is given more than once",
        )
    } else if let Some(name) = quoted_after(&message, "missing field `") {
        FieldError::new(echo(name), FieldCode::Required, "is required")
    } else if at_root {
        return BodyError::NotAnObject;
    } else if let Some(expected) = expected_after(&message, "invalid type: ") {
        FieldError::new(
            echo(&path),
            FieldCode::InvalidType,
            format!("must be {expected}"),
        )
    } else if let Some(expected) = expected_after(&message, "invalid value: ") {
        FieldError::new(
            echo(&path),
            FieldCode::InvalidValue,
            format!("must be {expected}"),
        )
    } else {
        FieldError::new(echo(&path), FieldCode::InvalidValue, "has an invalid value")
    };
    BodyError::Invalid(field_error.into())
}

/// Deserialises a field that is present (possibly `null`) as `Some(value)`, so that
/// with `#[serde(default)]` an absent field (`None`) differs from `null` (`Some(None)`).
pub(crate) fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// The serde_json message without its ` at line L column C` suffix.
fn clean_message(err: &serde_json::Error) -> String {
    let full = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    full.strip_suffix(&suffix).unwrap_or(&full).to_owned()
}

/// For messages like ``unknown field `x`, expected ...``: the name between the backticks.
fn quoted_after<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?;
    // The name may itself contain backticks, so look for serde's fixed tails from the right
    // (what follows them is serde's own text about our field names, never client data).
    let end = ["`, expected ", "`, there are no fields"]
        .iter()
        .find_map(|tail| rest.rfind(tail))
        .or_else(|| rest.strip_suffix('`').map(str::len))?;
    Some(&rest[..end])
}

/// For messages like ``invalid type: integer `5`, expected a string``: a friendly
/// rendering of what was expected. Only serde's own wording is used (never the value).
fn expected_after(message: &str, prefix: &str) -> Option<String> {
    let rest = message.strip_prefix(prefix)?;
    let expected = &rest[rest.rfind(", expected ")? + ", expected ".len()..];
    Some(
        match expected {
            "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a non-negative integer",
            "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "an integer",
            "f32" | "f64" => "a number",
            other => other,
        }
        .to_owned(),
    )
}

/// A client-controlled name, shortened so an error never echoes a huge key.
fn echo(name: &str) -> String {
    if name.chars().count() <= MAX_ECHOED_FIELD_CHARS {
        name.to_owned()
    } else {
        let mut short: String = name.chars().take(MAX_ECHOED_FIELD_CHARS).collect();
        short.push('…');
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Input {
        name: Option<String>,
        count: Option<i64>,
        version: Option<u64>,
    }

    fn parse(body: &str) -> Result<Input, BodyError> {
        from_json_object(body.as_bytes())
    }

    fn field_error(body: &str) -> FieldError {
        match parse(body) {
            Err(BodyError::Invalid(v)) => {
                assert_eq!(v.fields.len(), 1);
                v.fields.into_iter().next().unwrap()
            }
            other => panic!("expected a field error for {body}, got {other:?}"),
        }
    }

    #[test]
    fn parses_an_object() {
        let input = parse(r#" {"name": "a", "count": 2} "#).unwrap();
        assert_eq!(input.name.as_deref(), Some("a"));
        assert_eq!(input.count, Some(2));
    }

    #[test]
    fn unknown_field_names_the_field() {
        let e = field_error(r#"{"name": "a", "colour": 1}"#);
        assert_eq!(
            (e.field.as_str(), e.code),
            ("colour", FieldCode::UnknownField)
        );
    }

    #[test]
    fn wrong_type_names_the_field_without_echoing_the_value() {
        let e = field_error(r#"{"name": 12345}"#);
        assert_eq!((e.field.as_str(), e.code), ("name", FieldCode::InvalidType));
        assert_eq!(e.message, "must be a string");
        let e = field_error(r#"{"count": "secret-value"}"#);
        assert_eq!(
            (e.field.as_str(), e.code),
            ("count", FieldCode::InvalidType)
        );
        assert_eq!(e.message, "must be an integer");
        assert!(!e.message.contains("secret"));
    }

    #[test]
    fn negative_unsigned_is_an_invalid_value() {
        let e = field_error(r#"{"version": -1}"#);
        assert_eq!(
            (e.field.as_str(), e.code),
            ("version", FieldCode::InvalidValue)
        );
        assert_eq!(e.message, "must be a non-negative integer");
    }

    #[test]
    fn duplicate_field_is_reported() {
        let e = field_error(r#"{"name": "a", "name": "b"}"#);
        assert_eq!(
            (e.field.as_str(), e.code),
            ("name", FieldCode::InvalidValue)
        );
    }

    #[test]
    fn long_unknown_keys_are_shortened() {
        let key = "k".repeat(10_000);
        let e = field_error(&format!(r#"{{"{key}": 1}}"#));
        assert_eq!(e.field.chars().count(), MAX_ECHOED_FIELD_CHARS + 1);
    }

    #[test]
    fn keys_with_backticks_survive() {
        let e = field_error(r#"{"a`, b": 1}"#);
        assert_eq!(e.field, "a`, b");
    }

    #[test]
    fn syntax_errors_stay_body_level() {
        for body in [
            "",
            "   ",
            "{",
            r#"{"name": }"#,
            "{} {}",
            "\u{0}",
            "nul",
            "[1,",
        ] {
            assert!(
                matches!(parse(body), Err(BodyError::Syntax(_))),
                "{body:?} should be a syntax error"
            );
        }
        let Err(BodyError::Syntax(msg)) = parse("{") else {
            unreachable!()
        };
        assert!(!msg.contains(" at line "), "{msg}");
    }

    #[test]
    fn non_objects_are_refused_even_when_serde_would_accept_them() {
        // A struct can be read positionally from an array: that must not happen.
        for body in [r#"["a", 1, 2]"#, "[]", "\"x\"", "42", "null", "true"] {
            assert_eq!(parse(body), Err(BodyError::NotAnObject), "{body}");
        }
    }

    #[test]
    fn invalid_utf8_is_a_syntax_error() {
        let body = b"{\"name\": \"\xff\"}";
        assert!(matches!(
            from_json_object::<Input>(body),
            Err(BodyError::Syntax(_))
        ));
    }
}
