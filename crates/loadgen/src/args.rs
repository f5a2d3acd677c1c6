//! Parsers for command-line values: durations (`8s`, `300ms`, `1.5m`) and headers (`k: v`).

use std::time::Duration;

use hyper::header::{HeaderName, HeaderValue};

/// A command-line value that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not a non-negative number followed by `ms`, `s` or `m` (or no unit: seconds).
    #[error("invalid duration {0:?}: expected a number with unit ms, s or m (e.g. 8s, 300ms)")]
    Duration(String),
    /// Not of the form `name: value`.
    #[error("invalid header {0:?}: expected 'name: value'")]
    HeaderShape(String),
    /// The name is not a valid HTTP header name.
    #[error("invalid header name {0:?}")]
    HeaderName(String),
    /// The value is not a valid HTTP header value.
    #[error("invalid value for header {0:?}")]
    HeaderValue(String),
}

/// Parses a duration: a non-negative decimal number followed by `ms`, `s` or `m`; a bare
/// number is seconds. Examples: `8s`, `0.3s`, `300ms`, `2m`, `1`.
pub fn parse_duration(text: &str) -> Result<Duration, ParseError> {
    let invalid = || ParseError::Duration(text.to_owned());
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let seconds_per_unit = match unit {
        "ms" => 0.001,
        "s" | "" => 1.0,
        "m" => 60.0,
        _ => return Err(invalid()),
    };
    // `f64::from_str` accepts "inf", "nan" and signs; only plain decimals are durations.
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(invalid());
    }
    let value: f64 = number.parse().map_err(|_| invalid())?;
    Duration::try_from_secs_f64(value * seconds_per_unit).map_err(|_| invalid())
}

/// Parses a request header given as `name: value` (spaces around the value are trimmed).
pub fn parse_header(text: &str) -> Result<(HeaderName, HeaderValue), ParseError> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| ParseError::HeaderShape(text.to_owned()))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(ParseError::HeaderShape(text.to_owned()));
    }
    let header_name =
        HeaderName::from_bytes(name.as_bytes()).map_err(|_| ParseError::HeaderName(name.into()))?;
    let header_value =
        HeaderValue::from_str(value.trim()).map_err(|_| ParseError::HeaderValue(name.into()))?;
    Ok((header_name, header_value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_with_units() {
        assert_eq!(parse_duration("8s"), Ok(Duration::from_secs(8)));
        assert_eq!(parse_duration("0.3s"), Ok(Duration::from_millis(300)));
        assert_eq!(parse_duration("300ms"), Ok(Duration::from_millis(300)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5m"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn bare_number_is_seconds() {
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration(" 1.25 "), Ok(Duration::from_millis(1250)));
    }

    #[test]
    fn bad_durations_are_rejected() {
        for bad in [
            "", "s", "-1s", "1h", "1 s", "1.2.3s", "inf", "NaNs", "+3s", "3sec", "1e3s",
        ] {
            assert_eq!(
                parse_duration(bad),
                Err(ParseError::Duration(bad.to_owned())),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn headers() {
        let (name, value) = parse_header("Content-Type: application/json").unwrap();
        assert_eq!(name, "content-type");
        assert_eq!(value, "application/json");

        let (name, value) = parse_header("x-token:abc:def ").unwrap();
        assert_eq!(name, "x-token");
        assert_eq!(value, "abc:def");

        let (_, value) = parse_header("x-empty:").unwrap();
        assert_eq!(value, "");
    }

    #[test]
    fn bad_headers_are_rejected() {
        assert!(matches!(
            parse_header("no colon"),
            Err(ParseError::HeaderShape(_))
        ));
        assert!(matches!(
            parse_header(": v"),
            Err(ParseError::HeaderShape(_))
        ));
        assert!(matches!(
            parse_header("bad name: v"),
            Err(ParseError::HeaderName(_))
        ));
        assert!(matches!(
            parse_header("x: a\nb"),
            Err(ParseError::HeaderValue(_))
        ));
    }
}
