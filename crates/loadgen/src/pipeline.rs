//! `fabula-bench pipeline`: how long a novel generation job takes end to end on the embedded
//! default (offline LLM provider, embedded queue), and how that grows with chapter count.
//!
//! Starts `fabula up` on a fresh state directory with a random operator token ([`host_args`]),
//! creates an `enterprise` tenant and a `user` API key, then runs one job at a time
//! ([`measure`]): per chapter count, `runs` jobs with seeds 1, 2, …, each polled every
//! [`Polling::every`] until `completed` ([`job`]). The [`report`] summarises each chapter
//! count ([`spread`]) and fits a line over every run ([`fit`]).

pub mod fit;
pub mod host_args;
pub mod job;
pub mod measure;
pub mod report;
pub mod spread;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;

use crate::api::{self, ApiClient, ApiError};
use crate::host::{HostError, HostProcess};
use crate::stats::format_latency;
use measure::{Polling, RunResult, RunSpec};
use report::PipelineReport;

/// How long the host may take to print its `Serving` line (a fresh state directory compiles
/// every component).
const READY_TIMEOUT: Duration = Duration::from_secs(300);
/// The tenant the jobs run under.
const TENANT_NAME: &str = "Pipeline bench";
/// Its tier: its rate limits (6,000 requests a minute per key) leave room for 50 polls a second.
const TENANT_TIER: &str = "enterprise";

/// How to run the pipeline benchmark. Paths are relative to the current directory, which must
/// be the repository root.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// The `fabula` binary.
    pub fabula: PathBuf,
    /// Chapter counts, in the order to run them.
    pub chapter_counts: Vec<u32>,
    /// Jobs per chapter count.
    pub runs: u32,
    /// Word budget per chapter.
    pub words_per_chapter: u32,
    /// Polling interval and per-job time limit.
    pub polling: Polling,
    /// Period of the sweeper, when the host supports `--publish-every` (`None`: never).
    pub sweep_every: Option<Duration>,
    /// The command line that started the benchmark, quoted in the report.
    pub command_line: String,
}

/// A pipeline benchmark that could not complete.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// A file the benchmark needs is missing.
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
    /// An API call failed or answered unexpectedly.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// `GET /api/v1/jobs/{id}` answered 200 without a string `status`.
    #[error("job {id}: the response has no `status`: {body}")]
    NotAJob {
        /// The job id.
        id: String,
        /// The response body.
        body: String,
    },
    /// The job failed or was cancelled.
    #[error("job {id} ended {status}: {body}")]
    JobEnded {
        /// The job id.
        id: String,
        /// `failed` or `cancelled`.
        status: String,
        /// The job as last read.
        body: String,
    },
    /// The job did not complete within the limit.
    #[error("job {id} did not complete within {limit:?}; last read: {body}")]
    JobTimeout {
        /// The job id.
        id: String,
        /// The limit.
        limit: Duration,
        /// The job as last read.
        body: String,
    },
}

/// Runs the benchmark: starts the host, measures every job, reads the host's peak RSS and
/// stops it. Progress goes to stderr. The host is killed before this returns, whatever the
/// outcome.
pub async fn run(config: &PipelineConfig) -> Result<PipelineReport, PipelineError> {
    let date = Utc::now();
    check_inputs(config)?;
    let sweep_every = match config.sweep_every {
        Some(every) if host_args::supports_publish_every(&config.fabula).await => Some(every),
        Some(_) => {
            eprintln!("   (this host has no --publish-every: no periodic sweep)");
            None
        }
        None => None,
    };
    let state = tempfile::tempdir().map_err(PipelineError::TempDir)?;
    let admin_token = uuid::Uuid::new_v4().simple().to_string();
    let args = host_args::up_args(state.path(), &admin_token, sweep_every);
    eprintln!("== starting the Fabula app (fresh state dir)");
    let host = HostProcess::start(&config.fabula, &args, READY_TIMEOUT).await?;
    eprintln!("   serving after {}", format_latency(host.startup()));
    let runs = measure_all(host.addr(), &admin_token, config).await?;
    let peak_rss_kib = host.peak_rss_kib()?;
    let startup = host.startup();
    host.stop().await;
    Ok(PipelineReport {
        date,
        command_line: config.command_line.clone(),
        cpus: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        chapter_counts: config.chapter_counts.clone(),
        words_per_chapter: config.words_per_chapter,
        poll_every: config.polling.every,
        sweep_every,
        startup,
        peak_rss_kib,
        runs,
    })
}

/// Against a serving app at `addr`: as the operator, an `enterprise` tenant and a `user` key;
/// with the key, every run of `config`, one at a time, in order.
pub async fn measure_all(
    addr: SocketAddr,
    admin_token: &str,
    config: &PipelineConfig,
) -> Result<Vec<RunResult>, PipelineError> {
    let key = api::create_tenant_key(addr, admin_token, TENANT_NAME, TENANT_TIER).await?;
    let mut client = ApiClient::new(addr, &key);
    let mut results = Vec::new();
    for &chapters in &config.chapter_counts {
        for seed in 1..=u64::from(config.runs) {
            let spec = RunSpec {
                chapters,
                words_per_chapter: config.words_per_chapter,
                seed,
            };
            let result = measure::measure(&mut client, spec, config.polling).await?;
            eprintln!(
                "   {chapters} chapters, seed {seed}: {} (first chapter after {})",
                format_latency(result.end_to_end),
                result
                    .first_chapter
                    .map_or_else(|| "—".to_owned(), format_latency)
            );
            results.push(result);
        }
    }
    Ok(results)
}

/// Fails early, with a hint, when the binary or the manifest is not where expected.
fn check_inputs(config: &PipelineConfig) -> Result<(), PipelineError> {
    let needed = [
        (
            config.fabula.clone(),
            "build it with `cargo build --release -p fabula-host`, or pass --fabula",
        ),
        (
            PathBuf::from(host_args::APP_MANIFEST),
            "run fabula-bench from the repository root",
        ),
    ];
    match needed.into_iter().find(|(path, _)| !path.exists()) {
        Some((path, hint)) => Err(PipelineError::Missing {
            path: path.display().to_string(),
            hint,
        }),
        None => Ok(()),
    }
}
