//! `fermyon:spin/key-value@2.0.0`: labelled stores, Spin's permission rules and table layout.
//!
//! Labels resolve as in Spin: `default` is `<state_dir>/sqlite_key_value.db` unless
//! configured; a `[key_value_store.<label>]` of type `spin` uses its `path`, or a temporary
//! in-memory database when it has none; type `redis` uses the server at `url`. Every label a
//! component lists must exist at start-up; at run time a label the component does not list is
//! `access-denied`, and an instance holds at most 256 open stores (`store-table-full`).
//!
//! [`wasi_keyvalue`] serves `wasi:keyvalue@0.2.0-draft2` on the same stores and rules.

mod redis_store;
mod sqlite_store;
#[cfg(test)]
mod tests;
pub mod wasi_keyvalue;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmtime::component::{HasSelf, Linker, Resource, ResourceTable};

use crate::bindings::fermyon::spin2_0_0::key_value::{self as wit, Error};
use crate::manifest::Component;
use crate::runtime_config::{KeyValueStoreConfig, RuntimeConfig};
use crate::sqlite::pool::{DbLocation, PoolError};
use crate::state::InstanceState;
use redis_store::RedisKv;
use sqlite_store::{SqliteKv, SqliteKvError};

/// The file of the `default` store inside the state folder (Spin's name).
pub const DEFAULT_STORE_FILE: &str = "sqlite_key_value.db";

/// Stores one instance may hold open at once (Spin's limit).
const MAX_OPEN_STORES: usize = 256;

/// Key-value set-up or start-up hook failures.
#[derive(Debug, thiserror::Error)]
pub enum KvError {
    /// A component lists a label the runtime config does not define.
    #[error("component `{component}`: unknown key_value_stores label `{label}`")]
    UnknownLabel {
        /// The component id.
        component: String,
        /// The label.
        label: String,
    },
    /// A start-up hook named a store that does not exist.
    #[error("no key-value store labelled `{0}`")]
    NoSuchStore(String),
    /// The state folder could not be created.
    #[error("cannot create state folder {path}: {source}")]
    StateDir {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A store's database could not be opened.
    #[error("key-value store `{label}`: {source}")]
    Open {
        /// The label.
        label: String,
        /// Why.
        source: PoolError,
    },
    /// A store's operation failed.
    #[error("key-value store `{label}`: {source}")]
    Backend {
        /// The label.
        label: String,
        /// Why.
        source: BackendError,
    },
}

/// A failed operation on a store's backend.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The SQLite backend failed.
    #[error(transparent)]
    Sqlite(#[from] SqliteKvError),
    /// The Redis backend failed (or its URL is invalid).
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}

/// App-wide key-value state: the configured stores, checked at start-up.
pub struct KvFactor {
    stores: Arc<HashMap<String, Backend>>,
    allowed: HashMap<String, Arc<HashSet<String>>>,
}

/// One instance's view: the labels its component may open, and its open stores.
pub struct KvInstance {
    stores: Arc<HashMap<String, Backend>>,
    allowed: Arc<HashSet<String>>,
    table: ResourceTable,
    open: usize,
    /// `wasi:keyvalue` compare-and-swap handles held.
    open_cas: usize,
}

/// An open store, as the guest's `store` resource.
pub struct StoreHandle {
    label: Arc<str>,
    backend: Backend,
}

/// The backend serving a label; labels configured with the same file share one.
#[derive(Clone)]
enum Backend {
    Sqlite(Arc<SqliteKv>),
    Redis(Arc<RedisKv>),
}

impl KvFactor {
    /// Resolves the configured stores and checks every component's labels against them. The
    /// SQLite stores components use are opened now, so a bad path fails start-up.
    pub fn new(
        rc: &RuntimeConfig,
        state_dir: &Path,
        components: &BTreeMap<String, Component>,
    ) -> anyhow::Result<Self> {
        std::fs::create_dir_all(state_dir).map_err(|source| KvError::StateDir {
            path: state_dir.to_owned(),
            source,
        })?;
        let stores = backends(rc, state_dir)?;
        let mut allowed = HashMap::new();
        for (id, component) in components {
            for label in &component.key_value_stores {
                let backend = stores.get(label).ok_or_else(|| KvError::UnknownLabel {
                    component: id.clone(),
                    label: label.clone(),
                })?;
                if let Backend::Sqlite(kv) = backend {
                    kv.check().map_err(|source| KvError::Open {
                        label: label.clone(),
                        source,
                    })?;
                }
            }
            let labels = component.key_value_stores.iter().cloned().collect();
            allowed.insert(id.clone(), Arc::new(labels));
        }
        Ok(KvFactor {
            stores: Arc::new(stores),
            allowed,
        })
    }

