//! The guest's `connection` resource: parsing and checking the address given to `open`, and
//! running each operation on the embedded broker or on a real Redis.

use std::sync::Arc;

use super::broker::Broker;
use super::error::RedisError;
use super::external::ExternalConnection;
use crate::bindings::fermyon::spin2_0_0::redis::{RedisParameter, RedisResult};
use crate::outbound_networking::AllowedHosts;

/// Redis's port when an address names none.
const DEFAULT_PORT: u16 = 6379;

/// The parts of a `redis://[user[:password]@]host[:port][/db]` address that permissions see.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Address<'a> {
    /// `redis` or `rediss`.
    pub scheme: &'a str,
    /// Host name or IP (IPv6 without brackets).
    pub host: &'a str,
    /// The port, [`DEFAULT_PORT`] when absent.
    pub port: u16,
}

impl<'a> Address<'a> {
    /// Parses `address`, failing with `invalid-address` for anything not `redis(s)://host…`.
    pub fn parse(address: &'a str) -> Result<Self, RedisError> {
        let invalid = |reason| RedisError::InvalidAddress {
            address: address.to_owned(),
            reason,
        };
        let (scheme, rest) = address
            .split_once("://")
            .ok_or_else(|| invalid("missing redis:// scheme"))?;
        if scheme != "redis" && scheme != "rediss" {
            return Err(invalid("the scheme must be redis or rediss"));
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host_port = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host_port)| host_port);
        let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| invalid("unclosed [ in host"))?;
            (host, after.strip_prefix(':'))
        } else {
            match host_port.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (host_port, None),
            }
        };
        if host.is_empty() {
            return Err(invalid("missing host"));
        }
        let port = match port {
            Some(port) => port.parse().map_err(|_| invalid("invalid port"))?,
            None => DEFAULT_PORT,
        };
        Ok(Self { scheme, host, port })
    }

    /// Whether the component's `allowed_outbound_hosts` lets it reach this address.
    pub fn allowed_by(&self, allowed: &AllowedHosts) -> bool {
        allowed.allows(self.scheme, self.host, Some(self.port))
    }
}

/// An open connection, as the guest's `connection` resource: to the embedded broker or to a
/// real Redis. Cloning is cheap (it shares the broker or the multiplexed connection).
#[derive(Clone)]
pub struct ConnectionHandle(Backend);

#[derive(Clone)]
enum Backend {
    Embedded(Arc<Broker>),
    External(ExternalConnection),
}

impl ConnectionHandle {
    /// A connection served by the embedded broker.
    pub(crate) fn embedded(broker: Arc<Broker>) -> Self {
        Self(Backend::Embedded(broker))
    }

    /// A connection to a real Redis.
    pub(crate) fn external(conn: ExternalConnection) -> Self {
        Self(Backend::External(conn))
    }

    /// `PUBLISH channel payload`.
    pub(crate) async fn publish(
        &self,
        channel: String,
        payload: Vec<u8>,
    ) -> Result<(), RedisError> {
        match &self.0 {
            Backend::Embedded(broker) => broker.publish(channel, payload).await.map(drop),
            Backend::External(c) => c
                .query::<i64>(redis::cmd("PUBLISH").arg(channel).arg(payload))
                .await
                .map(drop),
        }
    }

    /// `GET key`.
    pub(crate) async fn get(&self, key: String) -> Result<Option<Vec<u8>>, RedisError> {
        match &self.0 {
            Backend::Embedded(broker) => broker.get(key.into_bytes()).await,
            Backend::External(c) => c.query(redis::cmd("GET").arg(key)).await,
        }
    }

    /// `SET key value`.
    pub(crate) async fn set(&self, key: String, value: Vec<u8>) -> Result<(), RedisError> {
        match &self.0 {
            Backend::Embedded(broker) => broker.set(key.into_bytes(), value).await,
            Backend::External(c) => c.query(redis::cmd("SET").arg(key).arg(value)).await,
        }
    }

    /// `INCR key`.
    pub(crate) async fn incr(&self, key: String) -> Result<i64, RedisError> {
        match &self.0 {
            Backend::Embedded(broker) => broker.incr_by(key.into_bytes(), 1).await,
            Backend::External(c) => c.query(redis::cmd("INCR").arg(key)).await,
        }
    }

    /// `DEL key…`.
    pub(crate) async fn del(&self, keys: Vec<String>) -> Result<u32, RedisError> {
        match &self.0 {
            Backend::Embedded(broker) => {
                broker
                    .del(keys.into_iter().map(String::into_bytes).collect())
                    .await
            }
            Backend::External(c) => c.query(redis::cmd("DEL").arg(keys)).await,
        }
    }

    /// `SADD key value…`.
    pub(crate) async fn sadd(&self, key: String, values: Vec<String>) -> Result<u32, RedisError> {
        match &self.0 {
            Backend::Embedded(broker) => broker.sadd(key.into_bytes(), bytes_of(values)).await,
            Backend::External(c) => c.query(redis::cmd("SADD").arg(key).arg(values)).await,
        }
    }

    /// `SMEMBERS key`.
    pub(crate) async fn smembers(&self, key: String) -> Result<Vec<String>, RedisError> {
        match &self.0 {
            Backend::Embedded(broker) => Ok(broker
                .smembers(key.into_bytes())
                .await?
                .into_iter()
                .map(|m| String::from_utf8_lossy(&m).into_owned())
                .collect()),
            Backend::External(c) => c.query(redis::cmd("SMEMBERS").arg(key)).await,
        }
    }

    /// `SREM key value…`.
    pub(crate) async fn srem(&self, key: String, values: Vec<String>) -> Result<u32, RedisError> {
        match &self.0 {
            Backend::Embedded(broker) => broker.srem(key.into_bytes(), bytes_of(values)).await,
            Backend::External(c) => c.query(redis::cmd("SREM").arg(key).arg(values)).await,
        }
    }

    /// Any command (see [`super::keyspace`] for what the embedded broker supports).
    pub(crate) async fn execute(
        &self,
        command: String,
        args: Vec<RedisParameter>,
    ) -> Result<Vec<RedisResult>, RedisError> {
        match &self.0 {
            Backend::Embedded(broker) => {
                let args = args
                    .into_iter()
                    .map(|arg| match arg {
                        RedisParameter::Int64(n) => n.to_string().into_bytes(),
                        RedisParameter::Binary(bytes) => bytes,
                    })
                    .collect();
                broker.execute(&command, args).await
            }
            Backend::External(c) => c.execute(&command, args).await,
        }
    }
}

fn bytes_of(values: Vec<String>) -> Vec<Vec<u8>> {
    values.into_iter().map(String::into_bytes).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_like_urls() {
        let parse = |a| Address::parse(a).map(|a| (a.scheme.to_owned(), a.host.to_owned(), a.port));
        assert_eq!(
            parse("redis://localhost").unwrap(),
            ("redis".into(), "localhost".into(), 6379)
        );
        assert_eq!(
            parse("redis://u:p@db.example:7000/2").unwrap(),
            ("redis".into(), "db.example".into(), 7000)
        );
        assert_eq!(
            parse("rediss://[::1]:6380").unwrap(),
            ("rediss".into(), "::1".into(), 6380)
        );
        for bad in [
            "localhost:6379",
            "http://x",
            "redis://",
            "redis://x:notaport",
            "redis://[::1",
        ] {
            assert!(
                matches!(Address::parse(bad), Err(RedisError::InvalidAddress { .. })),
                "{bad}"
            );
        }
    }
}
