//! Leveled logging to stderr, one line per event, tagged with the request id.
//!
//! The threshold comes from the component variable `log_level` (`error`, `warn`, `info`,
//! `debug`); it defaults to `info` when the variable is absent or unrecognised.

use std::fmt::Display;
use std::sync::OnceLock;

use fabula_domain::Timestamp;

/// Severity of a log line, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// A failure the operator must look at (e.g. every 5xx).
    Error,
    /// Something degraded but handled (e.g. a cache failure).
    Warn,
    /// One line per request.
    Info,
    /// Diagnostics.
    Debug,
}

impl Level {
    /// Parses a level name, case-insensitively (`warning` and `trace` are accepted too).
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "error" => Some(Self::Error),
            "warn" | "warning" => Some(Self::Warn),
            "info" => Some(Self::Info),
            "debug" | "trace" => Some(Self::Debug),
            _ => None,
        }
    }

    /// The level's name as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "ERROR",
            Self::Warn => "WARN",
            Self::Info => "INFO",
            Self::Debug => "DEBUG",
        }
    }
}

fn threshold() -> Level {
    static THRESHOLD: OnceLock<Level> = OnceLock::new();
    *THRESHOLD.get_or_init(|| {
        spin_sdk::variables::get("log_level")
            .ok()
            .and_then(|name| Level::parse(&name))
            .unwrap_or(Level::Info)
    })
}

/// Writes `message` to stderr if `level` passes the configured threshold.
pub fn log(level: Level, request_id: &str, message: impl Display) {
    if level <= threshold() {
        eprintln!(
            "{} {} request_id={request_id} {message}",
            Timestamp::now(),
            level.as_str()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_level_names() {
        assert_eq!(Level::parse("INFO"), Some(Level::Info));
        assert_eq!(Level::parse(" warning "), Some(Level::Warn));
        assert_eq!(Level::parse("trace"), Some(Level::Debug));
        assert_eq!(Level::parse("loud"), None);
        assert!(Level::Error < Level::Debug);
    }
}
