//! `fabula up`: load the app, then run the HTTP trigger, the Redis trigger and the
//! `--publish-every` schedules until shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::app::{App, AppOptions};
use crate::bindings::redis_trigger::RedisHandler;
use crate::http::trigger::HttpTrigger;
use crate::logs::AccessLog;
use crate::redis::MessageHandler;

/// A running app: where it listens, and how to stop it.
pub struct Running {
    /// The bound address (useful with port 0).
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Running {
    /// Stops accepting work and waits for the triggers to finish.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            task.await??;
        }
        Ok(())
    }
}

/// Loads the app, binds `listen` and starts both triggers and the `--publish-every` schedules.
pub async fn start(
    options: AppOptions,
    listen: SocketAddr,
    access_log: AccessLog,
) -> anyhow::Result<Running> {
    let app = Arc::new(tokio::task::block_in_place(|| App::load(&options))?);
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    app.set_self_addr(addr);
    let (shutdown, watcher) = watch::channel(false);
    let mut tasks = Vec::new();
    if !app.manifest.http_triggers.is_empty() {
        let trigger = Arc::new(HttpTrigger::new(app.clone(), access_log));
        tasks.push(tokio::spawn(trigger.serve(listener, watcher.clone())));
    }
    if let Some(redis) = app.redis().trigger() {
        let handler = Arc::new(AppMessageHandler { app: app.clone() });
        tasks.push(tokio::spawn(redis.run(handler, watcher.clone())));
    }
    for schedule in options.publish_every {
        tasks.push(tokio::spawn(crate::publish_every::run(
            app.clone(),
            schedule,
            watcher.clone(),
        )));
    }
    Ok(Running {
        addr,
        shutdown,
        tasks,
    })
}

/// Runs Redis-triggered components for the Redis trigger.
struct AppMessageHandler {
    app: Arc<App>,
}

impl MessageHandler for AppMessageHandler {
    fn handle(
        &self,
        component_id: Arc<str>,
        channel: Arc<str>,
        payload: Vec<u8>,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>> {
        let app = self.app.clone();
        Box::pin(async move {
            let component = app
                .component(&component_id)
                .with_context(|| format!("component `{component_id}` is not loaded"))?;
            let pre = component
                .redis
                .clone()
                .with_context(|| format!("component `{component_id}` has no Redis handler"))?;
            let limit = app.message_timeout;
            let mut store = app.new_store(component, limit);
            let run = async {
                let handler: RedisHandler = pre.instantiate_async(&mut store).await?;
                handler
                    .fermyon_spin_inbound_redis()
                    .call_handle_message(&mut store, &payload)
                    .await
            };
            let outcome = tokio::time::timeout(limit, run)
                .await
                .map_err(|_| anyhow::Error::new(crate::engine::TimeLimitExceeded(limit)))?
                .map_err(anyhow::Error::from)?;
            outcome.map_err(|e| {
                anyhow::anyhow!(
                    "component `{component_id}` returned {e:?} for a message on `{channel}`"
                )
            })
        })
    }
}
