//! Parsers for command-line values: durations (`8s`, `300ms`, `1.5m`), headers (`k: v`) and
//! chapter-count lists (`5,10,20`).

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
    /// Not a comma-separated list of distinct whole numbers from 1.
    #[error(
        "invalid chapter list {0:?}: expected distinct whole numbers from 1, separated by commas (e.g. 5,10,20)"
    )]
    ChapterList(String),
}

/// Chapter counts to benchmark, in the order given: non-empty, each at least 1, no repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChapterCounts(Vec<u32>);

impl ChapterCounts {
    /// The counts, in the order given.
    pub fn as_slice(&self) -> &[u32] {
        &self.0
    }
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

/// Parses a chapter-count list such as `5,10,20` (spaces around the numbers are allowed).
pub fn parse_chapter_counts(text: &str) -> Result<ChapterCounts, ParseError> {
    let invalid = || ParseError::ChapterList(text.to_owned());
    let mut counts = Vec::new();
    for item in text.split(',') {
        let item = item.trim();
        // `u32::from_str` accepts a leading `+`; only plain digits are counts.
        if item.is_empty() || !item.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let count: u32 = item.parse().map_err(|_| invalid())?;
        if count == 0 || counts.contains(&count) {
            return Err(invalid());
        }
        counts.push(count);
    }
    Ok(ChapterCounts(counts))
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

    #[test]
    fn chapter_counts_keep_their_order() {
        let counts = parse_chapter_counts("5,10,20").unwrap();
        assert_eq!(counts.as_slice(), [5, 10, 20]);
        assert_eq!(parse_chapter_counts(" 12 , 3").unwrap().as_slice(), [12, 3]);
        assert_eq!(parse_chapter_counts("1").unwrap().as_slice(), [1]);
    }

    #[test]
    fn bad_chapter_counts_are_rejected() {
        for bad in [
            "",
            ",",
            "5,",
            ",5",
            "5,,10",
            "0",
            "5,0",
            "-5",
            "+5",
            "5.0",
            "five",
            "5;10",
            "5 10",
            "5,5",
            "4294967296",
        ] {
            assert_eq!(
                parse_chapter_counts(bad),
                Err(ParseError::ChapterList(bad.to_owned())),
                "{bad:?} should be rejected"
            );
        }
    }
}
