//! A small pool of SQLite connections to one database, shared by the key-value store and the
//! SQLite interface.
//!
//! Spin serialises every call through one mutex-guarded connection on a blocking thread. Here
//! each database gets a few connections in WAL mode (readers never wait for the writer), each
//! with its own prepared-statement cache, reused across requests. Connections are opened
//! lazily, so a database nobody touches is never created.
//!
//! The pool lock guards only the idle list and is never held while SQL runs or across an
//! `await`. [`Pool::run_bounded`] runs short, bounded work inline on the async task when a
//! connection is idle right away; everything else goes to tokio's blocking threads, at most one
//! per connection: further callers queue asynchronously instead of parking threads.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::Semaphore;

/// How long SQLite waits for a lock held by another connection, and how long [`Pool::get`]
/// waits for a free connection.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Prepared statements cached per connection (rusqlite's default is 16).
const STATEMENT_CACHE_CAPACITY: usize = 64;

/// Where a database lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DbLocation {
    /// A private in-memory database, gone when the process exits (Spin's choice for a label
    /// configured without a `path`).
    Memory,
    /// A file; its folder is created if missing.
    File(PathBuf),
}

impl std::fmt::Display for DbLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbLocation::Memory => f.write_str("a temporary in-memory database"),
            DbLocation::File(path) => write!(f, "\"{}\"", path.display()),
        }
    }
}

/// A connection could not be had.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// The database's folder could not be created.
    #[error("cannot create the folder of SQLite database {path}: {source}")]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// SQLite refused to open or set up the database.
    #[error("cannot open SQLite database {location}: {source}")]
    Open {
        /// The database.
        location: DbLocation,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// Every connection stayed busy for [`BUSY_TIMEOUT`].
    #[error("no free connection to SQLite database {0} within {BUSY_TIMEOUT:?}")]
    Exhausted(DbLocation),
    /// The blocking task running the work panicked or was cancelled.
    #[error("SQLite task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Connections to one database.
pub struct Pool {
    location: DbLocation,
    /// SQL run once on every new connection (e.g. `CREATE TABLE IF NOT EXISTS …`).
    init_sql: &'static str,
    /// Connections open at most (idle plus in use).
    max_open: usize,
    /// One permit per connection, held by each blocking task of [`Pool::run_blocking`].
    permits: Arc<Semaphore>,
    state: Mutex<PoolState>,
    returned: Condvar,
}

struct PoolState {
    idle: Vec<Connection>,
    open: usize,
}

/// A connection lent by a [`Pool`]; it goes back to the pool when dropped.
///
/// A connection dropped inside a transaction is rolled back first, so the next user always
/// starts clean.
pub struct PooledConnection {
    conn: Option<Connection>,
    pool: Arc<Pool>,
}

/// The pool size for a file database: one connection per core plus one (at least 4).
pub fn default_pool_size() -> usize {
    std::thread::available_parallelism().map_or(4, |n| (n.get() + 1).max(4))
}

impl Pool {
    /// A pool of up to `max_open` connections to `location`. An in-memory database always gets
    /// exactly one connection (a second one would see a different, empty database).
    pub fn new(location: DbLocation, max_open: usize, init_sql: &'static str) -> Arc<Self> {
        let max_open = match location {
            DbLocation::Memory => 1,
            DbLocation::File(_) => max_open.max(1),
        };
        Arc::new(Pool {
            location,
            init_sql,
            max_open,
            permits: Arc::new(Semaphore::new(max_open)),
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                open: 0,
            }),
            returned: Condvar::new(),
        })
    }

    /// An idle connection, if one is ready now; never blocks and never opens one.
    pub fn try_get(self: &Arc<Self>) -> Option<PooledConnection> {
        let conn = self.lock().idle.pop()?;
        Some(self.lend(conn))
    }

    /// A connection: an idle one, else a new one, else the first one returned within
    /// [`BUSY_TIMEOUT`]. Blocks: call it on a blocking thread (or at start-up).
    pub fn get(self: &Arc<Self>) -> Result<PooledConnection, PoolError> {
        let deadline = Instant::now() + BUSY_TIMEOUT;
        let mut state = self.lock();
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(self.lend(conn));
            }
            if state.open < self.max_open {
                state.open += 1;
                drop(state);
                return match self.connect() {
                    Ok(conn) => Ok(self.lend(conn)),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.returned.notify_one();
                        Err(e)
                    }
                };
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(PoolError::Exhausted(self.location.clone()));
            }
            state = self
                .returned
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Runs `f` on a connection. `f` must be short and bounded (e.g. a primary-key lookup):
    /// it runs inline on the calling task when a connection is idle, and on a blocking thread
    /// otherwise.
    pub async fn run_bounded<R, F>(self: &Arc<Self>, f: F) -> Result<R, PoolError>
    where
        F: FnOnce(&Connection) -> R + Send + 'static,
        R: Send + 'static,
    {
        match self.try_get() {
            Some(conn) => Ok(f(&conn)),
            None => self.run_blocking(f).await,
        }
    }

    /// Runs `f` on a connection on one of tokio's blocking threads, once one of the pool's
    /// permits is free (callers queue in order, without holding a thread).
    pub async fn run_blocking<R, F>(self: &Arc<Self>, f: F) -> Result<R, PoolError>
    where
        F: FnOnce(&Connection) -> R + Send + 'static,
        R: Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .expect("the pool never closes its semaphore");
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            pool.get().map(|conn| f(&conn))
        })
        .await?
    }

    /// Opens the database now, so a bad path fails at start-up rather than on first use.
    pub fn check(self: &Arc<Self>) -> Result<(), PoolError> {
        self.get().map(drop)
    }

    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // The state is a list and a counter, consistent at every step: a panic elsewhere
        // cannot leave it half-updated.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lend(self: &Arc<Self>, conn: Connection) -> PooledConnection {
        PooledConnection {
            conn: Some(conn),
            pool: Arc::clone(self),
        }
    }

    fn connect(&self) -> Result<Connection, PoolError> {
        let open_err = |source| PoolError::Open {
            location: self.location.clone(),
            source,
        };
        let conn = match &self.location {
            DbLocation::Memory => Connection::open_in_memory().map_err(open_err)?,
            DbLocation::File(path) => {
                create_parent_dir(path)?;
                let conn = Connection::open(path).map_err(open_err)?;
                // WAL: readers and the writer no longer block each other; NORMAL sync is
                // durable across application crashes (not power loss) and skips an fsync per
                // commit.
                conn.pragma_update(None, "journal_mode", "WAL")
                    .map_err(open_err)?;
                conn.pragma_update(None, "synchronous", "NORMAL")
                    .map_err(open_err)?;
                conn
            }
        };
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
        if !self.init_sql.is_empty() {
            conn.execute_batch(self.init_sql).map_err(open_err)?;
        }
        Ok(conn)
    }

    fn give_back(&self, conn: Connection) {
        // A guest may leave a transaction open; never hand that to the next user.
        let clean = conn.is_autocommit() || {
            let _ = conn.execute_batch("ROLLBACK");
            conn.is_autocommit()
        };
        let mut state = self.lock();
        if clean || self.location == DbLocation::Memory {
            state.idle.push(conn);
        } else {
            state.open -= 1;
        }
        drop(state);
        self.returned.notify_one();
    }
}

