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

use rusqlite::{Connection, OptionalExtension, params};

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
