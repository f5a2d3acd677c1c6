//! `wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2`, as Spin 3+ hosts provide them: the same
//! labelled stores, permission rules and backends as `fermyon:spin/key-value`, so data written
//! through either interface is visible through the other.
//!
//! - `open(identifier)` follows the `fermyon:spin/key-value` rules exactly (`access-denied` for
//!   a label the component does not list; buckets and stores share the instance's 256 slots,
//!   as they share one table in Spin; `store-table-full` becomes `other("store table full")`,
//!   Spin's wording).
//! - `increment` is atomic on the backend. Counters are encoded as Spin encodes them: on the
//!   SQLite (`spin`) backend, 8 bytes holding a little-endian `i64`; on the Redis backend,
//!   decimal text (`INCRBY`). Any other stored value is an `other` error, not a panic.
//! - `cas::new` snapshots the key's value (absent is a value too); `current` returns that
//!   snapshot; `swap` writes only if the stored value is still exactly the snapshot, in one
//!   conditional statement (SQLite) or one server-side script (Redis). Otherwise it returns
//!   `cas-failed` with a fresh handle holding the latest value.
//! - `list-keys` pages by [`LIST_KEYS_PAGE`] keys: in key order after the cursor (the last key
//!   returned) on SQLite; by `SCAN` cursor on Redis.
//! - The batch operations are not atomic (the WIT allows that); on SQLite `set-many` and
//!   `delete-many` each run in one transaction anyway.

#[cfg(test)]
mod tests;

use std::fmt::Display;
use std::sync::Arc;

use wasmtime::component::{HasSelf, Linker, Resource};

use super::{Backend, BackendError, KvInstance, StoreHandle};
use crate::bindings::fermyon::spin2_0_0::key_value as spin_kv;
use crate::bindings::wasi::keyvalue::{atomics, batch, store};
use crate::state::InstanceState;
use atomics::CasError;
use store::{Error, KeyResponse};

/// Keys one `list-keys` call returns at most.
pub const LIST_KEYS_PAGE: usize = 1000;

/// Compare-and-swap handles one instance may hold at once (Spin's limit).
const MAX_OPEN_CAS: usize = 256;

/// An open bucket: the guest's `wasi:keyvalue/store.bucket` resource.
pub struct BucketHandle(StoreHandle);

/// A compare-and-swap in progress: the guest's `wasi:keyvalue/atomics.cas` resource.
pub struct CasHandle {
    store: StoreHandle,
    key: String,
    /// The value when the handle was made; `swap` succeeds only if it is still stored.
    snapshot: Option<Vec<u8>>,
}

/// A `wasi:keyvalue` operation that failed (reported to the guest as `other`).
#[derive(Debug, thiserror::Error)]
pub enum WasiKvError {
    /// The store's backend failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// A `list-keys` cursor this host never handed out.
    #[error("list-keys: invalid cursor `{0}`")]
    InvalidCursor(String),
    /// The instance holds [`MAX_OPEN_CAS`] compare-and-swap handles already.
    #[error("too many compare-and-swap handles open (at most {MAX_OPEN_CAS})")]
    TooManyCas,
}

/// A failure as the WIT `other` error.
fn other<T, E: Display>(result: Result<T, E>) -> Result<T, Error> {
    result.map_err(|e| Error::Other(e.to_string()))
}

/// A `fermyon:spin/key-value` open error as the `wasi:keyvalue` error (Spin's mapping).
fn from_spin(error: spin_kv::Error) -> Error {
    match error {
        spin_kv::Error::AccessDenied => Error::AccessDenied,
        spin_kv::Error::NoSuchStore => Error::NoSuchStore,
        spin_kv::Error::StoreTableFull => Error::Other("store table full".into()),
        spin_kv::Error::Other(message) => Error::Other(message),
    }
}

impl StoreHandle {
    /// Another handle on the same store.
    fn share(&self) -> StoreHandle {
        StoreHandle {
            label: Arc::clone(&self.label),
            backend: self.backend.clone(),
        }
    }

    async fn increment(&self, key: String, delta: i64) -> Result<i64, BackendError> {
        Ok(match &self.backend {
            Backend::Sqlite(kv) => kv.increment(Arc::clone(&self.label), key, delta).await?,
            Backend::Redis(kv) => kv.increment(key, delta).await?,
        })
    }

