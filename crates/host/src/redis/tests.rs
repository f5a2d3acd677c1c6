//! Native tests of the Redis factor and trigger, with a fake [`MessageHandler`] (no wasm).

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::broker::Claim;
use super::*;
use crate::bindings::fermyon::spin2_0_0::redis::{Error as WitError, HostConnection};

/// `assert_eq!` for the generated WIT types, which have no `PartialEq`.
macro_rules! assert_dbg_eq {
    ($left:expr, $right:expr $(,)?) => {
        assert_eq!(format!("{:?}", $left), format!("{:?}", $right))
    };
}

/// Generous bound for asynchronous deliveries (never reached when things work).
const WAIT: Duration = Duration::from_secs(15);

const QUEUE: &str = "redis://localhost:6379";

/// What the fake handler does with the `n`-th delivery (1-based) of a payload to a component.
type Behaviour = dyn Fn(&str, &[u8], u32) -> anyhow::Result<()> + Send + Sync;

/// Records every delivery and answers as `behaviour` says.
struct FakeHandler {
    deliveries: Mutex<Vec<(String, String, Vec<u8>)>>,
    behaviour: Box<Behaviour>,
}

impl FakeHandler {
    fn new(
        behaviour: impl Fn(&str, &[u8], u32) -> anyhow::Result<()> + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Self {
            deliveries: Mutex::default(),
            behaviour: Box::new(behaviour),
        })
    }

    fn succeeding() -> Arc<Self> {
        Self::new(|_, _, _| Ok(()))
    }

    fn deliveries(&self) -> Vec<(String, String, Vec<u8>)> {
        self.deliveries.lock().unwrap().clone()
    }

    fn count(&self) -> usize {
        self.deliveries.lock().unwrap().len()
    }
}

impl MessageHandler for FakeHandler {
    fn handle(
        &self,
        component_id: Arc<str>,
        channel: Arc<str>,
        payload: Vec<u8>,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>> {
        let nth = {
            let mut deliveries = self.deliveries.lock().unwrap();
            deliveries.push((
                component_id.to_string(),
                channel.to_string(),
                payload.clone(),
            ));
            deliveries
                .iter()
                .filter(|(c, _, p)| **c == *component_id && *p == payload)
                .count() as u32
        };
        // Called here, not in the future: a handler that panics before returning its future
        // must count as a failed delivery too.
        let outcome = (self.behaviour)(&component_id, &payload, nth);
        Box::pin(async move { outcome })
    }
}

fn sub(channel: &str, component_id: &str, address: &str) -> Subscription {
    Subscription {
        channel: channel.into(),
        component_id: component_id.into(),
        address: address.into(),
    }
}

fn fast_retry(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
    }
}

fn config(state_dir: &Path, mode: QueueMode, subscriptions: Vec<Subscription>) -> RedisConfig {
    RedisConfig {
        mode,
        state_dir: state_dir.to_owned(),
        subscriptions,
        allowed_hosts: HashMap::new(),
        retry: fast_retry(5),
        max_concurrency: 4,
    }
}

fn factor(state_dir: &Path, subscriptions: Vec<Subscription>) -> RedisFactor {
    RedisFactor::new(config(state_dir, QueueMode::Embedded, subscriptions)).unwrap()
}

/// The connection a guest gets for the app's queue address (permissions are tested apart).
fn queue_connection(factor: &RedisFactor) -> ConnectionHandle {
    ConnectionHandle::embedded(factor.shared.broker.clone())
}

/// A running trigger and the switch that stops it.
struct Running {
    stop: watch::Sender<bool>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    fn start(factor: &RedisFactor, handler: Arc<FakeHandler>) -> Self {
        let (stop, shutdown) = watch::channel(false);
        let trigger = factor.trigger().expect("the factor has subscriptions");
        Self {
            stop,
            task: tokio::spawn(trigger.run(handler, shutdown)),
        }
    }

    async fn stop(self) {
        self.stop.send(true).unwrap();
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("trigger stops")
            .unwrap()
            .unwrap();
    }
}

