//! The tenant scope every stored record belongs to.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest accepted tenant id.
const MAX_TENANT_CHARS: usize = 64;

/// Identifies a tenant. Every storage query is scoped by one.
///
/// Ids are 1..=64 characters of `[a-z0-9-]`, so they can be embedded in key-value keys
/// (`story:v1:<tenant>:<id>`) and never contain the `:` separator.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

/// A string that is not a valid [`TenantId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tenant id must be 1 to {MAX_TENANT_CHARS} characters of a-z, 0-9 and '-'")]
pub struct InvalidTenantId;

impl TenantId {
    /// The single tenant used until multi-tenancy lands: `default`.
    pub fn default_tenant() -> Self {
        Self("default".to_owned())
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
    fn default_tenant_is_default() {
        assert_eq!(TenantId::default_tenant().as_str(), "default");
    }

    #[test]
    fn parse_accepts_only_key_safe_ids() {
        assert!(TenantId::parse("acme-42").is_ok());
        for bad in ["", "Acme", "a:b", "a b", "a/b", "ä", &"a".repeat(65)] {
            assert_eq!(TenantId::parse(bad), Err(InvalidTenantId), "{bad:?}");
        }
    }
}