    async fn compare_and_swap(
        &self,
        key: String,
        expected: Option<Vec<u8>>,
        value: Vec<u8>,
    ) -> Result<bool, BackendError> {
        Ok(match &self.backend {
            Backend::Sqlite(kv) => {
                kv.compare_and_swap(Arc::clone(&self.label), key, expected, value)
                    .await?
            }
            Backend::Redis(kv) => kv.compare_and_swap(key, expected, value).await?,
        })
    }

    async fn get_many(
        &self,
        keys: Vec<String>,
    ) -> Result<Vec<(String, Option<Vec<u8>>)>, BackendError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        Ok(match &self.backend {
            Backend::Sqlite(kv) => kv.get_many(Arc::clone(&self.label), keys).await?,
            Backend::Redis(kv) => {
                let values = kv.get_many(keys.clone()).await?;
                keys.into_iter().zip(values).collect()
            }
        })
    }

    async fn set_many(&self, pairs: Vec<(String, Vec<u8>)>) -> Result<(), BackendError> {
        if pairs.is_empty() {
            return Ok(());
        }
        match &self.backend {
            Backend::Sqlite(kv) => kv.set_many(Arc::clone(&self.label), pairs).await?,
            Backend::Redis(kv) => kv.set_many(pairs).await?,
        }
        Ok(())
    }

    async fn delete_many(&self, keys: Vec<String>) -> Result<(), BackendError> {
        if keys.is_empty() {
            return Ok(());
        }
        match &self.backend {
            Backend::Sqlite(kv) => kv.delete_many(Arc::clone(&self.label), keys).await?,
            Backend::Redis(kv) => kv.delete_many(keys).await?,
        }
        Ok(())
    }

    async fn list_keys(&self, cursor: Option<String>) -> Result<KeyResponse, WasiKvError> {
        Ok(match &self.backend {
            Backend::Sqlite(kv) => {
                let keys = kv
                    .keys_page(Arc::clone(&self.label), cursor, LIST_KEYS_PAGE)
                    .await
                    .map_err(BackendError::from)?;
                let cursor = match keys.len() {
                    LIST_KEYS_PAGE => keys.last().cloned(),
                    _ => None,
                };
                KeyResponse { keys, cursor }
            }
            Backend::Redis(kv) => {
                let start = match cursor {
                    None => 0,
                    Some(text) => text.parse().map_err(|_| WasiKvError::InvalidCursor(text))?,
                };
                let (next, keys) = kv
                    .scan(start, LIST_KEYS_PAGE)
                    .await
                    .map_err(BackendError::from)?;
                KeyResponse {
                    keys,
                    cursor: (next != 0).then(|| next.to_string()),
                }
            }
        })
    }
}

impl KvInstance {
    /// The open store behind a bucket; a stale handle is a host error (a trap), as in Spin.
    fn bucket(&self, bucket: &Resource<BucketHandle>) -> anyhow::Result<&StoreHandle> {
        Ok(&self.table.get(bucket)?.0)
    }

    /// A compare-and-swap handle on `key`, holding its current value.
    async fn new_cas(
        &mut self,
        store: StoreHandle,
        key: String,
    ) -> anyhow::Result<Result<Resource<CasHandle>, Error>> {
        if self.open_cas >= MAX_OPEN_CAS {
            return Ok(other(Err(WasiKvError::TooManyCas)));
        }
        let snapshot = match store.get(key.clone()).await {
            Ok(snapshot) => snapshot,
            Err(e) => return Ok(other(Err(e))),
        };
        let cas = self.table.push(CasHandle {
            store,
            key,
            snapshot,
        })?;
        self.open_cas += 1;
        Ok(Ok(cas))
    }
}

impl store::Host for KvInstance {
    async fn open(
        &mut self,
        identifier: String,
    ) -> anyhow::Result<Result<Resource<BucketHandle>, Error>> {
        // The `fermyon:spin/key-value` open applies every rule (allowed labels, the 256-slot
        // limit, connecting to Redis) and counts the slot; the bucket then takes over its handle.
        let opened = match spin_kv::HostStore::open(self, identifier).await? {
            Ok(opened) => opened,
            Err(e) => return Ok(Err(from_spin(e))),
        };
        let store = self.table.delete(opened)?;
        match self.table.push(BucketHandle(store)) {
            Ok(bucket) => Ok(Ok(bucket)),
            Err(e) => {
                self.open -= 1;
                Err(e.into())
            }
        }
    }
}

impl store::HostBucket for KvInstance {
    async fn get(
        &mut self,
        this: Resource<BucketHandle>,
        key: String,
    ) -> anyhow::Result<Result<Option<Vec<u8>>, Error>> {
        Ok(other(self.bucket(&this)?.get(key).await))
    }

