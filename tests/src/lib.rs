//! Test harness: builds the wasm side once, starts the Fabula host in-process on an ephemeral
//! port with real components, and drives it over HTTP.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fabula_host::app::AppOptions;
use fabula_host::engine::EngineOptions;
use fabula_host::logs::AccessLog;
use fabula_host::redis::{QueueMode, RetryPolicy};
use fabula_host::serve::Running;

pub mod books;
pub mod fake_llm;
pub mod manifest;
pub mod pipeline;

/// Every wasm package the tests run: the app's components and the host fixtures.
const WASM_PACKAGES: &[&str] = &[
    "health",
    "stories-api",
    "tenants-api",
    "generations-api",
    "stage-premise",
    "stage-outline",
    "stage-chapter",
    "stage-quality",
    "stage-assembly",
    "books-api",
    "sweeper",
    "provider-offline",
    "provider-openai",
    "conformance-http",
    "conformance-redis",
    "llm-probe",
];

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Set by a test that starts child test processes after [`ensure_wasm_built`]: the children
/// skip the (no-op) build.
pub const WASM_BUILT_ENV: &str = "FABULA_TESTS_WASM_BUILT";

/// Builds every component once per test process (a no-op when up to date).
pub fn ensure_wasm_built() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        if std::env::var_os(WASM_BUILT_ENV).is_some() {
            return; // a parent test process built them and started this one
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(repo_root()).args([
            "build",
            "--quiet",
            "--target",
            "wasm32-wasip2",
            "--profile",
            "component",
        ]);
        for p in WASM_PACKAGES {
            cmd.args(["-p", p]);
        }
        let status = cmd
            .status()
            .expect("cannot run cargo to build the components");
        assert!(status.success(), "building the wasm components failed");
    });
}

/// The operator token (`admin_token`) test apps are started with by [`TestAppBuilder::with_operator`].
pub const OPERATOR_TOKEN: &str = "operator-token-for-tests-0123456789";

/// How to start a host for a test.
pub struct TestAppBuilder {
    options: AppOptions,
    state_dir: Option<PathBuf>,
}

impl TestAppBuilder {
    /// The host-conformance fixture app (`tests/fixtures/apps/conformance`).
    pub fn conformance() -> Self {
        let dir = repo_root().join("tests/fixtures/apps/conformance");
        let mut b = Self::new(dir.join("spin.toml"));
        b.options.runtime_config_path = Some(dir.join("runtime-config.toml"));
        b
    }

    /// Fabula itself (the repository's `spin.toml`).
    pub fn fabula() -> Self {
        Self::new(repo_root().join("spin.toml"))
    }

    /// Any manifest.
    pub fn new(manifest: PathBuf) -> Self {
        TestAppBuilder {
            options: AppOptions {
                manifest_path: manifest,
                runtime_config_path: None,
                variables: Vec::new(),
                state_dir: None,
                queue_mode: QueueMode::Embedded,
                engine: EngineOptions {
                    max_instances: 64,
                    cache_dir: Some(repo_root().join("target/fabula-test-cache")),
                    ..EngineOptions::default()
                },
                request_timeout: Duration::from_secs(20),
                message_timeout: Duration::from_secs(20),
                retry: RetryPolicy {
                    max_attempts: 3,
                    initial_backoff: Duration::from_millis(20),
                    max_backoff: Duration::from_millis(100),
                },
                sqlite_init: Vec::new(),
                key_values: Vec::new(),
                publish_every: Vec::new(),
            },
            state_dir: None,
        }
    }

    /// Enables the operator token [`OPERATOR_TOKEN`] (the `admin_token` variable).
    pub fn with_operator(self) -> Self {
        self.variable("admin_token", OPERATOR_TOKEN)
    }

    /// Sets an application variable (`--variable`).
    pub fn variable(mut self, name: &str, value: &str) -> Self {
        self.options.variables.push((name.into(), value.into()));
        self
    }

    /// Runs SQL before serving (`--sqlite`).
    pub fn sqlite(mut self, statement: &str) -> Self {
        self.options.sqlite_init.push(statement.into());
        self
    }

