//! Read-through cache of single stories in key-value store `default`.
//!
//! Key family `story:v2:<tenant>:<id>` (see `kv-schemas/story-cache.schema.json`); the
//! value is the story's JSON. Only a tenant's own stories are cached, under its own
//! tenant, so an entry is only ever served to members of the owning tenant; anonymous
//! callers and reads of other tenants' public stories go to SQLite. Reads fill it on a
//! miss, writes replace it, deletes remove it. The cache is an optimisation only: any
//! key-value failure is logged and the request carries on against SQLite.

use fabula_domain::auth::Viewer;
use fabula_domain::{Story, StoryId, TenantId};
use fabula_spin::kv::{JsonStore, KvError};
use fabula_spin::log::{Level, log};

/// The cache key of a story: `story:v2:<tenant>:<id>`.
pub fn cache_key(tenant: &TenantId, id: StoryId) -> String {
    format!("story:v2:{tenant}:{id}")
}

/// The story cache of one viewer's tenant, for one request.
pub struct StoryCache<'r> {
    /// The store and the tenant whose stories it caches; `None`: bypassed.
    store: Option<(JsonStore, TenantId)>,
    request_id: &'r str,
}

impl<'r> StoryCache<'r> {
    /// Opens the `default` store for a member's tenant; anonymous viewers, and a store
    /// that fails to open, bypass the cache.
    pub fn open(viewer: &Viewer, request_id: &'r str) -> Self {
        let store = viewer.tenant().and_then(|tenant| {
            JsonStore::open_default()
                .map_err(|e| log(Level::Warn, request_id, format_args!("story cache: {e}")))
                .ok()
                .map(|store| (store, tenant.clone()))
        });
        Self { store, request_id }
    }

    /// The cached story, if present and intact (a corrupt entry is evicted).
    pub fn get(&self, id: StoryId) -> Option<Story> {
        let (store, tenant) = self.store.as_ref()?;
        let key = cache_key(tenant, id);
        match store.get::<Story>(&key) {
            Ok(Some(story)) if story.id == id => Some(story),
            Ok(None) => None,
            Ok(Some(_)) | Err(KvError::Decode { .. }) => {
                self.warn(format_args!("evicting malformed entry {key}"));
                self.evict(store, &key);
                None
            }
            Err(e) => {
                self.warn(e);
                None
            }
        }
    }

    /// Stores the current state of a story owned by `owner`, if that is the cached
    /// tenant; on failure evicts the entry so it cannot be stale.
    pub fn put(&self, owner: &TenantId, story: &Story) {
        let Some((store, tenant)) = &self.store else {
            return;
        };
        if tenant != owner {
            return;
        }
        let key = cache_key(tenant, story.id);
        if let Err(e) = store.set(&key, story) {
            self.warn(e);
            self.evict(store, &key);
        }
    }

    /// Removes the story's entry.
    pub fn remove(&self, id: StoryId) {
        if let Some((store, tenant)) = &self.store {
            self.evict(store, &cache_key(tenant, id));
        }
    }

    fn evict(&self, store: &JsonStore, key: &str) {
        if let Err(e) = store.delete(key) {
            log(
                Level::Error,
                self.request_id,
                format_args!("story cache: could not remove {key}, it may be stale: {e}"),
            );
        }
    }

    fn warn(&self, message: impl std::fmt::Display) {
        log(
            Level::Warn,
            self.request_id,
            format_args!("story cache: {message}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_follows_the_documented_pattern() {
        let id = StoryId::parse("0190f5a0-0000-7000-8000-000000000000").unwrap();
        assert_eq!(
            cache_key(&TenantId::parse("acme").unwrap(), id),
            "story:v2:acme:0190f5a0-0000-7000-8000-000000000000"
        );
    }
}
