//! The rows of a book, read within the story owner's tenant. Every statement takes its
//! values as bound parameters.

use fabula_domain::auth::{Action, Ownership, Viewer};
use fabula_domain::books::{BookDetails, BookError, BookSource, check_requested_job};
use fabula_domain::pipeline::JobId;
use fabula_domain::{StoryId, TenantId, Timestamp};
use fabula_export::{Chapter, ContentsEntry};

use crate::ApiError;
use crate::db::{
    DbError, FromRow, Row, Value, column, integer, tenant_id_column, text, timestamp_column,
};
use crate::pipeline::{JobRecord, Jobs, PipelineDb, stories_table_exists};

// A member sees its own story first, should another tenant's public one share the id.
const SELECT_STORY_FOR_MEMBER: &str = "SELECT tenant_id, title, public, created_at FROM stories \
     WHERE id = ? AND (tenant_id = ? OR public = 1) ORDER BY tenant_id = ? DESC LIMIT 1";
const SELECT_PUBLIC_STORY: &str = "SELECT tenant_id, title, public, created_at FROM stories \
     WHERE id = ? AND public = 1 LIMIT 1";
const SELECT_LATEST_COMPLETED: &str = "SELECT id FROM generation_jobs \
     WHERE tenant_id = ? AND story_id = ? AND status = 'completed' \
     ORDER BY finished_at DESC, id DESC LIMIT 1";
const SELECT_CONTENTS: &str = "SELECT c.number, c.title FROM chapters c \
     JOIN generation_jobs j ON j.id = c.job_id \
     WHERE j.tenant_id = ? AND c.job_id = ? ORDER BY c.number";
const SELECT_CHAPTERS: &str = "SELECT c.number, c.title, c.text FROM chapters c \
     JOIN generation_jobs j ON j.id = c.job_id \
     WHERE j.tenant_id = ? AND c.job_id = ? ORDER BY c.number";
const SELECT_CHAPTER_AFTER: &str = "SELECT c.number, c.title, c.text FROM chapters c \
     JOIN generation_jobs j ON j.id = c.job_id \
     WHERE j.tenant_id = ? AND c.job_id = ? AND c.number > ? ORDER BY c.number LIMIT 1";

/// The story a book belongs to, as far as books need it.
#[derive(Debug, Clone)]
pub struct BookStory {
    /// Its id.
    pub id: StoryId,
    /// The tenant that owns it (and its jobs).
    pub tenant_id: TenantId,
    /// Its title.
    pub title: String,
    /// Whether anyone may read it.
    pub public: bool,
    /// When it was created.
    pub created_at: Timestamp,
}

impl BookStory {
    /// Who owns it and whether it is public, for [`Viewer::check`].
    pub fn ownership(&self) -> Ownership<'_> {
        Ownership {
            tenant: &self.tenant_id,
            public: self.public,
        }
    }
}

struct StoryRow {
    tenant_id: TenantId,
    title: String,
    public: bool,
    created_at: Timestamp,
}

impl FromRow for StoryRow {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        Ok(Self {
            tenant_id: tenant_id_column(row, "tenant_id")?,
            title: column::<&str>(row, "title")?.to_owned(),
            public: column(row, "public")?,
            created_at: timestamp_column(row, "created_at")?,
        })
    }
}

struct IdRow(JobId);

impl FromRow for IdRow {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        JobId::parse(column::<&str>(row, "id")?)
            .map(Self)
            .ok_or_else(|| DbError::column("id", "not a UUID"))
    }
}

struct ContentsRow(ContentsEntry);

impl FromRow for ContentsRow {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        Ok(Self(ContentsEntry {
            number: column(row, "number")?,
            title: column::<&str>(row, "title")?.to_owned(),
        }))
    }
}

struct ChapterRow(Chapter);

impl FromRow for ChapterRow {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        Ok(Self(Chapter {
            number: column(row, "number")?,
            title: column::<&str>(row, "title")?.to_owned(),
            text: column::<&str>(row, "text")?.to_owned(),
        }))
    }
}

/// A story's book, ready to analyse or export: the story, the completed job and the
/// title page fields.
#[derive(Debug, Clone)]
pub struct LoadedBook {
    /// The story.
    pub story: BookStory,
    /// The completed job whose manuscript is the book.
    pub job: JobRecord,
    /// Title, synopsis and dates.
    pub details: BookDetails,
}

