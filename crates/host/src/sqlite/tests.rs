//! Tests driving the `fermyon:spin/sqlite` host methods directly on a [`SqliteInstance`].

use std::collections::BTreeMap;
use std::path::Path;

use wasmtime::component::Resource;

use super::*;
use crate::bindings::fermyon::spin2_0_0::sqlite::{HostConnection, RowResult};

fn components(list: &[(&str, &[&str])]) -> BTreeMap<String, Component> {
    list.iter()
        .map(|(id, labels)| {
            let text = format!("source = \"x.wasm\"\nsqlite_databases = {labels:?}\n");
            (id.to_string(), toml::from_str(&text).unwrap())
        })
        .collect()
}

fn runtime_config(text: &str) -> RuntimeConfig {
    RuntimeConfig::parse(text, Path::new("rc.toml"), Path::new("/")).unwrap()
}

/// A factor over `dir` where component `app` lists `default` (and `mem`, configured without
/// a path).
fn factor(dir: &Path) -> SqliteFactor {
    let rc = runtime_config("[sqlite_database.mem]\ntype = \"spin\"\n");
    SqliteFactor::new(&rc, dir, &components(&[("app", &["default", "mem"])])).unwrap()
}

async fn open(inst: &mut SqliteInstance, label: &str) -> Resource<ConnectionHandle> {
    inst.open(label.into()).await.unwrap().unwrap()
}

fn again(conn: &Resource<ConnectionHandle>) -> Resource<ConnectionHandle> {
    Resource::new_borrow(conn.rep())
}

async fn exec(
    inst: &mut SqliteInstance,
    conn: &Resource<ConnectionHandle>,
    sql: &str,
    params: Vec<Value>,
) -> Result<QueryResult, Error> {
    inst.execute(again(conn), sql.into(), params).await.unwrap()
}

fn rows(result: QueryResult) -> Vec<Vec<Value>> {
    result
        .rows
        .into_iter()
        .map(|RowResult { values }| values)
        .collect()
}

fn int(result: QueryResult) -> i64 {
    match rows(result).as_slice() {
        [row] => match row.as_slice() {
            [Value::Integer(n)] => *n,
            other => panic!("expected one integer, got {other:?}"),
        },
        other => panic!("expected one row, got {other:?}"),
    }
}

#[tokio::test]
async fn listed_labels_open_and_unlisted_ones_are_access_denied() {
    let dir = tempfile::tempdir().unwrap();
    let rc = runtime_config("[sqlite_database.reports]\ntype = \"spin\"\n");
    let factor = SqliteFactor::new(&rc, dir.path(), &components(&[("app", &["default"])])).unwrap();
    let mut inst = factor.instance("app");
    assert!(inst.open("default".into()).await.unwrap().is_ok());
    // Configured but not listed by the component, and not configured at all.
    assert!(matches!(
        inst.open("reports".into()).await.unwrap(),
        Err(Error::AccessDenied)
    ));
    assert!(matches!(
        inst.open("nope".into()).await.unwrap(),
        Err(Error::AccessDenied)
    ));
    let mut stranger = factor.instance("not-a-component");
    assert!(matches!(
        stranger.open("default".into()).await.unwrap(),
        Err(Error::AccessDenied)
    ));
}

#[test]
fn an_unknown_label_fails_start_up_naming_component_and_label() {
    let dir = tempfile::tempdir().unwrap();
    let comps = components(&[("app", &["default"]), ("stats", &["reports"])]);
    let err = SqliteFactor::new(&RuntimeConfig::default(), dir.path(), &comps)
        .err()
        .expect("start-up must fail")
        .to_string();
    assert_eq!(
        err,
        "component `stats`: unknown sqlite_databases label `reports`"
    );
}

#[tokio::test]
async fn parameters_are_bound_never_spliced() {
    let dir = tempfile::tempdir().unwrap();
    let mut inst = factor(dir.path()).instance("app");
    let conn = open(&mut inst, "default").await;
    exec(&mut inst, &conn, "CREATE TABLE t (name TEXT)", vec![])
        .await
        .unwrap();
    let evil = "'); DROP TABLE t; --";
    let insert = "INSERT INTO t (name) VALUES (?)";
    exec(&mut inst, &conn, insert, vec![Value::Text(evil.into())])
        .await
        .unwrap();
    let result = exec(&mut inst, &conn, "SELECT name FROM t", vec![])
        .await
        .unwrap();
    assert_eq!(result.columns, ["name"]);
    assert!(
        matches!(rows(result).as_slice(), [row] if matches!(row.as_slice(), [Value::Text(t)] if t == evil))
    );
    let count = exec(&mut inst, &conn, "SELECT count(*) FROM t", vec![])
        .await
        .unwrap();
    assert_eq!(int(count), 1, "the table survived");
}