/// Waits (polling) until `done` holds, failing after [`WAIT`].
async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn report(dir: &Path) -> QueueReport {
    queue_report(dir).unwrap()
}

fn counts(report: &QueueReport, channel: &str, component: &str) -> SubscriptionCounts {
    report
        .subscriptions
        .iter()
        .find(|c| c.channel == channel && c.component_id == component)
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn publish_is_delivered_once_to_each_subscriber() {
    let dir = tempfile::tempdir().unwrap();
    let factor = factor(
        dir.path(),
        vec![
            sub("jobs", "a", QUEUE),
            sub("jobs", "b", QUEUE),
            sub("other", "c", QUEUE),
        ],
    );
    let handler = FakeHandler::succeeding();
    let running = Running::start(&factor, handler.clone());

    let conn = queue_connection(&factor);
    conn.publish("jobs".into(), b"m1".to_vec()).await.unwrap();
    conn.publish("other".into(), b"m2".to_vec()).await.unwrap();
    conn.publish("nobody".into(), b"m3".to_vec()).await.unwrap();
    assert_eq!(
        factor
            .shared
            .broker
            .publish("jobs".into(), b"m4".to_vec())
            .await
            .unwrap(),
        2
    );

    wait_until("5 deliveries", || handler.count() >= 5).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    running.stop().await;

    let mut seen = handler.deliveries();
    seen.sort();
    let expected = [
        ("a", "jobs", "m1"),
        ("a", "jobs", "m4"),
        ("b", "jobs", "m1"),
        ("b", "jobs", "m4"),
        ("c", "other", "m2"),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(c, ch, p)| (c.to_string(), ch.to_string(), p.as_bytes().to_vec()))
        .collect();
    assert_eq!(seen, expected);

    let report = report(dir.path());
    assert_eq!(counts(&report, "jobs", "a").delivered, 2);
    assert_eq!(counts(&report, "other", "c").delivered, 1);
    assert_eq!(counts(&report, "jobs", "b").pending, 0);
    assert_eq!(report.dropped.len(), 1);
    assert_eq!(
        (report.dropped[0].channel.as_str(), report.dropped[0].count),
        ("nobody", 1)
    );
}

#[tokio::test]
async fn handler_failing_twice_then_succeeding_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    let factor = factor(dir.path(), vec![sub("jobs", "a", QUEUE)]);
    let handler = FakeHandler::new(|_, _, nth| {
        if nth <= 2 {
            anyhow::bail!("failure {nth}")
        } else {
            Ok(())
        }
    });
    let running = Running::start(&factor, handler.clone());

    queue_connection(&factor)
        .publish("jobs".into(), b"work".to_vec())
        .await
        .unwrap();
    wait_until("the message is delivered", || {
        counts(&report(dir.path()), "jobs", "a").delivered == 1
    })
    .await;
    running.stop().await;

    assert_eq!(handler.count(), 3);
    let report = report(dir.path());
    let a = counts(&report, "jobs", "a");
    assert_eq!(
        (a.failed_attempts, a.pending, a.in_flight, a.dead_letters),
        (2, 0, 0, 0)
    );
    assert!(report.dead_letters.is_empty());
}

#[tokio::test]
async fn handler_panic_counts_as_a_failed_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let factor = factor(dir.path(), vec![sub("jobs", "a", QUEUE)]);
    let handler = FakeHandler::new(|_, _, nth| {
        if nth == 1 {
            panic!("guest blew up")
        } else {
            Ok(())
        }
    });
    let running = Running::start(&factor, handler.clone());

    queue_connection(&factor)
        .publish("jobs".into(), b"work".to_vec())
        .await
        .unwrap();
    wait_until("the message is delivered", || {
        counts(&report(dir.path()), "jobs", "a").delivered == 1
    })
    .await;
    running.stop().await;
    assert_eq!(counts(&report(dir.path()), "jobs", "a").failed_attempts, 1);
}

