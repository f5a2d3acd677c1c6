//! The platform's own tables in SQLite `default` (migration scope `platform`): tenants,
//! API keys, the audit log and idempotency records.
//!
//! Every API component opens them through [`Platform::open`], which brings the schema up
//! to date (one `SELECT` when current), so whichever component serves first creates them.
//! Every repository is bound to a [`DataScope`] (or, for idempotency, a caller scope)
//! when it is made, and each statement filters on it.

mod api_keys;
mod audit;
mod idempotency;
mod tenants;

pub use api_keys::{ApiKeys, KeyRecord};
pub use audit::AuditLog;
pub use idempotency::{Claim, IdempotencyStore, StoredResponse};
pub use tenants::Tenants;

use fabula_domain::auth::DataScope;

use crate::db::{Db, DbError, FromRow, Migration, Row, column, text};

/// Migration scope of the platform tables in `schema_migrations`.
const SCOPE: &str = "platform";

/// The platform schema, oldest first.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    statements: &[
        "CREATE TABLE IF NOT EXISTS tenants (\
            id TEXT NOT NULL PRIMARY KEY, \
            name TEXT NOT NULL, \
            tier TEXT NOT NULL, \
            created_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS api_keys (\
            id TEXT NOT NULL PRIMARY KEY, \
            tenant_id TEXT NOT NULL REFERENCES tenants (id), \
            name TEXT NOT NULL, \
            role TEXT NOT NULL, \
            prefix TEXT NOT NULL UNIQUE, \
            secret_hash TEXT NOT NULL, \
            expires_at TEXT, \
            created_at TEXT NOT NULL, \
            last_used_at TEXT, \
            revoked_at TEXT)",
        "CREATE INDEX IF NOT EXISTS api_keys_by_tenant ON api_keys (tenant_id, id)",
        "CREATE TABLE IF NOT EXISTS audit_log (\
            id TEXT NOT NULL PRIMARY KEY, \
            time TEXT NOT NULL, \
            tenant_id TEXT, \
            actor TEXT NOT NULL, \
            role TEXT NOT NULL, \
            action TEXT NOT NULL, \
            resource TEXT NOT NULL, \
            resource_id TEXT NOT NULL, \
            request_id TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS audit_log_by_tenant ON audit_log (tenant_id, id)",
        "CREATE INDEX IF NOT EXISTS audit_log_by_time ON audit_log (time)",
        "CREATE TABLE IF NOT EXISTS idempotency (\
            scope TEXT NOT NULL, \
            key TEXT NOT NULL, \
            fingerprint TEXT NOT NULL, \
            created_ms INTEGER NOT NULL, \
            status INTEGER, \
            headers TEXT, \
            body BLOB, \
            PRIMARY KEY (scope, key))",
        "CREATE INDEX IF NOT EXISTS idempotency_by_age ON idempotency (created_ms)",
    ],
}];

/// The platform tables, migrated.
pub struct Platform {
    db: Db,
}

impl Platform {
    /// Opens SQLite `default` and brings the platform schema up to date.
    pub fn open() -> Result<Self, DbError> {
        let db = Db::open_default()?;
        db.migrate(SCOPE, MIGRATIONS)?;
        Ok(Self { db })
    }

    /// The database, for queries that span components (e.g. metrics).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Tenants within `scope`.
    pub fn tenants(&self, scope: DataScope) -> Tenants<'_> {
        Tenants::new(&self.db, scope)
    }

    /// API keys within `scope`.
    pub fn api_keys(&self, scope: DataScope) -> ApiKeys<'_> {
        ApiKeys::new(&self.db, scope)
    }

    /// Audit entries within `scope`.
    pub fn audit_log(&self, scope: DataScope) -> AuditLog<'_> {
        AuditLog::new(&self.db, scope)
    }

    /// Idempotency records of one caller scope (see `fabula_domain::idempotency::scope`).
    pub fn idempotency(&self, caller: String) -> IdempotencyStore<'_> {
        IdempotencyStore::new(&self.db, caller)
    }
}

/// The single `n` column of a `SELECT COUNT(*) AS n`.
pub struct Count(pub u64);

impl FromRow for Count {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        Ok(Self(column(row, "n")?))
    }
}

/// Runs a count in its two scoped forms: `all`, or `tenant` with the tenant id bound.
fn count(db: &Db, scope: &DataScope, all: &str, tenant: &str) -> Result<u64, DbError> {
    let counted = match scope {
        DataScope::All => db.query_optional::<Count>(all, &[])?,
        DataScope::Tenant(id) => db.query_optional::<Count>(tenant, &[text(id.as_str())])?,
    };
    Ok(counted.map_or(0, |c| c.0))
}
