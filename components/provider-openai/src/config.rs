//! The provider's settings, from Spin variables (the consumer's, when used as a dependency).

use std::time::Duration;

use fabula_llm_openai::{RetryPolicy, endpoint_url};
use spin_sdk::variables;

/// Resolved settings.
pub struct Config {
    /// `…/chat/completions`.
    pub url: String,
    /// Bearer token, if any.
    pub api_key: Option<String>,
    /// Per-attempt first-byte and between-bytes timeout.
    pub timeout: Duration,
    /// Retry policy.
    pub retry: RetryPolicy,
}

impl Config {
    /// Reads the variables; an error names the variable at fault.
    pub fn load() -> Result<Config, String> {
        let origin = optional("llm_api_origin")?
            .ok_or("variable `llm_api_origin` is not set (e.g. http://127.0.0.1:11434)")?;
        let path = optional("llm_api_path")?.unwrap_or_else(|| "/v1".into());
        let defaults = RetryPolicy::default();
        Ok(Config {
            url: endpoint_url(&origin, &path),
            api_key: optional("llm_api_key")?,
            timeout: Duration::from_millis(number("llm_timeout_ms", 60_000)?),
            retry: RetryPolicy {
                max_retries: u32::try_from(number("llm_max_retries", 3)?)
                    .map_err(|_| "variable `llm_max_retries` is too large".to_owned())?,
                base_delay: defaults.base_delay,
                max_delay: Duration::from_millis(number("llm_retry_max_delay_ms", 20_000)?),
            },
        })
    }
}

/// A variable's value; None when undefined or empty.
fn optional(name: &str) -> Result<Option<String>, String> {
    match variables::get(name) {
        Ok(value) if value.trim().is_empty() => Ok(None),
        Ok(value) => Ok(Some(value.trim().to_owned())),
        Err(variables::Error::Undefined(_)) => Ok(None),
        Err(e) => Err(format!("variable `{name}`: {e}")),
    }
}

/// A whole-number variable, or `default` when unset.
fn number(name: &str, default: u64) -> Result<u64, String> {
    match optional(name)? {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| format!("variable `{name}` is not a whole number: {v}")),
    }
}
