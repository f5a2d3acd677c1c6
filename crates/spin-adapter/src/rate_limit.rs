//! Rate limiting: one token taken from each of the caller's buckets, each bucket updated
//! by compare-and-swap in key-value store `default`, so concurrent requests never lose an
//! update (see `kv-schemas/rate-limit-bucket.schema.json`).

use fabula_domain::rate_limit::{Bucket, RateBucket, Verdict};

use crate::kv::{CasUpdateError, CompareAndSwap, KvError, update_atomically};

/// Swap attempts per bucket before the request is refused as if the bucket were empty.
const MAX_ATTEMPTS: u32 = 64;

/// The outcome of [`check`].
#[derive(Debug, Default)]
pub struct Checked {
    /// The verdict to report (the tightest seen); `None` when no bucket applies or none
    /// could be reached.
    pub verdict: Option<Verdict>,
    /// Buckets skipped because the store failed, with the failure (for the log).
    pub skipped: Vec<(String, KvError)>,
}

/// Takes one token from each bucket, most specific first, stopping at the first that
/// refuses (so a key over its own limit does not drain its tenant's bucket).
///
/// Store failures fail open (that bucket is skipped and reported in
/// [`Checked::skipped`]): rate limiting protects availability, so an unreachable store
/// must not take the API down with it. A bucket that stays contended through every
/// attempt refuses the request with `Retry-After: 1`.
pub fn check<S: CompareAndSwap>(store: &S, buckets: &[RateBucket], now_ms: u64) -> Checked {
    let mut checked = Checked::default();
    for bucket in buckets {
        let verdict = match take(store, bucket, now_ms) {
            Ok(verdict) => verdict,
            Err(CasUpdateError::Contended { .. }) => Verdict {
                allowed: false,
                limit: bucket.limit.burst,
                remaining: 0,
                reset_secs: 1,
                retry_after_secs: Some(1),
            },
            Err(CasUpdateError::Store(e)) => {
                checked.skipped.push((bucket.storage_key.clone(), e));
                continue;
            }
        };
        checked.verdict = Some(checked.verdict.map_or(verdict, |r| r.tighter(verdict)));
        if !verdict.allowed {
            break;
        }
    }
    checked
}

/// Takes one token from `bucket`; a stored value that does not parse counts as a full
/// bucket (the documented rule for unreadable key-value entries).
fn take<S: CompareAndSwap>(
    store: &S,
    bucket: &RateBucket,
    now_ms: u64,
) -> Result<Verdict, CasUpdateError> {
    update_atomically(store, &bucket.storage_key, MAX_ATTEMPTS, |current| {
        let stored = current.and_then(|bytes| serde_json::from_slice::<Bucket>(bytes).ok());
        let take = bucket.limit.take(stored, now_ms);
        // A bucket serialises to plain numbers: this cannot fail.
        let next = take.next.and_then(|b| serde_json::to_vec(&b).ok());
        (next, take.verdict)
    })
}

#[cfg(test)]
mod tests {
    use fabula_domain::rate_limit::{BucketKind, Limit};

    use super::*;
    use crate::kv::atomic_fakes::FakeStore;

    const T0: u64 = 1_700_000_000_000;

    fn bucket(key: &str, kind: BucketKind, burst: u32) -> RateBucket {
        RateBucket {
            storage_key: key.into(),
            kind,
            limit: Limit {
                per_minute: 1,
                burst,
            },
        }
    }

    fn stored(store: &FakeStore, key: &str) -> Bucket {
        serde_json::from_slice(&store.value(key).unwrap()).unwrap()
    }

    #[test]
    fn admits_exactly_the_burst_then_reports_retry_after() {
        let store = FakeStore::default();
        let buckets = [bucket("k", BucketKind::Key, 3)];
        let verdicts: Vec<Verdict> = (0..5)
            .map(|_| check(&store, &buckets, T0).verdict.unwrap())
            .collect();
        let allowed: Vec<bool> = verdicts.iter().map(|v| v.allowed).collect();
        assert_eq!(allowed, [true, true, true, false, false]);
        assert_eq!(verdicts[3].retry_after_secs, Some(60));
        assert_eq!(stored(&store, "k").tokens, 0.0);
        assert_eq!(stored(&store, "k").updated_ms, T0);
    }

    #[test]
    fn the_tenant_bucket_is_shared_and_the_tighter_verdict_reported() {
        let store = FakeStore::default();
        let tenant = bucket("t", BucketKind::Tenant, 4);
        let key_a = [bucket("a", BucketKind::Key, 3), tenant.clone()];
        let key_b = [bucket("b", BucketKind::Key, 3), tenant];
        for _ in 0..3 {
            assert!(check(&store, &key_a, T0).verdict.unwrap().allowed);
        }
        let v = check(&store, &key_a, T0).verdict.unwrap();
        assert!(!v.allowed, "key a is out");
        assert_eq!(
            stored(&store, "t").tokens,
            1.0,
            "a refused key takes nothing from its tenant"
        );
        let v = check(&store, &key_b, T0).verdict.unwrap();
        assert!(v.allowed);
        assert_eq!((v.limit, v.remaining), (4, 0), "the tenant's is tighter");
        let v = check(&store, &key_b, T0).verdict.unwrap();
        assert!(!v.allowed, "the tenant is out");
        assert_eq!(
            stored(&store, "b").tokens,
            1.0,
            "the key's token was taken first"
        );
    }

    #[test]
    fn concurrent_takes_are_never_lost() {
        let store = FakeStore::default();
        let buckets = [bucket("k", BucketKind::Key, 10)];
        // Three other requests take a token between our read and our swap.
        store.conflicts_left.set(3);
        *store.writer.borrow_mut() = Some(Box::new(|current| {
            let b: Bucket = current
                .map(|v| serde_json::from_slice(v).unwrap())
                .unwrap_or(Bucket {
                    tokens: 10.0,
                    updated_ms: T0,
                });
            serde_json::to_vec(&Bucket {
                tokens: b.tokens - 1.0,
                ..b
            })
            .unwrap()
        }));
        let v = check(&store, &buckets, T0).verdict.unwrap();
        assert!(v.allowed);
        assert_eq!(v.remaining, 6);
        assert_eq!(stored(&store, "k").tokens, 6.0, "3 concurrent + ours");
    }

    #[test]
    fn endless_contention_refuses_and_store_failures_fail_open() {
        let store = FakeStore::default();
        store.conflicts_left.set(u32::MAX);
        let v = check(&store, &[bucket("k", BucketKind::Key, 10)], T0)
            .verdict
            .unwrap();
        assert_eq!((v.allowed, v.retry_after_secs), (false, Some(1)));

        let down = FakeStore::default();
        down.fail.set(true);
        let checked = check(&down, &[bucket("k", BucketKind::Key, 10)], T0);
        assert_eq!(checked.verdict, None);
        assert_eq!(checked.skipped.len(), 1);
        assert_eq!(checked.skipped[0].0, "k");
        let none = check(&FakeStore::default(), &[], T0);
        assert!(none.verdict.is_none() && none.skipped.is_empty());
    }

    #[test]
    fn unreadable_state_counts_as_a_full_bucket() {
        let store = FakeStore::default();
        store
            .values
            .borrow_mut()
            .insert("k".into(), (1, b"not json".to_vec()));
        let v = check(&store, &[bucket("k", BucketKind::Key, 5)], T0)
            .verdict
            .unwrap();
        assert_eq!((v.allowed, v.remaining), (true, 4));
    }
}
