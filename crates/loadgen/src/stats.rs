//! Latency recording (HDR histogram, microsecond resolution) and the summary of a run.

use std::time::Duration;

use hdrhistogram::Histogram;
use hyper::StatusCode;
use serde::{Serialize, Serializer};

/// Highest latency the histogram tracks exactly: 60 s, in microseconds (longer ones saturate).
const MAX_LATENCY_US: u64 = 60_000_000;
/// Significant decimal digits kept per value (0.1 % relative precision).
const SIGNIFICANT_DIGITS: u8 = 3;

/// Collects the outcome of requests: latencies, non-2xx responses and errors. One per
/// connection task; [`Recorder::merge`] combines them.
#[derive(Debug, Clone)]
pub struct Recorder {
    latencies_us: Histogram<u64>,
    non_2xx: u64,
    errors: u64,
    first_error: Option<String>,
}

impl Default for Recorder {
    /// An empty recorder.
    fn default() -> Self {
        Self {
            latencies_us: Histogram::new_with_bounds(1, MAX_LATENCY_US, SIGNIFICANT_DIGITS)
                .expect("constant histogram bounds are valid"),
            non_2xx: 0,
            errors: 0,
            first_error: None,
        }
    }
}

impl Recorder {
    /// Records one completed response: its latency, and whether its status was outside 2xx.
    pub fn record(&mut self, latency: Duration, status: StatusCode) {
        let micros = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        self.latencies_us.saturating_record(micros);
        if !status.is_success() {
            self.non_2xx += 1;
        }
    }

    /// Records one failed request or connection attempt; the first message is kept.
    pub fn record_error(&mut self, error: &dyn std::fmt::Display) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(error.to_string());
        }
    }

    /// Adds everything `other` recorded to `self`.
    pub fn merge(&mut self, other: Recorder) {
        self.latencies_us
            .add(&other.latencies_us)
            .expect("recorders share the same histogram bounds");
        self.non_2xx += other.non_2xx;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    /// The summary of everything recorded over a measurement window of length `elapsed`.
    pub fn summary(&self, elapsed: Duration) -> Summary {
        let h = &self.latencies_us;
        let at = |quantile: f64| Duration::from_micros(h.value_at_quantile(quantile));
        let requests = h.len();
        let seconds = elapsed.as_secs_f64();
        Summary {
            requests,
            elapsed,
            requests_per_sec: if seconds > 0.0 {
                requests as f64 / seconds
            } else {
                0.0
            },
            latency: Latency {
                p50: at(0.50),
                p90: at(0.90),
                p99: at(0.99),
                max: Duration::from_micros(h.max()),
                mean: Duration::from_secs_f64(h.mean() / 1e6),
            },
            non_2xx: self.non_2xx,
            errors: self.errors,
            first_error: self.first_error.clone(),
        }
    }
}

/// Latency distribution of completed responses (0 when there were none).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Latency {
    /// Median.
    #[serde(rename = "p50_ms", serialize_with = "as_millis")]
    pub p50: Duration,
    /// 90th percentile.
    #[serde(rename = "p90_ms", serialize_with = "as_millis")]
    pub p90: Duration,
    /// 99th percentile.
    #[serde(rename = "p99_ms", serialize_with = "as_millis")]
    pub p99: Duration,
    /// Slowest response.
    #[serde(rename = "max_ms", serialize_with = "as_millis")]
    pub max: Duration,
    /// Arithmetic mean.
    #[serde(rename = "mean_ms", serialize_with = "as_millis")]
    pub mean: Duration,
}

/// The result of a measurement window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Completed responses (any status) in the window.
    pub requests: u64,
    /// Length of the measurement window.
    #[serde(rename = "elapsed_s", serialize_with = "as_seconds")]
    pub elapsed: Duration,
    /// `requests / elapsed`.
    pub requests_per_sec: f64,
    /// Latency of completed responses.
    pub latency: Latency,
    /// Completed responses whose status was not 2xx.
    pub non_2xx: u64,
    /// Failed requests and connection attempts (no response).
    pub errors: u64,
    /// The first error's message, if any.
    pub first_error: Option<String>,
}

impl Summary {
    /// Non-2xx responses plus errors: everything that was not a success.
    pub fn failures(&self) -> u64 {
        self.non_2xx + self.errors
    }
}

/// Formats a latency for people: `850 µs`, `2.41 ms`, `1.20 s`.
pub fn format_latency(d: Duration) -> String {
    let micros = d.as_micros();
    if micros < 1_000 {
        format!("{micros} µs")
    } else if micros < 1_000_000 {
        format!("{:.2} ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

fn as_millis<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1e3)
}

fn as_seconds<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Within HDR precision (3 significant digits) of `expected_ms`.
    fn assert_close(actual: Duration, expected_ms: f64) {
        let actual_ms = actual.as_secs_f64() * 1e3;
        assert!(
            (actual_ms - expected_ms).abs() <= expected_ms * 0.001 + 0.001,
            "{actual_ms} ms is not {expected_ms} ms"
        );
    }

    #[test]
    fn percentiles_over_one_to_a_hundred_ms() {
        let mut r = Recorder::default();
        for ms in 1..=100 {
            r.record(Duration::from_millis(ms), StatusCode::OK);
        }
        let s = r.summary(Duration::from_secs(2));
        assert_eq!(s.requests, 100);
        assert_eq!(s.requests_per_sec, 50.0);
        assert_close(s.latency.p50, 50.0);
        assert_close(s.latency.p90, 90.0);
        assert_close(s.latency.p99, 99.0);
        assert_close(s.latency.max, 100.0);
        assert_close(s.latency.mean, 50.5);
        assert_eq!((s.non_2xx, s.errors, s.failures()), (0, 0, 0));
    }

    #[test]
    fn merge_counts_statuses_and_errors() {
        let mut a = Recorder::default();
        a.record(Duration::from_micros(100), StatusCode::OK);
        a.record(Duration::from_micros(200), StatusCode::NOT_FOUND);
        let mut b = Recorder::default();
        b.record(
            Duration::from_micros(300),
            StatusCode::INTERNAL_SERVER_ERROR,
        );
        b.record_error(&"connection refused");
        b.record_error(&"second");
        a.merge(b);
        let s = a.summary(Duration::from_secs(1));
        assert_eq!(s.requests, 3);
        assert_eq!((s.non_2xx, s.errors, s.failures()), (2, 2, 4));
        assert_eq!(s.first_error.as_deref(), Some("connection refused"));
        assert_close(s.latency.max, 0.3);
    }

    #[test]
    fn empty_summary_is_zero() {
        let s = Recorder::default().summary(Duration::ZERO);
        assert_eq!((s.requests, s.requests_per_sec), (0, 0.0));
        assert_eq!(s.latency.p99, Duration::ZERO);
        assert_eq!(s.latency.max, Duration::ZERO);
    }

    #[test]
    fn json_uses_milliseconds() {
        let mut r = Recorder::default();
        r.record(Duration::from_millis(2), StatusCode::OK);
        let json = serde_json::to_value(r.summary(Duration::from_secs(1))).unwrap();
        assert_eq!(json["requests"], 1);
        assert_eq!(json["elapsed_s"], 1.0);
        assert_eq!(json["latency"]["p50_ms"], 2.0);
        assert_eq!(json["first_error"], serde_json::Value::Null);
    }

    #[test]
    fn latency_formatting() {
        assert_eq!(format_latency(Duration::from_micros(850)), "850 µs");
        assert_eq!(format_latency(Duration::from_micros(2_414)), "2.41 ms");
        assert_eq!(format_latency(Duration::from_millis(1_200)), "1.20 s");
    }
}
