//! The Redis trigger: one worker per subscription (channel × component) delivering the queued
//! messages through a [`MessageHandler`], and in external mode the subscriber connections that
//! feed the queue.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;

use super::broker::{Broker, Claim, ClaimedMessage, FailOutcome, now_ms};
use super::retry::RetryPolicy;
use super::{MessageHandler, QueueMode, Shared, external};

/// Longest wait between two looks at the queue when nothing wakes a worker, so that dead
/// letters re-queued by another process (`fabula queue requeue`) are picked up.
const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// How long shutdown waits for deliveries in flight. Those still running after it are
/// delivered again at the next start.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Resolves when shutdown is asked for (the flag is `true`, or its sender is gone).
pub(crate) async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|&stop| stop).await;
}

/// The Redis trigger of an app, from [`super::RedisFactor::trigger`].
pub struct RedisTrigger {
    pub(crate) shared: Arc<Shared>,
}

impl RedisTrigger {
    /// Delivers messages until `shutdown` turns `true`, then waits (briefly) for deliveries in
    /// flight. Messages left in flight by a previous crash are delivered again first.
    pub async fn run(
        self,
        handler: Arc<dyn MessageHandler>,
        shutdown: watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        let shared = self.shared;
        let broker = shared.broker.clone();
        let (requeued, dead) = broker
            .recover_interrupted(&shared.retry)
            .await
            .context("cannot recover the redis queue")?;
        if requeued + dead > 0 {
            tracing::warn!(
                requeued,
                dead_lettered = dead,
                "redis deliveries interrupted by the last stop"
            );
        }

        let mut tasks = JoinSet::new();
        let subscriptions: BTreeSet<(&str, &str)> = shared
            .subscriptions
            .iter()
            .map(|s| (s.channel.as_str(), s.component_id.as_str()))
            .collect();
        for (channel, component_id) in subscriptions {
            let worker = Arc::new(Worker {
                channel: Arc::from(channel),
                component_id: Arc::from(component_id),
                broker: broker.clone(),
                handler: handler.clone(),
                retry: shared.retry.clone(),
                slots: Arc::new(Semaphore::new(shared.max_concurrency)),
                max_concurrency: shared.max_concurrency,
            });
            tasks.spawn(worker.run(shutdown.clone()));
        }

        if shared.mode == QueueMode::External {
            let mut by_address: HashMap<&str, HashMap<String, Vec<Arc<str>>>> = HashMap::new();
            for sub in &shared.subscriptions {
                let components = by_address
                    .entry(&sub.address)
                    .or_default()
                    .entry(sub.channel.clone())
                    .or_default();
                if !components.iter().any(|c| **c == *sub.component_id) {
                    components.push(Arc::from(sub.component_id.as_str()));
                }
            }
            for (address, channels) in by_address {
                tasks.spawn(external::subscribe_loop(
                    address.to_owned(),
                    channels,
                    broker.clone(),
                    shared.retry.clone(),
                    shutdown.clone(),
                ));
            }
        }

        while let Some(done) = tasks.join_next().await {
            done.context("a redis trigger task panicked")?;
        }
        Ok(())
    }
}

/// Delivers the messages of one subscription, up to `max_concurrency` at a time.
struct Worker {
    channel: Arc<str>,
    component_id: Arc<str>,
    broker: Arc<Broker>,
    handler: Arc<dyn MessageHandler>,
    retry: RetryPolicy,
    slots: Arc<Semaphore>,
    max_concurrency: usize,
}

impl Worker {
    async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let Some(waker) = self.broker.waker(&self.channel, &self.component_id) else {
            return;
        };
        loop {
            let permit = tokio::select! {
                biased;
                _ = stopped(&mut shutdown) => break,
                permit = self.slots.clone().acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break,
                },
            };
            let wait = match self
                .broker
                .claim(self.channel.clone(), self.component_id.clone())
                .await
            {
                Ok(Claim::Message(message)) => {
                    tokio::spawn(self.clone().deliver(message, permit));
                    continue;
                }
                Ok(Claim::NothingDue(next)) => next.map_or(POLL_INTERVAL, |at| {
                    Duration::from_millis(at.saturating_sub(now_ms()).max(0) as u64)
                        .min(POLL_INTERVAL)
                }),
                Err(e) => {
                    tracing::error!(channel = %self.channel, component = %self.component_id, error = %e, "cannot read the redis queue");
                    POLL_INTERVAL
                }
            };
            drop(permit);
            tokio::select! {
                _ = stopped(&mut shutdown) => break,
                _ = waker.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
        let all = u32::try_from(self.max_concurrency).unwrap_or(u32::MAX);
        if tokio::time::timeout(SHUTDOWN_GRACE, self.slots.acquire_many(all))
            .await
            .is_err()
        {
            tracing::warn!(
                channel = %self.channel,
                component = %self.component_id,
                "redis deliveries still running at shutdown; they will be delivered again at the next start"
            );
        }
    }

    /// Runs the handler on one message and records the outcome.
    async fn deliver(self: Arc<Self>, message: ClaimedMessage, _slot: OwnedSemaphorePermit) {
        let (handler, component_id, channel, payload) = (
            self.handler.clone(),
            message.component_id.clone(),
            message.channel.clone(),
            message.payload.clone(),
        );
        // Its own task, so that a panicking handler counts as a failed delivery.
        let handling =
            tokio::spawn(async move { handler.handle(component_id, channel, payload).await });
        let outcome = match handling.await {
            Ok(outcome) => outcome,
            Err(e) => Err(anyhow::anyhow!("the message handler panicked: {e}")),
        };
        let (channel, component, attempt) =
            (&message.channel, &message.component_id, message.attempts);
        let recorded = match outcome {
            Ok(()) => {
                tracing::debug!(%channel, %component, attempt, "redis message delivered");
                self.broker.complete(&message).await
            }
            Err(error) => {
                let error = format!("{error:#}");
                tracing::warn!(%channel, %component, attempt, %error, "redis message delivery failed");
                self.broker.fail(&message, error, &self.retry).await.map(|outcome| match outcome {
                    FailOutcome::Retry(wait) => {
                        tracing::debug!(%channel, %component, attempt, ?wait, "redis message will be retried");
                    }
                    FailOutcome::DeadLettered(dead_letter_id) => {
                        tracing::warn!(%channel, %component, attempts = attempt, dead_letter_id, "redis message moved to the dead letters");
                    }
                })
            }
        };
        if let Err(e) = recorded {
            tracing::error!(%channel, %component, attempt, error = %e, "cannot record a redis delivery; it stays in flight until the next start");
        }
    }
}