#[tokio::test]
async fn every_value_type_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let mut inst = factor(dir.path()).instance("app");
    let conn = open(&mut inst, "default").await;
    exec(
        &mut inst,
        &conn,
        "CREATE TABLE v (i INTEGER, r REAL, t TEXT, b BLOB, n)",
        vec![],
    )
    .await
    .unwrap();
    let values = || {
        vec![
            Value::Integer(i64::MIN),
            Value::Real(-1.5e300),
            Value::Text("héllo\0wörld".into()),
            Value::Blob(vec![0, 255, 7]),
            Value::Null,
        ]
    };
    exec(
        &mut inst,
        &conn,
        "INSERT INTO v VALUES (?, ?, ?, ?, ?)",
        values(),
    )
    .await
    .unwrap();
    let result = exec(&mut inst, &conn, "SELECT i, r, t, b, n FROM v", vec![])
        .await
        .unwrap();
    assert_eq!(result.columns, ["i", "r", "t", "b", "n"]);
    assert_eq!(
        format!("{:?}", rows(result)),
        format!("{:?}", vec![values()])
    );
}

#[tokio::test]
async fn the_default_database_is_a_wal_file_in_the_state_dir() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let mut inst = factor(&state).instance("app");
    let conn = open(&mut inst, "default").await;
    exec(&mut inst, &conn, "CREATE TABLE t (x)", vec![])
        .await
        .unwrap();
    let file = rusqlite::Connection::open(state.join(DEFAULT_DATABASE_FILE)).unwrap();
    let mode: String = file
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let tables: i64 = file
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 't'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 1);
}

#[tokio::test]
async fn data_persists_across_factors() {
    let dir = tempfile::tempdir().unwrap();
    {
        let factor = factor(dir.path());
        factor
            .execute_batch("default", "CREATE TABLE t (x); INSERT INTO t VALUES (42);")
            .unwrap();
    }
    let mut inst = factor(dir.path()).instance("app");
    let conn = open(&mut inst, "default").await;
    assert_eq!(
        int(exec(&mut inst, &conn, "SELECT x FROM t", vec![])
            .await
            .unwrap()),
        42
    );
}

#[tokio::test]
async fn execute_batch_runs_several_statements() {
    let dir = tempfile::tempdir().unwrap();
    let factor = factor(dir.path());
    factor
        .execute_batch(
            "default",
            "CREATE TABLE a (x); INSERT INTO a VALUES (1);\nINSERT INTO a VALUES (2); -- done\n",
        )
        .unwrap();
    let mut inst = factor.instance("app");
    let conn = open(&mut inst, "default").await;
    assert_eq!(
        int(exec(&mut inst, &conn, "SELECT sum(x) FROM a", vec![])
            .await
            .unwrap()),
        3
    );

    let err = factor
        .execute_batch("nope", "SELECT 1")
        .unwrap_err()
        .to_string();
    assert!(err.contains("`nope`"), "{err}");
    let err = factor
        .execute_batch("default", "CREATE TABLE a (x)")
        .unwrap_err()
        .to_string();
    assert!(err.contains("already exists"), "{err}");
}

#[tokio::test]
async fn a_label_without_a_path_is_a_private_in_memory_database() {
    let dir = tempfile::tempdir().unwrap();
    let factor = factor(dir.path());
    let mut inst = factor.instance("app");
    let conn = open(&mut inst, "mem").await;
    exec(&mut inst, &conn, "CREATE TABLE m (x)", vec![])
        .await
        .unwrap();
    exec(
        &mut inst,
        &conn,
        "INSERT INTO m VALUES (?)",
        vec![Value::Integer(7)],
    )
    .await
    .unwrap();
    // Another instance sees the same database; the default one does not have the table.
    let mut other = factor.instance("app");
    let conn = open(&mut other, "mem").await;
    assert_eq!(
        int(exec(&mut other, &conn, "SELECT x FROM m", vec![])
            .await
            .unwrap()),
        7
    );
    let conn = open(&mut other, "default").await;
    let err = exec(&mut other, &conn, "SELECT x FROM m", vec![])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Io(m) if m.contains("no such table")),
        "{err:?}"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| n.to_string_lossy().starts_with("sqlite_db.db")),
        "{names:?}"
    );
}