impl LoadedBook {
    /// What the domain's book functions read.
    pub fn source(&self) -> BookSource<'_> {
        BookSource {
            story_id: &self.job.story_id,
            job_id: self.job.id,
            spec: &self.job.spec,
            metadata: &self.job.metadata,
            finished_at: self.job.finished_at,
        }
    }
}

/// The pipeline tables and the stories table, read for books.
pub struct BookStore {
    pipeline: PipelineDb,
}

impl BookStore {
    /// Opens SQLite `default` (bringing the pipeline schema up to date).
    pub fn open() -> Result<Self, DbError> {
        Ok(Self {
            pipeline: PipelineDb::open()?,
        })
    }

    /// Story `id` if `viewer` may read it.
    pub fn story(&self, viewer: &Viewer, id: StoryId) -> Result<Option<BookStory>, DbError> {
        let db = self.pipeline.db();
        if !stories_table_exists(db)? {
            return Ok(None);
        }
        let row: Option<StoryRow> = match viewer.tenant() {
            Some(tenant) => db.query_optional(
                SELECT_STORY_FOR_MEMBER,
                &[
                    text(id.to_string()),
                    text(tenant.as_str()),
                    text(tenant.as_str()),
                ],
            )?,
            None => db.query_optional(SELECT_PUBLIC_STORY, &[text(id.to_string())])?,
        };
        let story = row.map(|r| BookStory {
            id,
            tenant_id: r.tenant_id,
            title: r.title,
            public: r.public,
            created_at: r.created_at,
        });
        Ok(story.filter(|s| viewer.check(Action::Read, s.ownership()).is_ok()))
    }

    /// The book of story `id` as `viewer` may read it: from job `requested`, or the
    /// story's newest completed job (by completion time).
    pub fn load(
        &self,
        viewer: &Viewer,
        id: StoryId,
        requested: Option<JobId>,
    ) -> Result<LoadedBook, ApiError> {
        let story = self.story(viewer, id)?.ok_or(BookError::StoryNotFound)?;
        let jobs = Jobs::new(&self.pipeline, story.tenant_id.clone());
        let story_id = story.id.to_string();
        let job_id = match requested {
            Some(job_id) => job_id,
            None => self
                .pipeline
                .db()
                .query_optional::<IdRow>(
                    SELECT_LATEST_COMPLETED,
                    &[text(story.tenant_id.as_str()), text(story_id.as_str())],
                )?
                .map(|row| row.0)
                .ok_or(BookError::NoManuscript)?,
        };
        let job = jobs.get(job_id)?.ok_or(BookError::JobNotFound)?;
        check_requested_job(&story_id, job.id, &job.story_id, job.status)?;
        let manuscript = jobs.manuscript(job.id)?;
        let details = BookDetails::new(
            &story.title,
            story.created_at,
            manuscript.as_ref(),
            job.finished_at,
        );
        Ok(LoadedBook {
            story,
            job,
            details,
        })
    }

    /// Every chapter of `job`, in order (for the analysis, which needs them all).
    pub fn chapters(&self, job: &JobRecord) -> Result<Vec<Chapter>, DbError> {
        let rows: Vec<ChapterRow> = self.pipeline.db().query(SELECT_CHAPTERS, &scoped(job))?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The numbers and titles of `job`'s chapters, in order.
    pub fn contents(&self, job: &JobRecord) -> Result<Vec<ContentsEntry>, DbError> {
        let rows: Vec<ContentsRow> = self.pipeline.db().query(SELECT_CONTENTS, &scoped(job))?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The first chapter of the job `tenant`/`job` numbered above `after`: the cursor an
    /// export walks, one chapter in memory at a time.
    pub fn chapter_after(
        &self,
        tenant: &TenantId,
        job: JobId,
        after: u32,
    ) -> Result<Option<Chapter>, DbError> {
        let row: Option<ChapterRow> = self.pipeline.db().query_optional(
            SELECT_CHAPTER_AFTER,
            &[
                text(tenant.as_str()),
                text(job.to_string()),
                integer(after.into())?,
            ],
        )?;
        Ok(row.map(|r| r.0))
    }
}

fn scoped(job: &JobRecord) -> [Value; 2] {
    [text(job.tenant_id.as_str()), text(job.id.to_string())]
}
