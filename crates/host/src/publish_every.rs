//! `fabula up --publish-every CHANNEL=DURATION`: the host publishes a small tick message,
//! `{"tick_at":"<RFC 3339 time>"}`, on a channel of the app's queue at a fixed interval (the
//! first one interval after start), so that a Redis-triggered component — Fabula's sweeper —
//! runs periodically. The channel must be one a `[[trigger.redis]]` subscribes to.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use crate::app::App;

/// The shortest interval accepted, so a typo cannot flood the queue.
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// One `--publish-every` schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishEvery {
    /// The channel to publish on (as the subscription names it, templates resolved).
    pub channel: String,
    /// Time between two ticks.
    pub interval: Duration,
}

/// A `--publish-every` value that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PublishEveryError {
    /// Not `CHANNEL=DURATION`.
    #[error("--publish-every: expected `CHANNEL=DURATION` (e.g. `fabula.sweep=30s`), got `{0}`")]
    Syntax(String),
    /// The duration does not parse.
    #[error(
        "--publish-every {channel}: `{value}` is not a duration (e.g. `500ms`, `30s`, `5m`): {reason}"
    )]
    Duration {
        /// The channel.
        channel: String,
        /// The duration as written.
        value: String,
        /// What the parser said.
        reason: String,
    },
    /// The interval is below [`MIN_INTERVAL`].
    #[error("--publish-every {channel}: the interval must be at least {}ms", MIN_INTERVAL.as_millis())]
    TooShort {
        /// The channel.
        channel: String,
    },
    /// No `[[trigger.redis]]` subscribes to the channel.
    #[error(
        "--publish-every {channel}: no [[trigger.redis]] subscribes to `{channel}` (subscribed: {})",
        if subscribed.is_empty() { "none".to_owned() } else { subscribed.join(", ") }
    )]
    NoSubscriber {
        /// The channel.
        channel: String,
        /// The channels that are subscribed to.
        subscribed: Vec<String>,
    },
}

impl FromStr for PublishEvery {
    type Err = PublishEveryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (channel, value) = s
            .split_once('=')
            .filter(|(c, v)| !c.trim().is_empty() && !v.trim().is_empty())
            .ok_or_else(|| PublishEveryError::Syntax(s.to_owned()))?;
        let channel = channel.trim().to_owned();
        let interval =
            humantime::parse_duration(value.trim()).map_err(|e| PublishEveryError::Duration {
                channel: channel.clone(),
                value: value.trim().to_owned(),
                reason: e.to_string(),
            })?;
        if interval < MIN_INTERVAL {
            return Err(PublishEveryError::TooShort { channel });
        }
        Ok(PublishEvery { channel, interval })
    }
}

/// Checks every schedule's channel against the subscribed `channels`.
pub fn check(schedules: &[PublishEvery], channels: &[&str]) -> Result<(), PublishEveryError> {
    match schedules
        .iter()
        .find(|s| !channels.contains(&s.channel.as_str()))
    {
        Some(s) => Err(PublishEveryError::NoSubscriber {
            channel: s.channel.clone(),
            subscribed: channels.iter().map(|c| (*c).to_owned()).collect(),
        }),
        None => Ok(()),
    }
}

/// The tick message: `{"tick_at":"2025-01-02T03:04:05.678Z"}`.
pub fn tick_payload(at: chrono::DateTime<Utc>) -> Vec<u8> {
    serde_json::json!({ "tick_at": at.to_rfc3339_opts(SecondsFormat::Millis, true) })
        .to_string()
        .into_bytes()
}

/// Publishes ticks for `schedule` until `shutdown` turns `true`. A failed publish is logged
/// and the next tick is tried as usual.
pub async fn run(
    app: Arc<App>,
    schedule: PublishEvery,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let start = tokio::time::Instant::now() + schedule.interval;
    let mut ticks = tokio::time::interval_at(start, schedule.interval);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.wait_for(|&stop| stop) => return Ok(()),
            _ = ticks.tick() => {}
        }
        let payload = tick_payload(Utc::now());
        match app
            .redis()
            .publish_as_host(&schedule.channel, &payload)
            .await
        {
            Ok(_) => tracing::debug!(channel = %schedule.channel, "published tick"),
            Err(e) => tracing::warn!(
                channel = %schedule.channel,
                error = %e,
                "--publish-every: publishing a tick failed"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_channel_and_duration() {
        assert_eq!(
            "fabula.sweep=5s".parse(),
            Ok(PublishEvery {
                channel: "fabula.sweep".into(),
                interval: Duration::from_secs(5)
            })
        );
        assert_eq!(
            "a=1m 30s".parse::<PublishEvery>().unwrap().interval,
            Duration::from_secs(90)
        );
        assert_eq!(
            "a=250ms".parse::<PublishEvery>().unwrap().interval,
            Duration::from_millis(250)
        );
    }

    #[test]
    fn bad_values_are_refused() {
        for bad in ["fabula.sweep", "=5s", "fabula.sweep=", "x=5"] {
            assert!(bad.parse::<PublishEvery>().is_err(), "{bad}");
        }
        assert!(matches!(
            "x=5 parsecs".parse::<PublishEvery>(),
            Err(PublishEveryError::Duration { .. })
        ));
        assert_eq!(
            "x=10ms".parse::<PublishEvery>(),
            Err(PublishEveryError::TooShort {
                channel: "x".into()
            })
        );
    }

    #[test]
    fn a_channel_nobody_subscribes_to_is_refused() {
        let schedule: PublishEvery = "fabula.sweeep=5s".parse().unwrap();
        let err = check(
            std::slice::from_ref(&schedule),
            &["fabula.stage.premise", "fabula.sweep"],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "--publish-every fabula.sweeep: no [[trigger.redis]] subscribes to `fabula.sweeep` \
             (subscribed: fabula.stage.premise, fabula.sweep)"
        );
        assert!(check(&["fabula.sweep=5s".parse().unwrap()], &["fabula.sweep"]).is_ok());
    }

    #[test]
    fn the_tick_is_json_with_an_rfc3339_time() {
        let at = chrono::DateTime::parse_from_rfc3339("2025-01-02T03:04:05.678Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            String::from_utf8(tick_payload(at)).unwrap(),
            r#"{"tick_at":"2025-01-02T03:04:05.678Z"}"#
        );
    }
}
