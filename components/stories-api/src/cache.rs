//! Read-through cache of single stories in key-value store `default`.
//!
//! Key family `story:v1:<tenant>:<id>` (see `kv-schemas/story-cache.schema.json`); the
//! value is the story's JSON. Reads fill it on a miss, writes replace it, deletes remove
//! it. The cache is an optimisation only: any key-value failure is logged and the request
//! carries on against SQLite.

use fabula_domain::{Story, StoryId, TenantId};
use fabula_spin::kv::{JsonStore, KvError};
use fabula_spin::log::{Level, log};

/// The cache key of a story: `story:v1:<tenant>:<id>`.
pub fn cache_key(tenant: &TenantId, id: StoryId) -> String {
    format!("story:v1:{tenant}:{id}")
}

/// The story cache of one tenant, for one request.
pub struct StoryCache<'r> {
    store: Option<JsonStore>,
    tenant: TenantId,
    request_id: &'r str,
}

impl<'r> StoryCache<'r> {
    /// Opens the `default` store; if that fails the cache is simply bypassed.
    pub fn open(tenant: TenantId, request_id: &'r str) -> Self {
        let store = JsonStore::open_default()
            .map_err(|e| log(Level::Warn, request_id, format_args!("story cache: {e}")))
            .ok();
        Self {
            store,
            tenant,
            request_id,
        }
    }

    /// The cached story, if present and intact (a corrupt entry is evicted).
    pub fn get(&self, id: StoryId) -> Option<Story> {
        let store = self.store.as_ref()?;
        let key = cache_key(&self.tenant, id);
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

    /// Stores the story's current state; on failure evicts the entry so it cannot be stale.
    pub fn put(&self, story: &Story) {
        let Some(store) = &self.store else { return };
        let key = cache_key(&self.tenant, story.id);
        if let Err(e) = store.set(&key, story) {
            self.warn(e);
            self.evict(store, &key);
        }
    }

    /// Removes the story's entry.
    pub fn remove(&self, id: StoryId) {
        if let Some(store) = &self.store {
            self.evict(store, &cache_key(&self.tenant, id));
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
            cache_key(&TenantId::default_tenant(), id),
            "story:v1:default:0190f5a0-0000-7000-8000-000000000000"
        );
    }
}
