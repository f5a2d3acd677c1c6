//! Tenant-scoped story storage in SQLite `default` (migration scope `stories`).
//!
//! The repository is bound to one [`TenantId`] when opened and every statement filters on
//! it: no query can reach another tenant's rows.

use fabula_domain::{Genre, Page, Story, StoryId, TenantId, Timestamp};
use fabula_spin::db::{Db, DbError, FromRow, Migration, Row, column, integer, text};

/// Migration scope of this component in `schema_migrations`.
const SCOPE: &str = "stories";

/// The stories schema, oldest first.
const MIGRATIONS: &[Migration] = &[Migration {
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
}];

/// The selected columns, in the order [`StoryRow`] reads them by name.
macro_rules! story_columns {
    () => {
        "id, title, premise, genre, target_words, chapter_count, version, created_at, updated_at"
    };
}

const INSERT: &str = "INSERT INTO stories (tenant_id, id, title, premise, genre, target_words, \
     chapter_count, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const SELECT_ONE: &str = concat!(
    "SELECT ",
    story_columns!(),
    " FROM stories WHERE tenant_id = ? AND id = ?"
);
// Every id is greater than '' so one statement serves the first and the later pages.
const SELECT_PAGE: &str = concat!(
    "SELECT ",
    story_columns!(),
    " FROM stories WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?"
);
const UPDATE: &str = "UPDATE stories SET title = ?, premise = ?, genre = ?, target_words = ?, \
     chapter_count = ?, version = ?, updated_at = ? \
     WHERE tenant_id = ? AND id = ? AND version = ? RETURNING version";
const DELETE: &str = "DELETE FROM stories WHERE tenant_id = ? AND id = ? RETURNING id";
const DELETE_AT_VERSION: &str =
    "DELETE FROM stories WHERE tenant_id = ? AND id = ? AND version = ? RETURNING id";

/// Stories of one tenant.
pub struct StoryRepository {
    db: Db,
    tenant: TenantId,
}

impl StoryRepository {
    /// Opens SQLite `default`, brings the schema up to date and binds the tenant scope.
    pub fn open(tenant: TenantId) -> Result<Self, DbError> {
        let db = Db::open_default()?;
        db.migrate(SCOPE, MIGRATIONS)?;
        Ok(Self { db, tenant })
    }

    /// Stores a new story.
    pub fn insert(&self, story: &Story) -> Result<(), DbError> {
        self.db.execute(
            INSERT,
            &[
                self.tenant(),
                text(story.id.to_string()),
                text(story.title.as_str()),
                text(story.premise.as_str()),
                text(story.genre.as_str()),
                integer(story.target_words.into())?,
                integer(story.chapter_count.into())?,
                integer(story.version)?,
                text(story.created_at.to_string()),
                text(story.updated_at.to_string()),
            ],
        )?;
        Ok(())
    }

    /// The story with this id, if the tenant has one.
    pub fn get(&self, id: StoryId) -> Result<Option<Story>, DbError> {
        let row: Option<StoryRow> = self
            .db
            .query_optional(SELECT_ONE, &[self.tenant(), text(id.to_string())])?;
        Ok(row.map(|r| r.0))
    }

    /// Up to `page.fetch_limit()` stories in id (= creation) order, after the cursor.
    pub fn list(&self, page: &Page<StoryId>) -> Result<Vec<Story>, DbError> {
        let after = page.after.map(|id| id.to_string()).unwrap_or_default();
        let rows: Vec<StoryRow> = self.db.query(
            SELECT_PAGE,
            &[
                self.tenant(),
                text(after),
                integer(page.fetch_limit().into())?,
            ],
        )?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Replaces the stored story with `story` if it is still at `expected_version`.
    /// Returns whether it was (false: changed or deleted meanwhile).
    pub fn update(&self, story: &Story, expected_version: u64) -> Result<bool, DbError> {
        let result = self.db.execute(
            UPDATE,
            &[
                text(story.title.as_str()),
                text(story.premise.as_str()),
                text(story.genre.as_str()),
                integer(story.target_words.into())?,
                integer(story.chapter_count.into())?,
                integer(story.version)?,
                text(story.updated_at.to_string()),
                self.tenant(),
                text(story.id.to_string()),
                integer(expected_version)?,
            ],
        )?;
        Ok(!result.rows.is_empty())
    }

    /// Deletes the story (only if at `expected_version`, when given). Returns whether a
    /// row was deleted.
    pub fn delete(&self, id: StoryId, expected_version: Option<u64>) -> Result<bool, DbError> {
        let result = match expected_version {
            None => self
                .db
                .execute(DELETE, &[self.tenant(), text(id.to_string())])?,
            Some(version) => self.db.execute(
                DELETE_AT_VERSION,
                &[self.tenant(), text(id.to_string()), integer(version)?],
            )?,
        };
        Ok(!result.rows.is_empty())
    }

    fn tenant(&self) -> fabula_spin::db::Value {
        text(self.tenant.as_str())
    }
}

/// A stored row mapped to a [`Story`].
struct StoryRow(Story);

impl FromRow for StoryRow {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        let id = column::<&str>(row, "id")?;
        let genre = column::<&str>(row, "genre")?;
        Ok(Self(Story {
            id: StoryId::parse(id).ok_or_else(|| DbError::column("id", "not a UUID"))?,
            title: column::<&str>(row, "title")?.to_owned(),
            premise: column::<&str>(row, "premise")?.to_owned(),
            genre: Genre::parse(genre).ok_or_else(|| DbError::column("genre", "unknown genre"))?,
            target_words: column(row, "target_words")?,
            chapter_count: column(row, "chapter_count")?,
            version: column(row, "version")?,
            created_at: timestamp(row, "created_at")?,
            updated_at: timestamp(row, "updated_at")?,
        }))
    }
}

fn timestamp(row: &Row<'_>, name: &str) -> Result<Timestamp, DbError> {
    Timestamp::parse(column(row, name)?).map_err(|e| DbError::column(name, e.to_string()))
}
