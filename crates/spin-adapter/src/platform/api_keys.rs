//! API key records (the secret's hash is written once and read only to authenticate).

use fabula_domain::auth::{ApiKey, ApiKeyId, DataScope, Role, SecretHash};
use fabula_domain::{Page, Tenant, TenantId, Timestamp};

use super::Platform;
use super::tenants::tenant_from_columns;
use crate::db::{
    Db, DbError, FromRow, Row, column, integer, nullable_text, nullable_timestamp_column,
    tenant_id_column, text, timestamp_column,
};

/// The selected key columns, in the order [`ApiKeyRow`] reads them by name.
macro_rules! key_columns {
    () => {
        "id, tenant_id, name, role, prefix, expires_at, created_at, last_used_at, revoked_at"
    };
}

const INSERT: &str = "INSERT INTO api_keys (id, tenant_id, name, role, prefix, secret_hash, \
     expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
     ON CONFLICT (prefix) DO NOTHING RETURNING id";
// Every id is greater than '' so one statement serves the first and the later pages.
const SELECT_PAGE: &str = concat!(
    "SELECT ",
    key_columns!(),
    " FROM api_keys WHERE id > ? ORDER BY id LIMIT ?"
);
const SELECT_PAGE_OF_TENANT: &str = concat!(
    "SELECT ",
    key_columns!(),
    " FROM api_keys WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?"
);
// A second revocation keeps the first time.
const REVOKE: &str = "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) \
     WHERE id = ? RETURNING tenant_id";
const REVOKE_OF_TENANT: &str = "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) \
     WHERE tenant_id = ? AND id = ? RETURNING tenant_id";
const COUNT: &str = "SELECT COUNT(*) AS n FROM api_keys";
const COUNT_OF_TENANT: &str = "SELECT COUNT(*) AS n FROM api_keys WHERE tenant_id = ?";
const SELECT_BY_PREFIX: &str = "SELECT k.id, k.tenant_id, k.name, k.role, k.prefix, \
     k.secret_hash, k.expires_at, k.created_at, k.last_used_at, k.revoked_at, \
     t.name AS tenant_name, t.tier AS tenant_tier, t.created_at AS tenant_created_at \
     FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.prefix = ?";
const TOUCH: &str = "UPDATE api_keys SET last_used_at = ? \
     WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)";

/// API keys within a [`DataScope`].
pub struct ApiKeys<'p> {
    db: &'p Db,
    scope: DataScope,
}

impl<'p> ApiKeys<'p> {
    pub(super) fn new(db: &'p Db, scope: DataScope) -> Self {
        Self { db, scope }
    }

    /// Stores a newly issued key with its secret's hash. Returns `false` (storing
    /// nothing) when another key already has this prefix: issue another token.
    /// The key's tenant must have passed `DataScope::restrict_to` first.
    pub fn insert(&self, key: &ApiKey, secret_hash: &SecretHash) -> Result<bool, DbError> {
        let result = self.db.execute(
            INSERT,
            &[
                text(key.id.to_string()),
                text(key.tenant_id.as_str()),
                text(key.name.as_str()),
                text(key.role.as_str()),
                text(key.prefix.as_str()),
                text(secret_hash.to_hex()),
                nullable_text(key.expires_at.map(|at| at.to_string())),
                text(key.created_at.to_string()),
            ],
        )?;
        Ok(!result.rows.is_empty())
    }

    /// Up to `page.fetch_limit()` keys in id (= creation) order, after the cursor.
    pub fn list(&self, page: &Page<ApiKeyId>) -> Result<Vec<ApiKey>, DbError> {
        let after = text(page.after.map(|id| id.to_string()).unwrap_or_default());
        let limit = integer(page.fetch_limit().into())?;
        let rows: Vec<ApiKeyRow> = match &self.scope {
            DataScope::All => self.db.query(SELECT_PAGE, &[after, limit])?,
            DataScope::Tenant(own) => self
                .db
                .query(SELECT_PAGE_OF_TENANT, &[text(own.as_str()), after, limit])?,
        };
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Revokes the key at `now` (a revoked key keeps its first revocation time). Returns
    /// the key's tenant, or `None` when the scope holds no such key.
    pub fn revoke(&self, id: ApiKeyId, now: Timestamp) -> Result<Option<TenantId>, DbError> {
        let (at, id) = (text(now.to_string()), text(id.to_string()));
        let result = match &self.scope {
            DataScope::All => self.db.execute(REVOKE, &[at, id])?,
            DataScope::Tenant(own) => self
                .db
                .execute(REVOKE_OF_TENANT, &[at, text(own.as_str()), id])?,
        };
        result
            .rows()
            .next()
            .map(|row| tenant_id_column(&row, "tenant_id"))
            .transpose()
    }

    /// How many keys (revoked ones too) the scope holds.
    pub fn count(&self) -> Result<u64, DbError> {
        super::count(self.db, &self.scope, COUNT, COUNT_OF_TENANT)
    }
}

/// A key found by its prefix: the record, its secret's hash and its tenant.
pub struct KeyRecord {
    /// The key.
    pub key: ApiKey,
    /// The SHA-256 of its secret.
    pub secret_hash: SecretHash,
    /// Its tenant.
    pub tenant: Tenant,
}

impl Platform {
    /// The key with this prefix, whatever its tenant: authentication must find a key
    /// before it knows the tenant. The only read of platform data without a scope.
    pub fn key_by_prefix(&self, prefix: &str) -> Result<Option<KeyRecord>, DbError> {
        self.db().query_optional(SELECT_BY_PREFIX, &[text(prefix)])
    }

    /// Records that key `id` was used at `now`, unless that was already recorded less
    /// than a minute earlier (the condition is in SQL, so racing requests write once).
    pub fn touch_key(&self, id: ApiKeyId, now: Timestamp) -> Result<(), DbError> {
        self.db().execute(
            TOUCH,
            &[
                text(now.to_string()),
                text(id.to_string()),
                text(ApiKey::touch_before(now).to_string()),
            ],
        )?;
        Ok(())
    }
}

impl FromRow for KeyRecord {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        let hash = column::<&str>(row, "secret_hash")?;
        Ok(Self {
            key: ApiKeyRow::from_row(row)?.0,
            secret_hash: SecretHash::from_hex(hash)
                .ok_or_else(|| DbError::column("secret_hash", "not a SHA-256 in hex"))?,
            tenant: tenant_from_columns(
                row,
                [
                    "tenant_id",
                    "tenant_name",
                    "tenant_tier",
                    "tenant_created_at",
                ],
            )?,
        })
    }
}

/// A stored row mapped to an [`ApiKey`].
struct ApiKeyRow(ApiKey);

impl FromRow for ApiKeyRow {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        let id = column::<&str>(row, "id")?;
        let role = column::<&str>(row, "role")?;
        Ok(Self(ApiKey {
            id: ApiKeyId::parse(id).ok_or_else(|| DbError::column("id", "not a UUID"))?,
            tenant_id: tenant_id_column(row, "tenant_id")?,
            name: column::<&str>(row, "name")?.to_owned(),
            role: Role::parse(role).ok_or_else(|| DbError::column("role", "unknown role"))?,
            prefix: column::<&str>(row, "prefix")?.to_owned(),
            expires_at: nullable_timestamp_column(row, "expires_at")?,
            created_at: timestamp_column(row, "created_at")?,
            last_used_at: nullable_timestamp_column(row, "last_used_at")?,
            revoked_at: nullable_timestamp_column(row, "revoked_at")?,
        }))
    }
}
