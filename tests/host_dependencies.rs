//! Component dependencies on a real host: `llm-probe` (HTTP, imports
//! `fabula:llm/text-generation`) composed with the offline provider from a file and from another
//! component (`tests/fixtures/apps/dependencies`), the refusals at load time, and the host's
//! `--publish-every` ticks.

use std::path::{Path, PathBuf};
use std::time::Duration;

use fabula_tests::{TestApp, TestAppBuilder, repo_root};
use serde_json::{Value, json};

fn fixture() -> PathBuf {
    repo_root().join("tests/fixtures/apps/dependencies/spin.toml")
}

fn wasm(name: &str) -> String {
    repo_root()
        .join("target/wasm32-wasip2/component")
        .join(name)
        .display()
        .to_string()
}

fn synopsis_request(seed: u64) -> Value {
    json!({
        "model": "fabula-offline-1",
        "messages": [
            {"role": "system", "content": "Task: synopsis@1\nWrite back-cover copy."},
            {"role": "user", "content": "Title: The Lighthouse\nPremise: A keeper finds a door in the sea.\nGenre: fantasy"}
        ],
        "max_tokens": 300,
        "seed": seed
    })
}

fn generate(app: &TestApp, prefix: &str, request: &Value) -> Value {
    let response = app.post_json(&format!("{prefix}/generate"), request);
    assert_eq!(response.status, 200, "{prefix}: {}", response.text());
    response.json()
}

/// Writes a manifest with one `probe` component (the llm-probe) and its `extra` lines.
fn probe_manifest(dir: &Path, extra: &str) -> PathBuf {
    let text = format!(
        "spin_manifest_version = 2\n[application]\nname = \"t\"\n\
         [[trigger.http]]\nroute = \"/...\"\ncomponent = \"probe\"\n\
         [component.probe]\nsource = \"{}\"\n{extra}\n",
        wasm("llm_probe.wasm")
    );
    let path = dir.join("spin.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn start_error(manifest: PathBuf) -> String {
    match TestAppBuilder::new(manifest).try_start() {
        Ok(_) => panic!("the host started but should have refused"),
        Err(e) => format!("{e:#}"),
    }
}

#[test]
fn a_composed_call_works_from_a_path_and_from_a_component() {
    let app = TestAppBuilder::new(fixture()).start();
    let request = synopsis_request(7);
    let by_path = generate(&app, "/by-path", &request);
    let by_component = generate(&app, "/by-component", &request);
    let ok = &by_path["ok"];
    assert!(
        ok["text"].as_str().is_some_and(|t| !t.trim().is_empty()),
        "{by_path}"
    );
    assert_eq!(ok["attempts"], 1, "{by_path}");
    assert!(
        ok["usage"]["completion_tokens"].as_u64() > Some(0),
        "{by_path}"
    );
    assert_eq!(
        by_path, by_component,
        "the same provider answers the same request the same way"
    );
    let other_seed = generate(&app, "/by-path", &synopsis_request(8));
    assert_eq!(
        generate(&app, "/by-path", &synopsis_request(8)),
        other_seed,
        "deterministic"
    );
}

#[test]
fn a_missing_dependency_fails_to_load_naming_component_and_import() {
    let dir = tempfile::tempdir().unwrap();
    let err = start_error(probe_manifest(dir.path(), ""));
    assert!(
        err.contains(
            "component `probe` imports `fabula:llm/text-generation@0.1.0`, which neither the \
             Fabula host nor a dependency provides: add it to [component.probe.dependencies]"
        ),
        "{err}"
    );
}

#[test]
fn a_dependency_without_the_export_fails_to_load() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = probe_manifest(
        dir.path(),
        &format!(
            "[component.probe.dependencies]\n\"fabula:llm/text-generation@0.1.0\" = {{ path = \"{}\" }}\n",
            wasm("llm_probe.wasm")
        ),
    );
    let err = start_error(manifest);
    assert!(
        err.contains(
            "component `probe`: dependency `fabula:llm/text-generation@0.1.0` does not export \
             `fabula:llm/text-generation@0.1.0` to satisfy import `fabula:llm/text-generation@0.1.0`"
        ),
        "{err}"
    );
}

#[test]
fn a_dependency_matching_no_import_fails_to_load() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = probe_manifest(
        dir.path(),
        &format!(
            "[component.probe.dependencies]\n\"fabula:llm/text-generation@0.1.0\" = {{ path = \"{p}\" }}\n\
             \"fabula:llm/embeddings@0.1.0\" = {{ path = \"{p}\" }}\n",
            p = wasm("provider_offline.wasm")
        ),
    );
    let err = start_error(manifest);
    assert!(
        err.contains("dependency `fabula:llm/embeddings@0.1.0` matches no import of the component"),
        "{err}"
    );
}

#[test]
fn both_inherit_forms_together_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = probe_manifest(
        dir.path(),
        &format!(
            "dependencies_inherit_configuration = true\n[component.probe.dependencies]\n\
             \"fabula:llm/text-generation@0.1.0\" = {{ path = \"{}\", inherit_configuration = true }}\n",
            wasm("provider_offline.wasm")
        ),
    );
    let err = start_error(manifest);
    assert!(
        err.contains("component.probe.dependencies: component `probe` specifies both `dependencies_inherit_configuration` and per-dependency `inherit_configuration`"),
        "{err}"
    );
}

#[test]
fn url_dependencies_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = probe_manifest(
        dir.path(),
        "[component.probe.dependencies]\n\"fabula:llm/text-generation@0.1.0\" = \
         { url = \"https://example.com/p.wasm\", digest = \"sha256:00\" }\n",
    );
    let err = start_error(manifest);
    assert!(
        err.contains("URL dependencies are not supported by the Fabula host"),
        "{err}"
    );
}

#[test]
fn publish_every_ticks_a_subscribed_channel() {
    // conformance-redis refuses a payload that is not its own JSON, so each tick ends as a dead
    // letter on `deliveries`, where its payload can be read back.
    let app = TestAppBuilder::conformance()
        .retry_backoff(Duration::from_millis(10))
        .publish_every("deliveries", Duration::from_millis(200))
        .start();
    let ticks = app.wait_for(Duration::from_secs(20), "two ticks", || {
        let report = fabula_host::redis::queue_report(&app.state_dir).ok()?;
        let ticks: Vec<String> = report
            .dead_letters
            .iter()
            .filter(|d| d.channel == "deliveries")
            .map(|d| d.payload_preview.clone())
            .collect();
        (ticks.len() >= 2).then_some(ticks)
    });
    for tick in &ticks {
        let tick: Value = serde_json::from_str(&tick.replace("\\\"", "\"")).unwrap();
        let at = tick["tick_at"].as_str().expect("tick_at");
        chrono::DateTime::parse_from_rfc3339(at).expect("an RFC 3339 time");
    }
    assert_ne!(ticks[0], ticks[1], "each tick carries its own time");
}

#[test]
fn publish_every_refuses_a_channel_nobody_subscribes_to() {
    let err = match TestAppBuilder::conformance()
        .publish_every("fabula.sweep", Duration::from_secs(1))
        .try_start()
    {
        Ok(_) => panic!("the host started but should have refused"),
        Err(e) => format!("{e:#}"),
    };
    assert_eq!(
        err,
        "--publish-every fabula.sweep: no [[trigger.redis]] subscribes to `fabula.sweep` \
         (subscribed: deliveries)"
    );
}
