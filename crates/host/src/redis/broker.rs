//! The embedded, durable broker: one SQLite file (`<state_dir>/fabula_queue.db`, WAL) holding
//! the delivery queue, the dead letters and the key space (see [`super::keyspace`]).
//!
//! A published message becomes one `messages` row per subscribed component. A row is
//! `pending` until a trigger worker claims it (`in_flight`, `attempts + 1`); success deletes
//! it, failure puts it back to `pending` with a later `next_attempt_at`, or moves it to
//! `dead_letters` once `attempts` reaches the retry policy's `max_attempts`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tokio::sync::Notify;

use super::Subscription;
use super::error::RedisError;
use super::retry::RetryPolicy;

/// File name of the embedded broker inside the state directory.
pub(crate) const QUEUE_FILE: &str = "fabula_queue.db";

/// Error text recorded for deliveries cut short by a host crash.
const INTERRUPTED: &str = "delivery interrupted: the host stopped while the handler ran";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    component_id TEXT NOT NULL,
    payload BLOB NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'in_flight')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    published_at INTEGER NOT NULL,
    claimed_at INTEGER
);
CREATE INDEX IF NOT EXISTS messages_due
    ON messages (channel, component_id, state, next_attempt_at, id);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    component_id TEXT NOT NULL,
    payload BLOB NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    failed_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS delivery_stats (
    channel TEXT NOT NULL,
    component_id TEXT NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    dead_lettered INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, component_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dropped_messages (
    channel TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    last_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS keys (
    key BLOB PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('string', 'set')),
    value BLOB,
    expires_at INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS set_members (
    key BLOB NOT NULL,
    member BLOB NOT NULL,
    PRIMARY KEY (key, member)
) WITHOUT ROWID;
PRAGMA user_version = 1;
";

/// Milliseconds since the Unix epoch: how the queue file stores time.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Opens (creating if needed) the queue file in WAL mode with the schema in place.
pub(crate) fn open_db(path: &Path) -> Result<Connection, RedisError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    conn.execute_batch("PRAGMA synchronous = FULL;")?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

/// Adds one to a `delivery_stats` counter of a subscription.
fn bump_stat(
    conn: &Connection,
    channel: &str,
    component_id: &str,
    counter: Stat,
) -> rusqlite::Result<()> {
    let column = match counter {
        Stat::Delivered => "delivered",
        Stat::FailedAttempt => "failed_attempts",
        Stat::DeadLettered => "dead_lettered",
    };
    conn.execute(
        &format!(
            "INSERT INTO delivery_stats (channel, component_id, {column}) VALUES (?1, ?2, 1)
             ON CONFLICT (channel, component_id) DO UPDATE SET {column} = {column} + 1"
        ),
        params![channel, component_id],
    )?;
    Ok(())
}

/// The `delivery_stats` counters.
#[derive(Clone, Copy)]
enum Stat {
    Delivered,
    FailedAttempt,
    DeadLettered,
}

/// A message a worker took for delivery.
#[derive(Debug)]
pub(crate) struct ClaimedMessage {
    /// Row id in `messages`.
    pub id: i64,
    /// Channel it was published on.
    pub channel: Arc<str>,
    /// Component it is for.
    pub component_id: Arc<str>,
    /// The payload.
    pub payload: Vec<u8>,
    /// Deliveries started so far, this one included.
    pub attempts: u32,
}

/// What a claim found.
pub(crate) enum Claim {
    /// A message due now, now `in_flight`.
    Message(ClaimedMessage),
    /// Nothing due; the earliest pending message is due at this time (Unix ms), if any.
    NothingDue(Option<i64>),
}

/// What became of a failed delivery.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FailOutcome {
    /// Back to pending, to be tried again after this wait.
    Retry(Duration),
    /// Attempts exhausted: moved to `dead_letters` under this id.
    DeadLettered(i64),
}

/// The embedded broker: the SQLite file and the wake-ups of the trigger's workers.
pub(crate) struct Broker {
    db: Arc<Mutex<Connection>>,
    path: PathBuf,
    /// Channel → the components subscribed to it (each once).
    subscribers: HashMap<String, Vec<Arc<str>>>,
    /// `(channel, component)` → the wake-up of the worker delivering that subscription.
    wakers: HashMap<(String, String), Arc<Notify>>,
}

impl Broker {
    /// Opens `<state_dir>/fabula_queue.db` for the given subscriptions.
    pub fn open(state_dir: &Path, subscriptions: &[Subscription]) -> Result<Self, RedisError> {
        std::fs::create_dir_all(state_dir).map_err(|e| {
            RedisError::Config(format!(
                "cannot create state dir {}: {e}",
                state_dir.display()
            ))
        })?;
        let path = state_dir.join(QUEUE_FILE);
        let conn = open_db(&path)?;
        // Expired keys are otherwise only dropped when touched.
        conn.execute_batch(&format!(
            "DELETE FROM set_members WHERE key IN (SELECT key FROM keys WHERE expires_at <= {now});
             DELETE FROM keys WHERE expires_at <= {now};",
            now = now_ms()
        ))?;
        let mut subscribers: HashMap<String, Vec<Arc<str>>> = HashMap::new();
        let mut wakers = HashMap::new();
        for sub in subscriptions {
            let components = subscribers.entry(sub.channel.clone()).or_default();
            if !components.iter().any(|c| **c == *sub.component_id) {
                components.push(Arc::from(sub.component_id.as_str()));
            }
            wakers
                .entry((sub.channel.clone(), sub.component_id.clone()))
                .or_insert_with(|| Arc::new(Notify::new()));
        }
        Ok(Self {
            db: Arc::new(Mutex::new(conn)),
            path,
            subscribers,
            wakers,
        })
    }

    /// The queue file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the connection in a blocking task (SQLite calls block).
    pub async fn with_db<R, F>(&self, f: F) -> Result<R, RedisError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, RedisError> + Send + 'static,
    {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut conn)
        })
        .await?
    }

    /// The wake-up of the worker for `(channel, component_id)`, if that is a subscription.
    pub fn waker(&self, channel: &str, component_id: &str) -> Option<Arc<Notify>> {
        self.wakers
            .get(&(channel.to_owned(), component_id.to_owned()))
            .cloned()
    }

    fn wake(&self, channel: &str, components: &[Arc<str>]) {
        for component in components {
            if let Some(waker) = self.waker(channel, component) {
                waker.notify_one();
            }
        }
    }

    /// Publishes to every component subscribed to `channel`; returns how many there are.
    /// With none, the message is dropped (pub/sub semantics) and counted.
    pub async fn publish(&self, channel: String, payload: Vec<u8>) -> Result<u32, RedisError> {
        let components = self.subscribers.get(&channel).cloned().unwrap_or_default();
        self.enqueue(channel, components, payload).await
    }

    /// Queues `payload` for each of `components` (durably, in one transaction) and wakes
    /// their workers; with no components, counts the message as dropped.
    pub async fn enqueue(
        &self,
        channel: String,
        components: Vec<Arc<str>>,
        payload: Vec<u8>,
    ) -> Result<u32, RedisError> {
        let count = components.len() as u32;
        let (ch, comps) = (channel.clone(), components.clone());
        self.with_db(move |conn| {
            let now = now_ms();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if comps.is_empty() {
                tx.execute(
                    "INSERT INTO dropped_messages (channel, count, last_at) VALUES (?1, 1, ?2)
                     ON CONFLICT (channel) DO UPDATE SET count = count + 1, last_at = ?2",
                    params![ch, now],
                )?;
            }
            for component in &comps {
                tx.execute(
                    "INSERT INTO messages (channel, component_id, payload, state, next_attempt_at, published_at)
                     VALUES (?1, ?2, ?3, 'pending', ?4, ?4)",
                    params![ch, &**component, payload, now],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
        .await?;
        self.wake(&channel, &components);
        Ok(count)
    }

    /// Takes the next due message of a subscription, marking it in flight.
    pub async fn claim(
        &self,
        channel: Arc<str>,
        component_id: Arc<str>,
    ) -> Result<Claim, RedisError> {
        self.with_db(move |conn| {
            let now = now_ms();
            let claimed = conn
                .query_row(
                    "UPDATE messages SET state = 'in_flight', attempts = attempts + 1, claimed_at = ?3
                     WHERE id = (SELECT id FROM messages
                                 WHERE channel = ?1 AND component_id = ?2 AND state = 'pending'
                                   AND next_attempt_at <= ?3
                                 ORDER BY next_attempt_at, id LIMIT 1)
                     RETURNING id, payload, attempts",
                    params![&*channel, &*component_id, now],
                    |row| Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?, row.get::<_, u32>(2)?)),
                )
                .optional()?;
            if let Some((id, payload, attempts)) = claimed {
                return Ok(Claim::Message(ClaimedMessage { id, channel, component_id, payload, attempts }));
            }
            let next: Option<i64> = conn.query_row(
                "SELECT MIN(next_attempt_at) FROM messages
                 WHERE channel = ?1 AND component_id = ?2 AND state = 'pending'",
                params![&*channel, &*component_id],
                |row| row.get(0),
            )?;
            Ok(Claim::NothingDue(next))
        })
        .await
    }

    /// Records a successful delivery: the message leaves the queue.
    pub async fn complete(&self, message: &ClaimedMessage) -> Result<(), RedisError> {
        let (id, channel, component) = (
            message.id,
            message.channel.clone(),
            message.component_id.clone(),
        );
        self.with_db(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute("DELETE FROM messages WHERE id = ?1", [id])?;
            bump_stat(&tx, &channel, &component, Stat::Delivered)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// Records a failed delivery: back to pending after a backoff, or to the dead letters once
    /// the policy's attempts are used up.
    pub async fn fail(
        &self,
        message: &ClaimedMessage,
        error: String,
        policy: &RetryPolicy,
    ) -> Result<FailOutcome, RedisError> {
        let (id, channel, component) = (
            message.id,
            message.channel.clone(),
            message.component_id.clone(),
        );
        let exhausted = message.attempts >= policy.max_attempts;
        let wait = policy.backoff(message.attempts);
        let outcome = self
            .with_db(move |conn| {
                let now = now_ms();
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                bump_stat(&tx, &channel, &component, Stat::FailedAttempt)?;
                let outcome = if exhausted {
                    bump_stat(&tx, &channel, &component, Stat::DeadLettered)?;
                    FailOutcome::DeadLettered(dead_letter(&tx, id, &error, now)?)
                } else {
                    tx.execute(
                        "UPDATE messages SET state = 'pending', next_attempt_at = ?2, last_error = ?3
                         WHERE id = ?1",
                        params![id, now + wait.as_millis() as i64, error],
                    )?;
                    FailOutcome::Retry(wait)
                };
                tx.commit()?;
                Ok(outcome)
            })
            .await?;
        if let Some(waker) = self.waker(&message.channel, &message.component_id) {
            waker.notify_one();
        }
        Ok(outcome)
    }

    /// After a crash: messages left in flight go back to pending (the interrupted attempt
    /// counts), or to the dead letters if that was their last attempt. Returns
    /// `(requeued, dead_lettered)`.
    pub async fn recover_interrupted(
        &self,
        policy: &RetryPolicy,
    ) -> Result<(usize, usize), RedisError> {
        let max_attempts = policy.max_attempts;
        self.with_db(move |conn| {
            let now = now_ms();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let exhausted: Vec<(i64, String, String)> = tx
                .prepare("SELECT id, channel, component_id FROM messages WHERE state = 'in_flight' AND attempts >= ?1")?
                .query_map([max_attempts], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
                .collect::<Result<_, _>>()?;
            for (id, channel, component) in &exhausted {
                bump_stat(&tx, channel, component, Stat::DeadLettered)?;
                dead_letter(&tx, *id, INTERRUPTED, now)?;
            }
            let requeued = tx.execute(
                "UPDATE messages SET state = 'pending', next_attempt_at = ?1, last_error = ?2
                 WHERE state = 'in_flight'",
                params![now, INTERRUPTED],
            )?;
            tx.commit()?;
            Ok((requeued, exhausted.len()))
        })
        .await
    }
}

/// Moves message `id` to `dead_letters` with `error`; returns the dead letter's id.
fn dead_letter(conn: &Connection, id: i64, error: &str, now: i64) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO dead_letters (channel, component_id, payload, attempts, last_error, published_at, failed_at)
         SELECT channel, component_id, payload, attempts, ?2, published_at, ?3 FROM messages WHERE id = ?1",
        params![id, error, now],
    )?;
    let dead_id = conn.last_insert_rowid();
    conn.execute("DELETE FROM messages WHERE id = ?1", [id])?;
    Ok(dead_id)
}