#[tokio::test]
async fn always_failing_is_dead_lettered_then_can_be_requeued() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(
        dir.path(),
        QueueMode::Embedded,
        vec![sub("jobs", "a", QUEUE)],
    );
    config.retry = fast_retry(3);
    let factor = RedisFactor::new(config).unwrap();
    let fixed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let fixed_in_handler = fixed.clone();
    let handler = FakeHandler::new(move |_, _, nth| {
        if fixed_in_handler.load(std::sync::atomic::Ordering::SeqCst) {
            Ok(())
        } else {
            anyhow::bail!("boom {nth}")
        }
    });
    let running = Running::start(&factor, handler.clone());

    queue_connection(&factor)
        .publish("jobs".into(), b"poison".to_vec())
        .await
        .unwrap();
    wait_until("a dead letter", || {
        !report(dir.path()).dead_letters.is_empty()
    })
    .await;
    assert_eq!(handler.count(), 3);
    let dead = report(dir.path()).dead_letters.remove(0);
    assert_eq!(
        (
            dead.channel.as_str(),
            dead.component_id.as_str(),
            dead.attempts
        ),
        ("jobs", "a", 3)
    );
    assert_eq!(dead.last_error, "boom 3");
    assert_eq!(
        (dead.payload_preview.as_str(), dead.payload_len),
        ("poison", 6)
    );
    let a = counts(&report(dir.path()), "jobs", "a");
    assert_eq!(
        (a.dead_letters, a.failed_attempts, a.pending, a.delivered),
        (1, 3, 0, 0)
    );

    fixed.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(!requeue_dead_letter(dir.path(), dead.id + 1000).unwrap());
    assert!(requeue_dead_letter(dir.path(), dead.id).unwrap());
    wait_until("the requeued message is delivered", || {
        counts(&report(dir.path()), "jobs", "a").delivered == 1
    })
    .await;
    running.stop().await;
    assert!(report(dir.path()).dead_letters.is_empty());
    assert_eq!(handler.count(), 4);
}

#[tokio::test]
async fn message_published_while_down_is_delivered_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let subs = vec![sub("jobs", "a", QUEUE)];
    {
        let factor = factor(dir.path(), subs.clone());
        queue_connection(&factor)
            .publish("jobs".into(), b"while down".to_vec())
            .await
            .unwrap();
    }
    assert_eq!(counts(&report(dir.path()), "jobs", "a").pending, 1);

    let factor = factor(dir.path(), subs);
    let handler = FakeHandler::succeeding();
    let running = Running::start(&factor, handler.clone());
    wait_until("the message is delivered", || handler.count() == 1).await;
    wait_until("the delivery is recorded", || {
        counts(&report(dir.path()), "jobs", "a").delivered == 1
    })
    .await;
    running.stop().await;
    assert_eq!(
        handler.deliveries(),
        vec![("a".into(), "jobs".into(), b"while down".to_vec())]
    );
}

#[tokio::test]
async fn in_flight_message_at_crash_is_redelivered() {
    let dir = tempfile::tempdir().unwrap();
    let subs = vec![sub("jobs", "a", QUEUE)];
    {
        let factor = factor(dir.path(), subs.clone());
        let broker = factor.shared.broker.clone();
        broker
            .publish("jobs".into(), b"interrupted".to_vec())
            .await
            .unwrap();
        let claim = broker.claim("jobs".into(), "a".into()).await.unwrap();
        assert!(matches!(claim, Claim::Message(ref m) if m.attempts == 1));
        // The host "crashes" here: the message stays in flight.
    }
    assert_eq!(counts(&report(dir.path()), "jobs", "a").in_flight, 1);

    let factor = factor(dir.path(), subs);
    let handler = FakeHandler::succeeding();
    let running = Running::start(&factor, handler.clone());
    wait_until("the delivery is recorded", || {
        counts(&report(dir.path()), "jobs", "a").delivered == 1
    })
    .await;
    running.stop().await;
    assert_eq!(
        handler.deliveries(),
        vec![("a".into(), "jobs".into(), b"interrupted".to_vec())]
    );
    let a = counts(&report(dir.path()), "jobs", "a");
    assert_eq!((a.in_flight, a.pending), (0, 0));
}

