//! Tests driving the `wasi:keyvalue` host methods directly on a [`KvInstance`], next to the
//! `fermyon:spin/key-value` ones on the same instance.

use std::collections::BTreeMap;
use std::path::Path;

use wasmtime::component::Resource;

use super::*;
use crate::bindings::fermyon::spin2_0_0::key_value::HostStore;
use crate::kv::KvFactor;
use crate::manifest::Component;
use crate::runtime_config::RuntimeConfig;
use atomics::{Host as _, HostCas};
use batch::Host as _;
use store::HostBucket;

/// A factor over `dir` from runtime config `rc` and `(component, key_value_stores list)` pairs.
fn factor_from(dir: &Path, rc: &str, components: &[(&str, &str)]) -> KvFactor {
    let rc = RuntimeConfig::parse(rc, Path::new("rc.toml"), Path::new("/")).unwrap();
    let components: BTreeMap<String, Component> = components
        .iter()
        .map(|(id, stores)| {
            let text = format!("source = \"x.wasm\"\nkey_value_stores = {stores}\n");
            (id.to_string(), toml::from_str(&text).unwrap())
        })
        .collect();
    KvFactor::new(&rc, dir, &components).unwrap()
}

/// A factor over `dir`: component `app` lists `default` (the file) and `cache` (configured
/// without a path, so in memory); component `narrow` lists only `default`.
fn factor(dir: &Path) -> KvFactor {
    factor_from(
        dir,
        "[key_value_store.cache]\ntype = \"spin\"\n",
        &[
            ("app", r#"["default", "cache"]"#),
            ("narrow", r#"["default"]"#),
        ],
    )
}

/// A borrow of the same resource (the guest keeps its own handle).
fn again<T: 'static>(resource: &Resource<T>) -> Resource<T> {
    Resource::new_borrow(resource.rep())
}

async fn open(inst: &mut KvInstance, label: &str) -> Resource<BucketHandle> {
    store::Host::open(inst, label.into())
        .await
        .unwrap()
        .unwrap()
}

async fn open_error(inst: &mut KvInstance, label: &str) -> Error {
    match store::Host::open(inst, label.into()).await.unwrap() {
        Ok(_) => panic!("`{label}` opened"),
        Err(e) => e,
    }
}

async fn get(inst: &mut KvInstance, b: &Resource<BucketHandle>, key: &str) -> Option<Vec<u8>> {
    HostBucket::get(inst, again(b), key.into())
        .await
        .unwrap()
        .unwrap()
}

async fn set(inst: &mut KvInstance, b: &Resource<BucketHandle>, key: &str, value: &[u8]) {
    HostBucket::set(inst, again(b), key.into(), value.to_vec())
        .await
        .unwrap()
        .unwrap();
}

async fn exists(inst: &mut KvInstance, b: &Resource<BucketHandle>, key: &str) -> bool {
    HostBucket::exists(inst, again(b), key.into())
        .await
        .unwrap()
        .unwrap()
}

async fn increment(
    inst: &mut KvInstance,
    b: &Resource<BucketHandle>,
    key: &str,
    delta: i64,
) -> Result<i64, Error> {
    inst.increment(again(b), key.into(), delta).await.unwrap()
}

async fn new_cas(
    inst: &mut KvInstance,
    b: &Resource<BucketHandle>,
    key: &str,
) -> Resource<CasHandle> {
    HostCas::new(inst, again(b), key.into())
        .await
        .unwrap()
        .unwrap()
}

async fn current(inst: &mut KvInstance, cas: &Resource<CasHandle>) -> Option<Vec<u8>> {
    inst.current(again(cas)).await.unwrap().unwrap()
}

/// Every key of the bucket, page by page, and the number of pages.
async fn all_keys(inst: &mut KvInstance, b: &Resource<BucketHandle>) -> (Vec<String>, usize) {
    let (mut keys, mut pages, mut cursor) = (Vec::new(), 0, None);
    loop {
        let page = HostBucket::list_keys(inst, again(b), cursor)
            .await
            .unwrap()
            .unwrap();
        pages += 1;
        keys.extend(page.keys);
        match page.cursor {
            Some(next) => cursor = Some(next),
            None => return (keys, pages),
        }
    }
}

fn message(error: Error) -> String {
    match error {
        Error::Other(message) => message,
        other => panic!("expected `other`, got {other:?}"),
    }
}

#[tokio::test]
async fn listed_labels_open_and_unlisted_ones_are_access_denied() {
    let dir = tempfile::tempdir().unwrap();
    let factor = factor(dir.path());
    let mut app = factor.instance("app");
    open(&mut app, "default").await;
    open(&mut app, "cache").await;
    assert!(matches!(
        open_error(&mut app, "nope").await,
        Error::AccessDenied
    ));

    // `cache` is configured, but `narrow` does not list it.
    let mut narrow = factor.instance("narrow");
    open(&mut narrow, "default").await;
    assert!(matches!(
        open_error(&mut narrow, "cache").await,
        Error::AccessDenied
    ));
    let mut stranger = factor.instance("not-a-component");
    assert!(matches!(
        open_error(&mut stranger, "default").await,
        Error::AccessDenied
    ));
}

#[tokio::test]
async fn buckets_and_stores_share_the_instances_256_slots() {
    let dir = tempfile::tempdir().unwrap();
    let mut inst = factor(dir.path()).instance("app");
    for _ in 0..255 {
        HostStore::open(&mut inst, "default".into())
            .await
            .unwrap()
            .unwrap();
    }
    let last = open(&mut inst, "default").await;
    assert_eq!(
        message(open_error(&mut inst, "default").await),
        "store table full"
    );
    assert!(matches!(
        HostStore::open(&mut inst, "default".into()).await.unwrap(),
        Err(spin_kv::Error::StoreTableFull)
    ));
    HostBucket::drop(&mut inst, last).await.unwrap();
    HostStore::open(&mut inst, "default".into())
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn get_set_delete_exists() {
    let dir = tempfile::tempdir().unwrap();
    let mut inst = factor(dir.path()).instance("app");
    let b = open(&mut inst, "default").await;
    assert_eq!(get(&mut inst, &b, "a").await, None);
    assert!(!exists(&mut inst, &b, "a").await);
    set(&mut inst, &b, "a", b"1").await;
    set(&mut inst, &b, "a", &[0, 255]).await;
    assert_eq!(get(&mut inst, &b, "a").await, Some(vec![0, 255]));
    assert!(exists(&mut inst, &b, "a").await);
    HostBucket::delete(&mut inst, again(&b), "a".into())
        .await
        .unwrap()
        .unwrap();
    HostBucket::delete(&mut inst, again(&b), "never-there".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(get(&mut inst, &b, "a").await, None);
    assert!(!exists(&mut inst, &b, "a").await);
}

#[tokio::test]
async fn list_keys_pages_through_every_key_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut inst = factor(dir.path()).instance("app");
    let b = open(&mut inst, "default").await;
    assert_eq!(
        all_keys(&mut inst, &b).await,
        (vec![], 1),
        "an empty store is one empty page"
    );

    let total = 2 * LIST_KEYS_PAGE + 5;
    let pairs: Vec<(String, Vec<u8>)> = (0..total).map(|i| (format!("k{i:05}"), vec![1])).collect();
    inst.set_many(again(&b), pairs.clone())
        .await
        .unwrap()
        .unwrap();
    // Another label in the same file must not leak into this one's pages.
    let cache = open(&mut inst, "cache").await;
    set(&mut inst, &cache, "k00000x", b"other store").await;

    let (keys, pages) = all_keys(&mut inst, &b).await;
    assert_eq!(pages, 3);
    let expected: Vec<String> = pairs.into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, expected, "every key once, in key order");

    // A full last page is followed by one empty page.
    let exact = 2 * LIST_KEYS_PAGE;
    let extra: Vec<String> = (exact..total).map(|i| format!("k{i:05}")).collect();
    inst.delete_many(again(&b), extra).await.unwrap().unwrap();
    let (keys, pages) = all_keys(&mut inst, &b).await;
    assert_eq!((keys.len(), pages), (exact, 3));
}

#[tokio::test]
async fn data_is_shared_with_fermyon_key_value() {
    let dir = tempfile::tempdir().unwrap();
    let mut inst = factor(dir.path()).instance("app");
    let bucket = open(&mut inst, "default").await;
    let store = HostStore::open(&mut inst, "default".into())
        .await
        .unwrap()
        .unwrap();

    HostStore::set(&mut inst, again(&store), "from-spin".into(), b"s".to_vec())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        get(&mut inst, &bucket, "from-spin").await.as_deref(),
        Some(&b"s"[..])
    );
    set(&mut inst, &bucket, "from-wasi", b"w").await;
    let seen = HostStore::get(&mut inst, again(&store), "from-wasi".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen.as_deref(), Some(&b"w"[..]));

    let mut spin_keys = HostStore::get_keys(&mut inst, again(&store))
        .await
        .unwrap()
        .unwrap();
    spin_keys.sort();
    assert_eq!(all_keys(&mut inst, &bucket).await.0, spin_keys);
    assert_eq!(spin_keys, ["from-spin", "from-wasi"]);

    // The same rows, in Spin's table and file.
    let file = rusqlite::Connection::open(dir.path().join(crate::kv::DEFAULT_STORE_FILE)).unwrap();
    let rows: i64 = file
        .query_row(
            "SELECT count(*) FROM spin_key_value WHERE store = 'default'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rows, 2);
}

#[tokio::test]
async fn increment_starts_absent_keys_at_delta_and_stores_spins_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let mut inst = factor(dir.path()).instance("app");
    let b = open(&mut inst, "default").await;
    assert_eq!(increment(&mut inst, &b, "n", 1).await.unwrap(), 1);
    assert_eq!(increment(&mut inst, &b, "n", 2).await.unwrap(), 3);
    assert_eq!(increment(&mut inst, &b, "n", -10).await.unwrap(), -7);
    assert_eq!(increment(&mut inst, &b, "fresh", -4).await.unwrap(), -4);
    // Spin's SQLite backend: 8 bytes, little-endian i64.
    assert_eq!(
        get(&mut inst, &b, "n").await,
        Some((-7i64).to_le_bytes().to_vec())
    );

    set(&mut inst, &b, "text", b"12").await;
    let error = message(increment(&mut inst, &b, "text", 1).await.unwrap_err());
    assert!(
        error.contains("not an 8-byte little-endian integer"),
        "{error}"
    );
    assert_eq!(
        get(&mut inst, &b, "text").await.as_deref(),
        Some(&b"12"[..]),
        "untouched"
    );

    set(&mut inst, &b, "max", &i64::MAX.to_le_bytes()).await;
    let error = message(increment(&mut inst, &b, "max", 1).await.unwrap_err());
    assert!(error.contains("overflows"), "{error}");
    assert_eq!(
        get(&mut inst, &b, "max").await,
        Some(i64::MAX.to_le_bytes().to_vec())
    );
}

