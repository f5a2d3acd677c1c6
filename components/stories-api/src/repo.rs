//! Story storage in SQLite `default` (migration scope `stories`), scoped by a [`Viewer`].
//!
//! The repository is bound to one viewer when opened and every statement filters on it:
//! a tenant's key reads its own stories and other tenants' public ones, an anonymous
//! caller only public ones, and writes only ever match rows of the viewer's own tenant
//! (an anonymous viewer's tenant is `NULL`, which matches no row).

use fabula_domain::auth::{Ownership, Viewer};
use fabula_domain::pipeline::QualityPolicy;
use fabula_domain::story::{quality_from_column, quality_to_column};
use fabula_domain::{Genre, Page, Story, StoryId, TenantId};
use fabula_spin::db::{
    Db, DbError, FromRow, Migration, Row, Value, column, integer, nullable_column, nullable_text,
    tenant_id_column, text, timestamp_column,
};

/// Migration scope of this component in `schema_migrations`.
const SCOPE: &str = "stories";

/// The stories schema, oldest first.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        statements: &["CREATE TABLE IF NOT EXISTS stories (\
            tenant_id TEXT NOT NULL, \
            id TEXT NOT NULL, \
            title TEXT NOT NULL, \
            premise TEXT NOT NULL, \
            genre TEXT NOT NULL, \
            target_words INTEGER NOT NULL, \
            chapter_count INTEGER NOT NULL, \
            version INTEGER NOT NULL, \
            created_at TEXT NOT NULL, \
            updated_at TEXT NOT NULL, \
            PRIMARY KEY (tenant_id, id))"],
    },
    Migration {
        version: 2,
        statements: &[
            "ALTER TABLE stories ADD COLUMN public INTEGER NOT NULL DEFAULT 0",
            "CREATE INDEX IF NOT EXISTS stories_by_id ON stories (id)",
            "CREATE INDEX IF NOT EXISTS stories_public ON stories (public, id)",
        ],
    },
    Migration {
        version: 3,
        // The story's quality gate policy as JSON; NULL (rows from before) = the default.
        statements: &["ALTER TABLE stories ADD COLUMN quality TEXT"],
    },
];

/// The selected columns, in the order [`StoryRow`] reads them by name.
macro_rules! story_columns {
    () => {
        "tenant_id, id, title, premise, genre, target_words, chapter_count, public, quality, \
         version, created_at, updated_at"
    };
}

const INSERT: &str = "INSERT INTO stories (tenant_id, id, title, premise, genre, target_words, \
     chapter_count, public, quality, version, created_at, updated_at) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const SELECT_VISIBLE_TO_MEMBER: &str = concat!(
    "SELECT ",
    story_columns!(),
    " FROM stories WHERE id = ? AND (tenant_id = ? OR public = 1)"
);
const SELECT_PUBLIC: &str = concat!(
    "SELECT ",
    story_columns!(),
    " FROM stories WHERE id = ? AND public = 1"
);
// Every id is greater than '' so one statement serves the first and the later pages.
const SELECT_PAGE_OF_TENANT: &str = concat!(
    "SELECT ",
    story_columns!(),
    " FROM stories WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?"
);
const SELECT_PAGE_PUBLIC: &str = concat!(
    "SELECT ",
    story_columns!(),
    " FROM stories WHERE public = 1 AND id > ? ORDER BY id LIMIT ?"
);
const UPDATE: &str = "UPDATE stories SET title = ?, premise = ?, genre = ?, target_words = ?, \
     chapter_count = ?, public = ?, quality = ?, version = ?, updated_at = ? \
     WHERE tenant_id = ? AND id = ? AND version = ? RETURNING version";
const DELETE: &str = "DELETE FROM stories WHERE tenant_id = ? AND id = ? RETURNING id";
const DELETE_AT_VERSION: &str =
    "DELETE FROM stories WHERE tenant_id = ? AND id = ? AND version = ? RETURNING id";

/// A story with the tenant that owns it.
#[derive(Debug, Clone)]
pub struct StoredStory {
    /// The owner.
    pub tenant_id: TenantId,
    /// The story.
    pub story: Story,
}

impl StoredStory {
    /// Who owns it and whether it is public, for [`Viewer::check`].
    pub fn ownership(&self) -> Ownership<'_> {
        Ownership {
            tenant: &self.tenant_id,
            public: self.story.public,
        }
    }
}

/// Stories as one viewer sees them.
pub struct StoryRepository {
    db: Db,
    viewer: Viewer,
}

impl StoryRepository {
    /// Opens SQLite `default`, brings the schema up to date and binds the viewer.
    pub fn open(viewer: Viewer) -> Result<Self, DbError> {
        let db = Db::open_default()?;
        db.migrate(SCOPE, MIGRATIONS)?;
        Ok(Self { db, viewer })
    }

