//! Tests driving the `fermyon:spin/key-value` host methods directly on a [`KvInstance`].

use std::collections::BTreeMap;
use std::path::Path;

use wasmtime::component::Resource;

use super::*;
use crate::bindings::fermyon::spin2_0_0::key_value::HostStore;

fn components(list: &[(&str, &[&str])]) -> BTreeMap<String, Component> {
    list.iter()
        .map(|(id, labels)| {
            let text = format!("source = \"x.wasm\"\nkey_value_stores = {labels:?}\n");
            (id.to_string(), toml::from_str(&text).unwrap())
        })
        .collect()
}

fn runtime_config(text: &str) -> RuntimeConfig {
    RuntimeConfig::parse(text, Path::new("rc.toml"), Path::new("/")).unwrap()
}

/// A factor over `dir` where component `app` lists `default` and `cache` (configured without
/// a path, so in memory).
fn factor(dir: &Path) -> KvFactor {
    let rc = runtime_config("[key_value_store.cache]\ntype = \"spin\"\n");
    KvFactor::new(&rc, dir, &components(&[("app", &["default", "cache"])])).unwrap()
}

async fn open(inst: &mut KvInstance, label: &str) -> Resource<StoreHandle> {
    inst.open(label.into()).await.unwrap().unwrap()
}

fn again(store: &Resource<StoreHandle>) -> Resource<StoreHandle> {
    Resource::new_borrow(store.rep())
}

async fn get(inst: &mut KvInstance, store: &Resource<StoreHandle>, key: &str) -> Option<Vec<u8>> {
    inst.get(again(store), key.into()).await.unwrap().unwrap()
}

async fn set(inst: &mut KvInstance, store: &Resource<StoreHandle>, key: &str, value: &[u8]) {
    inst.set(again(store), key.into(), value.to_vec())
        .await
        .unwrap()
        .unwrap();
}

async fn keys(inst: &mut KvInstance, store: &Resource<StoreHandle>) -> Vec<String> {
    let mut keys = inst.get_keys(again(store)).await.unwrap().unwrap();
    keys.sort();
    keys
}

