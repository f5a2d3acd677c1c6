//! The standard benchmark suite behind `docs/performance.md`: start-up time, per-route load
//! and peak memory of the `fabula` host, on the conformance fixture app and on Fabula itself.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use hyper::StatusCode;
use hyper::header::HeaderMap;

use crate::api::{self, ApiClient, ApiError};
use crate::host::{HostError, HostProcess};
use crate::load::{self, LoadConfig, LoadError, LoadReport};
use crate::stats::format_latency;

/// The conformance fixture app, relative to the repository root.
const CONFORMANCE_DIR: &str = "tests/fixtures/apps/conformance";
/// Fabula's own manifest, relative to the repository root.
const APP_MANIFEST: &str = "spin.toml";
/// How long the host may take to print its `Serving` line.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// The operator token (`admin_token`) of the app host the suite starts: a throwaway instance
/// on the loopback interface with a temporary state directory.
const OPERATOR_TOKEN: &str = "fabula-bench-operator";
/// Lifts the `standard` tier's rate limits, so the load measures the request path and not the
/// limiter refusing it.
const TIER_LIMITS: &str = r#"{"standard": {"key": null, "tenant": null}}"#;
/// The name of the tenant created on the real app.
const TENANT_NAME: &str = "Bench";
/// The story created on the real app before reading it under load.
const STORY_JSON: &str =
    r#"{"title":"Bench","premise":"A lighthouse keeper finds a map.","genre":"mystery"}"#;
/// Conformance routes driven, with what each one measures.
const CONFORMANCE_ROUTES: [(&str, &str); 3] = [
    ("/hello", "empty handler: the host's per-request overhead"),
    ("/kv", "one key-value read"),
    ("/sql", "one SQLite SELECT by id"),
];

/// How to run the suite. Paths are relative to the current directory, which must be the
/// repository root.
#[derive(Debug, Clone)]
pub struct SuiteConfig {
    /// The `fabula` binary.
    pub fabula: PathBuf,
    /// Concurrent connections per route.
    pub connections: u32,
    /// Measurement window per route.
    pub duration: Duration,
    /// Warm-up before each route's window.
    pub warmup: Duration,
    /// The command line that started the suite, quoted in the report.
    pub command_line: String,
}

