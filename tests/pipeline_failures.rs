//! The pipeline's failure handling end to end (docs/pipeline.md, "Failures, retries,
//! cancellation"): provider-openai, retrying nothing itself (`llm_max_retries` 0), against a
//! fake OpenAI-compatible server that fails chosen calls, with the sweeper ticking often.
//!
//! - Transient failures (503) are retried once their backoff has passed, never before, and
//!   the job completes with every chapter once; the failed calls are counted, without tokens.
//! - A 429's `Retry-After` longer than the backoff delays the retry that long.
//! - A permanent failure (400) fails the job at once and keeps what was written;
//!   `POST /api/v1/jobs/{id}/retry` resumes it at the failed step.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use fabula_tests::TestApp;
use fabula_tests::fake_llm::{COMPLETION_TOKENS, FakeLlm, PROMPT_TOKENS, Prompt, Reply, Script};
use fabula_tests::manifest::PatchedManifest;
use fabula_tests::pipeline::{
    chapters, count_kind, create_story, events, job, start_generation, wait_until_terminal,
};
use serde_json::{Value, json};

/// Chapters of every job here.
const CHAPTERS: u32 = 3;
/// Long enough for a job with a few seconds of backoff on a slow CI machine.
const JOB_LIMIT: Duration = Duration::from_secs(120);

// --- the app and the fake model ------------------------------------------------------------

/// The app with provider-openai pointed at `server`, the sweeper ticking every 300 ms,
/// signed in as a new tenant's user.
fn app(manifest: &PatchedManifest, server: &FakeLlm) -> TestApp {
    let mut app = manifest
        .builder()
        .with_operator()
        .variable("llm_api_origin", &server.origin())
        .variable("llm_max_retries", "0")
        // Well above a step's duration, so a slow step is never swept as stalled (which
        // would start a second attempt and blur the counts below).
        .variable("job_stall_seconds", "30")
        .publish_every("fabula.sweep", Duration::from_millis(300))
        .start();
    app.sign_in_as_new_tenant("enterprise", "user");
    app
}

/// Fabula's manifest with provider-openai as the LLM provider.
fn openai_manifest() -> PatchedManifest {
    PatchedManifest::fabula(&[("llm-provider", "provider_openai.wasm")])
}

/// Whether `prompt` drafts chapter `number`.
fn drafts(prompt: &Prompt, number: u32) -> bool {
    prompt.task == "chapter@1" && prompt.chapter() == Some(number)
}

/// Valid answers to every prompt of a job without revisions: a premise analysis, a
/// 3-chapter outline, a short chapter per draft, a synopsis.
fn canned(prompt: &Prompt) -> Reply {
    let json = |value: Value| Reply::completion(&value.to_string());
    match prompt.task.as_str() {
        "premise-analysis@1" => json(json!({
            "title": "The Drowned Map",
            "logline": "A keeper follows a drowned map to a sunken city.",
            "genre": "fantasy",
            "tone": "wistful",
            "setting": "The island of Skerry",
            "themes": ["longing"],
            "characters": [{"name": "Mara Venn", "role": "protagonist",
                            "description": "the lighthouse keeper", "traits": ["restless"]}],
            "places": [{"name": "Skerry", "description": "a windswept island"}]
        })),
        "outline@1" => json(json!({"chapters": (1..=CHAPTERS).map(|n| json!({
            "number": n, "title": format!("Part {n}"), "summary": format!("Mara's day {n}."),
            "beats": [format!("Mara Venn reads the map on day {n}.")], "word_budget": 60
        })).collect::<Vec<_>>()})),
        "chapter@1" => Reply::completion(&format!(
            "Mara Venn climbed the lighthouse stairs on day {}. The sea lay grey and still. \
             She unrolled the drowned map and traced the road to Ys.",
            prompt.chapter().unwrap_or_default()
        )),
        "synopsis@1" => Reply::completion("A keeper follows a drowned map towards Ys."),
        other => Reply::error(400, &format!("unexpected task {other:?}")),
    }
}

/// Answers chapter `number`'s drafts with `failures` first, then everything with [`canned`].
fn failing_chapter(
    number: u32,
    failures: impl IntoIterator<Item = Reply>,
) -> impl Fn(&Prompt) -> Reply + Send + Sync + 'static {
    let script = Script::new(failures);
    move |prompt: &Prompt| {
        drafts(prompt, number)
            .then(|| script.next())
            .flatten()
            .unwrap_or_else(|| canned(prompt))
    }
}

/// Starts a job of [`CHAPTERS`] chapters without revisions; returns its id.
fn start_job(app: &TestApp) -> String {
    let story = create_story(app, "The Drowned Map", CHAPTERS);
    let body = json!({"chapters": CHAPTERS, "words_per_chapter": 200, "seed": 1,
                      "quality": {"max_revisions": 0}});
    let job = start_generation(app, &story, &body);
    job["id"].as_str().expect("job id").to_owned()
}

