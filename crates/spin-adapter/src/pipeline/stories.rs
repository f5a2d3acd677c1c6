//! The story a job generates, read from the stories-api table within the caller's tenant.

use fabula_domain::pipeline::StoryDefaults;
use fabula_domain::{StoryId, TenantId};

use super::PipelineDb;
use crate::db::{Db, DbError, FromRow, Row, column, text};
use crate::platform::Count;

/// Whether the stories table exists yet (stories-api creates it on its first request).
const STORIES_TABLE_EXISTS: &str =
    "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'stories'";
/// Whether stories-api's migration adding `quality` has run (it runs on that component's
/// first request after an upgrade; until then every story has the default policy).
const QUALITY_COLUMN_EXISTS: &str =
    "SELECT COUNT(*) AS n FROM pragma_table_info('stories') WHERE name = 'quality'";
const SELECT_STORY: &str = "SELECT title, premise, genre, chapter_count, target_words, quality \
     FROM stories WHERE tenant_id = ? AND id = ?";
const SELECT_STORY_BEFORE_QUALITY: &str = "SELECT title, premise, genre, chapter_count, \
     target_words, NULL AS quality FROM stories WHERE tenant_id = ? AND id = ?";

struct StoryRow(StoryDefaults);

impl FromRow for StoryRow {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        Ok(Self(StoryDefaults {
            title: column::<&str>(row, "title")?.to_owned(),
            premise: column::<&str>(row, "premise")?.to_owned(),
            genre: column::<&str>(row, "genre")?.to_owned(),
            chapter_count: column(row, "chapter_count")?,
            target_words: column(row, "target_words")?,
            quality: fabula_domain::story::quality_from_column(crate::db::nullable_column(
                row, "quality",
            )?)
            .map_err(|e| DbError::column("quality", e.to_string()))?,
        }))
    }
}

/// The defaults of `tenant`'s story `id`; `None` if the tenant has no such story.
pub fn story_defaults(
    pipeline: &PipelineDb,
    tenant: &TenantId,
    id: StoryId,
) -> Result<Option<StoryDefaults>, DbError> {
    let db = pipeline.db();
    if !stories_table_exists(db)? {
        return Ok(None);
    }
    let has_quality = db
        .query_optional::<Count>(QUALITY_COLUMN_EXISTS, &[])?
        .is_some_and(|c| c.0 > 0);
    let select = if has_quality {
        SELECT_STORY
    } else {
        SELECT_STORY_BEFORE_QUALITY
    };
    let row: Option<StoryRow> =
        db.query_optional(select, &[text(tenant.as_str()), text(id.to_string())])?;
    Ok(row.map(|r| r.0))
}

/// Whether stories-api has created its table yet (it does so on its first request).
pub(crate) fn stories_table_exists(db: &Db) -> Result<bool, DbError> {
    Ok(db
        .query_optional::<Count>(STORIES_TABLE_EXISTS, &[])?
        .is_some_and(|c| c.0 > 0))
}
