//! A loaded application: the manifest, the runtime config, every host interface's app-wide
//! state, and one pre-instantiated component per manifest component. Building a fresh
//! [`Store`] for a request or a message is the only per-call work.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{Context as _, bail};
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Engine, Store, StoreLimitsBuilder};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi_http::WasiHttpCtx;
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use crate::bindings::redis_trigger::RedisHandlerPre;
use crate::engine::{self, EngineOptions, EpochTicker};
use crate::http::outbound::OutboundHttp;
use crate::kv::KvFactor;
use crate::llm::LlmFactor;
use crate::logs::ComponentLogs;
use crate::manifest::Manifest;
use crate::outbound_networking::OutboundFactor;
use crate::publish_every::{self, PublishEvery};
use crate::redis::{QueueMode, RedisConfig, RedisFactor, RetryPolicy, Subscription};
use crate::runtime_config::RuntimeConfig;
use crate::sqlite::SqliteFactor;
use crate::state::InstanceState;
use crate::variables::VariablesFactor;

/// Everything `fabula up` is told on its command line.
#[derive(Debug, Clone)]
pub struct AppOptions {
    /// `spin.toml`.
    pub manifest_path: PathBuf,
    /// `--runtime-config-file`.
    pub runtime_config_path: Option<PathBuf>,
    /// `--variable name=value`, highest priority.
    pub variables: Vec<(String, String)>,
    /// `--state-dir`, overriding the runtime config's.
    pub state_dir: Option<PathBuf>,
    /// `--redis embedded|external`.
    pub queue_mode: QueueMode,
    /// Engine tuning and memory limit.
    pub engine: EngineOptions,
    /// Time limit of one HTTP request's component run.
    pub request_timeout: Duration,
    /// Time limit of one Redis message's component run.
    pub message_timeout: Duration,
    /// Queue retry policy.
    pub retry: RetryPolicy,
    /// `--sqlite @file.sql` or `--sqlite "STATEMENT"`, run on `default` before serving.
    pub sqlite_init: Vec<String>,
    /// `--key-value key=value`, set in `default` before serving.
    pub key_values: Vec<(String, String)>,
    /// `--publish-every CHANNEL=DURATION`: ticks the host publishes on the app's queue.
    pub publish_every: Vec<PublishEvery>,
}

/// One component, ready to instantiate.
pub struct LoadedComponent {
    /// Component id.
    pub id: Arc<str>,
    /// Present when the component exports `wasi:http/incoming-handler`.
    pub http: Option<ProxyPre<InstanceState>>,
    /// Present when the component exports `fermyon:spin/inbound-redis`.
    pub redis: Option<RedisHandlerPre<InstanceState>>,
    environment: Vec<(String, String)>,
    logs: ComponentLogs,
}

/// A running application.
pub struct App {
    /// The manifest it was loaded from.
    pub manifest: Manifest,
    /// Where state lives (`.spin/` by default).
    pub state_dir: PathBuf,
    /// Time limit of one HTTP request.
    pub request_timeout: Duration,
    /// Time limit of one Redis message.
    pub message_timeout: Duration,
    engine: Engine,
    memory_limit: usize,
    components: HashMap<String, LoadedComponent>,
    kv: KvFactor,
    sqlite: SqliteFactor,
    variables: VariablesFactor,
    outbound: OutboundFactor,
    redis: RedisFactor,
    llm: LlmFactor,
    self_addr: OnceLock<SocketAddr>,
    _epoch: EpochTicker,
}

impl App {
    /// Loads and checks everything; any problem fails here, before serving.
    pub fn load(options: &AppOptions) -> anyhow::Result<App> {
        let manifest = Manifest::load(&options.manifest_path)?;
        let runtime_config = match &options.runtime_config_path {
            Some(path) => RuntimeConfig::load(path)?,
            None => RuntimeConfig::default(),
        };
        let state_dir = match &options.state_dir {
            Some(dir) => dir.clone(),
            None => runtime_config.state_dir(&manifest.app_dir),
        };
        std::fs::create_dir_all(&state_dir)
            .with_context(|| format!("cannot create state folder {}", state_dir.display()))?;

        let variables = VariablesFactor::new(&manifest, &runtime_config, &options.variables)?;
        let outbound = OutboundFactor::new(&manifest, &variables)?;
        let kv = KvFactor::new(&runtime_config, &state_dir, &manifest.components)?;
        let sqlite = SqliteFactor::new(&runtime_config, &state_dir, &manifest.components)?;
        let llm = LlmFactor::new(&runtime_config, &manifest)?;
        let redis = RedisFactor::new(redis_config(
            &manifest, &variables, &outbound, options, &state_dir,
        )?)?;
        publish_every::check(&options.publish_every, &redis.channels())?;

        for statement in &options.sqlite_init {
            let sql = match statement.strip_prefix('@') {
                Some(file) => std::fs::read_to_string(file)
                    .with_context(|| format!("--sqlite: cannot read {file}"))?,
                None => statement.clone(),
            };
            sqlite
                .execute_batch("default", &sql)
                .context("--sqlite failed")?;
        }
        for (key, value) in &options.key_values {
            kv.set("default", key, value.as_bytes())
                .context("--key-value failed")?;
        }

        let engine = engine::build_engine(&options.engine)?;
        let epoch = engine::start_epoch_ticker(&engine);
        let linker = build_linker(&engine)?;
        let cache_dir = options.engine.cache_dir.clone();
        let log_dir = state_dir.join("logs");
        let mut components = HashMap::new();
        for id in manifest.triggered_components() {
            let loaded = load_one(
                &engine,
                &linker,
                &manifest,
                id,
                cache_dir.as_deref(),
                &log_dir,
            )?;
            components.insert(id.to_owned(), loaded);
        }
        for trigger in &manifest.http_triggers {
            if components[&trigger.component].http.is_none() {
                bail!(
                    "trigger.http[{}]: component `{}` does not export wasi:http/incoming-handler",
                    trigger.index,
                    trigger.component
                );
            }
        }
        for (index, trigger) in manifest.redis_triggers.iter().enumerate() {
            if components[&trigger.component].redis.is_none() {
                bail!(
                    "trigger.redis[{index}]: component `{}` does not export fermyon:spin/inbound-redis",
                    trigger.component
                );
            }
        }

        Ok(App {
            manifest,
            state_dir,
            request_timeout: options.request_timeout,
            message_timeout: options.message_timeout,
            engine,
            memory_limit: options.engine.memory_limit,
            components,
            kv,
            sqlite,
            variables,
            outbound,
            redis,
            llm,
            self_addr: OnceLock::new(),
            _epoch: epoch,
        })
    }

