//! Errors of the Redis host interface, the embedded broker and the trigger.

use crate::bindings::fermyon::spin2_0_0::redis::Error as WitError;

/// Something a Redis operation, the embedded broker or the trigger could not do.
#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    /// The address is not a `redis://` / `rediss://` URL this host understands.
    #[error("invalid redis address {address:?}: {reason}")]
    InvalidAddress {
        /// The address as the guest gave it.
        address: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The component's `allowed_outbound_hosts` does not allow the address.
    #[error("redis address {0:?} is not allowed by the component's allowed_outbound_hosts")]
    NotAllowed(String),
    /// The key holds a value of another kind (a set where a string is expected, or back).
    #[error("WRONGTYPE Operation against a key holding the wrong kind of value")]
    WrongType,
    /// The value is not a 64-bit integer (`INCR` on `"abc"`), or an argument is not one.
    #[error("ERR value is not an integer or out of range")]
    NotAnInteger,
    /// `INCR`/`INCRBY` would leave the range of a signed 64-bit integer.
    #[error("ERR increment or decrement would overflow")]
    Overflow,
    /// `execute` named a command the embedded broker does not implement.
    #[error("unsupported command {0:?} (the embedded broker supports {supported})", supported = super::keyspace::SUPPORTED_COMMANDS.join(", "))]
    UnsupportedCommand(String),
    /// The command was given the wrong number of arguments.
    #[error("ERR wrong number of arguments for '{0}' command")]
    WrongArity(String),
    /// The command's arguments do not fit its syntax.
    #[error("ERR syntax error")]
    Syntax,
    /// The embedded broker's SQLite file failed.
    #[error("embedded redis storage: {0}")]
    Storage(#[from] rusqlite::Error),
    /// A real Redis server could not be reached in time.
    #[error("cannot connect to redis at {address}: {reason}")]
    Connect {
        /// The server address.
        address: String,
        /// Why (refused, timed out, …).
        reason: String,
    },
    /// A real Redis server answered with an error, or the connection broke.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// The server sent a reply `execute` cannot express as `redis-result`s.
    #[error("unsupported redis reply: {0}")]
    UnsupportedReply(String),
    /// A blocking storage task could not finish (it panicked or the runtime is shutting down).
    #[error("embedded redis task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The configuration handed to [`super::RedisFactor::new`] is unusable.
    #[error("invalid redis configuration: {0}")]
    Config(String),
}

impl RedisError {
    /// The error as the guest sees it (`fermyon:spin/redis@2.0.0` `error`).
    pub fn to_wit(&self) -> WitError {
        match self {
            RedisError::InvalidAddress { .. } | RedisError::NotAllowed(_) => {
                WitError::InvalidAddress
            }
            RedisError::WrongType | RedisError::NotAnInteger => WitError::TypeError,
            RedisError::Redis(e) if e.kind() == redis::ErrorKind::TypeError => WitError::TypeError,
            other => WitError::Other(other.to_string()),
        }
    }
}
