//! Tenant records.

use fabula_domain::auth::DataScope;
use fabula_domain::{Page, Tenant, TenantId, Tier};

use crate::db::{
    Db, DbError, FromRow, Row, column, integer, tenant_id_column, text, timestamp_column,
};

const INSERT: &str = "INSERT INTO tenants (id, name, tier, created_at) VALUES (?, ?, ?, ?)";
const SELECT_ONE: &str = "SELECT id, name, tier, created_at FROM tenants WHERE id = ?";
// Every id is greater than '' so one statement serves the first and the later pages.
const SELECT_PAGE: &str =
    "SELECT id, name, tier, created_at FROM tenants WHERE id > ? ORDER BY id LIMIT ?";
const SELECT_PAGE_OF_TENANT: &str = "SELECT id, name, tier, created_at FROM tenants \
     WHERE id = ? AND id > ? ORDER BY id LIMIT ?";
const COUNT: &str = "SELECT COUNT(*) AS n FROM tenants";
const COUNT_OF_TENANT: &str = "SELECT COUNT(*) AS n FROM tenants WHERE id = ?";

/// Tenants within a [`DataScope`]: all of them for operators, otherwise only the own.
pub struct Tenants<'p> {
    db: &'p Db,
    scope: DataScope,
}

impl<'p> Tenants<'p> {
    pub(super) fn new(db: &'p Db, scope: DataScope) -> Self {
        Self { db, scope }
    }

    /// Stores a new tenant. Creating tenants is authorized for operators only
    /// (`platform_scope(.., Tenants, Create)`), whose scope is every tenant.
    pub fn insert(&self, tenant: &Tenant) -> Result<(), DbError> {
        self.db.execute(
            INSERT,
            &[
                text(tenant.id.as_str()),
                text(tenant.name.as_str()),
                text(tenant.tier.as_str()),
                text(tenant.created_at.to_string()),
            ],
        )?;
        Ok(())
    }

    /// The tenant with this id, if it exists within the scope.
    pub fn get(&self, id: &TenantId) -> Result<Option<Tenant>, DbError> {
        if self.scope.restrict_to(id.clone()).is_err() {
            return Ok(None);
        }
        let row: Option<TenantRow> = self.db.query_optional(SELECT_ONE, &[text(id.as_str())])?;
        Ok(row.map(|r| r.0))
    }

    /// Up to `page.fetch_limit()` tenants in id (= creation) order, after the cursor.
    pub fn list(&self, page: &Page<TenantId>) -> Result<Vec<Tenant>, DbError> {
        let after = text(page.after.as_ref().map_or("", TenantId::as_str));
        let limit = integer(page.fetch_limit().into())?;
        let rows: Vec<TenantRow> = match &self.scope {
            DataScope::All => self.db.query(SELECT_PAGE, &[after, limit])?,
            DataScope::Tenant(own) => self
                .db
                .query(SELECT_PAGE_OF_TENANT, &[text(own.as_str()), after, limit])?,
        };
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// How many tenants the scope holds.
    pub fn count(&self) -> Result<u64, DbError> {
        super::count(self.db, &self.scope, COUNT, COUNT_OF_TENANT)
    }
}

/// A stored row mapped to a [`Tenant`].
struct TenantRow(Tenant);

impl FromRow for TenantRow {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        tenant_from_columns(row, ["id", "name", "tier", "created_at"]).map(Self)
    }
}

/// A [`Tenant`] from the named id, name, tier and created-at columns (joins alias them).
pub(super) fn tenant_from_columns(row: &Row<'_>, names: [&str; 4]) -> Result<Tenant, DbError> {
    let [id, name, tier, created_at] = names;
    Ok(Tenant {
        id: tenant_id_column(row, id)?,
        name: column::<&str>(row, name)?.to_owned(),
        tier: Tier::parse(column(row, tier)?)
            .ok_or_else(|| DbError::column(tier, "unknown tier"))?,
        created_at: timestamp_column(row, created_at)?,
    })
}