/// A suite that could not complete.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// A file the suite needs is missing.
    #[error("{path} not found: {hint}")]
    Missing {
        /// The missing path.
        path: String,
        /// How to get it.
        hint: &'static str,
    },
    /// A temporary state directory could not be created.
    #[error("cannot create a temporary state directory: {0}")]
    TempDir(#[source] std::io::Error),
    /// The host did not start, or its memory could not be read.
    #[error(transparent)]
    Host(#[from] HostError),
    /// A load run could not start.
    #[error("loading {route}: {source}")]
    Load {
        /// The route.
        route: String,
        /// Why.
        source: LoadError,
    },
    /// A set-up request (tenant, API key, story) failed or answered unexpectedly.
    #[error("setting up the Fabula app: {0}")]
    Setup(#[from] ApiError),
}

/// One route's measurement.
#[derive(Debug, Clone)]
pub struct RouteResult {
    /// Which app served it.
    pub app: &'static str,
    /// The route as shown (`GET /hello`).
    pub route: String,
    /// What the route measures.
    pub what: &'static str,
    /// The load result.
    pub report: LoadReport,
}

/// Everything the suite measured.
#[derive(Debug, Clone)]
pub struct SuiteReport {
    /// When the suite started.
    pub date: DateTime<Utc>,
    /// The command line, as given in [`SuiteConfig::command_line`].
    pub command_line: String,
    /// CPUs available to this process.
    pub cpus: usize,
    /// Connections per route.
    pub connections: u32,
    /// Measurement window per route.
    pub duration: Duration,
    /// Warm-up per route.
    pub warmup: Duration,
    /// Spawn to `Serving`, fresh state directory (no compiled-code cache).
    pub cold_startup: Duration,
    /// Spawn to `Serving`, same state directory again (compiled-code cache hit).
    pub warm_startup: Duration,
    /// Peak RSS of the conformance host after its routes, in KiB.
    pub conformance_rss_kib: u64,
    /// Peak RSS of the Fabula app host after its route, in KiB.
    pub app_rss_kib: u64,
    /// Per-route results, in the order driven.
    pub routes: Vec<RouteResult>,
}

/// Runs the suite: cold and warm start of the conformance app, load on its `/hello`, `/kv` and
/// `/sql`, then the real app with one story read under load. Progress goes to stderr.
/// Every host started is killed before this returns, whatever the outcome.
pub async fn run(config: &SuiteConfig) -> Result<SuiteReport, SuiteError> {
    let date = Utc::now();
    check_inputs(config)?;
    let conformance_state = tempfile::tempdir().map_err(SuiteError::TempDir)?;
    let conformance = conformance_args(conformance_state.path());

    eprintln!("== cold start (fresh state dir)");
    let host = HostProcess::start(&config.fabula, &conformance, READY_TIMEOUT).await?;
    let cold_startup = host.startup();
    eprintln!("   serving after {}", format_latency(cold_startup));
    host.stop().await;

    eprintln!("== warm start (same state dir)");
    let host = HostProcess::start(&config.fabula, &conformance, READY_TIMEOUT).await?;
    let warm_startup = host.startup();
    eprintln!("   serving after {}", format_latency(warm_startup));
    let mut routes = Vec::new();
    for (path, what) in CONFORMANCE_ROUTES {
        let report = drive(config, host.addr(), path, HeaderMap::new()).await?;
        routes.push(RouteResult {
            app: "conformance",
            route: format!("GET {path}"),
            what,
            report,
        });
    }
    let conformance_rss_kib = host.peak_rss_kib()?;
    host.stop().await;

    eprintln!("== Fabula app");
    let app_state = tempfile::tempdir().map_err(SuiteError::TempDir)?;
    let host =
        HostProcess::start(&config.fabula, &app_args(app_state.path()), READY_TIMEOUT).await?;
    eprintln!("   serving after {}", format_latency(host.startup()));
    let (key, id) = create_story(host.addr()).await?;
    let path = format!("/api/v1/stories/{id}");
    let report = drive(config, host.addr(), &path, api::bearer(&key)).await?;
    routes.push(RouteResult {
        app: "fabula",
        route: "GET /api/v1/stories/{id}".into(),
        what: "a story read with a user API key: authentication, key-value cache hit",
        report,
    });
    let app_rss_kib = host.peak_rss_kib()?;
    host.stop().await;

    Ok(SuiteReport {
        date,
        command_line: config.command_line.clone(),
        cpus: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        connections: config.connections,
        duration: config.duration,
        warmup: config.warmup,
        cold_startup,
        warm_startup,
        conformance_rss_kib,
        app_rss_kib,
        routes,
    })
}

/// Fails early, with a hint, when the binary or the fixture app is not where expected.
fn check_inputs(config: &SuiteConfig) -> Result<(), SuiteError> {
    let needed = [
        (
            config.fabula.clone(),
            "build it with `cargo build --release -p fabula-host`, or pass --fabula",
        ),
        (
            Path::new(CONFORMANCE_DIR).join("spin.toml"),
            "run fabula-bench from the repository root",
        ),
        (
            PathBuf::from(APP_MANIFEST),
            "run fabula-bench from the repository root",
        ),
    ];
    match needed.into_iter().find(|(path, _)| !path.exists()) {
        Some((path, hint)) => Err(SuiteError::Missing {
            path: path.display().to_string(),
            hint,
        }),
        None => Ok(()),
    }
}

/// `fabula up` arguments for the conformance app, seeded for `/kv` and `/sql`.
fn conformance_args(state_dir: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = [
        "up".to_owned(),
        "-f".to_owned(),
        format!("{CONFORMANCE_DIR}/spin.toml"),
        "--runtime-config-file".to_owned(),
        format!("{CONFORMANCE_DIR}/runtime-config.toml"),
        "--listen".to_owned(),
        "127.0.0.1:0".to_owned(),
        "--access-log".to_owned(),
        "off".to_owned(),
        "--sqlite".to_owned(),
        format!("@{CONFORMANCE_DIR}/seed.sql"),
        "--key-value".to_owned(),
        "bench=hello".to_owned(),
    ]
    .map(OsString::from)
    .into();
    args.extend(["--state-dir".into(), state_dir.as_os_str().to_owned()]);
    args
}

/// `fabula up` arguments for Fabula itself: a known operator token and no rate limits for the
/// `standard` tier.
fn app_args(state_dir: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = [
        "up".to_owned(),
        "-f".to_owned(),
        APP_MANIFEST.to_owned(),
        "--listen".to_owned(),
        "127.0.0.1:0".to_owned(),
        "--access-log".to_owned(),
        "off".to_owned(),
        "--variable".to_owned(),
        format!("admin_token={OPERATOR_TOKEN}"),
        "--variable".to_owned(),
        format!("tier_limits={TIER_LIMITS}"),
    ]
    .map(OsString::from)
    .into();
    args.extend(["--state-dir".into(), state_dir.as_os_str().to_owned()]);
    args
}

/// Loads `GET http://addr{path}` with the suite's settings and the given headers.
async fn drive(
    config: &SuiteConfig,
    addr: SocketAddr,
    path: &str,
    headers: HeaderMap,
) -> Result<LoadReport, SuiteError> {
    eprintln!(
        "   GET {path}: {} connections, {} warm-up + {}",
        config.connections,
        format_latency(config.warmup),
        format_latency(config.duration)
    );
    let load = LoadConfig {
        headers,
        ..LoadConfig::get(
            format!("http://{addr}{path}"),
            config.connections,
            config.duration,
            config.warmup,
        )
    };
    let report = load::run(&load).await.map_err(|source| SuiteError::Load {
        route: path.to_owned(),
        source,
    })?;
    let s = &report.summary;
    eprintln!(
        "   {:.0} req/s, p50 {}, p99 {}, {} non-2xx, {} errors",
        s.requests_per_sec,
        format_latency(s.latency.p50),
        format_latency(s.latency.p99),
        s.non_2xx,
        s.errors
    );
    Ok(report)
}

/// Sets up the real app for the read benchmark: as the operator, a `standard` tenant and a
/// `user` API key of it; with that key, one story. Returns the key and the story's id.
async fn create_story(addr: SocketAddr) -> Result<(String, String), ApiError> {
    let key = api::create_tenant_key(addr, OPERATOR_TOKEN, TENANT_NAME, "standard").await?;
    let story: serde_json::Value =
        serde_json::from_str(STORY_JSON).expect("the story constant is JSON");
    let id = ApiClient::new(addr, &key)
        .post_for_field("/api/v1/stories", &story, StatusCode::CREATED, "id")
        .await?;
    Ok((key, id))
}

impl SuiteReport {
    /// The report as Markdown: the route table, start-up times and peak RSS, with the command
    /// line and date.
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_markdown(&mut md);
        md
    }

    fn write_markdown(&self, md: &mut String) -> std::fmt::Result {
        writeln!(md, "## Benchmark: the `fabula` host\n")?;
        writeln!(md, "- Date: {}", self.date.format("%Y-%m-%d %H:%M UTC"))?;
        writeln!(md, "- Command: `{}`", self.command_line)?;
        writeln!(
            md,
            "- Machine: {} CPUs available; load generator on the same machine",
            self.cpus
        )?;
        writeln!(
            md,
            "- Load: {} keep-alive HTTP/1.1 connections, closed loop; {:.1} s warm-up, then {:.1} s measured per route\n",
            self.connections,
            self.warmup.as_secs_f64(),
            self.duration.as_secs_f64()
        )?;
        writeln!(
            md,
            "| app | route | what | req/s | p50 | p99 | max | errors |"
        )?;
        writeln!(md, "|---|---|---|---:|---:|---:|---:|---:|")?;
        for r in &self.routes {
            let s = &r.report.summary;
            writeln!(
                md,
                "| {} | `{}` | {} | {:.0} | {} | {} | {} | {} |",
                r.app,
                r.route,
                r.what,
                s.requests_per_sec,
                format_latency(s.latency.p50),
                format_latency(s.latency.p99),
                format_latency(s.latency.max),
                s.failures()
            )?;
        }
        writeln!(
            md,
            "\nerrors = failed requests + non-2xx responses. The Fabula app runs with the \
             `standard` tier's rate limits lifted (`tier_limits`); its story is read with a \
             `user` API key of a `standard` tenant.\n"
        )?;
        writeln!(md, "| start-up (spawn → `Serving` line) | time |")?;
        writeln!(md, "|---|---:|")?;
        writeln!(
            md,
            "| cold: fresh state dir, no compiled-code cache | {} |",
            format_latency(self.cold_startup)
        )?;
        writeln!(
            md,
            "| warm: same state dir, compiled-code cache hit | {} |\n",
            format_latency(self.warm_startup)
        )?;
        writeln!(md, "| peak RSS (`VmHWM`) | MiB |")?;
        writeln!(md, "|---|---:|")?;
        writeln!(
            md,
            "| conformance app, after `/hello`, `/kv`, `/sql` | {:.1} |",
            mib(self.conformance_rss_kib)
        )?;
        writeln!(
            md,
            "| Fabula app, after `GET /api/v1/stories/{{id}}` | {:.1} |",
            mib(self.app_rss_kib)
        )
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Recorder;
    use hyper::Method;

    #[test]
    fn host_arguments_follow_the_cli_contract() {
        let args = conformance_args(Path::new("/tmp/state"));
        let args: Vec<_> = args.iter().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(
            args.join(" "),
            "up -f tests/fixtures/apps/conformance/spin.toml \
             --runtime-config-file tests/fixtures/apps/conformance/runtime-config.toml \
             --listen 127.0.0.1:0 --access-log off \
             --sqlite @tests/fixtures/apps/conformance/seed.sql --key-value bench=hello \
             --state-dir /tmp/state"
        );
        let args = app_args(Path::new("/tmp/app"));
        let args: Vec<_> = args.iter().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(
            args.join(" "),
            "up -f spin.toml --listen 127.0.0.1:0 --access-log off \
             --variable admin_token=fabula-bench-operator \
             --variable tier_limits={\"standard\": {\"key\": null, \"tenant\": null}} \
             --state-dir /tmp/app"
        );
    }

    #[test]
    fn markdown_has_every_figure() {
        let mut recorder = Recorder::default();
        recorder.record(Duration::from_micros(2_500), StatusCode::OK);
        let report = LoadReport {
            url: "http://127.0.0.1:1/hello".into(),
            method: Method::GET,
            connections: 32,
            warmup: Duration::from_secs(1),
            summary: recorder.summary(Duration::from_secs(1)),
        };
        let suite = SuiteReport {
            date: DateTime::from_timestamp(1_795_000_000, 0).unwrap(),
            command_line: "fabula-bench suite --duration 3s".into(),
            cpus: 2,
            connections: 32,
            duration: Duration::from_secs(3),
            warmup: Duration::from_secs(1),
            cold_startup: Duration::from_millis(1_500),
            warm_startup: Duration::from_millis(120),
            conformance_rss_kib: 51_200,
            app_rss_kib: 61_440,
            routes: vec![RouteResult {
                app: "conformance",
                route: "GET /hello".into(),
                what: "empty handler",
                report,
            }],
        };
        let md = suite.to_markdown();
        for expected in [
            "`fabula-bench suite --duration 3s`",
            "| conformance | `GET /hello` | empty handler | 1 | 2.50 ms | 2.50 ms | 2.50 ms | 0 |",
            "| cold: fresh state dir, no compiled-code cache | 1.50 s |",
            "| warm: same state dir, compiled-code cache hit | 120.00 ms |",
            "| 50.0 |",
            "| 60.0 |",
            "2 CPUs",
        ] {
            assert!(md.contains(expected), "missing {expected:?} in\n{md}");
        }
    }
}
