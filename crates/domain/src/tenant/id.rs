//! Tenant identifiers: the scope every stored record belongs to.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Longest accepted tenant id.
const MAX_TENANT_CHARS: usize = 64;

/// Identifies a tenant. Every storage query is scoped by one.
///
/// Ids are 1..=64 characters of `[a-z0-9-]`, so they can be embedded in key-value keys
/// (`story:v2:<tenant>:<id>`) and never contain the `:` separator. New tenants get a
/// lowercase hyphenated UUID v7, so ids sort by creation time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

/// A string that is not a valid [`TenantId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tenant id must be 1 to {MAX_TENANT_CHARS} characters of a-z, 0-9 and '-'")]
pub struct InvalidTenantId;

impl TenantId {
    /// A fresh, time-ordered id.
    pub fn generate() -> Self {
        Self(Uuid::now_v7().hyphenated().to_string())
    }

    /// Validates and wraps a tenant id.
    pub fn parse(value: &str) -> Result<Self, InvalidTenantId> {
        let valid = (1..=MAX_TENANT_CHARS).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Self(value.to_owned()))
        } else {
            Err(InvalidTenantId)
        }
    }

    /// The id as stored and embedded in keys.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for TenantId {
    type Error = InvalidTenantId;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TenantId> for String {
    fn from(id: TenantId) -> Self {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_valid_and_time_ordered() {
        let a = TenantId::generate();
        let b = TenantId::generate();
        assert_eq!(TenantId::parse(a.as_str()), Ok(a.clone()));
        assert!(a < b);
    }

    #[test]
    fn parse_accepts_only_key_safe_ids() {
        assert!(TenantId::parse("acme-42").is_ok());
        for bad in ["", "Acme", "a:b", "a b", "a/b", "ä", &"a".repeat(65)] {
            assert_eq!(TenantId::parse(bad), Err(InvalidTenantId), "{bad:?}");
        }
    }

    #[test]
    fn serde_validates() {
        assert_eq!(
            serde_json::from_str::<TenantId>(r#""acme""#)
                .unwrap()
                .as_str(),
            "acme"
        );
        assert!(serde_json::from_str::<TenantId>(r#""A:B""#).is_err());
    }
}
