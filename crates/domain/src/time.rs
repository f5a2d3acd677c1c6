//! RFC 3339 UTC timestamps as stored and served.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// A UTC instant, always rendered as RFC 3339 with millisecond precision and a `Z`
/// suffix (`2025-01-31T12:00:00.000Z`), so its text sorts chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(DateTime<Utc>);

/// A string that is not an RFC 3339 timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an RFC 3339 timestamp: {0}")]
pub struct InvalidTimestamp(String);

impl Timestamp {
    /// The current time, truncated to milliseconds (what the text form keeps).
    pub fn now() -> Self {
        Self::from_datetime(Utc::now())
    }

    /// Wraps a chrono time, truncated to milliseconds.
    pub fn from_datetime(at: DateTime<Utc>) -> Self {
        let millis = at.timestamp_millis();
        Self(DateTime::from_timestamp_millis(millis).unwrap_or(at))
    }

    /// The instant `millis` milliseconds after the Unix epoch (clamped to chrono's range).
    pub fn from_unix_millis(millis: i64) -> Self {
        Self(DateTime::from_timestamp_millis(millis).unwrap_or(DateTime::<Utc>::MIN_UTC))
    }

    /// Milliseconds since the Unix epoch.
    pub fn unix_millis(self) -> i64 {
        self.0.timestamp_millis()
    }

    /// This instant moved by `millis` milliseconds (negative: earlier), saturating.
    pub fn plus_millis(self, millis: i64) -> Self {
        Self::from_unix_millis(self.unix_millis().saturating_add(millis))
    }

    /// Parses any RFC 3339 timestamp (any offset) into UTC.
    pub fn parse(text: &str) -> Result<Self, InvalidTimestamp> {
        DateTime::parse_from_rfc3339(text)
            .map(|at| Self::from_datetime(at.with_timezone(&Utc)))
            .map_err(|_| InvalidTimestamp(text.to_owned()))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl TryFrom<String> for Timestamp {
    type Error = InvalidTimestamp;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Timestamp> for String {
    fn from(at: Timestamp) -> Self {
        at.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_utc_millis_with_z() {
        let at = Timestamp::parse("2025-01-31T13:00:00.123456+01:00").unwrap();
        assert_eq!(at.to_string(), "2025-01-31T12:00:00.123Z");
        assert_eq!(Timestamp::parse(&at.to_string()), Ok(at));
    }

    #[test]
    fn rejects_non_rfc3339() {
        assert!(Timestamp::parse("yesterday").is_err());
        assert!(Timestamp::parse("2025-01-31 12:00:00").is_err());
    }

    #[test]
    fn unix_millis_round_trip_and_shift() {
        let at = Timestamp::parse("2025-01-31T12:00:00.250Z").unwrap();
        assert_eq!(Timestamp::from_unix_millis(at.unix_millis()), at);
        assert_eq!(at.plus_millis(-250).to_string(), "2025-01-31T12:00:00.000Z");
        assert_eq!(
            at.plus_millis(86_400_000).to_string(),
            "2025-02-01T12:00:00.250Z"
        );
    }

    #[test]
    fn now_round_trips_through_text() {
        let now = Timestamp::now();
        assert_eq!(Timestamp::parse(&now.to_string()), Ok(now));
    }
}
