//! `fermyon:spin/redis@2.0.0` (outbound) and the Redis trigger (`fermyon:spin/inbound-redis`).
//!
//! By default ([`QueueMode::Embedded`]) the app's Redis — every address a `[[trigger.redis]]`
//! subscribes at — is an embedded, durable broker in `<state_dir>/fabula_queue.db`: a
//! published message is stored once per subscribed component and delivered at least once,
//! even across restarts; failing deliveries are retried with backoff ([`RetryPolicy`]) and
//! then parked as dead letters ([`queue_report`], [`requeue_dead_letter`]). Other addresses,
//! and every address in [`QueueMode::External`], are real Redis servers.
//!
//! Modules: [`broker`] (queue file, delivery queue), [`keyspace`] (strings and sets of the
//! embedded broker), [`external`] (real Redis), [`connection`] (the guest's `connection`),
//! [`trigger`] (delivery workers), [`retry`], [`report`] (`fabula queue`).

mod broker;
mod connection;
mod error;
mod external;
mod keyspace;
mod report;
mod retry;
mod trigger;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use wasmtime::component::{HasData, Linker, Resource, ResourceTable};

use crate::bindings::fermyon::spin2_0_0::redis::{self as wit, RedisParameter, RedisResult};
use crate::outbound_networking::AllowedHosts;
use crate::state::InstanceState;
use broker::Broker;
use connection::Address;
use external::ExternalConnections;

pub use connection::ConnectionHandle;
pub use error::RedisError;
pub use report::{
    DeadLetter, DroppedCount, QueueReport, SubscriptionCounts, queue_report, requeue_dead_letter,
};
pub use retry::RetryPolicy;
pub use trigger::RedisTrigger;

/// Where the app's Redis lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueMode {
    /// The embedded, durable broker (default).
    #[default]
    Embedded,
    /// Real Redis servers at the manifest's addresses (`--redis external`).
    External,
}

/// One `[[trigger.redis]]`: a component subscribed to a channel at an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The channel (templates resolved).
    pub channel: String,
    /// The component handling its messages.
    pub component_id: String,
    /// The Redis address (templates resolved); in embedded mode it names the app's queue.
    pub address: String,
}

/// Everything the Redis factor needs.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// Embedded broker or real Redis.
    pub mode: QueueMode,
    /// Where the queue file lives: `<state_dir>/fabula_queue.db`.
    pub state_dir: PathBuf,
    /// The app's Redis triggers.
    pub subscriptions: Vec<Subscription>,
    /// Each component's `allowed_outbound_hosts`, by component id (absent = nothing allowed).
    pub allowed_hosts: HashMap<String, Arc<AllowedHosts>>,
    /// Retries of failed deliveries.
    pub retry: RetryPolicy,
    /// Deliveries in flight at once per subscription (channel × component); at least 1.
    pub max_concurrency: usize,
}

/// Runs a component on one message: implemented by the app's engine.
pub trait MessageHandler: Send + Sync + 'static {
    /// Runs the component on one message; Err when the guest returned an error or trapped (or timed out).
    fn handle(
        &self,
        component_id: Arc<str>,
        channel: Arc<str>,
        payload: Vec<u8>,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;
}

/// App-wide Redis state: the queue file, the outbound connections, the subscriptions.
pub struct RedisFactor {
    shared: Arc<Shared>,
}

/// What the factor, its instances and its trigger share.
pub(crate) struct Shared {
    mode: QueueMode,
    broker: Arc<Broker>,
    subscriptions: Vec<Subscription>,
    /// Addresses served by the embedded broker (embedded mode only), without trailing `/`.
    queue_addresses: HashSet<String>,
    allowed_hosts: HashMap<String, Arc<AllowedHosts>>,
    external: Arc<ExternalConnections>,
    retry: RetryPolicy,
    max_concurrency: usize,
}

