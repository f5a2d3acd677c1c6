//! `fermyon:spin/sqlite@2.0.0`: labelled databases, Spin's permission rules, bound parameters.
//!
//! Labels resolve as in Spin: `default` is `<state_dir>/sqlite_db.db` unless configured; a
//! `[sqlite_database.<label>]` of type `spin` uses its `path`, or a temporary in-memory
//! database when it has none. Every label a component lists must exist at start-up; at run
//! time a label the component does not list is `access-denied`.
//!
//! Each database is served by a [`pool::Pool`] of WAL connections. A read-only statement is
//! first tried inline on the async task, on an idle connection, with a 500 µs budget and no
//! lock waits; writes, and reads that exceed the budget, run on tokio's blocking threads (their
//! cost is unbounded). A guest that leaves a transaction open
//! (`BEGIN` in one call, `COMMIT` in a later one) keeps its pooled connection pinned to its
//! `connection` resource until the transaction ends; dropping the resource rolls it back.

mod deadline;
pub mod pool;
mod query;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmtime::component::{HasSelf, Linker, Resource, ResourceTable};

use crate::bindings::fermyon::spin2_0_0::sqlite::{self as wit, Error, QueryResult, Value};
use crate::manifest::Component;
use crate::runtime_config::{RuntimeConfig, SqliteDatabaseConfig};
use crate::state::InstanceState;
use pool::{DbLocation, Pool, PoolError, PooledConnection};

/// The file of the `default` database inside the state folder (Spin's name).
pub const DEFAULT_DATABASE_FILE: &str = "sqlite_db.db";

/// Connections one instance may hold open at once (Spin's limit).
const MAX_OPEN_CONNECTIONS: usize = 256;