// --- reading the outcome -------------------------------------------------------------------

/// The events of `kind` about `step`, in order.
fn step_events<'a>(log: &'a [Value], kind: &str, step: &str) -> Vec<&'a Value> {
    log.iter()
        .filter(|e| e["kind"] == kind && e["data"]["step"] == step)
        .collect()
}

/// An RFC 3339 time at `pointer` in `value`.
fn time_at(value: &Value, pointer: &str) -> DateTime<FixedOffset> {
    let text = value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{pointer} is not a string in {value}"));
    DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("{pointer}: {e}: {text}"))
}

/// How long after its event a `stage_retrying` event schedules the retry.
fn scheduled_delay(retrying: &Value) -> chrono::Duration {
    time_at(retrying, "/data/retry_at") - time_at(retrying, "/created_at")
}

/// Asserts that every retry of `step` started (`stage_started`) no earlier than the
/// `retry_at` of the `stage_retrying` event before it, and returns those events.
fn assert_retries_waited<'a>(log: &'a [Value], step: &str) -> Vec<&'a Value> {
    let retrying = step_events(log, "stage_retrying", step);
    let started = step_events(log, "stage_started", step);
    assert_eq!(started.len(), retrying.len() + 1, "{log:#?}");
    for (failure, retry) in retrying.iter().zip(&started[1..]) {
        assert!(failure["seq"].as_u64() < retry["seq"].as_u64(), "{log:#?}");
        assert!(
            time_at(retry, "/created_at") >= time_at(failure, "/data/retry_at"),
            "{step} started before its retry_at: {failure} then {retry}"
        );
    }
    retrying
}

/// The times the fake server saw chapter `number` drafted.
fn drafts_seen(server: &FakeLlm, number: u32) -> Vec<std::time::Instant> {
    server
        .prompts()
        .into_iter()
        .filter(|p| drafts(p, number))
        .map(|p| p.at)
        .collect()
}