impl Deref for PooledConnection {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("a lent connection is present until dropped")
    }
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.give_back(conn);
        }
    }
}

fn create_parent_dir(path: &Path) -> Result<(), PoolError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|source| PoolError::CreateDir {
                path: dir.to_owned(),
                source,
            })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_connections_use_wal_and_are_reused() {
        let dir = tempfile::tempdir().unwrap();
        let pool = Pool::new(DbLocation::File(dir.path().join("a/b/x.db")), 2, "");
        let conn = pool.get().unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 1, "synchronous=NORMAL");
        drop(conn);
        assert!(
            pool.try_get().is_some(),
            "the connection went back to the pool"
        );
        assert_eq!(pool.lock().open, 1);
    }

    #[test]
    fn a_connection_dropped_in_a_transaction_is_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let pool = Pool::new(
            DbLocation::File(dir.path().join("x.db")),
            1,
            "CREATE TABLE t(x)",
        );
        let conn = pool.get().unwrap();
        conn.execute_batch("BEGIN; INSERT INTO t VALUES (1);")
            .unwrap();
        drop(conn);
        let conn = pool.try_get().expect("returned to the pool");
        assert!(conn.is_autocommit());
        let n: i64 = conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn memory_pools_hold_one_connection_and_keep_the_data() {
        let pool = Pool::new(DbLocation::Memory, 8, "CREATE TABLE t(x)");
        pool.get()
            .unwrap()
            .execute("INSERT INTO t VALUES (1)", [])
            .unwrap();
        let conn = pool.get().unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        assert!(pool.try_get().is_none(), "the only connection is in use");
    }

    #[test]
    fn unopenable_files_are_reported_with_their_path() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let pool = Pool::new(DbLocation::File(blocker.join("x.db")), 1, "");
        let err = pool.check().unwrap_err().to_string();
        assert!(err.contains("file"), "{err}");
        assert_eq!(pool.lock().open, 0, "a failed open frees its slot");
    }
}
