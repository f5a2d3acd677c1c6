//! Host conformance: every Spin host interface the components use, driven through the
//! `conformance-http` / `conformance-redis` fixtures on a real host, including every refusal
//! Spin makes (labels not allowed, hosts not allowed, variables missing, traps, time and
//! memory limits).

use std::path::Path;
use std::time::Duration;

use fabula_tests::{TestApp, TestAppBuilder, repo_root};
use serde_json::{Value, json};

fn conformance() -> TestApp {
    TestAppBuilder::conformance().start()
}

fn post(app: &TestApp, path: &str, body: Value) -> Value {
    let r = app.post_json(path, &body);
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    r.json()
}

/// Writes a one-component manifest next to a temp dir, pointing at the fixture wasm.
fn manifest_with(dir: &Path, extra_app: &str, component_extra: &str) -> std::path::PathBuf {
    let wasm = repo_root().join("target/wasm32-wasip2/component/conformance_http.wasm");
    let text = format!(
        "spin_manifest_version = 2\n[application]\nname = \"t\"\n{extra_app}\n\
         [[trigger.http]]\nroute = \"/...\"\ncomponent = \"c\"\n\
         [component.c]\nsource = \"{}\"\n{component_extra}\n",
        wasm.display()
    );
    let path = dir.join("spin.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn start_error(builder: TestAppBuilder) -> String {
    match builder.try_start() {
        Ok(_) => panic!("the host started but should have refused"),
        Err(e) => format!("{e:#}"),
    }
}

// ---- HTTP trigger ------------------------------------------------------------------------

#[test]
fn hello_needs_no_host_calls() {
    let app = conformance();
    let r = app.get("/hello");
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "ok");
}

#[test]
fn spin_request_headers_are_set() {
    let app = conformance();
    let h = app.get("/headers/extra?q=1").json();
    let port = app.base.rsplit(':').next().unwrap();
    assert_eq!(
        h["spin-full-url"],
        format!("http://127.0.0.1:{port}/headers/extra?q=1")
    );
    assert_eq!(h["spin-base-path"], "/");
    assert!(
        h["spin-client-addr"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    assert!(h["spin-matched-route"].is_string());
    assert!(h["spin-component-route"].is_string());
    assert!(h["spin-raw-component-route"].is_string());
    assert!(h["spin-path-info"].is_string());
    assert!(
        h["x-request-id"].is_string(),
        "the host gives every request an id"
    );
}

#[test]
fn the_most_specific_route_wins() {
    let app = conformance();
    let cases = [
        ("/headers", "/headers/...", "", vec![]),
        ("/headers/exact", "/headers/exact", "", vec![]),
        (
            "/headers/a/b",
            "/headers/:first/:second",
            "",
            vec![("first", "a"), ("second", "b")],
        ),
        ("/headers/a/b/c", "/headers/...", "/a/b/c", vec![]),
        (
            "/headers/u1/files/x/y",
            "/headers/:user_id/files/...",
            "/x/y",
            vec![("user-id", "u1")],
        ),
    ];
    for (path, route, path_info, params) in cases {
        let h = app.get(path).json();
        assert_eq!(h["spin-matched-route"], route, "{path}: {h}");
        assert_eq!(h["spin-path-info"], path_info, "{path}: {h}");
        for (name, value) in params {
            assert_eq!(h[format!("spin-path-match-{name}")], value, "{path}: {h}");
        }
    }
    assert_eq!(
        app.get("/headers/u1/files/x").json()["spin-component-route"],
        "/headers/:user_id/files"
    );
}

#[test]
fn unrouted_path_is_a_json_404() {
    let app = TestAppBuilder::fabula().start();
    let r = app.get("/no/such/route");
    assert_eq!(r.status, 404);
    let body = r.json();
    assert_eq!(body["error"]["code"], "not_found");
    assert_eq!(
        body["error"]["request_id"].as_str(),
        r.header("x-request-id")
    );
}

#[test]
fn access_log_has_one_json_line_per_request() {
    let app = conformance();
    app.request("GET", "/hello", &[("x-request-id", "trace-me-42")], None);
    let log = std::fs::read_to_string(app.state_dir.join("access.log")).unwrap();
    let line: Value = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["request_id"] == "trace-me-42")
        .expect("a line for the request");
    assert_eq!(line["status"], 200);
    assert_eq!(line["component"], "conformance-http");
    assert_eq!(line["path"], "/hello");
    assert!(line["duration_ms"].as_f64().unwrap() >= 0.0);
}

// ---- key-value ---------------------------------------------------------------------------

#[test]
fn key_value_round_trip_and_permissions() {
    let app = conformance();
    assert_eq!(app.get("/kv/open?store=default").json()["ok"], true);
    assert_eq!(app.get("/kv/open?store=other").json()["ok"], true);
    let denied = app.get("/kv/open?store=forbidden").json();
    assert_eq!(denied["ok"], false);
    assert_eq!(denied["error"], "access-denied");

    let out = post(
        &app,
        "/kv/ops?store=default",
        json!({"ops": [
            {"op": "set", "key": "k1", "value": "v1"},
            {"op": "get", "key": "k1"},
            {"op": "exists", "key": "k1"},
            {"op": "get-keys"},
            {"op": "delete", "key": "k1"},
            {"op": "exists", "key": "k1"},
            {"op": "get", "key": "k1"}
        ]}),
    );
    let results = out["results"].as_array().unwrap();
    assert_eq!(results.len(), 7, "{out}");
    let s = |i: usize| results[i].to_string();
    assert!(s(1).contains("v1"), "get: {}", s(1));
    assert!(s(2).contains("true"), "exists: {}", s(2));
    assert!(s(3).contains("k1"), "get-keys: {}", s(3));
    assert!(s(5).contains("false"), "exists after delete: {}", s(5));
    assert!(s(6).contains("null"), "get after delete: {}", s(6));
}

#[test]
fn key_value_persists_across_restart_in_spins_file() {
    let state = tempfile::tempdir().unwrap();
    let app = TestAppBuilder::conformance()
        .state_dir(state.path())
        .start();
    post(
        &app,
        "/kv/ops?store=default",
        json!({"ops": [{"op": "set", "key": "survivor", "value": "yes"}]}),
    );
    app.stop();
    assert!(
        state.path().join("sqlite_key_value.db").exists(),
        "Spin's file name"
    );
    let app = TestAppBuilder::conformance()
        .state_dir(state.path())
        .start();
    let out = post(
        &app,
        "/kv/ops?store=default",
        json!({"ops": [{"op": "get", "key": "survivor"}]}),
    );
    assert!(out["results"][0].to_string().contains("yes"), "{out}");
}

#[test]
fn key_value_cli_seed_is_visible() {
    let app = TestAppBuilder::conformance()
        .key_value("bench", "seeded")
        .start();
    assert_eq!(app.get("/kv").text(), "seeded");
}

#[test]
fn unknown_key_value_label_fails_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = manifest_with(dir.path(), "", "key_value_stores = [\"nowhere\"]");
    let err = start_error(TestAppBuilder::new(manifest));
    assert!(err.contains("nowhere"), "{err}");
}