/// SQLite set-up or start-up hook failures.
#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    /// A component lists a label the runtime config does not define.
    #[error("component `{component}`: unknown sqlite_databases label `{label}`")]
    UnknownLabel {
        /// The component id.
        component: String,
        /// The label.
        label: String,
    },
    /// A start-up hook named a database that does not exist.
    #[error("no SQLite database labelled `{0}`")]
    NoSuchDatabase(String),
    /// The state folder could not be created.
    #[error("cannot create state folder {path}: {source}")]
    StateDir {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A database could not be opened.
    #[error("SQLite database `{label}`: {source}")]
    Open {
        /// The label.
        label: String,
        /// Why.
        source: PoolError,
    },
    /// Start-up statements (`--sqlite`) failed.
    #[error("SQLite database `{label}`: {source}")]
    Batch {
        /// The label.
        label: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
}

/// App-wide SQLite state: the configured databases, checked at start-up.
pub struct SqliteFactor {
    databases: Arc<HashMap<String, Arc<Pool>>>,
    allowed: HashMap<String, Arc<HashSet<String>>>,
}

/// One instance's view: the labels its component may open, and its open connections.
pub struct SqliteInstance {
    databases: Arc<HashMap<String, Arc<Pool>>>,
    allowed: Arc<HashSet<String>>,
    connections: ResourceTable,
    open: usize,
}

/// An open database, as the guest's `connection` resource.
pub struct ConnectionHandle {
    pool: Arc<Pool>,
    /// The pooled connection held while the guest has a transaction open on it.
    pinned: Option<PooledConnection>,
}

impl SqliteFactor {
    /// Resolves the configured databases and checks every component's labels against them.
    /// The databases components use are opened now, so a bad path fails start-up.
    pub fn new(
        rc: &RuntimeConfig,
        state_dir: &Path,
        components: &BTreeMap<String, Component>,
    ) -> anyhow::Result<Self> {
        std::fs::create_dir_all(state_dir).map_err(|source| SqliteError::StateDir {
            path: state_dir.to_owned(),
            source,
        })?;
        let databases = pools(rc, state_dir);
        let mut allowed = HashMap::new();
        for (id, component) in components {
            for label in &component.sqlite_databases {
                let pool = databases
                    .get(label)
                    .ok_or_else(|| SqliteError::UnknownLabel {
                        component: id.clone(),
                        label: label.clone(),
                    })?;
                pool.check().map_err(|source| SqliteError::Open {
                    label: label.clone(),
                    source,
                })?;
            }
            let labels = component.sqlite_databases.iter().cloned().collect();
            allowed.insert(id.clone(), Arc::new(labels));
        }
        Ok(SqliteFactor {
            databases: Arc::new(databases),
            allowed,
        })
    }

    /// The per-instance state for `component_id` (cheap: two `Arc` clones). An unknown
    /// component may open nothing.
    pub fn instance(&self, component_id: &str) -> SqliteInstance {
        SqliteInstance {
            databases: Arc::clone(&self.databases),
            allowed: self.allowed.get(component_id).cloned().unwrap_or_default(),
            connections: ResourceTable::new(),
            open: 0,
        }
    }

    /// Runs `sql` (one or more `;`-separated statements) on the database `label`: Spin's
    /// `--sqlite @file.sql` / `--sqlite "STATEMENT"` start-up hook. Blocks.
    pub fn execute_batch(&self, label: &str, sql: &str) -> anyhow::Result<()> {
        let pool = self
            .databases
            .get(label)
            .ok_or_else(|| SqliteError::NoSuchDatabase(label.to_owned()))?;
        let conn = pool.get().map_err(|source| SqliteError::Open {
            label: label.to_owned(),
            source,
        })?;
        conn.execute_batch(sql)
            .map_err(|source| SqliteError::Batch {
                label: label.to_owned(),
                source,
            })?;
        Ok(())
    }
}

/// The pool of every configured label, plus `default` when it is not configured. Labels
/// configured with the same file share its pool; in-memory ones are private to a label.
fn pools(rc: &RuntimeConfig, state_dir: &Path) -> HashMap<String, Arc<Pool>> {
    let mut locations: BTreeMap<&str, DbLocation> = rc
        .sqlite_databases
        .iter()
        .map(|(label, SqliteDatabaseConfig::Spin { path })| {
            (label.as_str(), resolve(label, path.as_deref(), state_dir))
        })
        .collect();
    locations
        .entry("default")
        .or_insert_with(|| resolve("default", None, state_dir));

    let mut by_file: HashMap<PathBuf, Arc<Pool>> = HashMap::new();
    let new_pool = |location| Pool::new(location, pool::default_pool_size(), "");
    locations
        .into_iter()
        .map(|(label, location)| {
            let pool = match location {
                DbLocation::File(path) => Arc::clone(
                    by_file
                        .entry(path.clone())
                        .or_insert_with(|| new_pool(DbLocation::File(path))),
                ),
                DbLocation::Memory => new_pool(DbLocation::Memory),
            };
            (label.to_owned(), pool)
        })
        .collect()
}

/// Where a label's database lives, by Spin's rules.
fn resolve(label: &str, path: Option<&Path>, state_dir: &Path) -> DbLocation {
    match path {
        Some(path) => DbLocation::File(path.to_owned()),
        None if label == "default" => DbLocation::File(state_dir.join(DEFAULT_DATABASE_FILE)),
        None => DbLocation::Memory,
    }
}

impl wit::Host for SqliteInstance {}

impl wit::HostConnection for SqliteInstance {
    async fn open(
        &mut self,
        database: String,
    ) -> anyhow::Result<Result<Resource<ConnectionHandle>, Error>> {
        if !self.allowed.contains(&database) {
            return Ok(Err(Error::AccessDenied));
        }
        let Some(pool) = self.databases.get(&database) else {
            return Ok(Err(Error::NoSuchDatabase));
        };
        if self.open >= MAX_OPEN_CONNECTIONS {
            return Ok(Err(Error::Io("too many connections opened".into())));
        }
        let handle = self.connections.push(ConnectionHandle {
            pool: Arc::clone(pool),
            pinned: None,
        })?;
        self.open += 1;
        Ok(Ok(handle))
    }

    async fn execute(
        &mut self,
        this: Resource<ConnectionHandle>,
        statement: String,
        parameters: Vec<Value>,
    ) -> anyhow::Result<Result<QueryResult, Error>> {
        let Ok(handle) = self.connections.get_mut(&this) else {
            return Ok(Err(Error::InvalidConnection));
        };
        // Outside a transaction, a cheap read runs right here on an idle connection.
        if handle.pinned.is_none()
            && let Some(conn) = handle.pool.try_get()
            && let Some(result) = query::try_inline(&conn, &statement, &parameters)
        {
            // `BEGIN` is such a statement: the connection then stays with the handle.
            handle.pinned = (!conn.is_autocommit()).then_some(conn);
            return Ok(result);
        }
        let pool = Arc::clone(&handle.pool);
        let pinned = handle.pinned.take();
        let task = tokio::task::spawn_blocking(move || {
            let conn = match pinned {
                Some(conn) => conn,
                None => pool.get()?,
            };
            let result = query::execute(&conn, &statement, &parameters);
            // Keep the connection only while the guest has a transaction open on it.
            Ok::<_, PoolError>((result, (!conn.is_autocommit()).then_some(conn)))
        });
        let (result, pinned) = match task.await.map_err(PoolError::from).and_then(|r| r) {
            Ok(done) => done,
            Err(e) => return Ok(Err(Error::Io(e.to_string()))),
        };
        if let Ok(handle) = self.connections.get_mut(&this) {
            handle.pinned = pinned;
        }
        Ok(result)
    }

    async fn drop(&mut self, rep: Resource<ConnectionHandle>) -> anyhow::Result<()> {
        // Dropping the handle returns a pinned connection to its pool, rolled back.
        self.connections.delete(rep)?;
        self.open -= 1;
        Ok(())
    }
}

/// Adds `fermyon:spin/sqlite@2.0.0` to the linker, served by [`InstanceState::sqlite`].
pub fn add_to_linker(linker: &mut Linker<InstanceState>) -> anyhow::Result<()> {
    Ok(wit::add_to_linker::<InstanceState, HasSelf<SqliteInstance>>(linker, |s| &mut s.sqlite)?)
}
