//! The queue: outbound Redis operations and the Redis trigger, on the embedded durable broker
//! (retries, dead letters, delivery after a restart) and on a real `redis-server`.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fabula_host::redis::QueueMode;
use fabula_tests::{TestApp, TestAppBuilder};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);

fn redis_ops(app: &TestApp, address: &str, ops: Value) -> Value {
    let path = format!(
        "/redis?address={}",
        address.replace(':', "%3A").replace('/', "%2F")
    );
    let r = app.post_json(&path, &json!({ "ops": ops }));
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn publish(app: &TestApp, address: &str, message: Value) {
    let out = redis_ops(
        app,
        address,
        json!([{"op": "publish", "channel": "deliveries", "payload": message.to_string()}]),
    );
    assert_eq!(out["ok"], true, "publish failed: {out}");
}

fn delivered(app: &TestApp, id: &str) -> bool {
    app.get("/deliveries").json()["ids"]
        .as_array()
        .is_some_and(|ids| ids.iter().any(|v| v == id))
}

fn attempts(app: &TestApp, id: &str) -> i64 {
    app.get(&format!("/attempts/{id}")).json()["attempts"]
        .as_i64()
        .unwrap_or(0)
}

const EMBEDDED: &str = "redis://127.0.0.1:6379";

#[test]
fn embedded_key_space_operations() {
    let app = TestAppBuilder::conformance().start();
    let out = redis_ops(
        &app,
        EMBEDDED,
        json!([
            {"op": "set", "key": "k", "value": "v"},
            {"op": "get", "key": "k"},
            {"op": "incr", "key": "n"},
            {"op": "incr", "key": "n"},
            {"op": "sadd", "key": "s", "values": ["a", "b"]},
            {"op": "srem", "key": "s", "values": ["a"]},
            {"op": "smembers", "key": "s"},
            {"op": "del", "keys": ["k"]},
            {"op": "get", "key": "k"},
            {"op": "execute", "command": "INCR", "args": ["n"]}
        ]),
    );
    let r = out["results"].as_array().unwrap_or_else(|| panic!("{out}"));
    assert!(r[1].to_string().contains('v'), "{out}");
    assert!(r[3].to_string().contains('2'), "second incr gives 2: {out}");
    assert!(
        r[6].to_string().contains('b') && !r[6].to_string().contains("\"a\""),
        "{out}"
    );
    assert!(r[8].to_string().contains("null"), "deleted: {out}");
    assert!(r[9].to_string().contains('3'), "execute INCR: {out}");
}

#[test]
fn outbound_redis_to_a_host_not_allowed_is_invalid_address() {
    let app = TestAppBuilder::conformance().start();
    let out = redis_ops(
        &app,
        "redis://127.0.0.2:6379",
        json!([{"op": "get", "key": "k"}]),
    );
    assert!(out.to_string().contains("invalid-address"), "{out}");
}

#[test]
fn published_message_triggers_the_component() {
    let app = TestAppBuilder::conformance().start();
    publish(&app, EMBEDDED, json!({"id": "m-ok", "action": "ok"}));
    app.wait_for(WAIT, "delivery of m-ok", || {
        delivered(&app, "m-ok").then_some(())
    });
    assert_eq!(attempts(&app, "m-ok"), 1);
}

#[test]
fn failing_handler_is_retried_until_it_succeeds() {
    let app = TestAppBuilder::conformance().start();
    publish(
        &app,
        EMBEDDED,
        json!({"id": "m-retry", "action": "fail-times", "n": 2}),
    );
    app.wait_for(WAIT, "delivery after retries", || {
        delivered(&app, "m-retry").then_some(())
    });
    assert_eq!(attempts(&app, "m-retry"), 3, "two failures, then success");
}

#[test]
fn always_failing_and_trapping_messages_are_dead_lettered() {
    let app = TestAppBuilder::conformance().start();
    publish(
        &app,
        EMBEDDED,
        json!({"id": "m-dead", "action": "fail-always"}),
    );
    publish(&app, EMBEDDED, json!({"id": "m-trap", "action": "trap"}));
    let report = app.wait_for(WAIT, "two dead letters", || {
        let report =
            serde_json::to_value(fabula_host::redis::queue_report(&app.state_dir).ok()?).ok()?;
        (report.to_string().matches("deliveries").count() >= 2
            && report.to_string().contains("m-dead")
            && report.to_string().contains("m-trap"))
        .then_some(report)
    });
    assert_eq!(
        attempts(&app, "m-dead"),
        3,
        "max_attempts is 3 in tests: {report}"
    );
    assert!(!delivered(&app, "m-dead"));
}

#[test]
fn a_pending_message_is_delivered_after_a_restart() {
    let state = tempfile::tempdir().unwrap();
    let app = TestAppBuilder::conformance()
        .state_dir(state.path())
        .retry_backoff(Duration::from_secs(3))
        .start();
    // Fails once; the retry is scheduled seconds later, and the host goes down before it runs.
    publish(
        &app,
        EMBEDDED,
        json!({"id": "m-restart", "action": "fail-times", "n": 1}),
    );
    app.wait_for(WAIT, "the first attempt", || {
        (attempts(&app, "m-restart") >= 1).then_some(())
    });
    assert!(
        !delivered(&app, "m-restart"),
        "not delivered before the restart"
    );
    app.stop();
    let app = TestAppBuilder::conformance()
        .state_dir(state.path())
        .start();
    app.wait_for(WAIT, "delivery after restart", || {
        delivered(&app, "m-restart").then_some(())
    });
}

// ---- a real Redis ------------------------------------------------------------------------

struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    fn start() -> RedisServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start redis-server ({e}); run scripts/test.sh, which installs it")
            });
        let server = RedisServer { child, port };
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("redis-server did not start listening on {port}");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn real_redis_publish_triggers_the_component() {
    let redis = RedisServer::start();
    let address = format!("redis://127.0.0.1:{}", redis.port);
    let app = TestAppBuilder::conformance()
        .variable("redis_address", &address)
        .queue(QueueMode::External)
        .start();
    let ops = redis_ops(
        &app,
        &address,
        json!([{"op": "set", "key": "k", "value": "real"}, {"op": "get", "key": "k"}]),
    );
    assert!(ops["results"][1].to_string().contains("real"), "{ops}");
    // The subscriber connects asynchronously: publish until the first delivery lands.
    app.wait_for(WAIT, "delivery through real Redis", || {
        if delivered(&app, "m-real") {
            return Some(());
        }
        publish(&app, &address, json!({"id": "m-real", "action": "ok"}));
        std::thread::sleep(Duration::from_millis(200));
        None
    });
    publish(
        &app,
        &address,
        json!({"id": "m-real-retry", "action": "fail-times", "n": 1}),
    );
    app.wait_for(WAIT, "retried delivery through real Redis", || {
        delivered(&app, "m-real-retry").then_some(())
    });
    assert_eq!(attempts(&app, "m-real-retry"), 2);
}
