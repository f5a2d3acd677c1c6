//! The audit log: one entry per successful write (who, tenant, action, resource, request
//! id, time), kept for a configurable number of days.

use serde::Serialize;

use crate::auth::{Principal, Resource};
use crate::ids::time_ordered_id;
use crate::tenant::TenantId;
use crate::time::Timestamp;

/// Retention when `audit_retention_days` is blank: 90 days.
const DEFAULT_RETENTION_DAYS: u32 = 90;
/// Longest accepted retention: 100 years.
const MAX_RETENTION_DAYS: u32 = 36_500;
/// Milliseconds per day.
const DAY_MS: i64 = 86_400_000;

time_ordered_id!(
    /// An audit entry's id (UUID v7): entries sort by time.
    AuditEntryId,
    InvalidAuditEntryId,
    "an audit entry id"
);

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    /// A record was created.
    Create,
    /// A record was changed.
    Update,
    /// A record was deleted.
    Delete,
    /// An API key was revoked.
    Revoke,
}

impl AuditAction {
    /// The lowercase name, as stored and served.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Revoke => "revoke",
        }
    }
}

/// What a handler reports about a successful write, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// What was done.
    pub action: AuditAction,
    /// To what kind of resource.
    pub resource: Resource,
    /// The record's id.
    pub resource_id: String,
    /// The tenant whose data changed (`None`: none, e.g. platform-wide).
    pub tenant_id: Option<TenantId>,
}

/// One audit log entry, as stored and served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Time-ordered id.
    pub id: AuditEntryId,
    /// When the write happened.
    pub time: Timestamp,
    /// The tenant whose data changed.
    pub tenant_id: Option<TenantId>,
    /// Who acted: an API key id, `operator` or `anonymous`.
    pub actor: String,
    /// The actor's role: `admin`, `user`, `service` or `anonymous`.
    pub role: String,
    /// `create`, `update`, `delete` or `revoke`.
    pub action: String,
    /// The resource kind (`stories`, `tenants`, `api_keys`, ...).
    pub resource: String,
    /// The record's id.
    pub resource_id: String,
    /// The request that did it (`x-request-id`).
    pub request_id: String,
}

impl AuditEntry {
    /// The entry for `event`, done by `principal` in request `request_id` at `time`.
    pub fn record(
        event: AuditEvent,
        principal: &Principal,
        request_id: &str,
        time: Timestamp,
    ) -> Self {
        Self {
            id: AuditEntryId::generate(),
            time,
            tenant_id: event.tenant_id,
            actor: principal.actor(),
            role: principal.role_name().to_owned(),
            action: event.action.as_str().to_owned(),
            resource: event.resource.as_str().to_owned(),
            resource_id: event.resource_id,
            request_id: request_id.to_owned(),
        }
    }
}

/// How long audit entries are kept (the `audit_retention_days` variable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    days: u32,
}

/// An `audit_retention_days` value that is not a whole number of days in range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid audit_retention_days {0:?}: must be a whole number of days from 1 to {MAX_RETENTION_DAYS}"
)]
pub struct InvalidRetention(String);

impl Default for Retention {
    fn default() -> Self {
        Self {
            days: DEFAULT_RETENTION_DAYS,
        }
    }
}

impl Retention {
    /// Parses the variable; blank means the default (90 days).
    pub fn parse(text: &str) -> Result<Self, InvalidRetention> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Self::default());
        }
        text.parse::<u32>()
            .ok()
            .filter(|days| (1..=MAX_RETENTION_DAYS).contains(days))
            .map(|days| Self { days })
            .ok_or_else(|| InvalidRetention(text.to_owned()))
    }

    /// Entries older than this, at `now`, are purged.
    pub fn cutoff(&self, now: Timestamp) -> Timestamp {
        now.plus_millis(-i64::from(self.days) * DAY_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use crate::auth::fixtures::member;

    #[test]
    fn entries_name_actor_role_and_tenant() {
        let principal = member("acme", Role::User);
        let at = Timestamp::parse("2025-01-01T00:00:00Z").unwrap();
        let event = AuditEvent {
            action: AuditAction::Create,
            resource: Resource::Stories,
            resource_id: "s1".into(),
            tenant_id: principal.tenant_id().cloned(),
        };
        let entry = AuditEntry::record(event, &principal, "req-1", at);
        let json = serde_json::to_value(&entry).unwrap();
        assert_eq!(json["actor"], principal.key().unwrap().id.to_string());
        assert_eq!(json["role"], "user");
        assert_eq!(json["tenant_id"], "acme");
        assert_eq!(json["action"], "create");
        assert_eq!(json["resource"], "stories");
        assert_eq!(json["resource_id"], "s1");
        assert_eq!(json["request_id"], "req-1");
        assert_eq!(json["time"], "2025-01-01T00:00:00.000Z");
        assert_eq!(json.as_object().unwrap().len(), 9);

        let by_operator = AuditEntry::record(
            AuditEvent {
                action: AuditAction::Revoke,
                resource: Resource::ApiKeys,
                resource_id: "k1".into(),
                tenant_id: None,
            },
            &Principal::Operator,
            "req-2",
            at,
        );
        assert_eq!(
            (
                by_operator.actor.as_str(),
                by_operator.role.as_str(),
                by_operator.action.as_str()
            ),
            ("operator", "admin", "revoke")
        );
        assert_eq!(by_operator.resource, "api_keys");
    }

    #[test]
    fn retention_defaults_to_90_days() {
        let now = Timestamp::parse("2025-04-01T00:00:00Z").unwrap();
        assert_eq!(Retention::parse("").unwrap(), Retention::default());
        assert_eq!(
            Retention::default().cutoff(now).to_string(),
            "2025-01-01T00:00:00.000Z"
        );
        assert_eq!(
            Retention::parse(" 1 ").unwrap().cutoff(now).to_string(),
            "2025-03-31T00:00:00.000Z"
        );
        for bad in ["0", "-1", "1.5", "ninety", "36501"] {
            assert!(Retention::parse(bad).is_err(), "{bad}");
        }
    }
}
