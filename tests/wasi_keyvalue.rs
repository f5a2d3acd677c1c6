//! `wasi:keyvalue@0.2.0-draft2` end to end: the `conformance-http` fixture's `/wasi-kv/*` routes
//! on a real host. Permissions as for `fermyon:spin/key-value`, atomic increments and
//! compare-and-swap under 40 parallel requests, and one set of data for both interfaces.

use std::collections::BTreeSet;

use fabula_tests::{TestApp, TestAppBuilder};
use serde_json::{Value, json};

/// Parallel requests in the concurrency tests (request `i` adds `i + 1`).
const PARALLEL: i64 = 40;

/// What the parallel requests add up to: 1 + 2 + … + [`PARALLEL`].
const TOTAL: i64 = PARALLEL * (PARALLEL + 1) / 2;

/// `POST path` without a body; the JSON reply of a 200.
fn post(app: &TestApp, path: &str) -> Value {
    let r = app.request("POST", path, &[], None);
    assert_eq!(r.status, 200, "POST {path}: {}", r.text());
    r.json()
}

/// `GET path`; the JSON reply of a 200.
fn get(app: &TestApp, path: &str) -> Value {
    let r = app.get(path);
    assert_eq!(r.status, 200, "GET {path}: {}", r.text());
    r.json()
}

/// Sends `POST <route>&delta=<i + 1>` for every `i` below [`PARALLEL`] at once, one thread
/// each; the replies, in `i` order.
fn post_in_parallel(app: &TestApp, route: &str) -> Vec<Value> {
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..PARALLEL)
            .map(|i| scope.spawn(move || post(app, &format!("{route}&delta={}", i + 1))))
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    })
}

/// The `value` of every reply, checking each is `ok`; they must all differ, since each
/// update saw a different total.
fn distinct_values(replies: &[Value]) -> BTreeSet<i64> {
    let values: BTreeSet<i64> = replies
        .iter()
        .map(|r| {
            assert_eq!(r["ok"], true, "{r}");
            r["value"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(
        values.len(),
        replies.len(),
        "two updates saw the same total: {values:?}"
    );
    values
}

#[test]
fn only_listed_labels_open() {
    let app = TestAppBuilder::conformance().start();
    assert_eq!(
        get(&app, "/wasi-kv/open?store=default"),
        json!({"ok": true})
    );
    assert_eq!(get(&app, "/wasi-kv/open?store=other"), json!({"ok": true}));
    let denied = json!({"ok": false, "error": "access-denied"});
    assert_eq!(get(&app, "/wasi-kv/open?store=forbidden"), denied);
    assert_eq!(get(&app, "/wasi-kv/get?store=forbidden&key=k"), denied);
    assert_eq!(
        post(&app, "/wasi-kv/increment?store=forbidden&key=k&delta=1"),
        denied
    );
    assert_eq!(
        post(&app, "/wasi-kv/cas-add?store=forbidden&key=k&delta=1"),
        denied
    );
}

#[test]
fn parallel_increments_add_up_exactly() {
    let app = TestAppBuilder::conformance().start();
    for store in ["default", "other"] {
        let route = format!("/wasi-kv/increment?store={store}&key=hits");
        let values = distinct_values(&post_in_parallel(&app, &route));
        assert_eq!(values.last(), Some(&TOTAL), "{store}");
        let now = post(&app, &format!("{route}&delta=0"));
        assert_eq!(now, json!({"ok": true, "value": TOTAL}), "{store}");
    }
}

#[test]
fn parallel_cas_adds_lose_no_update() {
    let app = TestAppBuilder::conformance().start();
    for store in ["default", "other"] {
        let replies =
            post_in_parallel(&app, &format!("/wasi-kv/cas-add?store={store}&key=counter"));
        let values = distinct_values(&replies);
        assert_eq!(values.last(), Some(&TOTAL), "{store}");
        let stored = get(&app, &format!("/wasi-kv/get?store={store}&key=counter"));
        assert_eq!(
            stored,
            json!({"ok": true, "value": TOTAL.to_string()}),
            "{store}"
        );
        let retries: u64 = replies
            .iter()
            .map(|r| r["retries"].as_u64().unwrap_or_else(|| panic!("{r}")))
            .sum();
        // Hundreds in practice: the requests really raced, and none lost its update.
        assert!(
            retries > 0,
            "{store}: no swap ever failed, so nothing was tested"
        );
    }
}

#[test]
fn both_key_value_interfaces_share_the_data() {
    let app = TestAppBuilder::conformance().start();
    let set = json!({"ops": [{"op": "set", "key": "greeting", "value": "from fermyon"}]});
    let r = app.post_json("/kv/ops?store=default", &set);
    assert_eq!(r.json()["results"][0]["ok"], true, "{}", r.text());
    assert_eq!(
        get(&app, "/wasi-kv/get?store=default&key=greeting"),
        json!({"ok": true, "value": "from fermyon"})
    );
    assert_eq!(
        get(&app, "/wasi-kv/get?store=default&key=missing"),
        json!({"ok": true, "value": null})
    );

    // Written through wasi:keyvalue, read through fermyon:spin/key-value.
    post(&app, "/wasi-kv/cas-add?store=default&key=decimal&delta=7");
    // Spin's SQLite encoding of counters: 8 bytes, little-endian i64 (-2: FE FF … FF).
    post(
        &app,
        "/wasi-kv/increment?store=default&key=counter&delta=-2",
    );
    let read = json!({"ops": [{"op": "get", "key": "decimal"}, {"op": "get", "key": "counter"}]});
    let results = app.post_json("/kv/ops?store=default", &read).json()["results"].clone();
    assert_eq!(results[0], json!({"ok": true, "value": "7"}));
    assert_eq!(
        results[1],
        json!({"ok": true, "value": {"blob_base64": "/v////////8="}})
    );

    // A value that is not a counter is an error, reported and left alone.
    let r = post(
        &app,
        "/wasi-kv/increment?store=default&key=greeting&delta=1",
    );
    assert_eq!(r["error"], "other", "{r}");
    assert!(
        r["message"].as_str().unwrap().contains("not an 8-byte"),
        "{r}"
    );
    let r = post(&app, "/wasi-kv/cas-add?store=default&key=greeting&delta=1");
    assert_eq!(
        r,
        json!({"ok": false, "error": "not-a-decimal-counter", "value": "from fermyon"})
    );
}