#[tokio::test]
async fn key_space_operations_behave_like_redis_and_persist() {
    let dir = tempfile::tempdir().unwrap();
    let conn = queue_connection(&factor(dir.path(), vec![sub("jobs", "a", QUEUE)]));

    assert_eq!(conn.get("missing".into()).await.unwrap(), None);
    conn.set("k".into(), b"v".to_vec()).await.unwrap();
    assert_eq!(conn.get("k".into()).await.unwrap(), Some(b"v".to_vec()));
    assert_eq!(conn.incr("n".into()).await.unwrap(), 1);
    assert_eq!(conn.incr("n".into()).await.unwrap(), 2);
    assert_eq!(conn.get("n".into()).await.unwrap(), Some(b"2".to_vec()));
    assert_dbg_eq!(
        conn.incr("k".into()).await.unwrap_err().to_wit(),
        WitError::TypeError
    );

    assert_eq!(
        conn.sadd("s".into(), vec!["x".into(), "y".into(), "x".into()])
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        conn.sadd("s".into(), vec!["y".into(), "z".into()])
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        conn.smembers("s".into()).await.unwrap(),
        vec!["x", "y", "z"]
    );
    assert_eq!(
        conn.srem("s".into(), vec!["x".into(), "nope".into()])
            .await
            .unwrap(),
        1
    );
    assert_dbg_eq!(
        conn.get("s".into()).await.unwrap_err().to_wit(),
        WitError::TypeError
    );
    assert_dbg_eq!(
        conn.sadd("k".into(), vec!["x".into()])
            .await
            .unwrap_err()
            .to_wit(),
        WitError::TypeError
    );
    assert!(conn.smembers("nothing".into()).await.unwrap().is_empty());

    assert_eq!(
        conn.del(vec!["k".into(), "s".into(), "missing".into()])
            .await
            .unwrap(),
        2
    );
    assert_eq!(conn.get("k".into()).await.unwrap(), None);

    // Survives a restart of the factor.
    let conn = queue_connection(&factor(dir.path(), vec![sub("jobs", "a", QUEUE)]));
    assert_eq!(conn.get("n".into()).await.unwrap(), Some(b"2".to_vec()));
}

