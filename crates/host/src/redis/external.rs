//! Real Redis servers: the outbound connections (one multiplexed connection per address,
//! cached) and, for `--redis external`, the trigger's subscriber connections.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, FromRedisValue, Value};
use tokio::sync::watch;

use super::broker::Broker;
use super::error::RedisError;
use super::retry::RetryPolicy;
use super::trigger::stopped;
use crate::bindings::fermyon::spin2_0_0::redis::{RedisParameter, RedisResult};

/// How long connecting to a real Redis may take before the guest gets an error.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The factor's cache of outbound connections, by address.
#[derive(Default)]
pub(crate) struct ExternalConnections {
    cache: Mutex<HashMap<String, MultiplexedConnection>>,
}

impl ExternalConnections {
    /// A connection to `address`: the cached one, or a new one (at most [`CONNECT_TIMEOUT`]).
    pub async fn connect(
        self: &Arc<Self>,
        address: &str,
    ) -> Result<ExternalConnection, RedisError> {
        let cached = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(address)
            .cloned();
        let conn = match cached {
            Some(conn) => conn,
            None => {
                let client = client(address)?;
                let config = AsyncConnectionConfig::new().set_connection_timeout(CONNECT_TIMEOUT);
                let conn = within_connect_timeout(
                    address,
                    client.get_multiplexed_async_connection_with_config(&config),
                )
                .await?;
                self.cache
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(address.to_owned(), conn.clone());
                conn
            }
        };
        Ok(ExternalConnection {
            address: Arc::from(address),
            conn,
            pool: self.clone(),
        })
    }

    /// Drops the cached connection to `address` (it broke); the next `open` reconnects.
    fn forget(&self, address: &str) {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(address);
    }
}

fn client(address: &str) -> Result<Client, RedisError> {
    Client::open(address).map_err(|_| RedisError::InvalidAddress {
        address: address.to_owned(),
        reason: "not a redis:// URL the client understands",
    })
}

/// Runs a connection attempt under [`CONNECT_TIMEOUT`] (DNS included).
async fn within_connect_timeout<T>(
    address: &str,
    attempt: impl Future<Output = redis::RedisResult<T>>,
) -> Result<T, RedisError> {
    let connect_error = |reason: String| RedisError::Connect {
        address: address.to_owned(),
        reason,
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, attempt).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(connect_error(e.to_string())),
        Err(_) => Err(connect_error(format!(
            "no answer within {CONNECT_TIMEOUT:?}"
        ))),
    }
}

/// An open outbound connection to a real Redis.
#[derive(Clone)]
pub(crate) struct ExternalConnection {
    address: Arc<str>,
    conn: MultiplexedConnection,
    pool: Arc<ExternalConnections>,
}

impl ExternalConnection {
    /// Sends one command; a broken connection is dropped from the cache.
    pub async fn query<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, RedisError> {
        let mut conn = self.conn.clone();
        cmd.query_async(&mut conn).await.map_err(|e| {
            if e.is_io_error() || e.is_connection_dropped() || e.is_unrecoverable_error() {
                self.pool.forget(&self.address);
            }
            RedisError::Redis(e)
        })
    }

    /// `execute`: any command, the reply flattened into `redis-result`s as Spin does.
    pub async fn execute(
        &self,
        command: &str,
        args: Vec<RedisParameter>,
    ) -> Result<Vec<RedisResult>, RedisError> {
        let mut cmd = redis::cmd(command);
        for arg in args {
            match arg {
                RedisParameter::Int64(n) => cmd.arg(n),
                RedisParameter::Binary(bytes) => cmd.arg(bytes),
            };
        }
        let reply: Value = self.query(&cmd).await?;
        let mut results = Vec::new();
        flatten(reply, &mut results)?;
        Ok(results)
    }
}

/// Appends a reply to `out`, arrays and sets flattened.
fn flatten(value: Value, out: &mut Vec<RedisResult>) -> Result<(), RedisError> {
    match value {
        Value::Nil => out.push(RedisResult::Nil),
        Value::Int(n) => out.push(RedisResult::Int64(n)),
        Value::BulkString(bytes) => out.push(RedisResult::Binary(bytes)),
        Value::SimpleString(text) => out.push(RedisResult::Status(text)),
        Value::Okay => out.push(RedisResult::Status("OK".into())),
        Value::Double(n) => out.push(RedisResult::Binary(n.to_string().into_bytes())),
        Value::Boolean(b) => out.push(RedisResult::Int64(b.into())),
        Value::VerbatimString { text, .. } => out.push(RedisResult::Binary(text.into_bytes())),
        Value::Array(values) | Value::Set(values) => {
            for value in values {
                flatten(value, out)?;
            }
        }
        Value::ServerError(e) => return Err(RedisError::Redis(e.into())),
        other => return Err(RedisError::UnsupportedReply(format!("{other:?}"))),
    }
    Ok(())
}

/// `--redis external`: keeps one subscriber connection to `address` (reconnecting with
/// backoff when it drops) and queues every message for the components subscribed to its
/// channel; the queue's workers deliver it (retries and dead letters as in embedded mode).
pub(crate) async fn subscribe_loop(
    address: String,
    channels: HashMap<String, Vec<Arc<str>>>,
    broker: Arc<Broker>,
    reconnect: RetryPolicy,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut failures = 0u32;
    loop {
        match subscribe(&address, &channels).await {
            Ok(stream) => {
                failures = 0;
                tracing::info!(%address, channels = ?channels.keys().collect::<Vec<_>>(), "subscribed to redis");
                if !forward(stream, &channels, &broker, &mut shutdown).await {
                    return;
                }
                tracing::warn!(%address, "redis subscriber connection lost; reconnecting");
            }
            Err(e) => {
                tracing::warn!(%address, error = %e, attempt = failures + 1, "cannot subscribe to redis");
            }
        }
        failures = failures.saturating_add(1);
        tokio::select! {
            _ = stopped(&mut shutdown) => return,
            _ = tokio::time::sleep(reconnect.backoff(failures)) => {}
        }
    }
}

/// Connects and subscribes to every channel.
async fn subscribe(
    address: &str,
    channels: &HashMap<String, Vec<Arc<str>>>,
) -> Result<redis::aio::PubSubStream, RedisError> {
    let client = client(address)?;
    let mut pubsub = within_connect_timeout(address, client.get_async_pubsub()).await?;
    for channel in channels.keys() {
        within_connect_timeout(address, pubsub.subscribe(channel)).await?;
    }
    Ok(pubsub.into_on_message())
}

/// Queues incoming messages until the connection drops (true) or shutdown (false).
async fn forward(
    mut stream: redis::aio::PubSubStream,
    channels: &HashMap<String, Vec<Arc<str>>>,
    broker: &Broker,
    shutdown: &mut watch::Receiver<bool>,
) -> bool {
    loop {
        let message = tokio::select! {
            _ = stopped(shutdown) => return false,
            message = stream.next() => message,
        };
        let Some(message) = message else { return true };
        let channel = message.get_channel_name().to_owned();
        let Some(components) = channels.get(&channel) else {
            continue;
        };
        let payload = message.get_payload_bytes().to_vec();
        if let Err(e) = broker
            .enqueue(channel.clone(), components.clone(), payload)
            .await
        {
            tracing::error!(%channel, error = %e, "cannot queue a redis message; it is lost");
        }
    }
}