    /// Stores a new story of the viewer's tenant.
    pub fn insert(&self, story: &Story) -> Result<(), DbError> {
        self.db.execute(
            INSERT,
            &[
                self.own_tenant(),
                text(story.id.to_string()),
                text(story.title.as_str()),
                text(story.premise.as_str()),
                text(story.genre.as_str()),
                integer(story.target_words.into())?,
                integer(story.chapter_count.into())?,
                Value::Integer(story.public.into()),
                quality_param(&story.quality)?,
                integer(story.version)?,
                text(story.created_at.to_string()),
                text(story.updated_at.to_string()),
            ],
        )?;
        Ok(())
    }

    /// The story with this id, if the viewer can see it (own, or public).
    pub fn get(&self, id: StoryId) -> Result<Option<StoredStory>, DbError> {
        let id = text(id.to_string());
        let row: Option<StoryRow> = match &self.viewer {
            Viewer::Member(tenant) => self
                .db
                .query_optional(SELECT_VISIBLE_TO_MEMBER, &[id, text(tenant.as_str())])?,
            Viewer::Public => self.db.query_optional(SELECT_PUBLIC, &[id])?,
        };
        Ok(row.map(|r| r.0))
    }

    /// Up to `page.fetch_limit()` stories in id (= creation) order, after the cursor: a
    /// tenant's own stories, or every tenant's public ones for an anonymous viewer.
    pub fn list(&self, page: &Page<StoryId>) -> Result<Vec<Story>, DbError> {
        let after = text(page.after.map(|id| id.to_string()).unwrap_or_default());
        let limit = integer(page.fetch_limit().into())?;
        let rows: Vec<StoryRow> = match &self.viewer {
            Viewer::Member(tenant) => self.db.query(
                SELECT_PAGE_OF_TENANT,
                &[text(tenant.as_str()), after, limit],
            )?,
            Viewer::Public => self.db.query(SELECT_PAGE_PUBLIC, &[after, limit])?,
        };
        Ok(rows.into_iter().map(|r| r.0.story).collect())
    }

    /// Replaces the viewer's stored story with `story` if it is still at
    /// `expected_version`. Returns whether it was (false: changed or deleted meanwhile).
    pub fn update(&self, story: &Story, expected_version: u64) -> Result<bool, DbError> {
        let result = self.db.execute(
            UPDATE,
            &[
                text(story.title.as_str()),
                text(story.premise.as_str()),
                text(story.genre.as_str()),
                integer(story.target_words.into())?,
                integer(story.chapter_count.into())?,
                Value::Integer(story.public.into()),
                quality_param(&story.quality)?,
                integer(story.version)?,
                text(story.updated_at.to_string()),
                self.own_tenant(),
                text(story.id.to_string()),
                integer(expected_version)?,
            ],
        )?;
        Ok(!result.rows.is_empty())
    }

    /// Deletes the viewer's story (only if at `expected_version`, when given). Returns
    /// whether a row was deleted.
    pub fn delete(&self, id: StoryId, expected_version: Option<u64>) -> Result<bool, DbError> {
        let result = match expected_version {
            None => self
                .db
                .execute(DELETE, &[self.own_tenant(), text(id.to_string())])?,
            Some(version) => self.db.execute(
                DELETE_AT_VERSION,
                &[self.own_tenant(), text(id.to_string()), integer(version)?],
            )?,
        };
        Ok(!result.rows.is_empty())
    }

    /// The tenant whose rows writes may touch; `NULL` (no row) for an anonymous viewer.
    fn own_tenant(&self) -> Value {
        nullable_text(self.viewer.tenant().map(TenantId::as_str))
    }
}

/// The `quality` column's value: the full policy as JSON, so a story keeps its thresholds
/// when the defaults change.
fn quality_param(policy: &QualityPolicy) -> Result<Value, DbError> {
    quality_to_column(policy)
        .map(text)
        .map_err(|e| DbError::column("quality", e.to_string()))
}

/// The policy in the `quality` column (`NULL`: the default); a value that no longer
/// parses is a column error.
fn quality_column(row: &Row<'_>) -> Result<QualityPolicy, DbError> {
    quality_from_column(nullable_column(row, "quality")?)
        .map_err(|e| DbError::column("quality", e.to_string()))
}

/// A stored row mapped to a [`StoredStory`].
struct StoryRow(StoredStory);

impl FromRow for StoryRow {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        let id = column::<&str>(row, "id")?;
        let genre = column::<&str>(row, "genre")?;
        Ok(Self(StoredStory {
            tenant_id: tenant_id_column(row, "tenant_id")?,
            story: Story {
                id: StoryId::parse(id).ok_or_else(|| DbError::column("id", "not a UUID"))?,
                title: column::<&str>(row, "title")?.to_owned(),
                premise: column::<&str>(row, "premise")?.to_owned(),
                genre: Genre::parse(genre)
                    .ok_or_else(|| DbError::column("genre", "unknown genre"))?,
                target_words: column(row, "target_words")?,
                chapter_count: column(row, "chapter_count")?,
                public: column(row, "public")?,
                quality: quality_column(row)?,
                version: column(row, "version")?,
                created_at: timestamp_column(row, "created_at")?,
                updated_at: timestamp_column(row, "updated_at")?,
            },
        }))
    }
}
