//! The roles an API key can hold.

use serde::{Deserialize, Serialize};

/// What an API key may do within its tenant (see the permission matrix in `permission.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// `admin`: everything within the tenant, including its keys and audit log.
    Admin,
    /// `user`: a person working with stories, characters and campaigns.
    User,
    /// `service`: an automated client.
    Service,
}

impl Role {
    /// Every role, in documentation order.
    pub const ALL: [Role; 3] = [Self::Admin, Self::User, Self::Service];

    /// The lowercase name, as serialised and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::User => "user",
            Self::Service => "service",
        }
    }

    /// The role with exactly this name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde_and_round_trip() {
        for role in Role::ALL {
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::parse("Admin"), None);
    }
}
