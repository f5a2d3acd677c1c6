//! Stored API keys (never their secrets), the input that issues one, and the checks a
//! presented key must pass.

use serde::{Deserialize, Serialize};

use super::credentials::AuthError;
use super::role::Role;
use super::token::ApiKeyToken;
use crate::ids::time_ordered_id;
use crate::tenant::TenantId;
use crate::time::Timestamp;
use crate::validation::{FieldCode, ValidationError, Violations};

/// Longest key name, in characters (after trimming).
const NAME_MAX_CHARS: usize = 100;
/// `last_used_at` is written at most this often per key, so requests are not all writes.
const TOUCH_INTERVAL_MS: i64 = 60_000;

time_ordered_id!(
    /// An API key's id (UUID v7).
    ApiKeyId,
    InvalidApiKeyId,
    "an API key id"
);

/// An API key as stored and listed: everything but the secret and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    /// Time-ordered id.
    pub id: ApiKeyId,
    /// The tenant the key acts for.
    pub tenant_id: TenantId,
    /// Trimmed display name, 1..=100 characters.
    pub name: String,
    /// What the key may do.
    pub role: Role,
    /// The public 8-character prefix of the token (`fab_<prefix>_…`).
    pub prefix: String,
    /// When the key stops working, if ever.
    pub expires_at: Option<Timestamp>,
    /// When the key was issued.
    pub created_at: Timestamp,
    /// When the key was last used (kept to the minute).
    pub last_used_at: Option<Timestamp>,
    /// When the key was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

impl ApiKey {
    /// A new key record for `token`, issued at `now`.
    pub fn issue(draft: ApiKeyDraft, token: &ApiKeyToken, now: Timestamp) -> Self {
        Self {
            id: ApiKeyId::generate(),
            tenant_id: draft.tenant_id,
            name: draft.name,
            role: draft.role,
            prefix: token.prefix().to_owned(),
            expires_at: draft.expires_at,
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        }
    }

    /// Whether the key may be used at `now`: not revoked, not expired.
    pub fn check_usable(&self, now: Timestamp) -> Result<(), AuthError> {
        if self.revoked_at.is_some() {
            Err(AuthError::Revoked)
        } else if self.expires_at.is_some_and(|at| at <= now) {
            Err(AuthError::Expired)
        } else {
            Ok(())
        }
    }

    /// Whether `last_used_at` is stale enough at `now` to be written again.
    pub fn needs_touch(&self, now: Timestamp) -> bool {
        self.last_used_at
            .is_none_or(|at| at <= Self::touch_before(now))
    }

    /// A touch at `now` rewrites `last_used_at` values at or before this instant.
    pub fn touch_before(now: Timestamp) -> Timestamp {
        now.plus_millis(-TOUCH_INTERVAL_MS)
    }
}

/// Body of `POST /api/v1/api-keys`.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// Required name.
    pub name: Option<String>,
    /// Required role name.
    pub role: Option<String>,
    /// The tenant; required for the operator token, defaults to the caller's own.
    pub tenant_id: Option<String>,
    /// Optional RFC 3339 expiry, in the future.
    pub expires_at: Option<String>,
}

/// A validated [`NewApiKey`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyDraft {
    /// Trimmed name.
    pub name: String,
    /// The role.
    pub role: Role,
    /// The requested tenant, or the caller's own when none was given.
    pub tenant_id: TenantId,
    /// The expiry, if any (after `now`).
    pub expires_at: Option<Timestamp>,
}

impl NewApiKey {
    /// Checks every field at `now`; `own_tenant` (the caller's tenant) is used when the
    /// body names none, and a caller without a tenant must name one.
    pub fn validate(
        self,
        now: Timestamp,
        own_tenant: Option<&TenantId>,
    ) -> Result<ApiKeyDraft, ValidationError> {
        let mut v = Violations::new();
        let name = v
            .required("name", self.name)
            .and_then(|n| v.text("name", n, NAME_MAX_CHARS));
        let role = v
            .required("role", self.role)
            .and_then(|r| check_role(&mut v, &r));
        let tenant_id = match (self.tenant_id, own_tenant) {
            (Some(text), _) => {
                let id = TenantId::parse(&text).ok();
                if id.is_none() {
                    v.push("tenant_id", FieldCode::InvalidValue, "is not a tenant id");
                }
                id
            }
            (None, Some(own)) => Some(own.clone()),
            (None, None) => {
                v.push(
                    "tenant_id",
                    FieldCode::Required,
                    "is required: the operator token has no tenant of its own",
                );
                None
            }
        };
        let expires_at = match self.expires_at {
            None => Some(None),
            Some(text) => check_expiry(&mut v, &text, now).map(Some),
        };
        let draft = match (name, role, tenant_id, expires_at) {
            (Some(name), Some(role), Some(tenant_id), Some(expires_at)) => Some(ApiKeyDraft {
                name,
                role,
                tenant_id,
                expires_at,
            }),
            _ => None,
        };
        v.finish(draft)
    }
}

fn check_role(v: &mut Violations, name: &str) -> Option<Role> {
    let role = Role::parse(name);
    if role.is_none() {
        let allowed: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
        v.push(
            "role",
            FieldCode::InvalidValue,
            format!("must be one of: {}", allowed.join(", ")),
        );
    }
    role
}

