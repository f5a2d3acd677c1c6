//! `fabula-bench`: HTTP load for one URL (`load`) and the standard benchmark suite of the
//! `fabula` host (`suite`). See the `fabula_loadgen` library for the details.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use fabula_loadgen::args::{parse_duration, parse_header};
use fabula_loadgen::load::{self, LoadConfig};
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Load(args) => run_load(args).await,
        Command::Suite(args) => run_suite(args).await,
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
    if let Some(out) = args.out {
        std::fs::write(&out, &markdown).with_context(|| format!("writing {}", out.display()))?;
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