impl RedisFactor {
    /// Opens (creating if needed) the queue file and checks the configuration.
    pub fn new(config: RedisConfig) -> anyhow::Result<Self> {
        if config.max_concurrency == 0 {
            return Err(RedisError::Config("max_concurrency must be at least 1".into()).into());
        }
        if config.retry.max_attempts == 0 {
            return Err(RedisError::Config("retry max_attempts must be at least 1".into()).into());
        }
        let broker = Broker::open(&config.state_dir, &config.subscriptions)?;
        let queue_addresses = match config.mode {
            QueueMode::Embedded => config
                .subscriptions
                .iter()
                .map(|s| normalize(&s.address).to_owned())
                .collect(),
            QueueMode::External => HashSet::new(),
        };
        tracing::debug!(mode = ?config.mode, queue = %broker.path().display(), "redis factor ready");
        Ok(Self {
            shared: Arc::new(Shared {
                mode: config.mode,
                broker: Arc::new(broker),
                subscriptions: config.subscriptions,
                queue_addresses,
                allowed_hosts: config.allowed_hosts,
                external: Arc::default(),
                retry: config.retry,
                max_concurrency: config.max_concurrency,
            }),
        })
    }

    /// The per-instance state for `component_id` (cheap).
    pub fn instance(&self, component_id: &str) -> RedisInstance {
        let allowed = self
            .shared
            .allowed_hosts
            .get(component_id)
            .cloned()
            .unwrap_or_default();
        RedisInstance {
            shared: self.shared.clone(),
            allowed,
            table: ResourceTable::new(),
        }
    }

    /// The channels some `[[trigger.redis]]` subscribes to (templates resolved), sorted.
    pub fn channels(&self) -> Vec<&str> {
        let mut channels: Vec<&str> = self
            .shared
            .subscriptions
            .iter()
            .map(|s| s.channel.as_str())
            .collect();
        channels.sort_unstable();
        channels.dedup();
        channels
    }

    /// Publishes `payload` on `channel` as the host itself (no component permission applies),
    /// once at each address a subscription to `channel` uses: the embedded broker for the
    /// app's queue, a real Redis otherwise. Returns how many addresses it published at.
    pub async fn publish_as_host(
        &self,
        channel: &str,
        payload: &[u8],
    ) -> Result<usize, RedisError> {
        let mut addresses: Vec<&str> = self
            .shared
            .subscriptions
            .iter()
            .filter(|s| s.channel == channel)
            .map(|s| normalize(&s.address))
            .collect();
        addresses.sort_unstable();
        addresses.dedup();
        for address in &addresses {
            self.shared
                .connect_unchecked(address)
                .await?
                .publish(channel.to_owned(), payload.to_vec())
                .await?;
        }
        Ok(addresses.len())
    }

    /// The Redis trigger, or `None` when the app has no Redis subscriptions.
    pub fn trigger(&self) -> Option<RedisTrigger> {
        (!self.shared.subscriptions.is_empty()).then(|| RedisTrigger {
            shared: self.shared.clone(),
        })
    }
}

/// An address as compared with the subscriptions' addresses.
fn normalize(address: &str) -> &str {
    address.trim_end_matches('/')
}

/// One instance's Redis state: its component's permissions and its open connections.
pub struct RedisInstance {
    shared: Arc<Shared>,
    allowed: Arc<AllowedHosts>,
    table: ResourceTable,
}

impl Shared {
    /// `open(address)`: checks permissions, then picks the embedded broker or a real Redis.
    async fn connect(
        &self,
        allowed: &AllowedHosts,
        address: &str,
    ) -> Result<ConnectionHandle, RedisError> {
        if !Address::parse(address)?.allowed_by(allowed) {
            return Err(RedisError::NotAllowed(address.to_owned()));
        }
        self.connect_unchecked(address).await
    }

    /// The embedded broker for an address of the app's queue, a real Redis otherwise.
    async fn connect_unchecked(&self, address: &str) -> Result<ConnectionHandle, RedisError> {
        if self.queue_addresses.contains(normalize(address)) {
            Ok(ConnectionHandle::embedded(self.broker.clone()))
        } else {
            Ok(ConnectionHandle::external(
                self.external.connect(address).await?,
            ))
        }
    }
}