    /// Sets a key before serving (`--key-value`).
    pub fn key_value(mut self, key: &str, value: &str) -> Self {
        self.options.key_values.push((key.into(), value.into()));
        self
    }

    /// Reuses a state folder (to test restarts).
    pub fn state_dir(mut self, dir: &Path) -> Self {
        self.state_dir = Some(dir.to_owned());
        self
    }

    /// Sets the per-request time limit.
    pub fn request_timeout(mut self, limit: Duration) -> Self {
        self.options.request_timeout = limit;
        self
    }

    /// Sets the per-instance memory limit.
    pub fn memory_limit_mb(mut self, mb: usize) -> Self {
        self.options.engine.memory_limit = mb << 20;
        self
    }

    /// Sets the queue's first retry delay (later ones double, up to ten times this).
    pub fn retry_backoff(mut self, initial: Duration) -> Self {
        self.options.retry.initial_backoff = initial;
        self.options.retry.max_backoff = initial * 10;
        self
    }

    /// Publishes a tick on `channel` every `interval` (`--publish-every CHANNEL=DURATION`).
    pub fn publish_every(mut self, channel: &str, interval: Duration) -> Self {
        self.options
            .publish_every
            .push(fabula_host::publish_every::PublishEvery {
                channel: channel.into(),
                interval,
            });
        self
    }

    /// Selects the queue.
    pub fn queue(mut self, mode: QueueMode) -> Self {
        self.options.queue_mode = mode;
        self
    }

    /// Starts the host, or returns why it refused to start.
    pub fn try_start(mut self) -> anyhow::Result<TestApp> {
        ensure_wasm_built();
        let temp = match &self.state_dir {
            Some(_) => None,
            None => Some(tempfile::tempdir()?),
        };
        let state_dir = self
            .state_dir
            .clone()
            .unwrap_or_else(|| temp.as_ref().expect("temp dir").path().to_owned());
        self.options.state_dir = Some(state_dir.clone());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let listen: SocketAddr = "127.0.0.1:0".parse()?;
        let access_log = AccessLog::open(&state_dir.join("access.log").to_string_lossy())?;
        let running =
            runtime.block_on(fabula_host::serve::start(self.options, listen, access_log))?;
        Ok(TestApp {
            base: format!("http://{}", running.addr),
            bearer: None,
            state_dir,
            running: Some(running),
            runtime,
            _temp: temp,
        })
    }

    /// Starts the host; panics with the reason if it refuses.
    pub fn start(self) -> TestApp {
        self.try_start()
            .unwrap_or_else(|e| panic!("the host did not start: {e:#}"))
    }
}

/// A host running for one test; stopped when dropped.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The state folder (`.spin` equivalent).
    pub state_dir: PathBuf,
    /// Sent as `Authorization: Bearer …` when a request names no `authorization` header.
    bearer: Option<String>,
    running: Option<Running>,
    runtime: tokio::runtime::Runtime,
    _temp: Option<tempfile::TempDir>,
}

/// A response, fully read.
#[derive(Debug, Clone)]
pub struct TestResponse {
    /// Status code.
    pub status: u16,
    /// Headers, names lowercase.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl TestResponse {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics with the body if it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into()
    })
}

impl TestApp {
    /// Sends a request with optional headers and body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> TestResponse {
        let url = format!("{}{}", self.base, path);
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        if let Some(bearer) = &self.bearer
            && !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        {
            builder = builder.header("authorization", format!("Bearer {bearer}"));
        }
        let request = builder
            .body(body.map(<[u8]>::to_vec).unwrap_or_default())
            .expect("valid request");
        let mut response = agent()
            .run(request)
            .unwrap_or_else(|e| panic!("{method} {path} failed: {e}"));
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .unwrap_or_else(|e| panic!("{method} {path}: reading the body failed: {e}"));
        TestResponse {
            status,
            headers,
            body,
        }
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> TestResponse {
        self.request("GET", path, &[], None)
    }

    /// `POST path` with a JSON body.
    pub fn post_json(&self, path: &str, body: &serde_json::Value) -> TestResponse {
        let bytes = serde_json::to_vec(body).expect("json");
        self.request(
            "POST",
            path,
            &[("content-type", "application/json")],
            Some(&bytes),
        )
    }

