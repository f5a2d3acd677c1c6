//! A time limit on the statements of one connection, through SQLite's progress handler
//! (rusqlite exposes it only behind its `hooks` feature, which this build does not enable).

use std::ffi::{c_int, c_void};
use std::time::Instant;

use rusqlite::{Connection, ffi};

/// SQLite virtual-machine steps between two deadline checks (a few microseconds).
const STEPS_PER_CHECK: c_int = 1000;

/// While alive, SQLite interrupts any statement running on the connection once the deadline
/// has passed (the statement fails with `SQLITE_INTERRUPT`).
pub struct Deadline<'c> {
    conn: &'c Connection,
}

impl<'c> Deadline<'c> {
    /// Arms the deadline on `conn` until the returned guard is dropped.
    pub fn arm(conn: &'c Connection, deadline: &'c Instant) -> Self {
        let data = std::ptr::from_ref(deadline).cast_mut().cast::<c_void>();
        // SAFETY: `conn.handle()` is the live connection, used only on this thread while
        // `conn` is borrowed. The handler reads `*deadline`, which the `'c` borrow keeps alive
        // and in place for as long as the guard exists; the guard's `drop` removes the handler
        // before that borrow ends.
        unsafe {
            ffi::sqlite3_progress_handler(conn.handle(), STEPS_PER_CHECK, Some(past), data);
        }
        Deadline { conn }
    }
}

impl Drop for Deadline<'_> {
    fn drop(&mut self) {
        // SAFETY: removing the handler from the live connection; no pointer is kept.
        unsafe {
            ffi::sqlite3_progress_handler(self.conn.handle(), 0, None, std::ptr::null_mut());
        }
    }
}

/// The progress handler: non-zero (interrupt) once the deadline has passed.
unsafe extern "C" fn past(deadline: *mut c_void) -> c_int {
    // SAFETY: SQLite hands back the pointer given in `Deadline::arm`, valid while armed.
    let deadline = unsafe { &*deadline.cast::<Instant>() };
    c_int::from(Instant::now() >= *deadline)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const ENDLESS: &str = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)
                           SELECT count(*) FROM n";

    #[test]
    fn a_statement_past_its_deadline_is_interrupted_and_the_next_is_not() {
        let conn = Connection::open_in_memory().unwrap();
        let deadline = Instant::now() + Duration::from_millis(5);
        {
            let _armed = Deadline::arm(&conn, &deadline);
            let err = conn
                .query_row(ENDLESS, [], |r| r.get::<_, i64>(0))
                .unwrap_err();
            assert_eq!(
                err.sqlite_error_code(),
                Some(rusqlite::ErrorCode::OperationInterrupted)
            );
        }
        // The deadline has passed: were the handler still armed, this would be interrupted.
        let counted =
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
                       SELECT count(*) FROM n";
        let n: i64 = conn.query_row(counted, [], |r| r.get(0)).unwrap();
        assert_eq!(n, 100000, "disarmed: long statements run to the end");
    }
}
