//! Per-tier limits, their defaults and the `tier_limits` override.

use serde::{Deserialize, Serialize};

use crate::json_body::present;
use crate::tenant::Tier;

/// One bucket's limit: refill rate and capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// Tokens added per minute (sustained requests per minute), ≥ 1.
    pub per_minute: u32,
    /// Bucket capacity (requests that may come at once), ≥ 1.
    pub burst: u32,
}

/// One tier's limits: per API key and per tenant; `None` is unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierLimits {
    /// Each key's own bucket.
    pub key: Option<Limit>,
    /// The bucket all keys of a tenant share.
    pub tenant: Option<Limit>,
}

/// The limits of every tier: the defaults, optionally overridden by the `tier_limits`
/// variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitTable {
    demo: TierLimits,
    standard: TierLimits,
    enterprise: TierLimits,
    internal: TierLimits,
}

/// A `tier_limits` value that is not a valid override.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid tier_limits: {0}")]
pub struct InvalidTierLimits(String);

const fn limits(key: (u32, u32), tenant: (u32, u32)) -> TierLimits {
    TierLimits {
        key: Some(Limit {
            per_minute: key.0,
            burst: key.1,
        }),
        tenant: Some(Limit {
            per_minute: tenant.0,
            burst: tenant.1,
        }),
    }
}

impl Default for LimitTable {
    /// demo 60/min burst 20 per key, 120/min burst 40 per tenant; standard 600/100 and
    /// 1200/200; enterprise 6000/500 and 12000/1000; internal unlimited.
    fn default() -> Self {
        Self {
            demo: limits((60, 20), (120, 40)),
            standard: limits((600, 100), (1200, 200)),
            enterprise: limits((6000, 500), (12000, 1000)),
            internal: TierLimits {
                key: None,
                tenant: None,
            },
        }
    }
}

/// The override's shape: `{"<tier>": {"key": Limit|null, "tenant": Limit|null}}`, every
/// part optional (absent keeps the default, `null` means unlimited).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Overrides {
    demo: Option<TierOverride>,
    standard: Option<TierOverride>,
    enterprise: Option<TierOverride>,
    internal: Option<TierOverride>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TierOverride {
    #[serde(default, deserialize_with = "present")]
    key: Option<Option<Limit>>,
    #[serde(default, deserialize_with = "present")]
    tenant: Option<Option<Limit>>,
}

impl LimitTable {
    /// The defaults with the `tier_limits` JSON applied; blank text means the defaults.
    pub fn parse(text: &str) -> Result<Self, InvalidTierLimits> {
        let mut table = Self::default();
        if text.trim().is_empty() {
            return Ok(table);
        }
        let overrides: Overrides =
            serde_json::from_str(text).map_err(|e| InvalidTierLimits(e.to_string()))?;
        for (tier, change) in [
            (Tier::Demo, overrides.demo),
            (Tier::Standard, overrides.standard),
            (Tier::Enterprise, overrides.enterprise),
            (Tier::Internal, overrides.internal),
        ] {
            let Some(change) = change else { continue };
            let target = table.tier_mut(tier);
            for (scope, slot, new) in [
                ("key", &mut target.key, change.key),
                ("tenant", &mut target.tenant, change.tenant),
            ] {
                let Some(new) = new else { continue };
                if let Some(limit) = new
                    && (limit.per_minute == 0 || limit.burst == 0)
                {
                    return Err(InvalidTierLimits(format!(
                        "{}.{scope}: per_minute and burst must be at least 1",
                        tier.as_str()
                    )));
                }
                *slot = new;
            }
        }
        Ok(table)
    }

    /// The limits of `tier`.
    pub fn tier(&self, tier: Tier) -> TierLimits {
        match tier {
            Tier::Demo => self.demo,
            Tier::Standard => self.standard,
            Tier::Enterprise => self.enterprise,
            Tier::Internal => self.internal,
        }
    }

    fn tier_mut(&mut self, tier: Tier) -> &mut TierLimits {
        match tier {
            Tier::Demo => &mut self.demo,
            Tier::Standard => &mut self.standard,
            Tier::Enterprise => &mut self.enterprise,
            Tier::Internal => &mut self.internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(per_minute: u32, burst: u32) -> Option<Limit> {
        Some(Limit { per_minute, burst })
    }

    #[test]
    fn defaults_follow_the_documented_table() {
        let t = LimitTable::default();
        let rows = [
            (Tier::Demo, limit(60, 20), limit(120, 40)),
            (Tier::Standard, limit(600, 100), limit(1200, 200)),
            (Tier::Enterprise, limit(6000, 500), limit(12000, 1000)),
            (Tier::Internal, None, None),
        ];
        for (tier, key, tenant) in rows {
            assert_eq!(t.tier(tier), TierLimits { key, tenant }, "{tier:?}");
        }
        assert_eq!(LimitTable::parse("").unwrap(), t);
        assert_eq!(LimitTable::parse("  \n").unwrap(), t);
        assert_eq!(LimitTable::parse("{}").unwrap(), t);
    }

    #[test]
    fn overrides_replace_only_what_they_name() {
        let t = LimitTable::parse(
            r#"{"demo": {"key": {"per_minute": 1, "burst": 5}, "tenant": {"per_minute": 1, "burst": 100}},
                "standard": {"tenant": null},
                "internal": {"key": {"per_minute": 10, "burst": 10}}}"#,
        )
        .unwrap();
        assert_eq!(t.tier(Tier::Demo).key, limit(1, 5));
        assert_eq!(t.tier(Tier::Demo).tenant, limit(1, 100));
        assert_eq!(t.tier(Tier::Standard).key, limit(600, 100), "untouched");
        assert_eq!(t.tier(Tier::Standard).tenant, None, "null = unlimited");
        assert_eq!(t.tier(Tier::Internal).key, limit(10, 10));
        assert_eq!(t.tier(Tier::Internal).tenant, None);
        assert_eq!(
            t.tier(Tier::Enterprise),
            LimitTable::default().tier(Tier::Enterprise)
        );
    }

    #[test]
    fn bad_overrides_are_refused_with_a_reason() {
        for bad in [
            "not json",
            "[]",
            r#"{"platinum": {}}"#,
            r#"{"demo": {"keys": {"per_minute": 1, "burst": 1}}}"#,
            r#"{"demo": {"key": {"per_minute": 1}}}"#,
            r#"{"demo": {"key": {"per_minute": 1, "burst": 1, "x": 1}}}"#,
            r#"{"demo": {"key": {"per_minute": -1, "burst": 1}}}"#,
            r#"{"demo": {"key": {"per_minute": 1.5, "burst": 1}}}"#,
            r#"{"demo": {"key": {"per_minute": 0, "burst": 1}}}"#,
            r#"{"demo": {"tenant": {"per_minute": 1, "burst": 0}}}"#,
        ] {
            let err = LimitTable::parse(bad).unwrap_err();
            assert!(
                err.to_string().starts_with("invalid tier_limits: "),
                "{bad}: {err}"
            );
        }
        let err = LimitTable::parse(r#"{"demo": {"tenant": {"per_minute": 1, "burst": 0}}}"#);
        assert!(err.unwrap_err().to_string().contains("demo.tenant"));
    }
}
