//! The pipeline's tables in SQLite `default` (migration scope `pipeline`).

use crate::db::Migration;

/// Migration scope of the pipeline tables in `schema_migrations`.
pub(super) const SCOPE: &str = "pipeline";

/// The pipeline schema, oldest first.
pub(super) const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    statements: &[
        // One row per job; `current_step` is the step running or next (NULL when
        // completed); totals are sums over the job's `llm_calls`.
        "CREATE TABLE IF NOT EXISTS generation_jobs (\
            id TEXT NOT NULL PRIMARY KEY, \
            tenant_id TEXT NOT NULL, \
            story_id TEXT NOT NULL, \
            status TEXT NOT NULL, \
            spec TEXT NOT NULL, \
            chapters_total INTEGER NOT NULL, \
            chapters_done INTEGER NOT NULL DEFAULT 0, \
            current_step TEXT, \
            retry_at TEXT, \
            prompt_tokens INTEGER NOT NULL DEFAULT 0, \
            completion_tokens INTEGER NOT NULL DEFAULT 0, \
            cost_nanos INTEGER NOT NULL DEFAULT 0, \
            error TEXT, \
            metadata TEXT NOT NULL, \
            created_at TEXT NOT NULL, \
            started_at TEXT, \
            finished_at TEXT, \
            updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS generation_jobs_by_tenant \
            ON generation_jobs (tenant_id, id)",
        "CREATE INDEX IF NOT EXISTS generation_jobs_by_story \
            ON generation_jobs (tenant_id, story_id, id)",
        "CREATE INDEX IF NOT EXISTS generation_jobs_active \
            ON generation_jobs (status, updated_at)",
        // One row per started step; `status`: running, retrying, done, failed, cancelled, or
        // pending (reset by a job retry).
        "CREATE TABLE IF NOT EXISTS job_steps (\
            job_id TEXT NOT NULL, \
            step TEXT NOT NULL, \
            ordinal INTEGER NOT NULL, \
            status TEXT NOT NULL, \
            attempts INTEGER NOT NULL DEFAULT 0, \
            failures INTEGER NOT NULL DEFAULT 0, \
            prompt_tokens INTEGER NOT NULL DEFAULT 0, \
            completion_tokens INTEGER NOT NULL DEFAULT 0, \
            cost_nanos INTEGER NOT NULL DEFAULT 0, \
            duration_ms INTEGER, \
            error TEXT, \
            next_published INTEGER NOT NULL DEFAULT 0, \
            started_at TEXT, \
            finished_at TEXT, \
            PRIMARY KEY (job_id, step))",
        "CREATE TABLE IF NOT EXISTS llm_calls (\
            id TEXT NOT NULL PRIMARY KEY, \
            job_id TEXT NOT NULL, \
            tenant_id TEXT NOT NULL, \
            step TEXT NOT NULL, \
            template TEXT NOT NULL, \
            model TEXT NOT NULL, \
            prompt_tokens INTEGER NOT NULL, \
            completion_tokens INTEGER NOT NULL, \
            estimated INTEGER NOT NULL, \
            cost_nanos INTEGER NOT NULL, \
            duration_ms INTEGER NOT NULL, \
            provider_attempts INTEGER NOT NULL, \
            finish_reason TEXT, \
            error TEXT, \
            created_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS llm_calls_by_job ON llm_calls (job_id, id)",
        "CREATE TABLE IF NOT EXISTS job_events (\
            job_id TEXT NOT NULL, \
            seq INTEGER NOT NULL, \
            kind TEXT NOT NULL, \
            data TEXT NOT NULL, \
            created_at TEXT NOT NULL, \
            PRIMARY KEY (job_id, seq))",
        "CREATE TABLE IF NOT EXISTS chapters (\
            job_id TEXT NOT NULL, \
            number INTEGER NOT NULL, \
            title TEXT NOT NULL, \
            text TEXT NOT NULL, \
            word_count INTEGER NOT NULL, \
            summary TEXT NOT NULL, \
            created_at TEXT NOT NULL, \
            PRIMARY KEY (job_id, number))",
        "CREATE TABLE IF NOT EXISTS manuscripts (\
            job_id TEXT NOT NULL PRIMARY KEY, \
            title TEXT NOT NULL, \
            synopsis TEXT NOT NULL, \
            chapters INTEGER NOT NULL, \
            word_count INTEGER NOT NULL, \
            created_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS tenant_usage (\
            tenant_id TEXT NOT NULL PRIMARY KEY, \
            calls INTEGER NOT NULL DEFAULT 0, \
            prompt_tokens INTEGER NOT NULL DEFAULT 0, \
            completion_tokens INTEGER NOT NULL DEFAULT 0, \
            cost_nanos INTEGER NOT NULL DEFAULT 0, \
            updated_at TEXT NOT NULL)",
    ],
}];
