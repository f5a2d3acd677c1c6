//! Who is calling: the authenticated identity every authorization decision starts from.

use super::api_key::ApiKey;
use super::role::Role;
use crate::tenant::{Tenant, TenantId, Tier};

/// The caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No credentials.
    Anonymous,
    /// The `admin_token` bootstrap token: the platform operator, role admin, no tenant.
    Operator,
    /// A verified, usable API key and the tenant it acts for.
    Key(Box<KeyHolder>),
}

/// An API key that passed verification, with its tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHolder {
    /// The key (never its secret).
    pub key: ApiKey,
    /// The key's tenant.
    pub tenant: Tenant,
}

impl Principal {
    /// The caller's role; `None` for anonymous callers.
    pub fn role(&self) -> Option<Role> {
        match self {
            Self::Anonymous => None,
            Self::Operator => Some(Role::Admin),
            Self::Key(holder) => Some(holder.key.role),
        }
    }

    /// The role's name as reported and audited: `admin`, `user`, `service` or `anonymous`.
    pub fn role_name(&self) -> &'static str {
        self.role().map_or("anonymous", Role::as_str)
    }

    /// The tenant the caller acts for, if any.
    pub fn tenant(&self) -> Option<&Tenant> {
        match self {
            Self::Key(holder) => Some(&holder.tenant),
            Self::Anonymous | Self::Operator => None,
        }
    }

    /// The id of the tenant the caller acts for, if any.
    pub fn tenant_id(&self) -> Option<&TenantId> {
        self.tenant().map(|t| &t.id)
    }

    /// The API key the caller presented, if any.
    pub fn key(&self) -> Option<&ApiKey> {
        match self {
            Self::Key(holder) => Some(&holder.key),
            Self::Anonymous | Self::Operator => None,
        }
    }

    /// Whether the caller is a platform operator: the bootstrap token, or an admin key
    /// of an `internal` tenant. Operators manage every tenant.
    pub fn is_operator(&self) -> bool {
        match self {
            Self::Operator => true,
            Self::Key(holder) => {
                holder.key.role == Role::Admin && holder.tenant.tier == Tier::Internal
            }
            Self::Anonymous => false,
        }
    }

    /// Who acted, as audited: the key id, `operator` or `anonymous`.
    pub fn actor(&self) -> String {
        match self {
            Self::Anonymous => "anonymous".to_owned(),
            Self::Operator => "operator".to_owned(),
            Self::Key(holder) => holder.key.id.to_string(),
        }
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Principals for tests across the crate.

    use super::*;
    use crate::auth::api_key::{ApiKey, ApiKeyDraft};
    use crate::auth::token::ApiKeyToken;
    use crate::time::Timestamp;

    /// A tenant with this id and tier.
    pub fn tenant(id: &str, tier: Tier) -> Tenant {
        Tenant {
            id: TenantId::parse(id).unwrap(),
            name: id.to_owned(),
            tier,
            created_at: Timestamp::now(),
        }
    }

    /// A key principal of a `standard` tenant `id`.
    pub fn member(id: &str, role: Role) -> Principal {
        member_of(tenant(id, Tier::Standard), role)
    }

    /// A key principal of `tenant`.
    pub fn member_of(tenant: Tenant, role: Role) -> Principal {
        let draft = ApiKeyDraft {
            name: "test".into(),
            role,
            tenant_id: tenant.id.clone(),
            expires_at: None,
        };
        let key = ApiKey::issue(draft, &ApiKeyToken::generate().unwrap(), Timestamp::now());
        Principal::Key(Box::new(KeyHolder { key, tenant }))
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn roles_tenants_and_actors() {
        assert_eq!(Principal::Anonymous.role(), None);
        assert_eq!(Principal::Anonymous.role_name(), "anonymous");
        assert_eq!(Principal::Operator.role_name(), "admin");
        assert_eq!(Principal::Operator.tenant(), None);
        assert_eq!(Principal::Operator.actor(), "operator");
        let user = member("acme", Role::User);
        assert_eq!(user.role_name(), "user");
        assert_eq!(user.tenant_id().unwrap().as_str(), "acme");
        assert_eq!(user.actor(), user.key().unwrap().id.to_string());
    }

    #[test]
    fn operators_are_the_token_and_internal_admins() {
        assert!(Principal::Operator.is_operator());
        assert!(!Principal::Anonymous.is_operator());
        assert!(member_of(tenant("ops", Tier::Internal), Role::Admin).is_operator());
        assert!(!member_of(tenant("ops", Tier::Internal), Role::User).is_operator());
        assert!(!member_of(tenant("ops", Tier::Internal), Role::Service).is_operator());
        for tier in [Tier::Demo, Tier::Standard, Tier::Enterprise] {
            assert!(
                !member_of(tenant("t", tier), Role::Admin).is_operator(),
                "{tier:?}"
            );
        }
    }
}