impl RedisInstance {
    /// The connection behind a guest handle (a cheap clone, so no borrow spans an await).
    fn handle(&self, connection: &Resource<ConnectionHandle>) -> anyhow::Result<ConnectionHandle> {
        Ok(self.table.get(connection)?.clone())
    }
}

/// A result for the guest: our errors become `fermyon:spin/redis` errors.
fn to_guest<T>(result: Result<T, RedisError>) -> anyhow::Result<Result<T, wit::Error>> {
    Ok(result.map_err(|e| {
        tracing::debug!(error = %e, "redis operation failed");
        e.to_wit()
    }))
}

impl wit::Host for RedisInstance {}

impl wit::HostConnection for RedisInstance {
    async fn open(
        &mut self,
        address: String,
    ) -> anyhow::Result<Result<Resource<ConnectionHandle>, wit::Error>> {
        let (shared, allowed) = (self.shared.clone(), self.allowed.clone());
        match shared.connect(&allowed, &address).await {
            Ok(handle) => Ok(Ok(self.table.push(handle)?)),
            Err(e) => to_guest(Err(e)),
        }
    }

    async fn publish(
        &mut self,
        connection: Resource<ConnectionHandle>,
        channel: String,
        payload: Vec<u8>,
    ) -> anyhow::Result<Result<(), wit::Error>> {
        to_guest(self.handle(&connection)?.publish(channel, payload).await)
    }

    async fn get(
        &mut self,
        connection: Resource<ConnectionHandle>,
        key: String,
    ) -> anyhow::Result<Result<Option<Vec<u8>>, wit::Error>> {
        to_guest(self.handle(&connection)?.get(key).await)
    }

    async fn set(
        &mut self,
        connection: Resource<ConnectionHandle>,
        key: String,
        value: Vec<u8>,
    ) -> anyhow::Result<Result<(), wit::Error>> {
        to_guest(self.handle(&connection)?.set(key, value).await)
    }

    async fn incr(
        &mut self,
        connection: Resource<ConnectionHandle>,
        key: String,
    ) -> anyhow::Result<Result<i64, wit::Error>> {
        to_guest(self.handle(&connection)?.incr(key).await)
    }

    async fn del(
        &mut self,
        connection: Resource<ConnectionHandle>,
        keys: Vec<String>,
    ) -> anyhow::Result<Result<u32, wit::Error>> {
        to_guest(self.handle(&connection)?.del(keys).await)
    }

    async fn sadd(
        &mut self,
        connection: Resource<ConnectionHandle>,
        key: String,
        values: Vec<String>,
    ) -> anyhow::Result<Result<u32, wit::Error>> {
        to_guest(self.handle(&connection)?.sadd(key, values).await)
    }

    async fn smembers(
        &mut self,
        connection: Resource<ConnectionHandle>,
        key: String,
    ) -> anyhow::Result<Result<Vec<String>, wit::Error>> {
        to_guest(self.handle(&connection)?.smembers(key).await)
    }

    async fn srem(
        &mut self,
        connection: Resource<ConnectionHandle>,
        key: String,
        values: Vec<String>,
    ) -> anyhow::Result<Result<u32, wit::Error>> {
        to_guest(self.handle(&connection)?.srem(key, values).await)
    }

    async fn execute(
        &mut self,
        connection: Resource<ConnectionHandle>,
        command: String,
        arguments: Vec<RedisParameter>,
    ) -> anyhow::Result<Result<Vec<RedisResult>, wit::Error>> {
        to_guest(self.handle(&connection)?.execute(command, arguments).await)
    }

    async fn drop(&mut self, connection: Resource<ConnectionHandle>) -> anyhow::Result<()> {
        self.table.delete(connection)?;
        Ok(())
    }
}

/// Selects [`RedisInstance`] as the data behind the Redis imports.
struct HasRedis;

impl HasData for HasRedis {
    type Data<'a> = &'a mut RedisInstance;
}

/// Adds `fermyon:spin/redis@2.0.0` to the linker.
pub fn add_to_linker(linker: &mut Linker<InstanceState>) -> anyhow::Result<()> {
    wit::add_to_linker::<InstanceState, HasRedis>(linker, |state| &mut state.redis)?;
    Ok(())
}
