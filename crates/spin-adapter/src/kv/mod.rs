//! Typed key-value access: JSON values by key, and atomic compare-and-swap updates.

mod atomic;

#[cfg(test)]
pub(crate) use atomic::fakes as atomic_fakes;
pub use atomic::{AtomicBucket, CasUpdateError, CompareAndSwap, SwapError, update_atomically};

use serde::Serialize;
use serde::de::DeserializeOwned;
use spin_sdk::key_value::Store;

use crate::ApiError;

/// A key-value failure.
#[derive(Debug, thiserror::Error)]
pub enum KvError {
    /// The store itself failed (unknown label, access denied, I/O).
    #[error("key-value error: {0}")]
    Store(#[from] spin_sdk::key_value::Error),
    /// A `wasi:keyvalue` store failed (used for atomic updates).
    #[error("key-value error: {0}")]
    Wasi(String),
    /// A stored value is not the expected JSON.
    #[error("key-value entry `{key}` holds unexpected JSON: {source}")]
    Decode {
        /// The key whose value failed to decode.
        key: String,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// A value could not be serialised.
    #[error("key-value entry `{key}` could not be encoded: {source}")]
    Encode {
        /// The key being written.
        key: String,
        /// The JSON error.
        source: serde_json::Error,
    },
}

impl From<KvError> for ApiError {
    fn from(error: KvError) -> Self {
        ApiError::internal(error)
    }
}

/// A key-value store whose values are JSON documents.
pub struct JsonStore {
    store: Store,
}

impl JsonStore {
    /// Opens the store with this label (as listed in the component's `key_value_stores`).
    pub fn open(label: &str) -> Result<Self, KvError> {
        Ok(Self {
            store: Store::open(label)?,
        })
    }

    /// Opens the `default` store.
    pub fn open_default() -> Result<Self, KvError> {
        Self::open("default")
    }

    /// The value at `key`, decoded; `None` when absent.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, KvError> {
        let Some(bytes) = self.store.get(key)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| KvError::Decode {
                key: key.to_owned(),
                source,
            })
    }

    /// Stores `value` at `key` as JSON, replacing any previous value.
    pub fn set<T: Serialize>(&self, key: &str, value: &T) -> Result<(), KvError> {
        let bytes = serde_json::to_vec(value).map_err(|source| KvError::Encode {
            key: key.to_owned(),
            source,
        })?;
        Ok(self.store.set(key, &bytes)?)
    }

    /// Removes `key` (no error when absent).
    pub fn delete(&self, key: &str) -> Result<(), KvError> {
        Ok(self.store.delete(key)?)
    }

    /// Whether `key` has a value.
    pub fn exists(&self, key: &str) -> Result<bool, KvError> {
        Ok(self.store.exists(key)?)
    }
}