    async fn set(
        &mut self,
        this: Resource<BucketHandle>,
        key: String,
        value: Vec<u8>,
    ) -> anyhow::Result<Result<(), Error>> {
        Ok(other(self.bucket(&this)?.set(key, value).await))
    }

    async fn delete(
        &mut self,
        this: Resource<BucketHandle>,
        key: String,
    ) -> anyhow::Result<Result<(), Error>> {
        Ok(other(self.bucket(&this)?.delete(key).await))
    }

    async fn exists(
        &mut self,
        this: Resource<BucketHandle>,
        key: String,
    ) -> anyhow::Result<Result<bool, Error>> {
        Ok(other(self.bucket(&this)?.exists(key).await))
    }

    async fn list_keys(
        &mut self,
        this: Resource<BucketHandle>,
        cursor: Option<String>,
    ) -> anyhow::Result<Result<KeyResponse, Error>> {
        Ok(other(self.bucket(&this)?.list_keys(cursor).await))
    }

    async fn drop(&mut self, rep: Resource<BucketHandle>) -> anyhow::Result<()> {
        self.table.delete(rep)?;
        self.open -= 1;
        Ok(())
    }
}

impl atomics::Host for KvInstance {
    async fn increment(
        &mut self,
        bucket: Resource<BucketHandle>,
        key: String,
        delta: i64,
    ) -> anyhow::Result<Result<i64, Error>> {
        Ok(other(self.bucket(&bucket)?.increment(key, delta).await))
    }

    async fn swap(
        &mut self,
        cas: Resource<CasHandle>,
        value: Vec<u8>,
    ) -> anyhow::Result<Result<(), CasError>> {
        let CasHandle {
            store,
            key,
            snapshot,
        } = self.table.delete(cas)?;
        self.open_cas -= 1;
        match store.compare_and_swap(key.clone(), snapshot, value).await {
            Ok(true) => Ok(Ok(())),
            Ok(false) => Ok(Err(match self.new_cas(store, key).await? {
                Ok(fresh) => CasError::CasFailed(fresh),
                Err(e) => CasError::StoreError(e),
            })),
            Err(e) => Ok(Err(CasError::StoreError(Error::Other(e.to_string())))),
        }
    }
}

impl atomics::HostCas for KvInstance {
    async fn new(
        &mut self,
        bucket: Resource<BucketHandle>,
        key: String,
    ) -> anyhow::Result<Result<Resource<CasHandle>, Error>> {
        let store = self.bucket(&bucket)?.share();
        self.new_cas(store, key).await
    }

    async fn current(
        &mut self,
        this: Resource<CasHandle>,
    ) -> anyhow::Result<Result<Option<Vec<u8>>, Error>> {
        Ok(Ok(self.table.get(&this)?.snapshot.clone()))
    }

    async fn drop(&mut self, rep: Resource<CasHandle>) -> anyhow::Result<()> {
        self.table.delete(rep)?;
        self.open_cas -= 1;
        Ok(())
    }
}

impl batch::Host for KvInstance {
    async fn get_many(
        &mut self,
        bucket: Resource<BucketHandle>,
        keys: Vec<String>,
    ) -> anyhow::Result<Result<Vec<(String, Option<Vec<u8>>)>, Error>> {
        Ok(other(self.bucket(&bucket)?.get_many(keys).await))
    }

    async fn set_many(
        &mut self,
        bucket: Resource<BucketHandle>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> anyhow::Result<Result<(), Error>> {
        Ok(other(self.bucket(&bucket)?.set_many(key_values).await))
    }

    async fn delete_many(
        &mut self,
        bucket: Resource<BucketHandle>,
        keys: Vec<String>,
    ) -> anyhow::Result<Result<(), Error>> {
        Ok(other(self.bucket(&bucket)?.delete_many(keys).await))
    }
}

/// Adds `wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2` to the linker, served by
/// [`InstanceState::kv`].
pub fn add_to_linker(linker: &mut Linker<InstanceState>) -> anyhow::Result<()> {
    store::add_to_linker::<InstanceState, HasSelf<KvInstance>>(linker, |s| &mut s.kv)?;
    atomics::add_to_linker::<InstanceState, HasSelf<KvInstance>>(linker, |s| &mut s.kv)?;
    batch::add_to_linker::<InstanceState, HasSelf<KvInstance>>(linker, |s| &mut s.kv)?;
    Ok(())
}
