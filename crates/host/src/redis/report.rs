//! Inspecting the embedded queue from outside the running host (`fabula queue …`): counts per
//! subscription, dropped messages, dead letters, and re-queuing a dead letter.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use serde::Serialize;

use super::broker::{QUEUE_FILE, now_ms, open_db};
use super::error::RedisError;

/// Bytes of a payload shown in a dead letter's preview.
const PREVIEW_BYTES: usize = 96;

/// The state of the queue file, for `fabula queue`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QueueReport {
    /// The queue file (it may not exist yet).
    pub queue_file: PathBuf,
    /// Per channel and component: what waits, what runs, what was delivered or given up.
    pub subscriptions: Vec<SubscriptionCounts>,
    /// Messages published to channels nobody subscribed to (dropped, as Redis does).
    pub dropped: Vec<DroppedCount>,
    /// Messages whose deliveries all failed, oldest first.
    pub dead_letters: Vec<DeadLetter>,
}

/// Counters of one subscription (channel × component).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct SubscriptionCounts {
    /// The channel.
    pub channel: String,
    /// The component.
    pub component_id: String,
    /// Messages waiting for delivery (including those waiting for a retry).
    pub pending: u64,
    /// Of `pending`, those that failed at least once.
    pub retrying: u64,
    /// Messages being delivered now (or interrupted by a crash, until the next start).
    pub in_flight: u64,
    /// Messages delivered since the queue file was created.
    pub delivered: u64,
    /// Failed delivery attempts since the queue file was created.
    pub failed_attempts: u64,
    /// Dead letters currently parked.
    pub dead_letters: u64,
    /// When the oldest waiting message was published.
    pub oldest_pending_at: Option<DateTime<Utc>>,
}

/// Messages dropped on one channel because nobody subscribed to it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DroppedCount {
    /// The channel.
    pub channel: String,
    /// How many.
    pub count: u64,
    /// When the last one was published.
    pub last_at: Option<DateTime<Utc>>,
}

/// A message parked after its last failed attempt.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DeadLetter {
    /// Id for [`requeue_dead_letter`].
    pub id: i64,
    /// The channel.
    pub channel: String,
    /// The component whose handler failed.
    pub component_id: String,
    /// The payload's size in bytes.
    pub payload_len: usize,
    /// The payload's start as text (invalid UTF-8 replaced, control characters escaped).
    pub payload_preview: String,
    /// Deliveries tried.
    pub attempts: u32,
    /// The last failure.
    pub last_error: String,
    /// When the message was published.
    pub published_at: Option<DateTime<Utc>>,
    /// When it was parked.
    pub failed_at: Option<DateTime<Utc>>,
}

fn time(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
}

fn preview(payload: &[u8]) -> String {
    let shown = &payload[..payload.len().min(PREVIEW_BYTES)];
    let mut text: String = String::from_utf8_lossy(shown)
        .chars()
        .flat_map(char::escape_debug)
        .collect();
    if payload.len() > PREVIEW_BYTES {
        text.push('…');
    }
    text
}

/// Opens the queue file if it exists.
fn open_existing(state_dir: &Path) -> Result<Option<Connection>, RedisError> {
    let path = state_dir.join(QUEUE_FILE);
    if path.exists() {
        open_db(&path).map(Some)
    } else {
        Ok(None)
    }
}

/// Reads the queue file in `state_dir` (an empty report if there is none yet).
pub fn queue_report(state_dir: &Path) -> anyhow::Result<QueueReport> {
    let mut report = QueueReport {
        queue_file: state_dir.join(QUEUE_FILE),
        subscriptions: Vec::new(),
        dropped: Vec::new(),
        dead_letters: Vec::new(),
    };
    let Some(conn) = open_existing(state_dir)? else {
        return Ok(report);
    };
    let mut counts: BTreeMap<(String, String), SubscriptionCounts> = BTreeMap::new();
    let mut stmt = conn.prepare(
        "SELECT channel, component_id,
                SUM(state = 'pending'), SUM(state = 'pending' AND attempts > 0), SUM(state = 'in_flight'),
                MIN(CASE WHEN state = 'pending' THEN published_at END)
         FROM messages GROUP BY channel, component_id",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, u64>(2)?,
            row.get::<_, u64>(3)?,
            row.get::<_, u64>(4)?,
            row.get::<_, Option<i64>>(5)?,
        ))
    })?;
    for row in rows {
        let (channel, component_id, pending, retrying, in_flight, oldest) = row?;
        let c = counts_for(&mut counts, channel, component_id);
        (c.pending, c.retrying, c.in_flight, c.oldest_pending_at) =
            (pending, retrying, in_flight, oldest.and_then(time));
    }
    let mut stmt = conn
        .prepare("SELECT channel, component_id, delivered, failed_attempts FROM delivery_stats")?;
    let rows = stmt.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, u64>(2)?,
            row.get::<_, u64>(3)?,
        ))
    })?;
    for row in rows {
        let (channel, component_id, delivered, failed) = row?;
        let c = counts_for(&mut counts, channel, component_id);
        (c.delivered, c.failed_attempts) = (delivered, failed);
    }
    let mut stmt = conn.prepare(
        "SELECT id, channel, component_id, payload, attempts, last_error, published_at, failed_at
         FROM dead_letters ORDER BY id",
    )?;
    let rows = stmt.query_map([], |row| {
        let payload: Vec<u8> = row.get(3)?;
        Ok(DeadLetter {
            id: row.get(0)?,
            channel: row.get(1)?,
            component_id: row.get(2)?,
            payload_len: payload.len(),
            payload_preview: preview(&payload),
            attempts: row.get(4)?,
            last_error: row.get(5)?,
            published_at: time(row.get(6)?),
            failed_at: time(row.get(7)?),
        })
    })?;
    for dead in rows {
        let dead = dead?;
        counts_for(&mut counts, dead.channel.clone(), dead.component_id.clone()).dead_letters += 1;
        report.dead_letters.push(dead);
    }
    let mut stmt =
        conn.prepare("SELECT channel, count, last_at FROM dropped_messages ORDER BY channel")?;
    report.dropped = stmt
        .query_map([], |row| {
            Ok(DroppedCount {
                channel: row.get(0)?,
                count: row.get(1)?,
                last_at: time(row.get(2)?),
            })
        })?
        .collect::<Result<_, _>>()?;
    report.subscriptions = counts.into_values().collect();
    Ok(report)
}

fn counts_for(
    counts: &mut BTreeMap<(String, String), SubscriptionCounts>,
    channel: String,
    component_id: String,
) -> &mut SubscriptionCounts {
    counts
        .entry((channel.clone(), component_id.clone()))
        .or_insert_with(|| SubscriptionCounts {
            channel,
            component_id,
            ..Default::default()
        })
}

/// Puts dead letter `id` back in the queue as a fresh message for its component (attempts
/// reset). A running host picks it up within a second. False if there is no such dead letter.
pub fn requeue_dead_letter(state_dir: &Path, id: i64) -> anyhow::Result<bool> {
    let Some(mut conn) = open_existing(state_dir)? else {
        return Ok(false);
    };
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let moved = tx.execute(
        "INSERT INTO messages (channel, component_id, payload, state, next_attempt_at, published_at)
         SELECT channel, component_id, payload, 'pending', ?2, published_at FROM dead_letters WHERE id = ?1",
        params![id, now_ms()],
    )?;
    tx.execute("DELETE FROM dead_letters WHERE id = ?1", [id])?;
    tx.commit()?;
    Ok(moved > 0)
}