#[tokio::test]
async fn cas_swaps_when_the_value_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let mut inst = factor(dir.path()).instance("app");
    let b = open(&mut inst, "default").await;

    // Absent is a value: the swap inserts.
    let cas = new_cas(&mut inst, &b, "k").await;
    assert_eq!(current(&mut inst, &cas).await, None);
    inst.swap(cas, b"one".to_vec()).await.unwrap().unwrap();
    assert_eq!(get(&mut inst, &b, "k").await.as_deref(), Some(&b"one"[..]));

    let cas = new_cas(&mut inst, &b, "k").await;
    assert_eq!(current(&mut inst, &cas).await.as_deref(), Some(&b"one"[..]));
    inst.swap(cas, b"two".to_vec()).await.unwrap().unwrap();
    assert_eq!(get(&mut inst, &b, "k").await.as_deref(), Some(&b"two"[..]));
}

#[tokio::test]
async fn a_failed_cas_returns_a_fresh_handle_that_then_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let mut inst = factor(dir.path()).instance("app");
    let b = open(&mut inst, "default").await;

    // Changed under the handle.
    set(&mut inst, &b, "k", b"v1").await;
    let cas = new_cas(&mut inst, &b, "k").await;
    set(&mut inst, &b, "k", b"v2").await;
    let Err(CasError::CasFailed(fresh)) = inst.swap(cas, b"lost".to_vec()).await.unwrap() else {
        panic!("the swap must fail");
    };
    assert_eq!(get(&mut inst, &b, "k").await.as_deref(), Some(&b"v2"[..]));
    assert_eq!(
        current(&mut inst, &fresh).await.as_deref(),
        Some(&b"v2"[..])
    );
    inst.swap(fresh, b"v3".to_vec()).await.unwrap().unwrap();
    assert_eq!(get(&mut inst, &b, "k").await.as_deref(), Some(&b"v3"[..]));

    // Created under a handle that saw it absent.
    let cas = new_cas(&mut inst, &b, "new").await;
    set(&mut inst, &b, "new", b"first").await;
    let Err(CasError::CasFailed(fresh)) = inst.swap(cas, b"lost".to_vec()).await.unwrap() else {
        panic!("the swap must fail");
    };
    assert_eq!(
        current(&mut inst, &fresh).await.as_deref(),
        Some(&b"first"[..])
    );
    inst.current(again(&fresh)).await.unwrap().unwrap();
    HostCas::drop(&mut inst, fresh).await.unwrap();

    // Deleted under the handle.
    let cas = new_cas(&mut inst, &b, "k").await;
    HostBucket::delete(&mut inst, again(&b), "k".into())
        .await
        .unwrap()
        .unwrap();
    let Err(CasError::CasFailed(fresh)) = inst.swap(cas, b"lost".to_vec()).await.unwrap() else {
        panic!("the swap must fail");
    };
    assert_eq!(current(&mut inst, &fresh).await, None);
    inst.swap(fresh, b"back".to_vec()).await.unwrap().unwrap();
    assert_eq!(get(&mut inst, &b, "k").await.as_deref(), Some(&b"back"[..]));
    assert_eq!(inst.open_cas, 0, "every handle was consumed or dropped");
}

