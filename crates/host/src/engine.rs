//! The wasmtime engine: configuration (pooling allocator, epoch interruption), limits per
//! instance, and the on-disk cache of compiled components.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, UpdateDeadline,
};

/// How often the epoch advances; the granularity of time limits and of yielding to other tasks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Limits and tuning for every component instance.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Linear memory one instance may use, in bytes.
    pub memory_limit: usize,
    /// Instances that may exist at once (the pooling allocator's slots).
    pub max_instances: u32,
    /// Use the pooling allocator (falls back to on-demand if the system refuses it).
    pub pooling: bool,
    /// Folder for compiled components; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            memory_limit: 256 << 20,
            max_instances: 512,
            pooling: true,
            cache_dir: None,
        }
    }
}

/// Builds the shared engine: async, epoch interruption, pooling allocator when possible.
pub fn build_engine(options: &EngineOptions) -> anyhow::Result<Engine> {
    let mut config = base_config();
    if options.pooling {
        let mut pooling = PoolingAllocationConfig::default();
        pooling
            .total_component_instances(options.max_instances)
            .total_core_instances(options.max_instances * 4)
            .total_memories(options.max_instances * 2)
            .total_tables(options.max_instances * 4)
            .total_stacks(options.max_instances)
            .max_memories_per_component(4)
            .max_memory_size(options.memory_limit)
            .max_component_instance_size(1 << 20);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
        match Engine::new(&config) {
            Ok(engine) => return Ok(engine),
            Err(e) => {
                tracing::warn!(error = %e, "pooling allocator unavailable; using on-demand allocation");
                config = base_config();
            }
        }
    }
    Engine::new(&config)
        .map_err(anyhow::Error::from)
        .context("cannot create the wasmtime engine")
}

fn base_config() -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true).epoch_interruption(true);
    config
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until the returned guard is dropped.
pub fn start_epoch_ticker(engine: &Engine) -> EpochTicker {
    let stop = Arc::new(AtomicBool::new(false));
    let weak = engine.weak();
    let flag = stop.clone();
    std::thread::Builder::new()
        .name("fabula-epoch".into())
        .spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(EPOCH_TICK);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        })
        .expect("spawning the epoch thread");
    EpochTicker { stop }
}

/// Stops the epoch thread when dropped.
pub struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The error a guest sees (as a trap) when it runs past its time limit.
#[derive(Debug, thiserror::Error)]
#[error("component ran longer than its time limit of {0:?}")]
pub struct TimeLimitExceeded(pub Duration);

/// Makes `store` trap once `limit` has passed, yielding to other tasks at every epoch tick.
pub fn set_time_limit<T: Send>(store: &mut wasmtime::Store<T>, limit: Duration) {
    let deadline = Instant::now() + limit;
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |_| {
        if Instant::now() >= deadline {
            Err(TimeLimitExceeded(limit).into())
        } else {
            Ok(UpdateDeadline::Yield(1))
        }
    });
}

/// Loads a component from its Wasm `bytes` (`what` names it in errors), from the
/// compiled-code cache when it holds these exact bytes for this exact engine, otherwise
/// compiling them and filling the cache. A composed component's bytes embed its
/// dependencies, so the key changes whenever a dependency does.
pub fn load_component(
    engine: &Engine,
    bytes: &[u8],
    what: &str,
    cache_dir: Option<&Path>,
) -> anyhow::Result<Component> {
    let Some(cache_dir) = cache_dir else {
        return compile(engine, bytes, what);
    };
    let cached = cache_dir.join(format!("{}.cwasm", cache_key(engine, bytes)));
    if cached.exists() {
        // SAFETY: the file was written by `Component::serialize` of an engine with the same
        // compatibility hash (part of the file name), in a folder only this host writes.
        match unsafe { Component::deserialize_file(engine, &cached) } {
            Ok(component) => return Ok(component),
            Err(e) => {
                tracing::warn!(file = %cached.display(), error = %e, "ignoring unusable cache entry")
            }
        }
    }
    let component = compile(engine, bytes, what)?;
    if let Err(e) = write_cache(&component, cache_dir, &cached) {
        tracing::warn!(error = %e, "cannot write the compiled-code cache");
    }
    Ok(component)
}

fn compile(engine: &Engine, bytes: &[u8], what: &str) -> anyhow::Result<Component> {
    Component::new(engine, bytes)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("cannot compile {what}"))
}

fn write_cache(component: &Component, dir: &Path, target: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = target.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, component.serialize()?)?;
    std::fs::rename(&tmp, target)?;
    Ok(())
}

/// Content hash of the Wasm plus the engine's compatibility hash (wasmtime version and
/// settings), so a cache entry is never used by an engine that could not run it.
fn cache_key(engine: &Engine, bytes: &[u8]) -> String {
    let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
    engine
        .precompile_compatibility_hash()
        .hash(&mut engine_hash);
    let mut sha = Sha256::new();
    sha.update(bytes);
    sha.update(engine_hash.finish().to_le_bytes());
    hex::encode(&sha.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY_COMPONENT: &[u8] = b"(component)"; // wasmtime accepts the text format

    #[test]
    fn cache_is_filled_then_used() {
        let dir = tempfile::tempdir().unwrap();
        let engine = build_engine(&EngineOptions::default()).unwrap();
        let cache = dir.path().join("cache");
        load_component(&engine, EMPTY_COMPONENT, "c", Some(&cache)).unwrap();
        let entries: Vec<_> = std::fs::read_dir(&cache).unwrap().collect();
        assert_eq!(entries.len(), 1, "one compiled entry");
        load_component(&engine, EMPTY_COMPONENT, "c", Some(&cache)).unwrap();
        assert_eq!(
            std::fs::read_dir(&cache).unwrap().count(),
            1,
            "reused, not rewritten"
        );
    }

    #[test]
    fn cache_key_depends_on_content() {
        let engine = build_engine(&EngineOptions::default()).unwrap();
        assert_ne!(cache_key(&engine, b"a"), cache_key(&engine, b"b"));
        assert_eq!(cache_key(&engine, b"a"), cache_key(&engine, b"a"));
    }
}