// ---- SQLite ------------------------------------------------------------------------------

#[test]
fn sqlite_binds_parameters_and_enforces_labels() {
    let app = conformance();
    assert_eq!(app.get("/sqlite/open?db=default").json()["ok"], true);
    let denied = app.get("/sqlite/open?db=forbidden").json();
    assert_eq!(denied["error"], "access-denied", "{denied}");

    post(
        &app,
        "/sqlite/execute?db=default",
        json!({"sql": "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, s TEXT, r REAL, b BLOB)", "params": []}),
    );
    let evil = "x'); DROP TABLE t; --";
    post(
        &app,
        "/sqlite/execute?db=default",
        json!({"sql": "INSERT INTO t (id, s, r, b) VALUES (?, ?, ?, ?)", "params": [1, evil, 2.5, {"blob_base64": "AAEC"}]}),
    );
    let out = post(
        &app,
        "/sqlite/execute?db=default",
        json!({"sql": "SELECT s, r, b, id FROM t WHERE id = ?", "params": [1]}),
    );
    assert_eq!(out["ok"], true, "{out}");
    let row = &out["rows"][0];
    assert_eq!(row[0], evil, "the string came back verbatim: {out}");
    assert_eq!(row[1], 2.5);
    assert!(row[2].to_string().contains("AAEC"), "{out}");
    assert_eq!(row[3], 1);
    let err = post(
        &app,
        "/sqlite/execute?db=default",
        json!({"sql": "SELEC nonsense", "params": []}),
    );
    assert_eq!(err["ok"], false, "{err}");
}

#[test]
fn sqlite_seed_file_runs_before_serving() {
    let seed = repo_root().join("tests/fixtures/apps/conformance/seed.sql");
    let app = TestAppBuilder::conformance()
        .sqlite(&format!("@{}", seed.display()))
        .start();
    let r = app.get("/sql");
    assert_eq!(r.status, 200);
    assert!(!r.text().is_empty());
}

#[test]
fn unknown_sqlite_label_fails_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = manifest_with(dir.path(), "", "sqlite_databases = [\"nowhere\"]");
    let err = start_error(TestAppBuilder::new(manifest));
    assert!(err.contains("nowhere"), "{err}");
}