#[tokio::test]
async fn execute_supports_the_documented_commands() {
    use crate::bindings::fermyon::spin2_0_0::redis::{RedisParameter as P, RedisResult as R};
    let dir = tempfile::tempdir().unwrap();
    let factor = factor(dir.path(), vec![sub("jobs", "a", QUEUE)]);
    let conn = queue_connection(&factor);
    let bin = |s: &str| P::Binary(s.as_bytes().to_vec());
    let run = |cmd: &'static str, args: Vec<P>| {
        let conn = conn.clone();
        async move { conn.execute(cmd.into(), args).await }
    };

    assert_dbg_eq!(
        run("set", vec![bin("k"), bin("v")]).await.unwrap(),
        vec![R::Status("OK".into())]
    );
    assert_dbg_eq!(
        run("SET", vec![bin("k"), bin("w"), bin("NX")])
            .await
            .unwrap(),
        vec![R::Nil]
    );
    assert_dbg_eq!(
        run("SET", vec![bin("new"), bin("w"), bin("XX")])
            .await
            .unwrap(),
        vec![R::Nil]
    );
    assert_dbg_eq!(
        run("GET", vec![bin("k")]).await.unwrap(),
        vec![R::Binary(b"v".to_vec())]
    );
    assert_dbg_eq!(run("GET", vec![bin("absent")]).await.unwrap(), vec![R::Nil]);
    assert_dbg_eq!(
        run("INCRBY", vec![bin("n"), P::Int64(40)]).await.unwrap(),
        vec![R::Int64(40)]
    );
    assert_dbg_eq!(
        run("INCR", vec![bin("n")]).await.unwrap(),
        vec![R::Int64(41)]
    );
    assert_dbg_eq!(
        run("DECRBY", vec![bin("n"), P::Int64(-1)]).await.unwrap(),
        vec![R::Int64(42)]
    );
    assert_dbg_eq!(
        run("DECR", vec![bin("n")]).await.unwrap(),
        vec![R::Int64(41)]
    );
    assert_dbg_eq!(
        run("EXISTS", vec![bin("k"), bin("n"), bin("absent")])
            .await
            .unwrap(),
        vec![R::Int64(2)]
    );
    assert_dbg_eq!(
        run("SADD", vec![bin("s"), bin("a"), bin("b")])
            .await
            .unwrap(),
        vec![R::Int64(2)]
    );
    assert_dbg_eq!(
        run("SMEMBERS", vec![bin("s")]).await.unwrap(),
        vec![R::Binary(b"a".to_vec()), R::Binary(b"b".to_vec())]
    );
    assert_dbg_eq!(
        run("SISMEMBER", vec![bin("s"), bin("b")]).await.unwrap(),
        vec![R::Int64(1)]
    );
    assert_dbg_eq!(
        run("SCARD", vec![bin("s")]).await.unwrap(),
        vec![R::Int64(2)]
    );
    assert_dbg_eq!(
        run("SREM", vec![bin("s"), bin("a")]).await.unwrap(),
        vec![R::Int64(1)]
    );
    assert_dbg_eq!(
        run("TTL", vec![bin("k")]).await.unwrap(),
        vec![R::Int64(-1)]
    );
    assert_dbg_eq!(
        run("EXPIRE", vec![bin("k"), P::Int64(100)]).await.unwrap(),
        vec![R::Int64(1)]
    );
    assert_dbg_eq!(
        run("TTL", vec![bin("k")]).await.unwrap(),
        vec![R::Int64(100)]
    );
    assert_dbg_eq!(
        run("TTL", vec![bin("absent")]).await.unwrap(),
        vec![R::Int64(-2)]
    );
    assert_dbg_eq!(
        run("SET", vec![bin("brief"), bin("v"), bin("PX"), P::Int64(1)])
            .await
            .unwrap(),
        vec![R::Status("OK".into())]
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_dbg_eq!(run("GET", vec![bin("brief")]).await.unwrap(), vec![R::Nil]);
    assert_dbg_eq!(
        run("DEL", vec![bin("k"), bin("n")]).await.unwrap(),
        vec![R::Int64(2)]
    );
    assert_dbg_eq!(
        run("PING", vec![]).await.unwrap(),
        vec![R::Status("PONG".into())]
    );
    assert_dbg_eq!(
        run("PUBLISH", vec![bin("jobs"), bin("hi")]).await.unwrap(),
        vec![R::Int64(1)]
    );
    assert_eq!(counts(&report(dir.path()), "jobs", "a").pending, 1);

    let unsupported = run("FLUSHALL", vec![]).await.unwrap_err().to_wit();
    assert!(
        matches!(unsupported, WitError::Other(ref m) if m.contains("unsupported command")),
        "{unsupported:?}"
    );
    assert!(matches!(
        run("GET", vec![]).await.unwrap_err(),
        RedisError::WrongArity(_)
    ));
    assert!(matches!(
        run("SET", vec![bin("k"), bin("v"), bin("EX")])
            .await
            .unwrap_err(),
        RedisError::Syntax
    ));
    assert_dbg_eq!(
        run("INCRBY", vec![bin("n"), bin("x")])
            .await
            .unwrap_err()
            .to_wit(),
        WitError::TypeError
    );
    run("SET", vec![bin("max"), P::Int64(i64::MAX)])
        .await
        .unwrap();
    assert!(matches!(
        run("INCR", vec![bin("max")]).await.unwrap_err(),
        RedisError::Overflow
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_incr_gives_the_exact_total() {
    let dir = tempfile::tempdir().unwrap();
    let factor = factor(dir.path(), vec![sub("jobs", "a", QUEUE)]);
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let conn = queue_connection(&factor);
            tokio::spawn(async move {
                for _ in 0..25 {
                    conn.incr("counter".into()).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(
        queue_connection(&factor)
            .get("counter".into())
            .await
            .unwrap(),
        Some(b"1000".to_vec())
    );
}

#[tokio::test]
async fn open_refuses_addresses_not_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(
        dir.path(),
        QueueMode::Embedded,
        vec![sub("jobs", "a", QUEUE)],
    );
    config.allowed_hosts.insert(
        "a".into(),
        Arc::new(crate::outbound_networking::AllowedHosts::default()),
    );
    let factor = RedisFactor::new(config).unwrap();
    for component in ["a", "unknown-component"] {
        let mut instance = factor.instance(component);
        for address in [QUEUE, "redis://elsewhere:6379", "not a url"] {
            let result = HostConnection::open(&mut instance, address.into())
                .await
                .unwrap();
            assert!(
                matches!(result, Err(WitError::InvalidAddress)),
                "{component} {address}"
            );
        }
    }
}

#[tokio::test]
async fn guest_connection_methods_reach_the_embedded_broker() {
    let dir = tempfile::tempdir().unwrap();
    let factor = factor(dir.path(), vec![sub("jobs", "a", QUEUE)]);
    let mut instance = factor.instance("a");
    // As `open` leaves it once permissions pass (the stub `AllowedHosts` cannot allow yet).
    let conn = instance.table.push(queue_connection(&factor)).unwrap();
    let again = || wasmtime::component::Resource::<ConnectionHandle>::new_borrow(conn.rep());
    HostConnection::set(&mut instance, again(), "k".into(), b"v".to_vec())
        .await
        .unwrap()
        .unwrap();
    let value = HostConnection::get(&mut instance, again(), "k".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(value, Some(b"v".to_vec()));
    let error = HostConnection::incr(&mut instance, again(), "k".into())
        .await
        .unwrap()
        .unwrap_err();
    assert_dbg_eq!(error, WitError::TypeError);
    HostConnection::publish(&mut instance, again(), "jobs".into(), b"m".to_vec())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(counts(&report(dir.path()), "jobs", "a").pending, 1);
    HostConnection::drop(&mut instance, conn).await.unwrap();
    assert!(instance.table.is_empty());
}

#[tokio::test]
async fn unreachable_redis_fails_fast() {
    let dir = tempfile::tempdir().unwrap();
    let factor = RedisFactor::new(config(dir.path(), QueueMode::External, vec![])).unwrap();
    assert!(factor.trigger().is_none());
    let address = format!("redis://127.0.0.1:{}", free_port());
    let started = std::time::Instant::now();
    let error = factor
        .shared
        .external
        .connect(&address)
        .await
        .err()
        .expect("nothing listens there");
    assert!(matches!(error, RedisError::Connect { .. }), "{error}");
    assert!(matches!(error.to_wit(), WitError::Other(_)));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn bad_configuration_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut zero = config(dir.path(), QueueMode::Embedded, vec![]);
    zero.max_concurrency = 0;
    assert!(RedisFactor::new(zero).is_err());
    let mut no_attempts = config(dir.path(), QueueMode::Embedded, vec![]);
    no_attempts.retry.max_attempts = 0;
    assert!(RedisFactor::new(no_attempts).is_err());
    let report = queue_report(&dir.path().join("never-created")).unwrap();
    assert!(report.subscriptions.is_empty() && report.dead_letters.is_empty());
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `redis-server` child process on a free loopback port, killed on drop.
struct RedisServer {
    port: u16,
    child: std::process::Child,
}

impl RedisServer {
    fn start_on(port: u16) -> Self {
        let spawned = std::process::Command::new("redis-server")
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
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                "redis-server is not installed: run scripts/test.sh (or scripts/install-test-deps.sh), \
                 which installs it, before running the external-mode tests"
            ),
            Err(e) => panic!("cannot start redis-server: {e}"),
        };
        let server = Self { port, child };
        let deadline = std::time::Instant::now() + WAIT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    fn address(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `count` subscribers listen on `channel` of the real server.
async fn wait_for_subscribers(conn: &ConnectionHandle, channel: &str, count: i64) {
    use crate::bindings::fermyon::spin2_0_0::redis::{RedisParameter as P, RedisResult as R};
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let args = vec![
            P::Binary(b"NUMSUB".to_vec()),
            P::Binary(channel.as_bytes().to_vec()),
        ];
        if let Ok(reply) = conn.execute("PUBSUB".into(), args).await
            && matches!(reply.get(1), Some(R::Int64(n)) if *n == count)
        {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no subscriber on {channel}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn external_mode_delivers_retries_dead_letters_and_reconnects() {
    let server = RedisServer::start_on(free_port());
    let address = server.address();
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(
        dir.path(),
        QueueMode::External,
        vec![
            sub("ext", "a", &address),
            sub("ext", "b", &address),
            sub("flaky", "c", &address),
        ],
    );
    config.retry = fast_retry(2);
    let factor = RedisFactor::new(config).unwrap();
    let handler = FakeHandler::new(|component, _, nth| match component {
        "b" => anyhow::bail!("b always fails ({nth})"),
        "c" if nth == 1 => anyhow::bail!("c fails once"),
        _ => Ok(()),
    });
    let running = Running::start(&factor, handler.clone());

    let conn = ConnectionHandle::external(factor.shared.external.connect(&address).await.unwrap());
    wait_for_subscribers(&conn, "ext", 1).await;
    conn.publish("ext".into(), b"hello".to_vec()).await.unwrap();
    conn.publish("flaky".into(), b"again".to_vec())
        .await
        .unwrap();
    wait_until("a delivered, b dead-lettered, c retried", || {
        let report = report(dir.path());
        counts(&report, "ext", "a").delivered == 1
            && counts(&report, "flaky", "c").delivered == 1
            && report.dead_letters.len() == 1
    })
    .await;
    let dead = &report(dir.path()).dead_letters[0];
    assert_eq!(
        (
            dead.component_id.as_str(),
            dead.attempts,
            dead.last_error.as_str()
        ),
        ("b", 2, "b always fails (2)")
    );

    // Key space on the real server.
    conn.set("k".into(), b"v".to_vec()).await.unwrap();
    assert_eq!(conn.get("k".into()).await.unwrap(), Some(b"v".to_vec()));
    assert_eq!(conn.incr("n".into()).await.unwrap(), 1);
    let not_integer = conn.incr("k".into()).await.unwrap_err().to_wit();
    assert!(
        matches!(not_integer, WitError::Other(ref m) if m.contains("not an integer")),
        "{not_integer:?}"
    );
    assert_eq!(
        conn.sadd("s".into(), vec!["x".into(), "y".into()])
            .await
            .unwrap(),
        2
    );
    let mut members = conn.smembers("s".into()).await.unwrap();
    members.sort();
    assert_eq!(members, vec!["x", "y"]);
    assert_eq!(conn.srem("s".into(), vec!["x".into()]).await.unwrap(), 1);
    assert_eq!(conn.del(vec!["k".into(), "n".into()]).await.unwrap(), 2);

    // The server goes away and comes back: the subscriber reconnects.
    let port = server.port;
    drop(server);
    let server = RedisServer::start_on(port);
    let conn = ConnectionHandle::external(wait_for_connection(&factor, &server.address()).await);
    wait_for_subscribers(&conn, "ext", 1).await;
    conn.publish("ext".into(), b"after restart".to_vec())
        .await
        .unwrap();
    wait_until("delivery after reconnect", || {
        counts(&report(dir.path()), "ext", "a").delivered == 2
    })
    .await;
    running.stop().await;
    assert!(
        handler
            .deliveries()
            .contains(&("a".into(), "ext".into(), b"after restart".to_vec()))
    );
}

/// A fresh outbound connection once the cached one is found broken.
async fn wait_for_connection(
    factor: &RedisFactor,
    address: &str,
) -> super::external::ExternalConnection {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Ok(conn) = factor.shared.external.connect(address).await
            && conn.query::<String>(&redis::cmd("PING")).await.is_ok()
        {
            return conn;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "cannot reconnect to {address}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
