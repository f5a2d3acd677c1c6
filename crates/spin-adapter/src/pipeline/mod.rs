//! The novel-generation pipeline on Spin: its tables (SQLite `default`, migration scope
//! `pipeline`), the jobs repository the API uses, the shared stage runner, the sweeper,
//! the Server-Sent Events stream and queue publishing.
//!
//! Exactly-once effects: a stage commits its step's output, the call accounting, the
//! events and the job's next step in ONE transaction guarded by the step's status; a
//! duplicate delivery commits nothing and only re-publishes the next step if its
//! publication was not confirmed.

mod events_stream;
mod jobs;
mod llm;
mod publish;
mod quality;
mod rows;
mod schema;
mod settings;
mod stage;
mod stories;
mod sweep;
mod work;
mod writes;

pub use events_stream::EventStream;
pub use fabula_domain::pipeline::{Stage, StepFailure};
pub use jobs::{JobFilter, Jobs, NewJob, StatusChange, TenantUsage};
pub use llm::{Llm, LlmCompletion, LlmRequest, failure_from_provider};
pub use publish::{PublishError, publish};
pub use rows::{JobRecord, StepRecord};
pub use settings::{model_for, pricing, setting};
pub use stage::{StageError, handle_message};
pub(crate) use stories::stories_table_exists;
pub use stories::story_defaults;
pub use sweep::{Requeued, sweep};

use crate::db::{Db, DbError};

/// The pipeline tables, migrated.
pub struct PipelineDb {
    db: Db,
}

impl PipelineDb {
    /// Opens SQLite `default` and brings the pipeline schema up to date.
    pub fn open() -> Result<Self, DbError> {
        let db = Db::open_default()?;
        db.migrate(schema::SCOPE, schema::MIGRATIONS)?;
        Ok(Self { db })
    }

    /// The database.
    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    /// Runs `work` inside `BEGIN IMMEDIATE` (so reads and writes see one consistent state
    /// and concurrent writers wait): [`Tx::Commit`] commits, [`Tx::Rollback`] and any
    /// error roll back.
    pub(crate) fn transaction<T>(
        &self,
        work: impl FnOnce(&Db) -> Result<Tx<T>, DbError>,
    ) -> Result<T, DbError> {
        self.db.execute("BEGIN IMMEDIATE", &[])?;
        let result = work(&self.db);
        let end = match &result {
            Ok(Tx::Commit(_)) => "COMMIT",
            _ => "ROLLBACK",
        };
        let ended = self.db.execute(end, &[]);
        match (result, ended) {
            (Ok(Tx::Commit(value) | Tx::Rollback(value)), Ok(_)) => Ok(value),
            (Ok(_), Err(e)) => {
                // A failed COMMIT leaves the transaction open; best effort to close it.
                let _ = self.db.execute("ROLLBACK", &[]);
                Err(e)
            }
            (Err(e), _) => Err(e),
        }
    }
}

/// How a transaction ends.
pub(crate) enum Tx<T> {
    /// Keep its writes.
    Commit(T),
    /// Discard them.
    Rollback(T),
}
