//! Rate limits: token buckets per API key, per tenant and per anonymous client address,
//! sized by the tenant's tier.

mod bucket;
mod limits;

pub use bucket::{Bucket, Take, Verdict};
pub use limits::{InvalidTierLimits, Limit, LimitTable, TierLimits};

use serde::Serialize;

use crate::auth::Principal;

/// The buckets a request draws from, most specific first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateBucket {
    /// Where the bucket is stored: `ratelimit:v1:key:<key-id>`,
    /// `ratelimit:v1:tenant:<tenant-id>` or `ratelimit:v1:anon:<ip>`.
    pub storage_key: String,
    /// What kind of bucket it is.
    pub kind: BucketKind,
    /// Its limit.
    pub limit: Limit,
}

/// What a bucket counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketKind {
    /// One API key's requests.
    Key,
    /// All requests of a tenant's keys.
    Tenant,
    /// Anonymous requests from one client address (demo key limits).
    Address,
}

/// The buckets `principal` draws from; `client_ip` identifies anonymous callers. The
/// operator token and unlimited tiers draw from none.
pub fn buckets(table: &LimitTable, principal: &Principal, client_ip: &str) -> Vec<RateBucket> {
    let bucket = |kind, storage_key: String, limit: Option<Limit>| {
        limit.map(|limit| RateBucket {
            storage_key,
            kind,
            limit,
        })
    };
    match principal {
        Principal::Operator => Vec::new(),
        Principal::Anonymous => bucket(
            BucketKind::Address,
            format!("ratelimit:v1:anon:{client_ip}"),
            table.tier(crate::tenant::Tier::Demo).key,
        )
        .into_iter()
        .collect(),
        Principal::Key(holder) => {
            let limits = table.tier(holder.tenant.tier);
            [
                bucket(
                    BucketKind::Key,
                    format!("ratelimit:v1:key:{}", holder.key.id),
                    limits.key,
                ),
                bucket(
                    BucketKind::Tenant,
                    format!("ratelimit:v1:tenant:{}", holder.tenant.id),
                    limits.tenant,
                ),
            ]
            .into_iter()
            .flatten()
            .collect()
        }
    }
}

/// The limits that apply to a caller, as `GET /api/v1/me` shows them:
/// `{"key": Limit|null, "tenant": Limit|null, "address": Limit|null}` (`null`: no such
/// bucket; all `null`: unlimited).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AppliedLimits {
    /// Per API key.
    pub key: Option<Limit>,
    /// Per tenant.
    pub tenant: Option<Limit>,
    /// Per client address (anonymous callers).
    pub address: Option<Limit>,
}

impl AppliedLimits {
    /// Summarises the buckets a caller draws from.
    pub fn of(buckets: &[RateBucket]) -> Self {
        let mut applied = Self::default();
        for bucket in buckets {
            let slot = match bucket.kind {
                BucketKind::Key => &mut applied.key,
                BucketKind::Tenant => &mut applied.tenant,
                BucketKind::Address => &mut applied.address,
            };
            *slot = Some(bucket.limit);
        }
        applied
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use crate::auth::fixtures::{member_of, tenant};
    use crate::tenant::Tier;

    #[test]
    fn keys_draw_from_their_own_and_their_tenants_bucket() {
        let table = LimitTable::default();
        let principal = member_of(tenant("acme", Tier::Demo), Role::User);
        let key_id = principal.key().unwrap().id;
        let drawn = buckets(&table, &principal, "10.0.0.1");
        assert_eq!(
            drawn,
            [
                RateBucket {
                    storage_key: format!("ratelimit:v1:key:{key_id}"),
                    kind: BucketKind::Key,
                    limit: Limit {
                        per_minute: 60,
                        burst: 20
                    },
                },
                RateBucket {
                    storage_key: "ratelimit:v1:tenant:acme".into(),
                    kind: BucketKind::Tenant,
                    limit: Limit {
                        per_minute: 120,
                        burst: 40
                    },
                },
            ]
        );
        assert_eq!(
            serde_json::to_value(AppliedLimits::of(&drawn)).unwrap(),
            serde_json::json!({
                "key": {"per_minute": 60, "burst": 20},
                "tenant": {"per_minute": 120, "burst": 40},
                "address": null
            })
        );
    }

    #[test]
    fn anonymous_callers_get_demo_key_limits_per_address() {
        let table =
            LimitTable::parse(r#"{"demo": {"key": {"per_minute": 1, "burst": 5}}}"#).unwrap();
        let drawn = buckets(&table, &Principal::Anonymous, "::1");
        assert_eq!(drawn.len(), 1);
        assert_eq!(drawn[0].storage_key, "ratelimit:v1:anon:::1");
        assert_eq!(
            drawn[0].limit,
            Limit {
                per_minute: 1,
                burst: 5
            }
        );
        assert_eq!(AppliedLimits::of(&drawn).address, Some(drawn[0].limit));
    }

    #[test]
    fn operators_and_unlimited_tiers_draw_from_nothing() {
        let table = LimitTable::default();
        assert!(buckets(&table, &Principal::Operator, "1.2.3.4").is_empty());
        let internal = member_of(tenant("ops", Tier::Internal), Role::User);
        assert!(buckets(&table, &internal, "1.2.3.4").is_empty());
        assert_eq!(AppliedLimits::of(&[]), AppliedLimits::default());
        let partly = LimitTable::parse(r#"{"standard": {"key": null}}"#).unwrap();
        let standard = member_of(tenant("acme", Tier::Standard), Role::User);
        let drawn = buckets(&partly, &standard, "1.2.3.4");
        assert_eq!(drawn.len(), 1);
        assert_eq!(drawn[0].kind, BucketKind::Tenant);
    }
}