#[tokio::test]
async fn an_instance_holds_at_most_256_cas_handles() {
    let dir = tempfile::tempdir().unwrap();
    let mut inst = factor(dir.path()).instance("app");
    let b = open(&mut inst, "default").await;
    let mut handles = Vec::new();
    for _ in 0..MAX_OPEN_CAS {
        handles.push(new_cas(&mut inst, &b, "k").await);
    }
    let error = HostCas::new(&mut inst, again(&b), "k".into())
        .await
        .unwrap()
        .unwrap_err();
    assert!(message(error).contains("too many compare-and-swap handles"));
    HostCas::drop(&mut inst, handles.pop().unwrap())
        .await
        .unwrap();
    new_cas(&mut inst, &b, "k").await;
}

#[tokio::test]
async fn a_dropped_bucket_traps() {
    let dir = tempfile::tempdir().unwrap();
    let mut inst = factor(dir.path()).instance("app");
    let b = open(&mut inst, "default").await;
    let stale = again(&b);
    HostBucket::drop(&mut inst, b).await.unwrap();
    assert!(HostBucket::get(&mut inst, stale, "k".into()).await.is_err());
}

#[tokio::test]
async fn batch_get_set_delete_many() {
    let dir = tempfile::tempdir().unwrap();
    let mut inst = factor(dir.path()).instance("app");
    let b = open(&mut inst, "default").await;
    let pairs = vec![
        ("a".to_owned(), b"1".to_vec()),
        ("b".to_owned(), vec![0, 255]),
        ("c".to_owned(), vec![]),
    ];
    inst.set_many(again(&b), pairs).await.unwrap().unwrap();
    let keys = ["b", "missing", "a", "c"].map(String::from).to_vec();
    let got = inst.get_many(again(&b), keys).await.unwrap().unwrap();
    assert_eq!(
        got,
        [
            ("b".to_owned(), Some(vec![0, 255])),
            ("missing".to_owned(), None),
            ("a".to_owned(), Some(b"1".to_vec())),
            ("c".to_owned(), Some(vec![])),
        ]
    );
    let doomed = ["a", "missing", "c"].map(String::from).to_vec();
    inst.delete_many(again(&b), doomed).await.unwrap().unwrap();
    assert_eq!(all_keys(&mut inst, &b).await.0, ["b"]);

    // Empty batches are no-ops.
    assert!(
        inst.get_many(again(&b), vec![])
            .await
            .unwrap()
            .unwrap()
            .is_empty()
    );
    inst.set_many(again(&b), vec![]).await.unwrap().unwrap();
    inst.delete_many(again(&b), vec![]).await.unwrap().unwrap();
}