    /// Sends `body` over a raw connection and reads the answer even when the server answers
    /// and closes before the body is fully sent (as for a 413), which HTTP clients that stop
    /// at a failed write cannot do. Headers are sent as given, plus the default bearer.
    pub fn request_tolerating_early_answer(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> TestResponse {
        use std::io::{Read, Write};
        let addr = self.base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(bearer) = &self.bearer {
            head.push_str(&format!("authorization: Bearer {bearer}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).expect("send head");
        for chunk in body.chunks(64 << 10) {
            if stream.write_all(chunk).is_err() {
                break; // the server has answered and closed: read what it said
            }
        }
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        parse_response(&raw)
            .unwrap_or_else(|| panic!("no HTTP response: {}", String::from_utf8_lossy(&raw)))
    }

    /// With the operator token, creates a tenant of `tier` and a key with `role` in it, and
    /// makes that key the default credential of every later request; returns the tenant id.
    pub fn sign_in_as_new_tenant(&mut self, tier: &str, role: &str) -> String {
        let operator = [("authorization", format!("Bearer {OPERATOR_TOKEN}"))];
        let op: Vec<(&str, &str)> = operator.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let json_op: Vec<(&str, &str)> = op
            .iter()
            .copied()
            .chain([("content-type", "application/json")])
            .collect();
        let body = serde_json::json!({"name": "Test tenant", "tier": tier}).to_string();
        let tenant = self.request("POST", "/api/v1/tenants", &json_op, Some(body.as_bytes()));
        assert_eq!(tenant.status, 201, "creating a tenant: {}", tenant.text());
        let tenant_id = tenant.json()["id"].as_str().expect("tenant id").to_owned();
        let body = serde_json::json!({"name": "test key", "role": role, "tenant_id": tenant_id})
            .to_string();
        let key = self.request("POST", "/api/v1/api-keys", &json_op, Some(body.as_bytes()));
        assert_eq!(key.status, 201, "creating a key: {}", key.text());
        self.bearer = Some(key.json()["key"].as_str().expect("key").to_owned());
        tenant_id
    }

    /// Polls `check` until it returns `Some`, or panics after `limit`.
    pub fn wait_for<T>(
        &self,
        limit: Duration,
        what: &str,
        mut check: impl FnMut() -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(v) = check() {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {limit:?} waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// A client of a host running elsewhere (another process) at `base`, sending `bearer`;
    /// it stops nothing when dropped.
    pub fn attach(base: &str, bearer: Option<String>) -> TestApp {
        TestApp {
            base: base.to_owned(),
            state_dir: PathBuf::new(),
            bearer,
            running: None,
            runtime: tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a runtime"),
            _temp: None,
        }
    }

    /// The credential sent by default, if any.
    pub fn bearer(&self) -> Option<&str> {
        self.bearer.as_deref()
    }

    /// Stops the host and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = self.runtime.block_on(running.stop());
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Parses a whole HTTP/1.1 response (content-length, chunked, or read-to-close body).
fn parse_response(raw: &[u8]) -> Option<TestResponse> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.lines();
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut rest = &raw[end + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        let mut body = Vec::new();
        loop {
            let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
            let size =
                usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).ok()?.trim(), 16)
                    .ok()?;
            rest = &rest[line_end + 2..];
            if size == 0 {
                break body;
            }
            body.extend_from_slice(rest.get(..size)?);
            rest = rest.get(size + 2..)?;
        }
    } else {
        rest.to_vec()
    };
    Some(TestResponse {
        status,
        headers,
        body,
    })
}

/// Replaces ids, times and request ids in a JSON value so snapshots are stable.
pub fn redact(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let redacted = match k.as_str() {
                        "id" | "request_id" => Value::String("[id]".into()),
                        "created_at" | "updated_at" => Value::String("[time]".into()),
                        "next_cursor" if !v.is_null() => Value::String("[cursor]".into()),
                        _ => redact(v),
                    };
                    (k.clone(), redacted)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}
