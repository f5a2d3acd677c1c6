//! Running one guest statement: parameters always bound, results as the WIT `query-result`,
//! SQLite errors as the WIT `error`.
//!
//! [`try_inline`] runs a statement on the calling async task when that is provably cheap and
//! harmless to abandon: the statement cannot change the database, may not wait for a lock, and
//! is interrupted after [`INLINE_BUDGET`]. Anything else, or anything interrupted, runs again
//! with [`execute`] on a blocking thread.

use std::time::{Duration, Instant};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{CachedStatement, Connection, ErrorCode};

use super::deadline::Deadline;
use super::pool::BUSY_TIMEOUT;
use crate::bindings::fermyon::spin2_0_0::sqlite::{Error, QueryResult, RowResult, Value};

/// The largest result the host buffers for a guest, as in Spin (`MAX_HOST_BUFFERED_BYTES`).
pub const MAX_RESULT_BYTES: usize = 128 << 20;

/// The longest a statement may run on an async task before it moves to a blocking thread.
pub const INLINE_BUDGET: Duration = Duration::from_micros(500);

/// Why a statement produced no result.
enum Failure {
    /// SQLite failed.
    Sqlite(rusqlite::Error),
    /// The result outgrew [`MAX_RESULT_BYTES`].
    TooBig,
    /// An inline attempt gave up: the statement may write, or it ran out of time.
    GaveUp,
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Self {
        Failure::Sqlite(e)
    }
}

/// Runs `statement` with `parameters` bound to its `?` placeholders, and collects every row.
pub fn execute(
    conn: &Connection,
    statement: &str,
    parameters: &[Value],
) -> Result<QueryResult, Error> {
    let result = conn
        .prepare_cached(statement)
        .map_err(Failure::from)
        .and_then(|mut stmt| collect(&mut stmt, parameters, None));
    result.map_err(|failure| match failure {
        Failure::Sqlite(e) => to_wit_error(e),
        Failure::TooBig => too_big(),
        Failure::GaveUp => unreachable!("only inline attempts give up"),
    })
}

/// Runs `statement` like [`execute`] if it cannot change the database and finishes within
/// [`INLINE_BUDGET`] without waiting for a lock; `None` means it must run with [`execute`]
/// instead (it did nothing). `conn` must be outside any transaction.
pub fn try_inline(
    conn: &Connection,
    statement: &str,
    parameters: &[Value],
) -> Option<Result<QueryResult, Error>> {
    debug_assert!(
        conn.is_autocommit(),
        "a statement inside a transaction is never abandoned"
    );
    let deadline = Instant::now() + INLINE_BUDGET;
    let result = {
        let _no_lock_waits = NoBusyWait::new(conn);
        let _armed = Deadline::arm(conn, &deadline);
        conn.prepare_cached(statement)
            .map_err(Failure::from)
            .and_then(|mut stmt| match stmt.readonly() {
                true => collect(&mut stmt, parameters, Some(deadline)),
                false => Err(Failure::GaveUp),
            })
    };
    match result {
        Ok(result) => Some(Ok(result)),
        Err(Failure::TooBig) => Some(Err(too_big())),
        Err(Failure::GaveUp) => None,
        Err(Failure::Sqlite(e)) => match e.sqlite_error_code() {
            Some(
                ErrorCode::OperationInterrupted
                | ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked,
            ) => None,
            _ => Some(Err(to_wit_error(e))),
        },
    }
}

/// Maps a SQLite error to the WIT `error`: a full database is `database-full`, the rest `io`.
fn to_wit_error(e: rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => Error::DatabaseFull,
        _ => Error::Io(e.to_string()),
    }
}

fn too_big() -> Error {
    Error::Io(format!(
        "query result exceeds limit of {MAX_RESULT_BYTES} bytes"
    ))
}

/// Steps `stmt` to the end, converting rows; gives up once `deadline` passes.
fn collect(
    stmt: &mut CachedStatement<'_>,
    parameters: &[Value],
    deadline: Option<Instant>,
) -> Result<QueryResult, Failure> {
    let columns: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
    let width = columns.len();
    let mut rows = stmt.query(rusqlite::params_from_iter(parameters.iter().map(Param)))?;
    let mut result = Vec::new();
    let mut bytes = 0usize;
    while let Some(row) = rows.next()? {
        let values = (0..width)
            .map(|i| row.get_ref(i).map(from_sql))
            .collect::<Result<Vec<_>, _>>()?;
        bytes += values.iter().map(value_size).sum::<usize>();
        if bytes > MAX_RESULT_BYTES {
            return Err(Failure::TooBig);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Failure::GaveUp);
        }
        result.push(RowResult { values });
    }
    Ok(QueryResult {
        columns,
        rows: result,
    })
}

/// While alive, SQLite fails at once with `SQLITE_BUSY` instead of waiting for a lock.
struct NoBusyWait<'c>(&'c Connection);

impl<'c> NoBusyWait<'c> {
    fn new(conn: &'c Connection) -> Self {
        // Clearing the busy handler cannot fail on an open connection.
        let _ = conn.busy_timeout(Duration::ZERO);
        NoBusyWait(conn)
    }
}

impl Drop for NoBusyWait<'_> {
    fn drop(&mut self) {
        let _ = self.0.busy_timeout(BUSY_TIMEOUT);
    }
}

/// A guest value bound as a parameter, without copying it.
struct Param<'a>(&'a Value);

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(r) => ValueRef::Real(*r),
            Value::Text(t) => ValueRef::Text(t.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
            Value::Null => ValueRef::Null,
        }))
    }
}

fn from_sql(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        // SQLite lets invalid UTF-8 into TEXT; Spin would panic on it, this host replaces it.
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

/// Bytes a value costs the host, counted as Spin counts them.
fn value_size(v: &Value) -> usize {
    std::mem::size_of::<Value>()
        + match v {
            Value::Text(t) => t.len(),
            Value::Blob(b) => b.len(),
            Value::Integer(_) | Value::Real(_) | Value::Null => 0,
        }
}