    /// A loaded component by id.
    pub fn component(&self, id: &str) -> Option<&LoadedComponent> {
        self.components.get(id)
    }

    /// The Redis factor (for the trigger).
    pub fn redis(&self) -> &RedisFactor {
        &self.redis
    }

    /// Secret variable values, to scrub from anything logged.
    pub fn secret_values(&self) -> Vec<String> {
        self.variables.secret_values()
    }

    /// Records where the HTTP trigger listens, so `http://self` requests reach this app.
    pub fn set_self_addr(&self, addr: SocketAddr) {
        let _ = self.self_addr.set(addr);
    }

    /// A fresh store for one run of `component`, limited to `time_limit`.
    pub fn new_store(
        &self,
        component: &LoadedComponent,
        time_limit: Duration,
    ) -> Store<InstanceState> {
        let id = component.id.as_ref();
        let mut wasi = WasiCtx::builder();
        wasi.stdout(component.logs.stdout.clone())
            .stderr(component.logs.stderr.clone())
            .envs(&component.environment);
        let state = InstanceState {
            component_id: component.id.clone(),
            table: ResourceTable::new(),
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            outbound_http: self.outbound_http(component),
            kv: self.kv.instance(id),
            sqlite: self.sqlite.instance(id),
            variables: self.variables.instance(id),
            redis: self.redis.instance(id),
            llm: self.llm.instance(id),
            limits: StoreLimitsBuilder::new()
                .memory_size(self.memory_limit)
                .instances(64)
                .trap_on_grow_failure(true)
                .build(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        engine::set_time_limit(&mut store, time_limit);
        store
    }
}

impl App {
    fn outbound_http(&self, component: &LoadedComponent) -> OutboundHttp {
        let hooks = OutboundHttp::new(
            component.id.clone(),
            self.outbound.allowed_hosts(&component.id),
        );
        match self.self_addr.get() {
            Some(addr) => hooks.with_self_addr(*addr),
            None => hooks,
        }
    }
}

fn build_linker(engine: &Engine) -> anyhow::Result<Linker<InstanceState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    crate::kv::add_to_linker(&mut linker)?;
    crate::sqlite::add_to_linker(&mut linker)?;
    crate::variables::add_to_linker(&mut linker)?;
    crate::redis::add_to_linker(&mut linker)?;
    crate::llm::add_to_linker(&mut linker)?;
    Ok(linker)
}

fn load_one(
    engine: &Engine,
    linker: &Linker<InstanceState>,
    manifest: &Manifest,
    id: &str,
    cache_dir: Option<&Path>,
    log_dir: &Path,
) -> anyhow::Result<LoadedComponent> {
    let decl = &manifest.components[id];
    let wasm = crate::compose::component_wasm(manifest, id)?;
    let component = engine::load_component(engine, &wasm, &format!("component `{id}`"), cache_dir)?;
    let component_type = component.component_type();
    crate::compose::check_host_imports(id, component_type.imports(engine).map(|(name, _)| name))?;
    let pre = linker
        .instantiate_pre(&component)
        .map_err(anyhow::Error::from)
        .with_context(|| {
            format!("component `{id}` imports something the Fabula host does not provide")
        })?;
    Ok(LoadedComponent {
        id: Arc::from(id),
        http: ProxyPre::new(pre.clone()).ok(),
        redis: RedisHandlerPre::new(pre).ok(),
        environment: decl
            .environment
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        logs: ComponentLogs::open(log_dir, id)?,
    })
}

fn redis_config(
    manifest: &Manifest,
    variables: &VariablesFactor,
    outbound: &OutboundFactor,
    options: &AppOptions,
    state_dir: &Path,
) -> anyhow::Result<RedisConfig> {
    let app_address = manifest
        .application
        .trigger
        .redis
        .as_ref()
        .map(|r| r.address.as_str());
    let mut subscriptions = Vec::new();
    for (index, trigger) in manifest.redis_triggers.iter().enumerate() {
        let place = || format!("trigger.redis[{index}]");
        let address = trigger
            .address
            .as_deref()
            .or(app_address)
            .with_context(place)?;
        subscriptions.push(Subscription {
            channel: variables
                .resolve_app_template(&trigger.channel)
                .with_context(place)?,
            component_id: trigger.component.clone(),
            address: variables
                .resolve_app_template(address)
                .with_context(place)?,
        });
    }
    let allowed_hosts = manifest
        .components
        .keys()
        .map(|id| (id.clone(), outbound.allowed_hosts(id)))
        .collect();
    Ok(RedisConfig {
        mode: options.queue_mode,
        state_dir: state_dir.to_owned(),
        subscriptions,
        allowed_hosts,
        retry: options.retry.clone(),
        max_concurrency: 4,
    })
}