    /// The per-instance state for `component_id` (cheap: two `Arc` clones). An unknown
    /// component may open nothing.
    pub fn instance(&self, component_id: &str) -> KvInstance {
        KvInstance {
            stores: Arc::clone(&self.stores),
            allowed: self.allowed.get(component_id).cloned().unwrap_or_default(),
            table: ResourceTable::new(),
            open: 0,
            open_cas: 0,
        }
    }

    /// Sets `key` to `value` in the store `label`: Spin's `--key-value k=v` start-up hook
    /// (label `default`). Blocks.
    pub fn set(&self, label: &str, key: &str, value: &[u8]) -> anyhow::Result<()> {
        let backend = self
            .stores
            .get(label)
            .ok_or_else(|| KvError::NoSuchStore(label.to_owned()))?;
        let result = match backend {
            Backend::Sqlite(kv) => kv
                .set_blocking(label, key, value)
                .map_err(BackendError::from),
            Backend::Redis(kv) => kv.set_blocking(key, value).map_err(BackendError::from),
        };
        result.map_err(|source| KvError::Backend {
            label: label.to_owned(),
            source,
        })?;
        Ok(())
    }
}

/// The backend of every configured label, plus `default` when it is not configured. Labels
/// configured with the same file share its backend; in-memory ones are private to a label.
fn backends(rc: &RuntimeConfig, state_dir: &Path) -> Result<HashMap<String, Backend>, KvError> {
    let default = KeyValueStoreConfig::Spin { path: None };
    let mut configs: BTreeMap<&str, &KeyValueStoreConfig> = rc
        .key_value_stores
        .iter()
        .map(|(label, cfg)| (label.as_str(), cfg))
        .collect();
    configs.entry("default").or_insert(&default);

    let mut by_file: HashMap<PathBuf, Arc<SqliteKv>> = HashMap::new();
    let mut stores = HashMap::new();
    for (label, cfg) in configs {
        let backend = match cfg {
            KeyValueStoreConfig::Spin { path } => {
                Backend::Sqlite(match resolve(label, path.as_deref(), state_dir) {
                    DbLocation::File(path) => Arc::clone(
                        by_file
                            .entry(path.clone())
                            .or_insert_with(|| Arc::new(SqliteKv::new(DbLocation::File(path)))),
                    ),
                    DbLocation::Memory => Arc::new(SqliteKv::new(DbLocation::Memory)),
                })
            }
            KeyValueStoreConfig::Redis { url } => {
                let redis = RedisKv::new(url).map_err(|e| KvError::Backend {
                    label: label.to_owned(),
                    source: e.into(),
                })?;
                Backend::Redis(Arc::new(redis))
            }
        };
        stores.insert(label.to_owned(), backend);
    }
    Ok(stores)
}

/// Where a `spin` store's database lives, by Spin's rules.
fn resolve(label: &str, path: Option<&Path>, state_dir: &Path) -> DbLocation {
    match path {
        Some(path) => DbLocation::File(path.to_owned()),
        None if label == "default" => DbLocation::File(state_dir.join(DEFAULT_STORE_FILE)),
        None => DbLocation::Memory,
    }
}

impl StoreHandle {
    async fn get(&self, key: String) -> Result<Option<Vec<u8>>, BackendError> {
        Ok(match &self.backend {
            Backend::Sqlite(kv) => kv.get(Arc::clone(&self.label), key).await?,
            Backend::Redis(kv) => kv.get(key).await?,
        })
    }

    async fn set(&self, key: String, value: Vec<u8>) -> Result<(), BackendError> {
        match &self.backend {
            Backend::Sqlite(kv) => kv.set(Arc::clone(&self.label), key, value).await?,
            Backend::Redis(kv) => kv.set(key, value).await?,
        }
        Ok(())
    }