fn check_expiry(v: &mut Violations, text: &str, now: Timestamp) -> Option<Timestamp> {
    match Timestamp::parse(text) {
        Ok(at) if at > now => Some(at),
        Ok(_) => {
            v.push(
                "expires_at",
                FieldCode::InvalidValue,
                "must be in the future",
            );
            None
        }
        Err(_) => {
            v.push(
                "expires_at",
                FieldCode::InvalidValue,
                "must be an RFC 3339 timestamp, e.g. 2030-01-31T12:00:00Z",
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json_body::from_json_object;

    fn now() -> Timestamp {
        Timestamp::parse("2025-06-01T12:00:00Z").unwrap()
    }

    fn tenant() -> TenantId {
        TenantId::parse("acme").unwrap()
    }

    fn validate(json: &str, own: Option<&TenantId>) -> Result<ApiKeyDraft, ValidationError> {
        from_json_object::<NewApiKey>(json.as_bytes())
            .unwrap()
            .validate(now(), own)
    }

    fn fields(err: &ValidationError) -> Vec<(&str, FieldCode)> {
        err.fields
            .iter()
            .map(|f| (f.field.as_str(), f.code))
            .collect()
    }

    fn key(draft: ApiKeyDraft) -> ApiKey {
        ApiKey::issue(draft, &ApiKeyToken::generate().unwrap(), now())
    }

    #[test]
    fn tenant_defaults_to_the_callers_own() {
        let own = tenant();
        let draft = validate(r#"{"name": " ci ", "role": "service"}"#, Some(&own)).unwrap();
        assert_eq!(
            (
                draft.name.as_str(),
                draft.role,
                &draft.tenant_id,
                draft.expires_at
            ),
            ("ci", Role::Service, &own, None)
        );
        let named = validate(
            r#"{"name": "x", "role": "user", "tenant_id": "other"}"#,
            Some(&own),
        );
        assert_eq!(named.unwrap().tenant_id.as_str(), "other");
    }

    #[test]
    fn a_caller_without_tenant_must_name_one() {
        let err = validate(r#"{"name": "x", "role": "user"}"#, None).unwrap_err();
        assert_eq!(fields(&err), [("tenant_id", FieldCode::Required)]);
        let ok = validate(
            r#"{"name": "x", "role": "user", "tenant_id": "acme"}"#,
            None,
        );
        assert_eq!(ok.unwrap().tenant_id, tenant());
    }

    #[test]
    fn every_problem_is_reported() {
        let err = validate(
            r#"{"name": "", "role": "root", "tenant_id": "Not Valid", "expires_at": "soon"}"#,
            None,
        )
        .unwrap_err();
        assert_eq!(
            fields(&err),
            [
                ("name", FieldCode::TooShort),
                ("role", FieldCode::InvalidValue),
                ("tenant_id", FieldCode::InvalidValue),
                ("expires_at", FieldCode::InvalidValue),
            ]
        );
    }

    #[test]
    fn expiry_must_be_in_the_future() {
        let own = tenant();
        for past in ["2025-06-01T12:00:00Z", "2001-01-01T00:00:00Z"] {
            let body = format!(r#"{{"name": "x", "role": "user", "expires_at": "{past}"}}"#);
            let err = validate(&body, Some(&own)).unwrap_err();
            assert_eq!(fields(&err), [("expires_at", FieldCode::InvalidValue)]);
        }
        let body = r#"{"name": "x", "role": "user", "expires_at": "2025-06-01T14:00:00+02:00"}"#;
        assert!(
            validate(body, Some(&own)).is_err(),
            "the same instant in another offset"
        );
        let body = r#"{"name": "x", "role": "user", "expires_at": "2025-06-01T12:00:01Z"}"#;
        assert!(validate(body, Some(&own)).unwrap().expires_at.is_some());
        let body = r#"{"name": "x", "role": "user", "expires_at": null}"#;
        assert_eq!(validate(body, Some(&own)).unwrap().expires_at, None);
    }

    #[test]
    fn unknown_fields_are_rejected() {
        assert!(from_json_object::<NewApiKey>(br#"{"name": "x", "hash": "y"}"#).is_err());
    }

    #[test]
    fn revoked_and_expired_keys_are_refused_revocation_first() {
        let own = tenant();
        let body = r#"{"name": "x", "role": "user", "expires_at": "2025-06-01T13:00:00Z"}"#;
        let mut key = key(validate(body, Some(&own)).unwrap());
        let before_expiry = Timestamp::parse("2025-06-01T12:59:59.999Z").unwrap();
        let at_expiry = Timestamp::parse("2025-06-01T13:00:00Z").unwrap();
        assert_eq!(key.check_usable(before_expiry), Ok(()));
        assert_eq!(key.check_usable(at_expiry), Err(AuthError::Expired));
        key.revoked_at = Some(now());
        assert_eq!(key.check_usable(before_expiry), Err(AuthError::Revoked));
        assert_eq!(key.check_usable(at_expiry), Err(AuthError::Revoked));
    }

    #[test]
    fn last_used_is_touched_at_most_once_a_minute() {
        let own = tenant();
        let mut key = key(validate(r#"{"name": "x", "role": "user"}"#, Some(&own)).unwrap());
        assert!(key.needs_touch(now()), "never used");
        key.last_used_at = Some(now());
        assert!(!key.needs_touch(now().plus_millis(59_999)));
        assert!(key.needs_touch(now().plus_millis(60_000)));
        assert_eq!(ApiKey::touch_before(now()), now().plus_millis(-60_000));
    }

    #[test]
    fn listing_shape_has_no_secret() {
        let own = tenant();
        let key = key(validate(r#"{"name": "x", "role": "admin"}"#, Some(&own)).unwrap());
        let json = serde_json::to_value(&key).unwrap();
        let mut names: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        names.sort();
        assert_eq!(
            names,
            [
                "created_at",
                "expires_at",
                "id",
                "last_used_at",
                "name",
                "prefix",
                "revoked_at",
                "role",
                "tenant_id"
            ]
        );
    }
}
