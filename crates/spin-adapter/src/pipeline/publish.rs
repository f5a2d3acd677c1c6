//! Publishing step messages to the queue (outbound Redis to variable `redis_address`).

use fabula_domain::pipeline::StepMessage;

use super::settings::variable;

/// Where messages go when `redis_address` is not set.
const DEFAULT_ADDRESS: &str = "redis://127.0.0.1:6379";

/// A message that could not be published.
#[derive(Debug, thiserror::Error)]
#[error("publishing {step} of job {job} on {channel} failed: {reason}")]
pub struct PublishError {
    job: String,
    step: String,
    channel: &'static str,
    reason: String,
}

/// Publishes `message` on its stage's channel.
pub fn publish(message: &StepMessage) -> Result<(), PublishError> {
    let address = variable("redis_address")
        .filter(|a| !a.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_ADDRESS.to_owned());
    let channel = message.channel();
    let failed = |reason: String| PublishError {
        job: message.job_id.to_string(),
        step: message.step.to_string(),
        channel,
        reason,
    };
    let connection =
        spin_sdk::redis::Connection::open(&address).map_err(|e| failed(format!("{e:?}")))?;
    connection
        .publish(channel, &message.to_bytes())
        .map_err(|e| failed(format!("{e:?}")))
}