/// Tasks hammering one counter concurrently, each through its own instance of component `app`
/// (as concurrent requests do).
const TASKS: usize = 16;
const ROUNDS: usize = 40;

/// [`TASKS`] × [`ROUNDS`] concurrent `increment(1)` on `key` in `label`; checks the total.
async fn increments_add_up_exactly(factor: &KvFactor, label: &'static str, key: &'static str) {
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let mut inst = factor.instance("app");
            tokio::spawn(async move {
                let b = open(&mut inst, label).await;
                for _ in 0..ROUNDS {
                    increment(&mut inst, &b, key, 1).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let mut inst = factor.instance("app");
    let b = open(&mut inst, label).await;
    let total = (TASKS * ROUNDS) as i64;
    assert_eq!(
        increment(&mut inst, &b, key, 0).await.unwrap(),
        total,
        "{label}"
    );
}

/// Adds one to the decimal counter `key` with a CAS read-modify-write loop; returns the
/// number of retries (at most 10,000, so a broken swap fails the test rather than hanging it).
async fn cas_add_one(inst: &mut KvInstance, b: &Resource<BucketHandle>, key: &str) -> usize {
    let mut cas = new_cas(inst, b, key).await;
    for retries in 0..10_000 {
        let value = current(inst, &cas).await;
        let n: i64 = value.map_or(0, |v| String::from_utf8(v).unwrap().parse().unwrap());
        match inst
            .swap(cas, (n + 1).to_string().into_bytes())
            .await
            .unwrap()
        {
            Ok(()) => return retries,
            Err(CasError::CasFailed(fresh)) => cas = fresh,
            Err(CasError::StoreError(e)) => panic!("store error: {e:?}"),
        }
    }
    panic!("no swap succeeded in 10,000 tries")
}

/// [`TASKS`] × [`ROUNDS`] concurrent CAS loops adding one to the decimal counter `key` in
/// `label`; checks that no update was lost. Returns the retries, summed over all tasks.
async fn cas_loops_lose_no_update(
    factor: &KvFactor,
    label: &'static str,
    key: &'static str,
) -> usize {
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let mut inst = factor.instance("app");
            tokio::spawn(async move {
                let b = open(&mut inst, label).await;
                let mut retries = 0;
                for _ in 0..ROUNDS {
                    retries += cas_add_one(&mut inst, &b, key).await;
                }
                assert_eq!(inst.open_cas, 0, "every handle was consumed");
                retries
            })
        })
        .collect();
    let mut retries = 0;
    for task in tasks {
        retries += task.await.unwrap();
    }
    let mut inst = factor.instance("app");
    let b = open(&mut inst, label).await;
    let total = (TASKS * ROUNDS).to_string();
    assert_eq!(
        get(&mut inst, &b, key).await,
        Some(total.into_bytes()),
        "{label}"
    );
    retries
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_increments_add_up_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let factor = factor(dir.path());
    increments_add_up_exactly(&factor, "default", "hits").await;
    increments_add_up_exactly(&factor, "cache", "hits").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_cas_loops_lose_no_update() {
    let dir = tempfile::tempdir().unwrap();
    let factor = factor(dir.path());
    for label in ["default", "cache"] {
        let retries = cas_loops_lose_no_update(&factor, label, "counter").await;
        // Thousands in practice: the swaps really raced.
        assert!(
            retries > 0,
            "{label}: no swap ever failed, so nothing was tested"
        );
    }
}

/// A throw-away `redis-server` on a free port, killed when dropped (even by a failing
/// assertion).
struct RedisServer {
    child: std::process::Child,
    url: String,
}

impl RedisServer {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server");
        RedisServer {
            child,
            url: format!("redis://127.0.0.1:{port}"),
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs every `wasi:keyvalue` operation against a throw-away `redis-server`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs redis-server on PATH"]
async fn the_redis_backend_serves_wasi_keyvalue() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let rc = format!(
        "[key_value_store.shared]\ntype = \"redis\"\nurl = {:?}\n",
        server.url
    );
    let factor = factor_from(dir.path(), &rc, &[("app", r#"["shared"]"#)]);
    let mut inst = factor.instance("app");
    let mut opened = None;
    for _ in 0..50 {
        match store::Host::open(&mut inst, "shared".into()).await.unwrap() {
            Ok(b) => {
                opened = Some(b);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    let b = opened.expect("redis-server did not come up");

    // Counters are decimal text on Redis (`INCRBY`), as in Spin's Redis backend.
    assert_eq!(increment(&mut inst, &b, "n", 5).await.unwrap(), 5);
    assert_eq!(increment(&mut inst, &b, "n", -7).await.unwrap(), -2);
    assert_eq!(get(&mut inst, &b, "n").await.as_deref(), Some(&b"-2"[..]));
    set(&mut inst, &b, "text", b"abc").await;
    let error = message(increment(&mut inst, &b, "text", 1).await.unwrap_err());
    assert!(error.contains("not an integer"), "{error}");

    // CAS: success, failure with a fresh handle, absent as a value.
    let cas = new_cas(&mut inst, &b, "k").await;
    assert_eq!(current(&mut inst, &cas).await, None);
    inst.swap(cas, b"v1".to_vec()).await.unwrap().unwrap();
    let cas = new_cas(&mut inst, &b, "k").await;
    set(&mut inst, &b, "k", b"v2").await;
    let Err(CasError::CasFailed(fresh)) = inst.swap(cas, b"lost".to_vec()).await.unwrap() else {
        panic!("the swap must fail");
    };
    assert_eq!(
        current(&mut inst, &fresh).await.as_deref(),
        Some(&b"v2"[..])
    );
    inst.swap(fresh, b"v3".to_vec()).await.unwrap().unwrap();
    assert_eq!(get(&mut inst, &b, "k").await.as_deref(), Some(&b"v3"[..]));

    // Batch and paging (`SCAN` may repeat a key: compare the set).
    let pairs: Vec<(String, Vec<u8>)> = (0..2 * LIST_KEYS_PAGE + 5)
        .map(|i| (format!("p{i:05}"), vec![7]))
        .collect();
    inst.set_many(again(&b), pairs.clone())
        .await
        .unwrap()
        .unwrap();
    let got = inst
        .get_many(again(&b), vec!["p00001".into(), "missing".into()])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        got,
        [
            ("p00001".to_owned(), Some(vec![7])),
            ("missing".to_owned(), None)
        ]
    );
    let (keys, pages) = all_keys(&mut inst, &b).await;
    assert!(pages >= 2, "{pages} pages");
    let keys: std::collections::BTreeSet<String> = keys.into_iter().collect();
    let mut expected: std::collections::BTreeSet<String> =
        pairs.iter().map(|(k, _)| k.clone()).collect();
    expected.extend(["n", "text", "k"].map(String::from));
    assert_eq!(keys, expected);
    let error = HostBucket::list_keys(&mut inst, again(&b), Some("nope".into()))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(message(error), "list-keys: invalid cursor `nope`");
    inst.delete_many(again(&b), pairs.into_iter().map(|(k, _)| k).collect())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(all_keys(&mut inst, &b).await.0.len(), 3);

    increments_add_up_exactly(&factor, "shared", "hits").await;
    assert!(cas_loops_lose_no_update(&factor, "shared", "counter").await > 0);
}
