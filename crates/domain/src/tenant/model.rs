//! The tenant record and the input that creates one.

use serde::{Deserialize, Serialize};

use super::{TenantId, Tier};
use crate::time::Timestamp;
use crate::validation::{FieldCode, ValidationError, Violations};

/// Longest tenant name, in characters (after trimming).
const TENANT_NAME_MAX_CHARS: usize = 100;

/// A tenant as stored and served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tenant {
    /// Time-ordered id.
    pub id: TenantId,
    /// Trimmed display name, 1..=100 characters.
    pub name: String,
    /// Decides the tenant's rate limits.
    pub tier: Tier,
    /// When the tenant was created.
    pub created_at: Timestamp,
}

/// Body of `POST /api/v1/tenants`.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// Required name.
    pub name: Option<String>,
    /// Required tier name.
    pub tier: Option<String>,
}

impl NewTenant {
    /// Checks every field and builds the tenant (with a fresh id) created at `now`.
    pub fn validate(self, now: Timestamp) -> Result<Tenant, ValidationError> {
        let mut v = Violations::new();
        let name = v
            .required("name", self.name)
            .and_then(|n| v.text("name", n, TENANT_NAME_MAX_CHARS));
        let tier = v
            .required("tier", self.tier)
            .and_then(|t| check_tier(&mut v, &t));
        let tenant = match (name, tier) {
            (Some(name), Some(tier)) => Some(Tenant {
                id: TenantId::generate(),
                name,
                tier,
                created_at: now,
            }),
            _ => None,
        };
        v.finish(tenant)
    }
}

fn check_tier(v: &mut Violations, name: &str) -> Option<Tier> {
    let tier = Tier::parse(name);
    if tier.is_none() {
        let allowed: Vec<_> = Tier::ALL.iter().map(|t| t.as_str()).collect();
        v.push(
            "tier",
            FieldCode::InvalidValue,
            format!("must be one of: {}", allowed.join(", ")),
        );
    }
    tier
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json_body::{BodyError, from_json_object};

    fn validate(json: &str) -> Result<Tenant, ValidationError> {
        let input: NewTenant = from_json_object(json.as_bytes()).unwrap();
        input.validate(Timestamp::now())
    }

    fn fields(err: &ValidationError) -> Vec<(&str, FieldCode)> {
        err.fields
            .iter()
            .map(|f| (f.field.as_str(), f.code))
            .collect()
    }

    #[test]
    fn valid_tenant_is_trimmed() {
        let tenant = validate(r#"{"name": "  Acme ", "tier": "enterprise"}"#).unwrap();
        assert_eq!(tenant.name, "Acme");
        assert_eq!(tenant.tier, Tier::Enterprise);
    }

    #[test]
    fn every_problem_is_reported() {
        let err = validate(r#"{"name": "   ", "tier": "platinum"}"#).unwrap_err();
        assert_eq!(
            fields(&err),
            [
                ("name", FieldCode::TooShort),
                ("tier", FieldCode::InvalidValue)
            ]
        );
        let err = validate("{}").unwrap_err();
        assert_eq!(
            fields(&err),
            [("name", FieldCode::Required), ("tier", FieldCode::Required)]
        );
        let long = format!(r#"{{"name": "{}", "tier": "demo"}}"#, "n".repeat(101));
        assert_eq!(
            fields(&validate(&long).unwrap_err()),
            [("name", FieldCode::TooLong)]
        );
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err = from_json_object::<NewTenant>(br#"{"name": "a", "tier": "demo", "x": 1}"#);
        assert!(matches!(err, Err(BodyError::Invalid(_))));
    }

    #[test]
    fn serialises_with_the_documented_shape() {
        let tenant = Tenant {
            id: TenantId::parse("acme").unwrap(),
            name: "Acme".into(),
            tier: Tier::Demo,
            created_at: Timestamp::parse("2025-01-01T00:00:00Z").unwrap(),
        };
        assert_eq!(
            serde_json::to_value(&tenant).unwrap(),
            serde_json::json!({
                "id": "acme", "name": "Acme", "tier": "demo",
                "created_at": "2025-01-01T00:00:00.000Z"
            })
        );
    }
}
