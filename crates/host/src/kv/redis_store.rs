//! The `redis` key-value backend, as Spin's `spin-key-value-redis`: plain `GET`/`SET`/`DEL`/
//! `EXISTS`/`KEYS *` on the server's keyspace (the store label does not prefix keys).
//!
//! The URL is checked at start-up; the connection is made on first `open` and shared by every
//! instance (a multiplexed connection), and made again after it breaks.

use std::sync::Mutex;

use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;

/// A Redis server serving one or more key-value labels.
pub struct RedisKv {
    client: redis::Client,
    connection: Mutex<Option<MultiplexedConnection>>,
}

impl RedisKv {
    /// A store on the server at `url` (`redis://…`); fails only if the URL is invalid.
    pub fn new(url: &str) -> redis::RedisResult<Self> {
        Ok(RedisKv {
            client: redis::Client::open(url)?,
            connection: Mutex::new(None),
        })
    }

    /// The shared connection, connecting first if there is none.
    pub async fn connect(&self) -> redis::RedisResult<MultiplexedConnection> {
        if let Some(conn) = self.slot().as_ref() {
            return Ok(conn.clone());
        }
        let conn = self.client.get_multiplexed_async_connection().await?;
        Ok(self.slot().get_or_insert(conn).clone())
    }

    /// The value of `key`.
    pub async fn get(&self, key: String) -> redis::RedisResult<Option<Vec<u8>>> {
        let result = self.connect().await?.get(key).await;
        self.forget_if_broken(result)
    }

    /// Sets `key` to `value`.
    pub async fn set(&self, key: String, value: Vec<u8>) -> redis::RedisResult<()> {
        let result = self.connect().await?.set(key, value).await;
        self.forget_if_broken(result)
    }

    /// Deletes `key`.
    pub async fn delete(&self, key: String) -> redis::RedisResult<()> {
        let result = self.connect().await?.del(key).await;
        self.forget_if_broken(result)
    }

    /// Whether `key` exists.
    pub async fn exists(&self, key: String) -> redis::RedisResult<bool> {
        let result = self.connect().await?.exists(key).await;
        self.forget_if_broken(result)
    }

    /// Every key on the server.
    pub async fn get_keys(&self) -> redis::RedisResult<Vec<String>> {
        let result = self.connect().await?.keys("*").await;
        self.forget_if_broken(result)
    }

    /// Sets `key` to `value` over a short-lived blocking connection (for start-up hooks).
    pub fn set_blocking(&self, key: &str, value: &[u8]) -> redis::RedisResult<()> {
        redis::Commands::set(&mut self.client.get_connection()?, key, value)
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<MultiplexedConnection>> {
        self.connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Drops the shared connection after an error it cannot recover from, so the next call
    /// reconnects.
    fn forget_if_broken<T>(&self, result: redis::RedisResult<T>) -> redis::RedisResult<T> {
        if let Err(e) = &result
            && (e.is_unrecoverable_error() || e.is_connection_dropped())
        {
            self.slot().take();
        }
        result
    }
}
