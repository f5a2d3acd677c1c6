//! Idempotency records: one row per (caller scope, key), claimed atomically by the first
//! request and completed with its response.

use fabula_domain::idempotency::{Attempt, Cutoffs, Decision, IdempotencyKey, decide};

use crate::db::{Db, DbError, FromRow, Row, Value, column, integer, nullable_column, text};

/// Claim attempts before answering "in progress" (a row can vanish between the failed
/// insert and the read, when its request fails and releases it).
const CLAIM_ATTEMPTS: usize = 3;
/// Most expired rows one claim purges.
const PURGE_BATCH: u64 = 100;

const FORGET_STALE: &str = "DELETE FROM idempotency WHERE scope = ? AND key = ? \
     AND (created_ms < ? OR (status IS NULL AND created_ms < ?))";
const INSERT_CLAIM: &str = "INSERT INTO idempotency (scope, key, fingerprint, created_ms) \
     VALUES (?, ?, ?, ?) ON CONFLICT (scope, key) DO NOTHING RETURNING created_ms";
const SELECT: &str = "SELECT fingerprint, created_ms, status, headers, body FROM idempotency \
     WHERE scope = ? AND key = ?";
const COMPLETE: &str = "UPDATE idempotency SET status = ?, headers = ?, body = ? \
     WHERE scope = ? AND key = ? AND fingerprint = ? AND created_ms = ? AND status IS NULL";
const RELEASE: &str = "DELETE FROM idempotency \
     WHERE scope = ? AND key = ? AND fingerprint = ? AND created_ms = ? AND status IS NULL";
const PURGE_EXPIRED: &str = "DELETE FROM idempotency WHERE rowid IN \
     (SELECT rowid FROM idempotency WHERE created_ms < ? LIMIT ?)";

/// A response kept for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// Its status (always below 500).
    pub status: u16,
    /// The headers worth replaying (`content-type`, `location`, `etag`).
    pub headers: Vec<(String, String)>,
    /// Its body.
    pub body: Vec<u8>,
}

/// The outcome of claiming a key.
#[derive(Debug)]
pub enum Claim {
    /// This request holds the key: run it, then complete or release the claim made at
    /// `created_ms`.
    Claimed {
        /// When the claim was made (identifies it).
        created_ms: i64,
    },
    /// The same request already finished: replay this.
    Replay(StoredResponse),
    /// The key was used with a different request.
    Mismatch,
    /// The same request is still running.
    InProgress,
}

/// The idempotency records of one caller scope.
pub struct IdempotencyStore<'p> {
    db: &'p Db,
    caller: String,
}

impl<'p> IdempotencyStore<'p> {
    pub(super) fn new(db: &'p Db, caller: String) -> Self {
        Self { db, caller }
    }

    /// Claims `key` for a request with `fingerprint` at `now_ms`: the insert either
    /// creates the row (this request runs) or finds one (decided by
    /// `fabula_domain::idempotency::decide`). Stale rows are forgotten first, with the
    /// same cutoffs, so concurrent duplicates still meet on one row.
    pub fn claim(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        now_ms: i64,
    ) -> Result<Claim, DbError> {
        let cutoffs = Cutoffs::at(now_ms);
        for _ in 0..CLAIM_ATTEMPTS {
            self.db.execute(
                FORGET_STALE,
                &[
                    self.caller(),
                    text(key.as_str()),
                    Value::Integer(cutoffs.expired_before),
                    Value::Integer(cutoffs.abandoned_before),
                ],
            )?;
            let inserted = self.db.execute(
                INSERT_CLAIM,
                &[
                    self.caller(),
                    text(key.as_str()),
                    text(fingerprint),
                    Value::Integer(now_ms),
                ],
            )?;
            if !inserted.rows.is_empty() {
                self.db.execute(
                    PURGE_EXPIRED,
                    &[
                        Value::Integer(cutoffs.expired_before),
                        integer(PURGE_BATCH)?,
                    ],
                )?;
                return Ok(Claim::Claimed { created_ms: now_ms });
            }
            let Some(stored) = self
                .db
                .query_optional::<StoredRow>(SELECT, &[self.caller(), text(key.as_str())])?
            else {
                continue;
            };
            let attempt = Attempt {
                fingerprint: &stored.fingerprint,
                completed: stored.response.is_some(),
                created_ms: stored.created_ms,
            };
            match (decide(Some(attempt), fingerprint, now_ms), stored.response) {
                (Decision::Claim, _) => continue,
                (Decision::Replay, Some(response)) => return Ok(Claim::Replay(response)),
                (Decision::Mismatch, _) => return Ok(Claim::Mismatch),
                (Decision::Replay | Decision::InProgress, _) => return Ok(Claim::InProgress),
            }
        }
        Ok(Claim::InProgress)
    }

    /// Stores the response of the request that made the claim at `created_ms`.
    pub fn complete(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        created_ms: i64,
        response: &StoredResponse,
    ) -> Result<(), DbError> {
        let headers = serde_json::to_string(&response.headers)
            .map_err(|e| DbError::column("headers", e.to_string()))?;
        self.db.execute(
            COMPLETE,
            &[
                Value::Integer(response.status.into()),
                text(headers),
                Value::Blob(response.body.clone()),
                self.caller(),
                text(key.as_str()),
                text(fingerprint),
                Value::Integer(created_ms),
            ],
        )?;
        Ok(())
    }

    /// Gives up the claim made at `created_ms` (its request failed with a 5xx), so the
    /// key may be used again.
    pub fn release(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        created_ms: i64,
    ) -> Result<(), DbError> {
        self.db.execute(
            RELEASE,
            &[
                self.caller(),
                text(key.as_str()),
                text(fingerprint),
                Value::Integer(created_ms),
            ],
        )?;
        Ok(())
    }

    fn caller(&self) -> Value {
        text(self.caller.as_str())
    }
}

/// A stored row: the claim and, once completed, the response.
struct StoredRow {
    fingerprint: String,
    created_ms: i64,
    response: Option<StoredResponse>,
}

impl FromRow for StoredRow {
    fn from_row(row: &Row<'_>) -> Result<Self, DbError> {
        let response = match nullable_column::<u16>(row, "status")? {
            None => None,
            Some(status) => {
                let headers = column::<&str>(row, "headers")?;
                Some(StoredResponse {
                    status,
                    headers: serde_json::from_str(headers)
                        .map_err(|e| DbError::column("headers", e.to_string()))?,
                    body: column::<&[u8]>(row, "body")?.to_vec(),
                })
            }
        };
        Ok(Self {
            fingerprint: column::<&str>(row, "fingerprint")?.to_owned(),
            created_ms: column(row, "created_ms")?,
            response,
        })
    }
}