/// `step` as `GET /api/v1/jobs/{id}` lists it.
fn step_view(job: &Value, step: &str) -> Value {
    job["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["step"] == step)
        .unwrap_or_else(|| panic!("no step {step} in {job}"))
        .clone()
}

/// The numbers of the job's chapters, as listed.
fn chapter_numbers(app: &TestApp, id: &str) -> Vec<u64> {
    chapters(app, id)
        .iter()
        .map(|c| c["number"].as_u64().expect("number"))
        .collect()
}

/// The chapters `chapter_written` events announce, in order.
fn written(log: &[Value]) -> Vec<u64> {
    log.iter()
        .filter(|e| e["kind"] == "chapter_written")
        .map(|e| e["data"]["number"].as_u64().expect("number"))
        .collect()
}

/// `{prompt, completion, total}` for `calls` completions of the fake server.
fn tokens_of(calls: u64) -> Value {
    let (prompt, completion) = (PROMPT_TOKENS * calls, COMPLETION_TOKENS * calls);
    json!({"prompt": prompt, "completion": completion, "total": prompt + completion})
}

// --- the cases -----------------------------------------------------------------------------

#[test]
fn transient_failures_are_retried_after_their_backoff() {
    let outage = [503, 503].map(|status| Reply::error(status, "overloaded"));
    let server = FakeLlm::start(failing_chapter(2, outage));
    let manifest = openai_manifest();
    let app = app(&manifest, &server);
    let id = start_job(&app);
    let done = wait_until_terminal(&app, &id, JOB_LIMIT);
    assert_eq!(done["status"], "completed", "{done}");

    // Two retries, each started once its backoff (2 s, then 4 s) had passed.
    let log = events(&app, &id);
    let retrying = assert_retries_waited(&log, "chapter:2");
    assert_eq!(retrying.len(), 2, "{log:#?}");
    for (n, (event, backoff)) in retrying.iter().zip([2, 4]).enumerate() {
        assert_eq!(event["data"]["code"], "unavailable", "{event}");
        assert_eq!(event["data"]["attempt"], n + 1, "{event}");
        assert_eq!(scheduled_delay(event), chrono::Duration::seconds(backoff));
    }
    let seen = drafts_seen(&server, 2);
    assert_eq!(seen.len(), 3, "chapter 2 drafted three times");
    assert!(seen[1] - seen[0] >= Duration::from_secs(2), "{seen:?}");
    assert!(seen[2] - seen[1] >= Duration::from_secs(4), "{seen:?}");

    // Every chapter exactly once.
    assert_eq!(chapter_numbers(&app, &id), [1, 2, 3]);
    assert_eq!(written(&log), [1, 2, 3], "{log:#?}");

    // The step's attempts, and the failed calls counted without tokens.
    let step = step_view(&job(&app, &id), "chapter:2");
    assert_eq!(step["status"], "done", "{step}");
    assert_eq!(step["attempts"], 3, "{step}");
    assert_eq!(step["failures"], 2, "{step}");
    assert_eq!(step["error"], Value::Null, "{step}");
    assert_eq!(
        step["tokens"],
        tokens_of(1),
        "only the successful call has tokens"
    );
    let calls = server.prompts().len() as u64;
    let usage = app.get("/api/v1/usage");
    assert_eq!(usage.status, 200, "{}", usage.text());
    let usage = usage.json();
    assert_eq!(usage["calls"], calls, "every call is counted: {usage}");
    assert_eq!(usage["tokens"], tokens_of(calls - 2), "{usage}");
    assert_eq!(done["tokens"], tokens_of(calls - 2), "{done}");
}

#[test]
fn a_rate_limit_delays_the_retry_by_its_retry_after() {
    // Longer than the first backoff (2 s), so only Retry-After explains the wait.
    let limited = Reply::error(429, "slow down").header("retry-after", "3");
    let server = FakeLlm::start(failing_chapter(1, [limited]));
    let manifest = openai_manifest();
    let app = app(&manifest, &server);
    let id = start_job(&app);
    let done = wait_until_terminal(&app, &id, JOB_LIMIT);
    assert_eq!(done["status"], "completed", "{done}");

    let log = events(&app, &id);
    let retrying = assert_retries_waited(&log, "chapter:1");
    assert_eq!(retrying.len(), 1, "{log:#?}");
    assert_eq!(
        retrying[0]["data"]["code"], "rate_limited",
        "{}",
        retrying[0]
    );
    assert!(
        scheduled_delay(retrying[0]) >= chrono::Duration::seconds(3),
        "{}",
        retrying[0]
    );
    let seen = drafts_seen(&server, 1);
    assert_eq!(seen.len(), 2, "chapter 1 drafted twice");
    assert!(seen[1] - seen[0] >= Duration::from_secs(3), "{seen:?}");
    assert_eq!(chapter_numbers(&app, &id), [1, 2, 3]);
}

#[test]
fn a_permanent_failure_fails_the_job_and_retry_resumes_it() {
    let fixed = Arc::new(AtomicBool::new(false));
    let refusing = fixed.clone();
    let server = FakeLlm::start(move |prompt: &Prompt| {
        if drafts(prompt, 2) && !refusing.load(Ordering::SeqCst) {
            Reply::error(400, "unknown field 'foo'")
        } else {
            canned(prompt)
        }
    });
    let manifest = openai_manifest();
    let app = app(&manifest, &server);
    let id = start_job(&app);

    // Failed at the first attempt; chapter 1 is kept.
    let failed = wait_until_terminal(&app, &id, JOB_LIMIT);
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["error"]["step"], "chapter:2", "{failed}");
    assert_eq!(failed["error"]["code"], "invalid_request", "{failed}");
    let message = failed["error"]["message"].as_str().expect("a message");
    assert!(message.contains("unknown field 'foo'"), "{message}");
    let step = step_view(&failed, "chapter:2");
    assert_eq!(step["status"], "failed", "{step}");
    assert_eq!(step["attempts"], 1, "{step}");
    assert_eq!(step["failures"], 1, "{step}");
    let log = events(&app, &id);
    assert_eq!(count_kind(&log, "stage_retrying"), 0, "{log:#?}");
    let stage_failed = step_events(&log, "stage_failed", "chapter:2");
    assert_eq!(stage_failed.len(), 1, "{log:#?}");
    assert_eq!(stage_failed[0]["data"]["attempt"], 1);
    assert_eq!(count_kind(&log, "job_failed"), 1, "{log:#?}");
    assert_eq!(chapter_numbers(&app, &id), [1]);

    // Retried once the model answers: resumed at chapter 2, chapter 1 not written again.
    fixed.store(true, Ordering::SeqCst);
    let retry = app.post_json(&format!("/api/v1/jobs/{id}/retry"), &json!({}));
    assert_eq!(retry.status, 202, "{}", retry.text());
    let done = wait_until_terminal(&app, &id, JOB_LIMIT);
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(chapter_numbers(&app, &id), [1, 2, 3]);
    let log = events(&app, &id);
    assert_eq!(written(&log), [1, 2, 3], "{log:#?}");
    assert_eq!(drafts_seen(&server, 1).len(), 1, "chapter 1 is kept");
    assert_eq!(drafts_seen(&server, 2).len(), 2, "one refusal, one draft");
    let restarted = log
        .iter()
        .filter(|e| e["kind"] == "job_started" && e["data"]["retry"] == true)
        .count();
    assert_eq!(restarted, 1, "{log:#?}");
}
