//! `fabula-bench`: HTTP load for one URL (`load`), the standard benchmark suite of the
//! `fabula` host (`suite`) and novel generation end to end (`pipeline`). See the
//! `fabula_loadgen` library for the details.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use fabula_loadgen::args::{ChapterCounts, parse_chapter_counts, parse_duration, parse_header};
use fabula_loadgen::load::{self, LoadConfig};
use fabula_loadgen::pipeline::measure::Polling;
use fabula_loadgen::pipeline::{self, PipelineConfig};
use fabula_loadgen::suite::{self, SuiteConfig};
use hyper::Method;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};

/// Benchmarks HTTP servers, and the `fabula` host in particular.
#[derive(Debug, Parser)]
#[command(name = "fabula-bench", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Closed-loop load on one URL; prints req/s and latency percentiles.
    Load(LoadArgs),
    /// Standard figures for docs/performance.md (run from the repository root).
    Suite(SuiteArgs),
    /// Novel generation jobs end to end, per chapter count (run from the repository root).
    Pipeline(PipelineArgs),
}

/// Connections and timing, shared by both commands.
#[derive(Debug, Args)]
struct Shape {
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..))]
    connections: u32,
    /// Measurement time per URL (e.g. 8s, 500ms, 1m).
    #[arg(long, default_value = "8s", value_parser = parse_duration)]
    duration: Duration,
    /// Warm-up before measuring, not recorded.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    warmup: Duration,
}

#[derive(Debug, Args)]
struct LoadArgs {
    /// The URL to request (http:// only).
    #[arg(long)]
    url: String,
    #[command(flatten)]
    shape: Shape,
    /// Request method.
    #[arg(long, default_value = "GET")]
    method: Method,
    /// Extra request header, 'name: value' (repeatable).
    #[arg(long = "header", value_parser = parse_header)]
    headers: Vec<(HeaderName, HeaderValue)>,
    /// Also print one JSON object on stdout (the table then goes to stderr).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct SuiteArgs {
    /// The `fabula` binary.
    #[arg(long, default_value = "target/release/fabula")]
    fabula: PathBuf,
    #[command(flatten)]
    shape: Shape,
    /// Also write the Markdown report to this file.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct PipelineArgs {
    /// The `fabula` binary.
    #[arg(long, default_value = "target/release/fabula")]
    fabula: PathBuf,
    /// Chapter counts to generate, comma-separated.
    #[arg(long, default_value = "5,10,20", value_parser = parse_chapter_counts)]
    chapters: ChapterCounts,
    /// Jobs per chapter count (seeds 1, 2, ...).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Word budget per chapter.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    words: u32,
    /// Time between two polls of a job.
    #[arg(long, default_value = "20ms", value_parser = parse_duration)]
    poll: Duration,
    /// Longest one job may take.
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    job_timeout: Duration,
    /// Period of the sweeper (`--publish-every fabula.sweep=...`, when the host has the flag);
    /// 0 for none.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    sweep_every: Duration,
    /// Also print one JSON object on stdout (the table then goes to stderr).
    #[arg(long)]
    json: bool,
    /// Also write the Markdown report to this file.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Load(args) => run_load(args).await,
        Command::Suite(args) => run_suite(args).await,
        Command::Pipeline(args) => run_pipeline(args).await,
    }
}

async fn run_load(args: LoadArgs) -> anyhow::Result<()> {
    let config = LoadConfig {
        url: args.url,
        connections: args.shape.connections,
        duration: args.shape.duration,
        warmup: args.shape.warmup,
        method: args.method,
        headers: args.headers.into_iter().collect::<HeaderMap>(),
    };
    let report = load::run(&config).await?;
    if args.json {
        eprint!("{report}");
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{report}");
    }
    Ok(())
}

async fn run_suite(args: SuiteArgs) -> anyhow::Result<()> {
    let config = SuiteConfig {
        fabula: args.fabula,
        connections: args.shape.connections,
        duration: args.shape.duration,
        warmup: args.shape.warmup,
        command_line: command_line(),
    };
    let report = suite::run(&config).await?;
    let markdown = report.to_markdown();
    print!("\n{markdown}");
    write_out(args.out, &markdown)
}

async fn run_pipeline(args: PipelineArgs) -> anyhow::Result<()> {
    anyhow::ensure!(!args.poll.is_zero(), "--poll must be greater than zero");
    let config = PipelineConfig {
        fabula: args.fabula,
        chapter_counts: args.chapters.as_slice().to_vec(),
        runs: args.runs,
        words_per_chapter: args.words,
        polling: Polling {
            every: args.poll,
            limit: args.job_timeout,
        },
        sweep_every: (!args.sweep_every.is_zero()).then_some(args.sweep_every),
        command_line: command_line(),
    };
    let report = pipeline::run(&config).await?;
    let markdown = report.to_markdown();
    if args.json {
        eprint!("\n{markdown}");
        println!("{}", report.to_json());
    } else {
        print!("\n{markdown}");
    }
    write_out(args.out, &markdown)
}

/// Writes the Markdown report to `out`, when given.
fn write_out(out: Option<PathBuf>, markdown: &str) -> anyhow::Result<()> {
    if let Some(out) = out {
        std::fs::write(&out, markdown).with_context(|| format!("writing {}", out.display()))?;
        eprintln!("wrote {}", out.display());
    }
    Ok(())
}

/// This process's command line, shell-quoted where needed.
fn command_line() -> String {
    std::env::args()
        .enumerate()
        .map(|(i, arg)| {
            let arg = if i == 0 {
                "fabula-bench".to_owned()
            } else {
                arg
            };
            let plain = !arg.is_empty()
                && arg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c));
            if plain {
                arg
            } else {
                format!("'{}'", arg.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipeline_args(args: &[&str]) -> Result<PipelineArgs, clap::Error> {
        let argv = ["fabula-bench", "pipeline"].iter().chain(args);
        match Cli::try_parse_from(argv)?.command {
            Command::Pipeline(args) => Ok(args),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn pipeline_defaults() {
        let args = pipeline_args(&[]).unwrap();
        assert_eq!(args.chapters.as_slice(), [5, 10, 20]);
        assert_eq!((args.runs, args.words), (3, 1000));
        assert_eq!(args.poll, Duration::from_millis(20));
        assert_eq!(args.sweep_every, Duration::from_secs(5));
        assert_eq!(args.fabula, PathBuf::from("target/release/fabula"));
        assert!(!args.json && args.out.is_none());
    }

    #[test]
    fn pipeline_options() {
        let args = pipeline_args(&[
            "--chapters",
            "1,3",
            "--runs",
            "2",
            "--words",
            "400",
            "--json",
            "--out",
            "p.md",
        ])
        .unwrap();
        assert_eq!(args.chapters.as_slice(), [1, 3]);
        assert_eq!((args.runs, args.words), (2, 400));
        assert!(args.json);
        assert_eq!(args.out, Some(PathBuf::from("p.md")));
        for bad in [["--chapters", "5,,10"], ["--runs", "0"], ["--words", "0"]] {
            assert!(pipeline_args(&bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
