//! The `redis` key-value backend, as Spin's `spin-key-value-redis`: plain `GET`/`SET`/`DEL`/
//! `EXISTS`/`KEYS *` on the server's keyspace (the store label does not prefix keys).
//!
//! For `wasi:keyvalue`: `increment` is `INCRBY` (so counters are decimal text, as in Spin's
//! Redis backend), compare-and-swap is one Lua script (atomic on the server), the batch
//! operations are `MGET`/`MSET`/`DEL`, and `list-keys` pages with `SCAN`.
//!
//! The URL is checked at start-up; the connection is made on first `open` and shared by every
//! instance (a multiplexed connection), and made again after it breaks.

use std::sync::Mutex;

use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;

/// Compare-and-swap as one server-side script: `KEYS[1]` is set to `ARGV[1]` only if it holds
/// `ARGV[2]`, or, when there is no `ARGV[2]`, only if it does not exist. Returns 1 if it swapped.
const COMPARE_AND_SWAP: &str = r#"
local current = redis.call('GET', KEYS[1])
local expected = ARGV[2]
if (expected == nil and current ~= false) or (expected ~= nil and current ~= expected) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
"#;

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

    /// Adds `delta` to the counter `key` (`INCRBY`: absent counts as 0) and returns the new value.
    pub async fn increment(&self, key: String, delta: i64) -> redis::RedisResult<i64> {
        let result = self.connect().await?.incr(key, delta).await;
        self.forget_if_broken(result)
    }

    /// Sets `key` to `value` only if it still holds `expected` (`None`: absent), atomically on
    /// the server. Returns whether it did.
    pub async fn compare_and_swap(
        &self,
        key: String,
        expected: Option<Vec<u8>>,
        value: Vec<u8>,
    ) -> redis::RedisResult<bool> {
        let mut eval = redis::cmd("EVAL");
        eval.arg(COMPARE_AND_SWAP).arg(1).arg(key).arg(value);
        if let Some(expected) = expected {
            eval.arg(expected);
        }
        let result = eval.query_async(&mut self.connect().await?).await;
        self.forget_if_broken(result)
    }

    /// The values of `keys`, in the order asked (`MGET`; `keys` must not be empty).
    pub async fn get_many(&self, keys: Vec<String>) -> redis::RedisResult<Vec<Option<Vec<u8>>>> {
        let result = self.connect().await?.mget(keys).await;
        self.forget_if_broken(result)
    }

    /// Sets every `(key, value)` (`MSET`; `pairs` must not be empty).
    pub async fn set_many(&self, pairs: Vec<(String, Vec<u8>)>) -> redis::RedisResult<()> {
        let result = self.connect().await?.mset(&pairs).await;
        self.forget_if_broken(result)
    }

    /// Deletes every key of `keys` (`DEL`; `keys` must not be empty).
    pub async fn delete_many(&self, keys: Vec<String>) -> redis::RedisResult<()> {
        let result = self.connect().await?.del(keys).await;
        self.forget_if_broken(result)
    }

    /// One `SCAN` step from `cursor` (0 to start) asking for about `count` keys: the next
    /// cursor (0 when the scan is complete) and the keys found. A key may come back twice.
    pub async fn scan(&self, cursor: u64, count: usize) -> redis::RedisResult<(u64, Vec<String>)> {
        let result = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(count)
            .query_async(&mut self.connect().await?)
            .await;
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
