//! The `spin` key-value backend: Spin's SQLite table, so data carries over to `spin up`.
//!
//! Layout (identical to Spin's `spin-key-value-spin`): one table `spin_key_value` with the
//! store label in `store`, keyed by `(store, key)`.
//!
//! Reads (get/exists) are bounded primary-key lookups on a pool of WAL readers and run inline
//! when a reader is free. Writes run on a blocking thread (a commit may run a WAL checkpoint,
//! which syncs the disk) through a single writer connection, so this process never makes
//! SQLite sleep on its own write lock.

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::sqlite::pool::{self, DbLocation, Pool, PoolError};

/// Creates Spin's table on every new connection (a no-op once it exists).
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS spin_key_value (
    store TEXT NOT NULL,
    key   TEXT NOT NULL,
    value BLOB NOT NULL,

    PRIMARY KEY (store, key)
)";

const GET: &str = "SELECT value FROM spin_key_value WHERE store=$1 AND key=$2";
const SET: &str = "INSERT INTO spin_key_value (store, key, value) VALUES ($1, $2, $3)
    ON CONFLICT(store, key) DO UPDATE SET value=$3";
const DELETE: &str = "DELETE FROM spin_key_value WHERE store=$1 AND key=$2";
const EXISTS: &str = "SELECT 1 FROM spin_key_value WHERE store=$1 AND key=$2 LIMIT 1";
const KEYS: &str = "SELECT key FROM spin_key_value WHERE store=$1";
// The statements below bind by number (`?N`): SQLite numbers `$N` parameters by first
// appearance, not by `N`.
/// The first page of keys, in key order (served by the `(store, key)` primary-key index).
const KEYS_PAGE_FIRST: &str = "SELECT key FROM spin_key_value WHERE store=?1 ORDER BY key LIMIT ?2";
/// The page of keys after key `?3`, in key order.
const KEYS_PAGE_AFTER: &str =
    "SELECT key FROM spin_key_value WHERE store=?1 AND key>?3 ORDER BY key LIMIT ?2";
/// Compare-and-swap when the key held `?3`: one statement, so atomic.
const SWAP_IF_VALUE: &str =
    "UPDATE spin_key_value SET value=?4 WHERE store=?1 AND key=?2 AND value=?3";
/// Compare-and-swap when the key was absent: one statement, so atomic.
const SWAP_IF_ABSENT: &str = "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
    ON CONFLICT(store, key) DO NOTHING";

/// A key-value database file (or in-memory database) holding any number of stores.
pub struct SqliteKv {
    readers: Arc<Pool>,
    writer: Arc<Pool>,
}

/// A failed key-value operation on SQLite.
#[derive(Debug, thiserror::Error)]
pub enum SqliteKvError {
    /// No connection could be had.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// SQLite failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// `increment` found a value that is not a counter (Spin's encoding: exactly 8 bytes, a
    /// little-endian `i64`).
    #[error("cannot increment: the value is {0} bytes, not an 8-byte little-endian integer")]
    NotACounter(usize),
    /// `increment` would overflow an `i64`.
    #[error("cannot increment {current} by {delta}: the result overflows a 64-bit integer")]
    Overflow {
        /// The stored value.
        current: i64,
        /// The requested delta.
        delta: i64,
    },
}

type Result<T> = std::result::Result<T, SqliteKvError>;

impl SqliteKv {
    /// The database at `location`, opened lazily.
    pub fn new(location: DbLocation) -> Self {
        let readers = Pool::new(location.clone(), pool::default_pool_size(), SCHEMA);
        // An in-memory database has exactly one connection: readers and writer share it.
        let writer = match location {
            DbLocation::Memory => Arc::clone(&readers),
            DbLocation::File(_) => Pool::new(location, 1, SCHEMA),
        };
        SqliteKv { readers, writer }
    }

    /// Opens the database now (creating the file and table), so a bad path fails start-up.
    pub fn check(&self) -> std::result::Result<(), PoolError> {
        self.writer.check()
    }

    /// The value of `key` in `store`.
    pub async fn get(&self, store: Arc<str>, key: String) -> Result<Option<Vec<u8>>> {
        self.readers
            .run_bounded(move |c| get(c, &store, &key))
            .await?
    }

    /// Sets `key` in `store` to `value`.
    pub async fn set(&self, store: Arc<str>, key: String, value: Vec<u8>) -> Result<()> {
        self.writer
            .run_blocking(move |c| set(c, &store, &key, &value))
            .await?
    }

    /// Deletes `key` from `store` (no error if absent).
    pub async fn delete(&self, store: Arc<str>, key: String) -> Result<()> {
        self.writer
            .run_blocking(move |c| delete(c, &store, &key))
            .await?
    }

    /// Whether `key` exists in `store`.
    pub async fn exists(&self, store: Arc<str>, key: String) -> Result<bool> {
        self.readers
            .run_bounded(move |c| exists(c, &store, &key))
            .await?
    }

    /// Every key in `store` (a scan: runs on a blocking thread).
    pub async fn get_keys(&self, store: Arc<str>) -> Result<Vec<String>> {
        self.readers.run_blocking(move |c| keys(c, &store)).await?
    }

    /// Adds `delta` to the counter `key` in `store` (absent counts as 0) and returns the new
    /// value, in one `IMMEDIATE` transaction. Counters are stored as Spin's SQLite backend
    /// stores them: 8 bytes, little-endian `i64`.
    pub async fn increment(&self, store: Arc<str>, key: String, delta: i64) -> Result<i64> {
        self.writer
            .run_blocking(move |c| increment(c, &store, &key, delta))
            .await?
    }