// ---- variables ---------------------------------------------------------------------------

#[test]
fn variables_resolve_defaults_templates_and_overrides() {
    let app = conformance();
    assert_eq!(app.get("/variables/greeting").json()["value"], "hello");
    assert_eq!(
        app.get("/variables/composed").json()["value"],
        "prefix-hello-suffix"
    );
    let undefined = app.get("/variables/not_mine").json();
    assert_eq!(undefined["error"], "undefined", "{undefined}");
    drop(app);

    let app = TestAppBuilder::conformance()
        .variable("greeting", "bonjour")
        .start();
    assert_eq!(
        app.get("/variables/composed").json()["value"],
        "prefix-bonjour-suffix"
    );
}

#[test]
fn environment_provider_overrides_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = manifest_with(
        dir.path(),
        "[variables]\nfabula_conformance_env = { default = \"from-default\" }",
        "[component.c.variables]\nfrom_env = \"{{ fabula_conformance_env }}\"",
    );
    // SAFETY: no other test reads or writes this variable.
    unsafe { std::env::set_var("SPIN_VARIABLE_FABULA_CONFORMANCE_ENV", "from-env") };
    let app = TestAppBuilder::new(manifest).start();
    assert_eq!(app.get("/variables/from_env").json()["value"], "from-env");
}

#[test]
fn missing_required_variable_fails_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = manifest_with(
        dir.path(),
        "[variables]\nmust_have = { required = true }",
        "",
    );
    let err = start_error(TestAppBuilder::new(manifest));
    assert!(err.contains("must_have"), "{err}");
}

// ---- outbound HTTP -----------------------------------------------------------------------

#[test]
fn outbound_http_reaches_allowed_hosts_only() {
    let app = conformance();
    let port = app.base.rsplit(':').next().unwrap().to_owned();
    let ok = app
        .get(&format!(
            "/outbound?url=http%3A%2F%2F127.0.0.1%3A{port}%2Fhello"
        ))
        .json();
    assert_eq!(ok["ok"], true, "{ok}");
    assert_eq!(ok["status"], 200);
    assert_eq!(ok["body"], "ok");

    // 127.0.0.2 is loopback too, but not in allowed_outbound_hosts: refused before any traffic.
    let started = std::time::Instant::now();
    let denied = app
        .get(&format!(
            "/outbound?url=http%3A%2F%2F127.0.0.2%3A{port}%2Fhello"
        ))
        .json();
    assert_eq!(denied["ok"], false, "{denied}");
    assert!(
        denied["error"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("denied"),
        "{denied}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refusal must be fast, not a hang"
    );
}

// ---- LLM ---------------------------------------------------------------------------------

#[test]
fn llm_without_a_model_is_model_not_supported() {
    let app = conformance();
    let out = app.get("/llm?model=llama2-chat").json();
    assert_eq!(out["ok"], false);
    assert_eq!(out["error"], "model-not-supported", "{out}");
}

// ---- limits, traps, logs, environment ----------------------------------------------------

#[test]
fn a_trap_is_a_500_for_that_request_only() {
    let app = conformance();
    let r = app.get("/trap");
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["error"]["code"], "component_failed");
    assert_eq!(app.get("/hello").status, 200, "the host keeps serving");
}

#[test]
fn a_runaway_component_is_stopped_by_the_time_limit() {
    let app = TestAppBuilder::conformance()
        .request_timeout(Duration::from_millis(500))
        .start();
    let started = std::time::Instant::now();
    let r = app.get("/spin");
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["error"]["code"], "component_timeout");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(app.get("/hello").status, 200);
}

#[test]
fn memory_limit_stops_large_allocations() {
    let app = TestAppBuilder::conformance().memory_limit_mb(32).start();
    let small = app.get("/alloc?mb=4");
    assert_eq!(small.status, 200, "{}", small.text());
    assert_eq!(app.get("/alloc?mb=64").status, 500);
    assert_eq!(app.get("/hello").status, 200);
}

#[test]
fn component_output_goes_to_spins_log_files() {
    let app = conformance();
    assert_eq!(app.get("/log?text=marker-7f3a").status, 200);
    let logs = app.state_dir.join("logs");
    let out = std::fs::read_to_string(logs.join("conformance-http_stdout.txt")).unwrap();
    let err = std::fs::read_to_string(logs.join("conformance-http_stderr.txt")).unwrap();
    assert!(out.contains("marker-7f3a"));
    assert!(err.contains("marker-7f3a"));
}

#[test]
fn component_environment_comes_from_the_manifest() {
    let app = conformance();
    assert_eq!(app.get("/env/FIXTURE_ENV").json()["value"], "present");
}
