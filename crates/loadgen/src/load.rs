//! Closed-loop load: N keep-alive connections, each sending its next request as soon as the
//! previous response is read, for a fixed time after a warm-up.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::Method;
use hyper::client::conn::http1::SendRequest;
use hyper::header::HeaderMap;
use serde::Serialize;
use tokio::time::Instant;

use crate::client::{self, Body, Target, UrlError};
use crate::stats::{Recorder, Summary, format_latency};

/// Pause after a failed connection attempt, so a dead server is not hammered in a busy loop.
const RECONNECT_PAUSE: Duration = Duration::from_millis(10);

/// What to load and how hard.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// `http://host:port/path` to request.
    pub url: String,
    /// Concurrent connections (one task each).
    pub connections: u32,
    /// Length of the measurement window.
    pub duration: Duration,
    /// Time before the window whose requests are sent but not recorded.
    pub warmup: Duration,
    /// Request method.
    pub method: Method,
    /// Extra request headers (`Host` is set from the URL unless given here).
    pub headers: HeaderMap,
}

impl LoadConfig {
    /// `GET url` with the given load shape and no extra headers.
    pub fn get(url: String, connections: u32, duration: Duration, warmup: Duration) -> Self {
        Self {
            url,
            connections,
            duration,
            warmup,
            method: Method::GET,
            headers: HeaderMap::new(),
        }
    }
}

/// A load run that cannot start.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The URL is not a supported `http://` URL.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// `connections` is zero.
    #[error("at least one connection is needed")]
    NoConnections,
    /// `duration` is zero.
    #[error("the duration must be greater than zero")]
    ZeroDuration,
    /// A connection task panicked.
    #[error("a connection task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// The outcome of a load run: its configuration and its [`Summary`].
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    /// The URL loaded.
    pub url: String,
    /// The request method.
    #[serde(serialize_with = "as_str")]
    pub method: Method,
    /// Concurrent connections.
    pub connections: u32,
    /// Warm-up before the window, in seconds.
    #[serde(rename = "warmup_s", serialize_with = "as_seconds")]
    pub warmup: Duration,
    /// What was measured.
    #[serde(flatten)]
    pub summary: Summary,
}

/// Runs the load described by `config` and summarises the measurement window.
///
/// Failed connections and requests are counted as errors and the connection is reopened; a
/// request still in flight when the window closes is abandoned and not counted.
pub async fn run(config: &LoadConfig) -> Result<LoadReport, LoadError> {
    let target = Target::parse(&config.url)?;
    if config.connections == 0 {
        return Err(LoadError::NoConnections);
    }
    if config.duration.is_zero() {
        return Err(LoadError::ZeroDuration);
    }
    let start = Instant::now();
    let window = Window {
        measure_from: start + config.warmup,
        end: start + config.warmup + config.duration,
    };
    let shared = Arc::new((target, config.method.clone(), config.headers.clone()));
    let tasks: Vec<_> = (0..config.connections)
        .map(|_| {
            let shared = Arc::clone(&shared);
            tokio::spawn(async move {
                let (target, method, headers) = &*shared;
                connection_loop(target, method, headers, window).await
            })
        })
        .collect();

    let mut total = Recorder::default();
    for task in tasks {
        total.merge(task.await?);
    }
    Ok(LoadReport {
        url: config.url.clone(),
        method: config.method.clone(),
        connections: config.connections,
        warmup: config.warmup,
        summary: total.summary(config.duration),
    })
}

/// The measurement window: requests completing in `measure_from..end` are recorded.
#[derive(Debug, Clone, Copy)]
struct Window {
    measure_from: Instant,
    end: Instant,
}

impl Window {
    fn measuring(&self, now: Instant) -> bool {
        now >= self.measure_from
    }
}

/// One connection's closed loop until the window ends.
async fn connection_loop(
    target: &Target,
    method: &Method,
    headers: &HeaderMap,
    window: Window,
) -> Recorder {
    let mut recorder = Recorder::default();
    let mut connection: Option<SendRequest<Body>> = None;
    while Instant::now() < window.end {
        // A connection the server closed between requests (keep-alive over) is reopened
        // without counting an error.
        if let Some(sender) = connection.as_mut()
            && sender.ready().await.is_err()
        {
            connection = None;
        }
        let sender = match connection {
            Some(ref mut sender) => sender,
            None => match tokio::time::timeout_at(window.end, target.connect()).await {
                Err(_deadline) => break,
                Ok(Ok(sender)) => connection.insert(sender),
                Ok(Err(error)) => {
                    if window.measuring(Instant::now()) {
                        recorder.record_error(&error);
                    }
                    tokio::time::sleep(RECONNECT_PAUSE).await;
                    continue;
                }
            },
        };
        let request = target.request(method, headers, Bytes::new());
        let sent = Instant::now();
        match tokio::time::timeout_at(window.end, client::exchange(sender, request)).await {
            Err(_deadline) => break,
            Ok(Ok(status)) => {
                let done = Instant::now();
                if window.measuring(done) {
                    recorder.record(done - sent, status);
                }
            }
            Ok(Err(error)) => {
                connection = None;
                if window.measuring(Instant::now()) {
                    recorder.record_error(&error);
                }
            }
        }
    }
    recorder
}

impl fmt::Display for LoadReport {
    /// A human-readable table.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.summary;
        let l = &s.latency;
        writeln!(f, "Target       {} {}", self.method, self.url)?;
        writeln!(
            f,
            "Load         {} connections, {:.2} s after {:.2} s warm-up",
            self.connections,
            s.elapsed.as_secs_f64(),
            self.warmup.as_secs_f64()
        )?;
        writeln!(
            f,
            "Requests     {} ({:.1} req/s)",
            s.requests, s.requests_per_sec
        )?;
        writeln!(f, "Latency      p50 {:>10}", format_latency(l.p50))?;
        writeln!(f, "             p90 {:>10}", format_latency(l.p90))?;
        writeln!(f, "             p99 {:>10}", format_latency(l.p99))?;
        writeln!(f, "             max {:>10}", format_latency(l.max))?;
        writeln!(f, "Non-2xx      {}", s.non_2xx)?;
        write!(f, "Errors       {}", s.errors)?;
        if let Some(first) = &s.first_error {
            write!(f, " (first: {first})")?;
        }
        writeln!(f)
    }
}

fn as_str<S: serde::Serializer>(method: &Method, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(method.as_str())
}

fn as_seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}