#[tokio::test]
async fn a_configured_path_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/reports.db");
    let rc = runtime_config(&format!(
        "[sqlite_database.reports]\ntype = \"spin\"\npath = {:?}\n",
        path.to_str().unwrap()
    ));
    let factor = SqliteFactor::new(&rc, dir.path(), &components(&[("app", &["reports"])])).unwrap();
    factor
        .execute_batch("reports", "CREATE TABLE r (x)")
        .unwrap();
    let file = rusqlite::Connection::open(&path).unwrap();
    let n: i64 = file
        .query_row("SELECT count(*) FROM r", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn a_transaction_spans_calls_and_is_rolled_back_when_the_connection_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let factor = factor(dir.path());
    factor
        .execute_batch("default", "CREATE TABLE t (x)")
        .unwrap();
    let mut inst = factor.instance("app");
    let conn = open(&mut inst, "default").await;
    let mut watcher = factor.instance("app");
    let watch = open(&mut watcher, "default").await;
    let count = "SELECT count(*) FROM t";

    exec(&mut inst, &conn, "BEGIN", vec![]).await.unwrap();
    exec(&mut inst, &conn, "INSERT INTO t VALUES (1)", vec![])
        .await
        .unwrap();
    assert_eq!(
        int(exec(&mut inst, &conn, count, vec![]).await.unwrap()),
        1,
        "same transaction"
    );
    assert_eq!(
        int(exec(&mut watcher, &watch, count, vec![]).await.unwrap()),
        0,
        "uncommitted"
    );
    exec(&mut inst, &conn, "COMMIT", vec![]).await.unwrap();
    assert_eq!(
        int(exec(&mut watcher, &watch, count, vec![]).await.unwrap()),
        1,
        "committed"
    );

    exec(&mut inst, &conn, "BEGIN", vec![]).await.unwrap();
    exec(&mut inst, &conn, "INSERT INTO t VALUES (2)", vec![])
        .await
        .unwrap();
    HostConnection::drop(&mut inst, conn).await.unwrap();
    assert_eq!(
        int(exec(&mut watcher, &watch, count, vec![]).await.unwrap()),
        1,
        "rolled back"
    );
    // The rolled-back connection is usable again, outside any transaction.
    let conn = open(&mut inst, "default").await;
    exec(&mut inst, &conn, "INSERT INTO t VALUES (3)", vec![])
        .await
        .unwrap();
    assert_eq!(
        int(exec(&mut watcher, &watch, count, vec![]).await.unwrap()),
        2
    );
}

#[tokio::test]
async fn errors_map_to_the_wit_variants() {
    let dir = tempfile::tempdir().unwrap();
    let mut inst = factor(dir.path()).instance("app");
    let conn = open(&mut inst, "default").await;

    let err = exec(&mut inst, &conn, "SELEC 1", vec![]).await.unwrap_err();
    assert!(
        matches!(&err, Error::Io(m) if m.contains("syntax error")),
        "{err:?}"
    );
    let err = exec(&mut inst, &conn, "SELECT ?", vec![])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Io(_)), "a missing parameter: {err:?}");

    // The in-memory database has one connection, so a size limit set in one call holds.
    let mem = open(&mut inst, "mem").await;
    exec(&mut inst, &mem, "PRAGMA max_page_count = 8", vec![])
        .await
        .unwrap();
    exec(&mut inst, &mem, "CREATE TABLE big (b BLOB)", vec![])
        .await
        .unwrap();
    let blob = vec![Value::Blob(vec![0; 64 * 1024])];
    let err = exec(&mut inst, &mem, "INSERT INTO big VALUES (?)", blob)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::DatabaseFull), "{err:?}");

    let stale = again(&conn);
    HostConnection::drop(&mut inst, conn).await.unwrap();
    let err = inst
        .execute(stale, "SELECT 1".into(), vec![])
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidConnection), "{err:?}");
}

#[tokio::test]
async fn an_instance_opens_at_most_256_connections() {
    let dir = tempfile::tempdir().unwrap();
    let mut inst = factor(dir.path()).instance("app");
    let mut open_ones = Vec::new();
    for _ in 0..MAX_OPEN_CONNECTIONS {
        open_ones.push(open(&mut inst, "default").await);
    }
    let err = inst.open("default".into()).await.unwrap().unwrap_err();
    assert!(
        matches!(&err, Error::Io(m) if m == "too many connections opened"),
        "{err:?}"
    );
    HostConnection::drop(&mut inst, open_ones.pop().unwrap())
        .await
        .unwrap();
    assert!(inst.open("default".into()).await.unwrap().is_ok());
}