#[tokio::test]
async fn listed_labels_open_and_unlisted_ones_are_access_denied() {
    let dir = tempfile::tempdir().unwrap();
    let factor = factor(dir.path());
    let mut inst = factor.instance("app");
    open(&mut inst, "default").await;
    open(&mut inst, "cache").await;
    assert!(matches!(
        inst.open("nope".into()).await.unwrap(),
        Err(Error::AccessDenied)
    ));

    // `cache` is configured, but this component does not list it.
    let comps = components(&[("app", &["default"])]);
    let rc = runtime_config("[key_value_store.cache]\ntype = \"spin\"\n");
    let mut inst = KvFactor::new(&rc, dir.path(), &comps)
        .unwrap()
        .instance("app");
    assert!(matches!(
        inst.open("cache".into()).await.unwrap(),
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
    let comps = components(&[("app", &["default"]), ("worker", &["sessions"])]);
    let err = KvFactor::new(&RuntimeConfig::default(), dir.path(), &comps)
        .err()
        .expect("start-up must fail")
        .to_string();
    assert_eq!(
        err,
        "component `worker`: unknown key_value_stores label `sessions`"
    );
}

#[tokio::test]
async fn set_get_exists_delete_and_get_keys() {
    let dir = tempfile::tempdir().unwrap();
    let mut inst = factor(dir.path()).instance("app");
    let store = open(&mut inst, "default").await;

    assert_eq!(get(&mut inst, &store, "a").await, None);
    assert!(
        !inst
            .exists(again(&store), "a".into())
            .await
            .unwrap()
            .unwrap()
    );
    set(&mut inst, &store, "a", b"1").await;
    set(&mut inst, &store, "b", &[0, 255]).await;
    set(&mut inst, &store, "a", b"one").await;
    assert_eq!(
        get(&mut inst, &store, "a").await.as_deref(),
        Some(&b"one"[..])
    );
    assert_eq!(
        get(&mut inst, &store, "b").await.as_deref(),
        Some(&[0, 255][..])
    );
    assert!(
        inst.exists(again(&store), "a".into())
            .await
            .unwrap()
            .unwrap()
    );
    assert_eq!(keys(&mut inst, &store).await, ["a", "b"]);

    inst.delete(again(&store), "a".into())
        .await
        .unwrap()
        .unwrap();
    inst.delete(again(&store), "never-there".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(get(&mut inst, &store, "a").await, None);
    assert!(
        !inst
            .exists(again(&store), "a".into())
            .await
            .unwrap()
            .unwrap()
    );
    assert_eq!(keys(&mut inst, &store).await, ["b"]);

    // An empty value is a value, not an absent key.
    set(&mut inst, &store, "empty", b"").await;
    assert_eq!(get(&mut inst, &store, "empty").await, Some(vec![]));
}

#[tokio::test]
async fn data_persists_across_factors() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut inst = factor(dir.path()).instance("app");
        let store = open(&mut inst, "default").await;
        set(&mut inst, &store, "kept", b"yes").await;
        let cache = open(&mut inst, "cache").await;
        set(&mut inst, &cache, "lost", b"yes").await;
    }
    let mut inst = factor(dir.path()).instance("app");
    let store = open(&mut inst, "default").await;
    assert_eq!(
        get(&mut inst, &store, "kept").await.as_deref(),
        Some(&b"yes"[..])
    );
    let cache = open(&mut inst, "cache").await;
    assert_eq!(
        get(&mut inst, &cache, "lost").await,
        None,
        "`cache` is in memory"
    );
}

#[tokio::test]
async fn the_default_store_uses_spins_file_and_table() {
    let dir = tempfile::tempdir().unwrap();
    let mut inst = factor(dir.path()).instance("app");
    let store = open(&mut inst, "default").await;
    set(&mut inst, &store, "k", b"v").await;

    let file = rusqlite::Connection::open(dir.path().join("sqlite_key_value.db")).unwrap();
    let mut stmt = file.prepare("PRAGMA table_info(spin_key_value)").unwrap();
    let columns: Vec<(String, String, bool, i64)> = stmt
        .query_map([], |r| Ok((r.get(1)?, r.get(2)?, r.get(3)?, r.get(5)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let expected = [
        ("store", "TEXT", true, 1),
        ("key", "TEXT", true, 2),
        ("value", "BLOB", true, 0),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(n, t, nn, pk)| (n.to_string(), t.to_string(), *nn, *pk))
        .collect();
    assert_eq!(
        columns, expected,
        "(name, type, not null, primary-key position)"
    );
    let row: (String, String, Vec<u8>) = file
        .query_row("SELECT store, key, value FROM spin_key_value", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(row, ("default".into(), "k".into(), b"v".to_vec()));
    let mode: String = file
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn labels_sharing_a_file_keep_their_keys_apart() {
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("sqlite_key_value.db");
    let rc = runtime_config(&format!(
        "[key_value_store.sessions]\ntype = \"spin\"\npath = {:?}\n",
        shared.to_str().unwrap()
    ));
    let factor = KvFactor::new(
        &rc,
        dir.path(),
        &components(&[("app", &["default", "sessions"])]),
    )
    .unwrap();
    let mut inst = factor.instance("app");
    let default = open(&mut inst, "default").await;
    let sessions = open(&mut inst, "sessions").await;
    set(&mut inst, &default, "k", b"default").await;
    set(&mut inst, &sessions, "k", b"sessions").await;
    assert_eq!(
        get(&mut inst, &default, "k").await.as_deref(),
        Some(&b"default"[..])
    );
    assert_eq!(
        get(&mut inst, &sessions, "k").await.as_deref(),
        Some(&b"sessions"[..])
    );
    let file = rusqlite::Connection::open(&shared).unwrap();
    let stores: Vec<String> = file
        .prepare("SELECT store FROM spin_key_value ORDER BY store")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(stores, ["default", "sessions"]);
}

#[tokio::test]
async fn the_start_up_hook_sets_keys() {
    let dir = tempfile::tempdir().unwrap();
    let factor = factor(dir.path());
    factor.set("default", "greeting", b"hello").unwrap();
    let mut inst = factor.instance("app");
    let store = open(&mut inst, "default").await;
    assert_eq!(
        get(&mut inst, &store, "greeting").await.as_deref(),
        Some(&b"hello"[..])
    );
    let err = factor.set("nope", "k", b"v").unwrap_err().to_string();
    assert!(err.contains("`nope`"), "{err}");
}

#[tokio::test]
async fn an_instance_opens_at_most_256_stores() {
    let dir = tempfile::tempdir().unwrap();
    let mut inst = factor(dir.path()).instance("app");
    let mut stores = Vec::new();
    for _ in 0..MAX_OPEN_STORES {
        stores.push(open(&mut inst, "default").await);
    }
    assert!(matches!(
        inst.open("default".into()).await.unwrap(),
        Err(Error::StoreTableFull)
    ));
    HostStore::drop(&mut inst, stores.pop().unwrap())
        .await
        .unwrap();
    assert!(inst.open("default".into()).await.unwrap().is_ok());
}

#[tokio::test]
async fn a_dropped_store_handle_traps() {
    let dir = tempfile::tempdir().unwrap();
    let mut inst = factor(dir.path()).instance("app");
    let store = open(&mut inst, "default").await;
    let stale = again(&store);
    HostStore::drop(&mut inst, store).await.unwrap();
    assert!(inst.get(stale, "k".into()).await.is_err());
}

#[test]
fn an_invalid_redis_url_fails_start_up_naming_the_label() {
    let dir = tempfile::tempdir().unwrap();
    let rc = runtime_config("[key_value_store.shared]\ntype = \"redis\"\nurl = \"nonsense\"\n");
    let err = KvFactor::new(&rc, dir.path(), &BTreeMap::new())
        .err()
        .expect("must fail")
        .to_string();
    assert!(err.starts_with("key-value store `shared`: redis:"), "{err}");
}

/// A child process killed when dropped, even by a failing assertion.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs against a throw-away `redis-server` on a free port.
#[tokio::test]
#[ignore = "needs redis-server on PATH"]
async fn the_redis_backend_serves_the_same_operations() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _server = KillOnDrop(
        std::process::Command::new("redis-server")
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
            .expect("redis-server"),
    );
    let url = format!("redis://127.0.0.1:{port}");
    let rc = runtime_config(&format!(
        "[key_value_store.shared]\ntype = \"redis\"\nurl = {url:?}\n"
    ));
    let dir = tempfile::tempdir().unwrap();
    let factor = KvFactor::new(&rc, dir.path(), &components(&[("app", &["shared"])])).unwrap();
    let mut inst = factor.instance("app");
    let mut store = None;
    for _ in 0..50 {
        match inst.open("shared".into()).await.unwrap() {
            Ok(s) => {
                store = Some(s);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    let store = store.expect("redis-server did not come up");
    set(&mut inst, &store, "a", b"1").await;
    factor.set("shared", "b", b"2").unwrap();
    assert_eq!(
        get(&mut inst, &store, "a").await.as_deref(),
        Some(&b"1"[..])
    );
    assert_eq!(
        get(&mut inst, &store, "b").await.as_deref(),
        Some(&b"2"[..])
    );
    assert!(
        inst.exists(again(&store), "a".into())
            .await
            .unwrap()
            .unwrap()
    );
    assert_eq!(keys(&mut inst, &store).await, ["a", "b"]);
    inst.delete(again(&store), "a".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(get(&mut inst, &store, "a").await, None);
}