    async fn delete(&self, key: String) -> Result<(), BackendError> {
        match &self.backend {
            Backend::Sqlite(kv) => kv.delete(Arc::clone(&self.label), key).await?,
            Backend::Redis(kv) => kv.delete(key).await?,
        }
        Ok(())
    }

    async fn exists(&self, key: String) -> Result<bool, BackendError> {
        Ok(match &self.backend {
            Backend::Sqlite(kv) => kv.exists(Arc::clone(&self.label), key).await?,
            Backend::Redis(kv) => kv.exists(key).await?,
        })
    }

    async fn get_keys(&self) -> Result<Vec<String>, BackendError> {
        Ok(match &self.backend {
            Backend::Sqlite(kv) => kv.get_keys(Arc::clone(&self.label)).await?,
            Backend::Redis(kv) => kv.get_keys().await?,
        })
    }
}

impl KvInstance {
    /// The open store behind `this`; a stale handle is a host error (a trap), as in Spin.
    fn store(&self, this: &Resource<StoreHandle>) -> anyhow::Result<&StoreHandle> {
        Ok(self.table.get(this)?)
    }
}

/// A backend failure as the WIT `other` error.
fn other<T>(result: Result<T, BackendError>) -> Result<T, Error> {
    result.map_err(|e| Error::Other(e.to_string()))
}

impl wit::Host for KvInstance {}

impl wit::HostStore for KvInstance {
    async fn open(
        &mut self,
        label: String,
    ) -> anyhow::Result<Result<Resource<StoreHandle>, Error>> {
        if !self.allowed.contains(&label) {
            return Ok(Err(Error::AccessDenied));
        }
        let Some(backend) = self.stores.get(&label) else {
            return Ok(Err(Error::NoSuchStore));
        };
        if self.open >= MAX_OPEN_STORES {
            return Ok(Err(Error::StoreTableFull));
        }
        if let Backend::Redis(kv) = backend
            && let Err(e) = kv.connect().await
        {
            return Ok(Err(Error::Other(format!("redis: {e}"))));
        }
        let handle = StoreHandle {
            label: label.into(),
            backend: backend.clone(),
        };
        let resource = self.table.push(handle)?;
        self.open += 1;
        Ok(Ok(resource))
    }

    async fn get(
        &mut self,
        this: Resource<StoreHandle>,
        key: String,
    ) -> anyhow::Result<Result<Option<Vec<u8>>, Error>> {
        Ok(other(self.store(&this)?.get(key).await))
    }

    async fn set(
        &mut self,
        this: Resource<StoreHandle>,
        key: String,
        value: Vec<u8>,
    ) -> anyhow::Result<Result<(), Error>> {
        Ok(other(self.store(&this)?.set(key, value).await))
    }

    async fn delete(
        &mut self,
        this: Resource<StoreHandle>,
        key: String,
    ) -> anyhow::Result<Result<(), Error>> {
        Ok(other(self.store(&this)?.delete(key).await))
    }

    async fn exists(
        &mut self,
        this: Resource<StoreHandle>,
        key: String,
    ) -> anyhow::Result<Result<bool, Error>> {
        Ok(other(self.store(&this)?.exists(key).await))
    }

    async fn get_keys(
        &mut self,
        this: Resource<StoreHandle>,
    ) -> anyhow::Result<Result<Vec<String>, Error>> {
        Ok(other(self.store(&this)?.get_keys().await))
    }

    async fn drop(&mut self, rep: Resource<StoreHandle>) -> anyhow::Result<()> {
        self.table.delete(rep)?;
        self.open -= 1;
        Ok(())
    }
}

/// Adds `fermyon:spin/key-value@2.0.0` and `wasi:keyvalue@0.2.0-draft2` to the linker, served
/// by [`InstanceState::kv`].
pub fn add_to_linker(linker: &mut Linker<InstanceState>) -> anyhow::Result<()> {
    wit::add_to_linker::<InstanceState, HasSelf<KvInstance>>(linker, |s| &mut s.kv)?;
    wasi_keyvalue::add_to_linker(linker)
}