    /// Sets `key` in `store` to `value` only if it still holds `expected` (`None`: absent),
    /// in one statement. Returns whether it did.
    pub async fn compare_and_swap(
        &self,
        store: Arc<str>,
        key: String,
        expected: Option<Vec<u8>>,
        value: Vec<u8>,
    ) -> Result<bool> {
        self.writer
            .run_blocking(move |c| compare_and_swap(c, &store, &key, expected.as_deref(), &value))
            .await?
    }

    /// The values of `keys` in `store`, in the order asked (`None`: absent).
    pub async fn get_many(
        &self,
        store: Arc<str>,
        keys: Vec<String>,
    ) -> Result<Vec<(String, Option<Vec<u8>>)>> {
        self.readers
            .run_blocking(move |c| {
                keys.into_iter()
                    .map(|key| get(c, &store, &key).map(|value| (key, value)))
                    .collect()
            })
            .await?
    }

    /// Sets every `(key, value)` in `store`, in one transaction.
    pub async fn set_many(&self, store: Arc<str>, pairs: Vec<(String, Vec<u8>)>) -> Result<()> {
        self.writer
            .run_blocking(move |c| {
                in_transaction(c, |tx| {
                    pairs
                        .iter()
                        .try_for_each(|(key, value)| set(tx, &store, key, value))
                })
            })
            .await?
    }

    /// Deletes every key of `keys` from `store` (absent ones are skipped), in one transaction.
    pub async fn delete_many(&self, store: Arc<str>, keys: Vec<String>) -> Result<()> {
        self.writer
            .run_blocking(move |c| {
                in_transaction(c, |tx| {
                    keys.iter().try_for_each(|key| delete(tx, &store, key))
                })
            })
            .await?
    }

    /// At most `limit` keys of `store` in key order, starting after `after` (from the first
    /// key when `None`).
    pub async fn keys_page(
        &self,
        store: Arc<str>,
        after: Option<String>,
        limit: usize,
    ) -> Result<Vec<String>> {
        self.readers
            .run_blocking(move |c| keys_page(c, &store, after.as_deref(), limit))
            .await?
    }

    /// Sets `key` in `store` now, blocking (for start-up hooks).
    pub fn set_blocking(&self, store: &str, key: &str, value: &[u8]) -> Result<()> {
        set(&*self.writer.get()?, store, key, value)
    }
}

fn get(c: &Connection, store: &str, key: &str) -> Result<Option<Vec<u8>>> {
    Ok(c.prepare_cached(GET)?
        .query_row(params![store, key], |row| row.get(0))
        .optional()?)
}

fn set(c: &Connection, store: &str, key: &str, value: &[u8]) -> Result<()> {
    c.prepare_cached(SET)?.execute(params![store, key, value])?;
    Ok(())
}

fn delete(c: &Connection, store: &str, key: &str) -> Result<()> {
    c.prepare_cached(DELETE)?.execute(params![store, key])?;
    Ok(())
}

fn exists(c: &Connection, store: &str, key: &str) -> Result<bool> {
    Ok(c.prepare_cached(EXISTS)?.exists(params![store, key])?)
}

fn keys(c: &Connection, store: &str) -> Result<Vec<String>> {
    let mut stmt = c.prepare_cached(KEYS)?;
    let keys = stmt.query_map(params![store], |row| row.get(0))?;
    Ok(keys.collect::<rusqlite::Result<_>>()?)
}

/// Runs `f` in an `IMMEDIATE` transaction (the write lock is taken up front, so the commit
/// cannot fail on a lock upgrade), committing when it succeeds and rolling back otherwise.
fn in_transaction<T>(c: &Connection, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    let tx = Transaction::new_unchecked(c, TransactionBehavior::Immediate)?;
    let result = f(&tx)?;
    tx.commit()?;
    Ok(result)
}

fn increment(c: &Connection, store: &str, key: &str, delta: i64) -> Result<i64> {
    in_transaction(c, |tx| {
        let current = match get(tx, store, key)? {
            None => 0,
            Some(bytes) => i64::from_le_bytes(
                <[u8; 8]>::try_from(bytes.as_slice())
                    .map_err(|_| SqliteKvError::NotACounter(bytes.len()))?,
            ),
        };
        let new = current
            .checked_add(delta)
            .ok_or(SqliteKvError::Overflow { current, delta })?;
        set(tx, store, key, &new.to_le_bytes())?;
        Ok(new)
    })
}

fn compare_and_swap(
    c: &Connection,
    store: &str,
    key: &str,
    expected: Option<&[u8]>,
    value: &[u8],
) -> Result<bool> {
    let changed = match expected {
        Some(old) => c
            .prepare_cached(SWAP_IF_VALUE)?
            .execute(params![store, key, old, value])?,
        None => c
            .prepare_cached(SWAP_IF_ABSENT)?
            .execute(params![store, key, value])?,
    };
    Ok(changed == 1)
}

fn keys_page(
    c: &Connection,
    store: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<String>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let keys = match after {
        None => c
            .prepare_cached(KEYS_PAGE_FIRST)?
            .query_map(params![store, limit], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?,
        Some(after) => c
            .prepare_cached(KEYS_PAGE_AFTER)?
            .query_map(params![store, limit, after], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?,
    };
    Ok(keys)
}