#[test]
fn only_short_reads_run_inline() {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    let read = query::try_inline(&conn, "SELECT x FROM t WHERE x = ?", &[Value::Integer(1)]);
    assert_eq!(int(read.expect("a point read runs inline").unwrap()), 1);
    assert!(query::try_inline(&conn, "INSERT INTO t VALUES (2)", &[]).is_none());
    let count = query::execute(&conn, "SELECT count(*) FROM t", &[]).unwrap();
    assert_eq!(
        int(count),
        1,
        "the write was left for a blocking thread, not run"
    );
    assert!(
        query::try_inline(&conn, LONG_READ, &[]).is_none(),
        "over budget"
    );
    let err = query::try_inline(&conn, "SELEC 1", &[])
        .expect("errors are final")
        .unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err:?}");
    let timeout: i64 = conn
        .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
        .unwrap();
    assert_eq!(timeout, 5000, "lock waits are restored");
}

/// A read-only statement far over the inline budget.
const LONG_READ: &str =
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000)
                         SELECT count(*) FROM n";

#[tokio::test]
async fn a_read_over_the_inline_budget_completes_on_a_blocking_thread() {
    let dir = tempfile::tempdir().unwrap();
    let mut inst = factor(dir.path()).instance("app");
    let conn = open(&mut inst, "default").await;
    assert_eq!(
        int(exec(&mut inst, &conn, LONG_READ, vec![]).await.unwrap()),
        3_000_000
    );
}

/// Point-select throughput through the pool, inline vs on blocking threads, against Spin's
/// scheme (one mutex-guarded connection behind `spawn_blocking`). Prints; asserts nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "micro-benchmark: cargo test --release -p fabula-host sqlite::tests::bench -- --ignored --nocapture"]
async fn bench_point_select() {
    use std::sync::Mutex;
    use std::time::Instant;

    const TASKS: usize = 32;
    const CALLS: usize = 2000;
    let dir = tempfile::tempdir().unwrap();
    let factor = factor(dir.path());
    factor
        .execute_batch(
            "default",
            "CREATE TABLE s (id INTEGER PRIMARY KEY, body TEXT);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
             INSERT INTO s SELECT i, 'story ' || i FROM n;",
        )
        .unwrap();
    let pool = Arc::clone(&factor.databases["default"]);
    let sql = "SELECT id, body FROM s WHERE id = ?";
    let spin_like = Arc::new(Mutex::new(
        rusqlite::Connection::open(dir.path().join(DEFAULT_DATABASE_FILE)).unwrap(),
    ));

    for mode in [
        "pool, inline when idle",
        "pool, blocking thread",
        "guest path (SqliteInstance)",
        "spin: mutex + spawn_blocking",
    ] {
        let start = Instant::now();
        let tasks: Vec<_> = (0..TASKS)
            .map(|t| {
                let pool = Arc::clone(&pool);
                let spin_like = Arc::clone(&spin_like);
                let mut inst = factor.instance("app");
                tokio::spawn(async move {
                    for i in 0..CALLS {
                        let params = vec![Value::Integer(((t * CALLS + i) % 1000 + 1) as i64)];
                        let result = match mode {
                            "pool, inline when idle" => pool
                                .run_bounded(move |c| query::execute(c, sql, &params))
                                .await
                                .unwrap(),
                            "pool, blocking thread" => pool
                                .run_blocking(move |c| query::execute(c, sql, &params))
                                .await
                                .unwrap(),
                            "guest path (SqliteInstance)" => {
                                // As a request does: open, execute, drop.
                                let conn = open(&mut inst, "default").await;
                                let result = exec(&mut inst, &conn, sql, params).await;
                                HostConnection::drop(&mut inst, conn).await.unwrap();
                                result
                            }
                            _ => {
                                let conn = Arc::clone(&spin_like);
                                tokio::task::spawn_blocking(move || {
                                    query::execute(&conn.lock().unwrap(), sql, &params)
                                })
                                .await
                                .unwrap()
                            }
                        };
                        assert_eq!(result.unwrap().rows.len(), 1);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{mode:>30}: {:>9.0} queries/s",
            (TASKS * CALLS) as f64 / secs
        );
    }
}
