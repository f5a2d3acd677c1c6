//! Audit log entries: appended after every successful write, purged after retention.

use fabula_domain::Page;
use fabula_domain::audit::{AuditEntry, AuditEntryId, Retention};
use fabula_domain::auth::DataScope;

use super::Platform;
use crate::db::{
    Db, DbError, FromRow, Row, column, integer, nullable_tenant_id_column, nullable_text, text,
    timestamp_column,
};

/// Most entries one append purges, so a long-disabled purge never stalls a request.
const PURGE_BATCH: u64 = 500;
/// Greater than every id: the bound of the first page (the log is read newest first).
const ABOVE_EVERY_ID: &str = "~";

/// The selected columns, in the order [`AuditRow`] reads them by name.
macro_rules! audit_columns {
    () => {
        "id, time, tenant_id, actor, role, action, resource, resource_id, request_id"
    };
}

const INSERT: &str = concat!(
    "INSERT INTO audit_log (",
    audit_columns!(),
    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
);
const PURGE: &str = "DELETE FROM audit_log WHERE rowid IN \
     (SELECT rowid FROM audit_log WHERE time < ? LIMIT ?)";
const SELECT_PAGE: &str = concat!(
    "SELECT ",
    audit_columns!(),
    " FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?"
);
const SELECT_PAGE_OF_TENANT: &str = concat!(
    "SELECT ",
    audit_columns!(),
    " FROM audit_log WHERE tenant_id = ? AND id < ? ORDER BY id DESC LIMIT ?"
);
const COUNT: &str = "SELECT COUNT(*) AS n FROM audit_log";
const COUNT_OF_TENANT: &str = "SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = ?";

/// Audit entries within a [`DataScope`].
pub struct AuditLog<'p> {
    db: &'p Db,
    scope: DataScope,
}

impl<'p> AuditLog<'p> {
    pub(super) fn new(db: &'p Db, scope: DataScope) -> Self {
        Self { db, scope }
    }

    /// Up to `page.fetch_limit()` entries, newest first, older than the cursor.
    pub fn list(&self, page: &Page<AuditEntryId>) -> Result<Vec<AuditEntry>, DbError> {
        let before = text(
            page.after
                .map_or_else(|| ABOVE_EVERY_ID.to_owned(), |id| id.to_string()),
        );
        let limit = integer(page.fetch_limit().into())?;
        let rows: Vec<AuditRow> = match &self.scope {
            DataScope::All => self.db.query(SELECT_PAGE, &[before, limit])?,
            DataScope::Tenant(own) => self
                .db
                .query(SELECT_PAGE_OF_TENANT, &[text(own.as_str()), before, limit])?,
        };
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// How many entries the scope holds.
    pub fn count(&self) -> Result<u64, DbError> {
        super::count(self.db, &self.scope, COUNT, COUNT_OF_TENANT)
    }
}

impl Platform {
    /// Appends `entry` (to its own tenant's log), then purges up to a batch of entries
    /// older than `retention` allows.
    pub fn append_audit(&self, entry: &AuditEntry, retention: Retention) -> Result<(), DbError> {
        self.db().execute(
            INSERT,
            &[
                text(entry.id.to_string()),
                text(entry.time.to_string()),
                nullable_text(entry.tenant_id.as_ref().map(|t| t.as_str())),
                text(entry.actor.as_str()),
                text(entry.role.as_str()),
                text(entry.action.as_str()),
                text(entry.resource.as_str()),
                text(entry.resource_id.as_str()),
                text(entry.request_id.as_str()),
            ],
        )?;
        self.db().execute(
            PURGE,
            &[
                text(retention.cutoff(entry.time).to_string()),
                integer(PURGE_BATCH)?,
            ],
        )?;
        Ok(())
    }
}

/// A stored row mapped to an [`AuditEntry`].
struct AuditRow(AuditEntry);

impl FromRow for AuditRow {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        let id = column::<&str>(row, "id")?;
        let owned = |name: &str| column::<&str>(row, name).map(str::to_owned);
        Ok(Self(AuditEntry {
            id: AuditEntryId::parse(id).ok_or_else(|| DbError::column("id", "not a UUID"))?,
            time: timestamp_column(row, "time")?,
            tenant_id: nullable_tenant_id_column(row, "tenant_id")?,
            actor: owned("actor")?,
            role: owned("role")?,
            action: owned("action")?,
            resource: owned("resource")?,
            resource_id: owned("resource_id")?,
            request_id: owned("request_id")?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_page_bound_is_above_every_id() {
        let max = "ffffffff-ffff-ffff-ffff-ffffffffffff";
        assert!(max < ABOVE_EVERY_ID);
        assert!(AuditEntryId::generate().to_string().as_str() < ABOVE_EVERY_ID);
    }
}
