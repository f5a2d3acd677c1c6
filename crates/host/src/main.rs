//! `fabula`: build and run a Spin app locally (`fabula build`, `fabula up`), and inspect the
//! embedded queue (`fabula queue`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use fabula_host::app::AppOptions;
use fabula_host::engine::EngineOptions;
use fabula_host::logs::AccessLog;
use fabula_host::manifest::Manifest;
use fabula_host::publish_every::PublishEvery;
use fabula_host::redis::{QueueMode, RetryPolicy};

/// Fabula's local Spin host.
#[derive(Parser)]
#[command(name = "fabula", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run each component's build command (like `spin build`).
    Build {
        /// The manifest.
        #[arg(short = 'f', long = "from", default_value = "spin.toml")]
        manifest: PathBuf,
        /// Build only these components.
        #[arg(short = 'c', long = "component-id")]
        components: Vec<String>,
    },
    /// Run the app (like `spin up`).
    Up(UpArgs),
    /// Inspect the embedded queue: pending messages and dead letters.
    Queue {
        /// The manifest (its `.spin/` holds the queue).
        #[arg(short = 'f', long = "from", default_value = "spin.toml")]
        manifest: PathBuf,
        /// State folder, if not `<app dir>/.spin`.
        #[arg(long)]
        state_dir: Option<PathBuf>,
        /// Put this dead letter back on the queue.
        #[arg(long)]
        requeue: Option<i64>,
    },
}

#[derive(Args)]
struct UpArgs {
    /// The manifest.
    #[arg(short = 'f', long = "from", default_value = "spin.toml")]
    manifest: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Runtime config file (Spin's format).
    #[arg(long)]
    runtime_config_file: Option<PathBuf>,
    /// Set an application variable: `name=value` (repeatable).
    #[arg(long = "variable", value_parser = parse_pair)]
    variables: Vec<(String, String)>,
    /// Run SQL on the `default` database before serving: `@file.sql` or a statement (repeatable).
    #[arg(long = "sqlite")]
    sqlite: Vec<String>,
    /// Set a key in the `default` key-value store before serving: `key=value` (repeatable).
    #[arg(long = "key-value", value_parser = parse_pair)]
    key_values: Vec<(String, String)>,
    /// Where the queue lives: `embedded` (durable, in-process) or `external` (real Redis at
    /// the manifest's address).
    #[arg(long, value_enum, env = "FABULA_REDIS", default_value = "embedded")]
    redis: RedisMode,
    /// Build the components first.
    #[arg(long)]
    build: bool,
    /// State folder, overriding the runtime config (`<app dir>/.spin` by default).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Time limit of one HTTP request, in seconds.
    #[arg(long, default_value_t = 60.0)]
    request_timeout: f64,
    /// Time limit of one queue message, in seconds.
    #[arg(long, default_value_t = 600.0)]
    message_timeout: f64,
    /// Memory limit of one component instance, in MiB.
    #[arg(long, default_value_t = 256)]
    memory_limit_mb: usize,
    /// Queue deliveries tried before a message is dead-lettered.
    #[arg(long, default_value_t = 5)]
    max_attempts: u32,
    /// Access log: `-` (stdout), `off`, or a file.
    #[arg(long, default_value = "-")]
    access_log: String,
    /// Do not use the compiled-code cache (`<state dir>/cache`).
    #[arg(long)]
    no_cache: bool,
    /// Use on-demand instance allocation instead of the pooling allocator.
    #[arg(long)]
    no_pooling: bool,
    /// Publish a tick (`{"tick_at": …}`) on a subscribed channel of the app's queue at this
    /// interval: `CHANNEL=DURATION`, e.g. `fabula.sweep=30s` (repeatable).
    #[arg(long = "publish-every", value_name = "CHANNEL=DURATION")]
    publish_every: Vec<PublishEvery>,
}

#[derive(Clone, Copy, ValueEnum)]
enum RedisMode {
    Embedded,
    External,
}

fn parse_pair(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("expected `name=value`, got `{s}`"))
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FABULA_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Build {
            manifest,
            components,
        } => fabula_host::builder::build(&Manifest::load(&manifest)?, &components),
        Command::Up(args) => up(args),
        Command::Queue {
            manifest,
            state_dir,
            requeue,
        } => {
            let manifest = Manifest::load(&manifest)?;
            let state_dir = state_dir.unwrap_or_else(|| manifest.app_dir.join(".spin"));
            if let Some(id) = requeue {
                let found = fabula_host::redis::requeue_dead_letter(&state_dir, id)?;
                anyhow::ensure!(found, "no dead letter with id {id}");
                println!("dead letter {id} is pending again");
            } else {
                let report = fabula_host::redis::queue_report(&state_dir)?;
                println!("{}", serde_json::to_string_pretty(&report)?);
            }
            Ok(())
        }
    }
}

fn up(args: UpArgs) -> anyhow::Result<()> {
    let manifest = Manifest::load(&args.manifest)?;
    if args.build {
        fabula_host::builder::build(&manifest, &[])?;
    }
    let state_dir = args.state_dir.clone();
    let cache_root = state_dir
        .clone()
        .unwrap_or_else(|| manifest.app_dir.join(".spin"));
    let options = AppOptions {
        manifest_path: args.manifest.clone(),
        runtime_config_path: args.runtime_config_file.clone(),
        variables: args.variables.clone(),
        state_dir,
        queue_mode: match args.redis {
            RedisMode::Embedded => QueueMode::Embedded,
            RedisMode::External => QueueMode::External,
        },
        engine: EngineOptions {
            memory_limit: args.memory_limit_mb << 20,
            pooling: !args.no_pooling,
            cache_dir: (!args.no_cache).then(|| cache_root.join("cache")),
            ..EngineOptions::default()
        },
        request_timeout: seconds(args.request_timeout, "--request-timeout")?,
        message_timeout: seconds(args.message_timeout, "--message-timeout")?,
        retry: RetryPolicy {
            max_attempts: args.max_attempts.max(1),
            ..RetryPolicy::default()
        },
        sqlite_init: args.sqlite.clone(),
        key_values: args.key_values.clone(),
        publish_every: args.publish_every.clone(),
    };
    let access_log = AccessLog::open(&args.access_log)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let started = std::time::Instant::now();
        let running = fabula_host::serve::start(options, args.listen, access_log).await?;
        eprintln!(
            "Serving http://{} ({} in {:.2}s)",
            running.addr,
            manifest.application.name,
            started.elapsed().as_secs_f64()
        );
        for trigger in &manifest.http_triggers {
            if let Some(route) = &trigger.route {
                eprintln!(
                    "    {}: http://{}{}",
                    trigger.component,
                    running.addr,
                    route.raw()
                );
            }
        }
        tokio::signal::ctrl_c()
            .await
            .context("cannot wait for Ctrl-C")?;
        eprintln!("Shutting down");
        running.stop().await
    })
}

fn seconds(value: f64, flag: &str) -> anyhow::Result<Duration> {
    anyhow::ensure!(
        value.is_finite() && value > 0.0,
        "{flag} must be a positive number of seconds"
    );
    Ok(Duration::from_secs_f64(value))
}
