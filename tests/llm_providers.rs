//! LLM providers behind `fabula:llm/text-generation`, driven through the llm-probe fixture
//! (`tests/fixtures/apps/llm`): provider-openai against a fake OpenAI-compatible server in
//! this process (retries, timeouts, error classification, usage), and provider-offline
//! (determinism, agreement with the native crate).

use std::time::{Duration, Instant};

use fabula_tests::fake_llm::{FakeLlm, Reply, scripted};
use fabula_tests::{TestApp, TestAppBuilder, repo_root};
use serde_json::{Value, json};

// --- the probe -------------------------------------------------------------------------

/// The probe app with provider-openai pointed at `server`, plus extra variables.
fn openai_app(server: &FakeLlm, variables: &[(&str, &str)]) -> TestApp {
    let mut builder = TestAppBuilder::new(repo_root().join("tests/fixtures/apps/llm/spin.toml"))
        .variable("llm_api_origin", &server.origin())
        .variable("llm_api_key", "test-key");
    for (name, value) in variables {
        builder = builder.variable(name, value);
    }
    builder.start()
}

fn request_body() -> Value {
    json!({
        "model": "test-model",
        "messages": [
            {"role": "system", "content": "Task: outline@1\nAnswer in JSON."},
            {"role": "user", "content": "Chapters: 3\nTotal words: 3000"}
        ],
        "temperature": 0.7,
        "max_tokens": 256,
        "stop": ["<END>"],
        "seed": 42
    })
}

/// POSTs `body` to the probe and returns its JSON answer (asserting a 200).
fn generate(app: &TestApp, body: &Value) -> Value {
    let response = app.post_json("/generate", body);
    assert_eq!(response.status, 200, "probe answered {}", response.text());
    response.json()
}

// --- provider-openai -------------------------------------------------------------------

#[test]
fn a_completion_carries_text_usage_and_the_request_fields() {
    let server = FakeLlm::start(|_| Reply::completion("Three chapters."));
    let app = openai_app(&server, &[]);
    let answer = generate(&app, &request_body());
    assert_eq!(
        answer,
        json!({"ok": {
            "text": "Three chapters.", "finish_reason": "stop",
            "usage": {"prompt_tokens": 42, "completion_tokens": 7, "estimated": false},
            "model": "served-model", "attempts": 1
        }})
    );
    let seen = server.prompts();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].path, "/v1/chat/completions");
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer test-key"));
    assert_eq!(
        seen[0].body,
        json!({
            "model": "test-model",
            "messages": [
                {"role": "system", "content": "Task: outline@1\nAnswer in JSON."},
                {"role": "user", "content": "Chapters: 3\nTotal words: 3000"}
            ],
            "stream": false, "temperature": 0.7, "max_tokens": 256, "stop": ["<END>"], "seed": 42
        })
    );
}

#[test]
fn a_rate_limit_is_retried_after_retry_after() {
    let server = FakeLlm::start(scripted(
        [Reply::status(
            429,
            r#"{"error":{"message":"slow down","type":"rate_limit_exceeded"}}"#,
        )
        .header("retry-after", "1")],
        Reply::completion("after the wait"),
    ));
    let app = openai_app(&server, &[]);
    let answer = generate(&app, &request_body());
    assert_eq!(answer["ok"]["text"], "after the wait");
    assert_eq!(answer["ok"]["attempts"], 2);
    let seen = server.prompts();
    assert_eq!(seen.len(), 2);
    let waited = seen[1].at - seen[0].at;
    assert!(
        waited >= Duration::from_millis(950),
        "retried after {waited:?}"
    );
    assert_eq!(
        seen[0].body, seen[1].body,
        "the retry resends the same body"
    );
}

#[test]
fn a_rate_limit_longer_than_the_cap_is_reported_with_its_delay() {
    let server = FakeLlm::start(|_| Reply::status(429, "{}").header("retry-after", "120"));
    let app = openai_app(&server, &[("llm_retry_max_delay_ms", "5000")]);
    let answer = generate(&app, &request_body());
    assert_eq!(
        answer,
        json!({"err": {"kind": "rate-limited", "detail": 120_000}})
    );
    assert_eq!(server.prompts().len(), 1);
}

#[test]
fn a_server_error_is_retried_then_succeeds() {
    let server = FakeLlm::start(scripted(
        [Reply::error(500, "boom")],
        Reply::completion("recovered"),
    ));
    let app = openai_app(&server, &[]);
    let answer = generate(&app, &request_body());
    assert_eq!(answer["ok"]["text"], "recovered");
    assert_eq!(answer["ok"]["attempts"], 2);
    assert_eq!(server.prompts().len(), 2);
}

#[test]
fn persistent_server_errors_end_unavailable_after_the_retries() {
    let server = FakeLlm::start(|_| Reply::status(503, "overloaded"));
    let app = openai_app(&server, &[("llm_max_retries", "2")]);
    let answer = generate(&app, &request_body());
    assert_eq!(answer["err"]["kind"], "unavailable");
    assert!(answer["err"]["detail"].as_str().unwrap().contains("503"));
    assert_eq!(server.prompts().len(), 3, "one attempt and two retries");
}

#[test]
fn a_timeout_is_retried() {
    let server = FakeLlm::start(scripted(
        [Reply::completion("too late").after(Duration::from_secs(5))],
        Reply::completion("in time"),
    ));
    let app = openai_app(&server, &[("llm_timeout_ms", "500")]);
    let started = Instant::now();
    let answer = generate(&app, &request_body());
    assert_eq!(answer["ok"]["text"], "in time");
    assert_eq!(answer["ok"]["attempts"], 2);
    assert_eq!(server.prompts().len(), 2);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_malformed_body_is_retried() {
    let server = FakeLlm::start(scripted(
        [
            Reply::malformed(r#"{"choices": [{"message": {"content": "cut off"#),
            Reply::malformed(r#"{"choices": null}"#),
        ],
        Reply::completion("whole"),
    ));
    let app = openai_app(&server, &[]);
    let answer = generate(&app, &request_body());
    assert_eq!(answer["ok"]["text"], "whole");
    assert_eq!(answer["ok"]["attempts"], 3);
    assert_eq!(server.prompts().len(), 3);
}

#[test]
fn a_bad_request_is_never_retried() {
    let server = FakeLlm::start(scripted(
        [Reply::error(400, "unknown field 'foo'")],
        Reply::completion("must not be reached"),
    ));
    let app = openai_app(&server, &[]);
    let answer = generate(&app, &request_body());
    assert_eq!(answer["err"]["kind"], "invalid-request");
    assert!(
        answer["err"]["detail"]
            .as_str()
            .unwrap()
            .contains("unknown field")
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(server.prompts().len(), 1, "exactly one request");
}

#[test]
fn refused_credentials_are_an_auth_error() {
    let server = FakeLlm::start(scripted(
        [Reply::error(401, "Incorrect API key provided")],
        Reply::completion("must not be reached"),
    ));
    let app = openai_app(&server, &[]);
    let answer = generate(&app, &request_body());
    assert_eq!(answer["err"]["kind"], "auth");
    assert_eq!(server.prompts().len(), 1);
}

#[test]
fn a_context_length_complaint_is_context_too_long() {
    let server = FakeLlm::start(|_| {
        Reply::status(
            400,
            r#"{"error":{"message":"This model's maximum context length is 8192 tokens","code":"context_length_exceeded"}}"#,
        )
    });
    let app = openai_app(&server, &[]);
    let answer = generate(&app, &request_body());
    assert_eq!(answer["err"]["kind"], "context-too-long");
    assert_eq!(server.prompts().len(), 1);
}

#[test]
fn missing_usage_is_estimated() {
    let text = "Twenty characters!!!";
    // A bare completion: no usage, no model, cut at the length limit.
    let body = json!({"choices": [{"message": {"content": text}, "finish_reason": "length"}]});
    let server = FakeLlm::start(move |_| Reply::status(200, &body.to_string()));
    let app = openai_app(&server, &[]);
    let answer = generate(&app, &request_body());
    let prompt_chars = [
        "Task: outline@1\nAnswer in JSON.",
        "Chapters: 3\nTotal words: 3000",
    ]
    .map(|m| m.chars().count().div_ceil(4))
    .iter()
    .sum::<usize>();
    assert_eq!(
        answer["ok"],
        json!({
            "text": text, "finish_reason": "length",
            "usage": {"prompt_tokens": prompt_chars, "completion_tokens": 5, "estimated": true},
            "model": "test-model", "attempts": 1
        })
    );
}

#[test]
fn an_unreachable_backend_is_unavailable() {
    // A port nobody listens on: bind, note the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = TestAppBuilder::new(repo_root().join("tests/fixtures/apps/llm/spin.toml"))
        .variable("llm_api_origin", &format!("http://127.0.0.1:{port}"))
        .variable("llm_max_retries", "1")
        .start();
    let answer = generate(&app, &request_body());
    assert_eq!(answer["err"]["kind"], "unavailable");
}

// --- provider-offline ------------------------------------------------------------------

fn offline_app() -> TestApp {
    TestAppBuilder::new(repo_root().join("tests/fixtures/apps/llm/offline.toml")).start()
}

fn chapter_request(seed: u64) -> Value {
    json!({
        "model": "fabula-offline-1",
        "messages": [
            {"role": "system", "content": "Task: chapter@1\nWrite the chapter."},
            {"role": "user", "content": "Genre: mystery\nChapter number: 1\nWord budget: 600\n\n## Characters\n- Vera Cole — protagonist: a detective inspector, tired and exact\n- Hugh Ashby — ally: the night porter\n\n## Places\n- The Marlowe Hotel — a faded seaside hotel\n\n## Beats\n- Vera Cole finds a second key taped under the reception desk.\n- Hugh Ashby admits that he lied about the night of the storm.\n"}
        ],
        "temperature": 0.8,
        "max_tokens": 4000,
        "stop": [],
        "seed": seed
    })
}

#[test]
fn the_offline_provider_is_deterministic_for_a_seed() {
    let app = offline_app();
    let first = generate(&app, &chapter_request(7));
    assert_eq!(first, generate(&app, &chapter_request(7)));
    assert_ne!(
        first["ok"]["text"],
        generate(&app, &chapter_request(8))["ok"]["text"]
    );
    let ok = &first["ok"];
    assert_eq!(ok["model"], "fabula-offline-1");
    assert_eq!(ok["attempts"], 1);
    assert_eq!(ok["finish_reason"], "stop");
    assert_eq!(ok["usage"]["estimated"], false);
    let text = ok["text"].as_str().unwrap();
    assert!(text.contains("Vera") && text.contains("Hugh"), "{text}");
    let words = text.split_whitespace().count();
    assert!((540..=660).contains(&words), "{words} words");
}

#[test]
fn the_offline_component_writes_what_the_native_crate_writes() {
    use fabula_llm_offline::{Message, Request, Role};
    let app = offline_app();
    let body = chapter_request(12345);
    let native = fabula_llm_offline::generate(&Request {
        model: "fabula-offline-1".into(),
        messages: body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| Message {
                role: if m["role"] == "system" {
                    Role::System
                } else {
                    Role::User
                },
                content: m["content"].as_str().unwrap().to_owned(),
            })
            .collect(),
        temperature: Some(0.8),
        max_tokens: Some(4000),
        stop: Vec::new(),
        seed: Some(12345),
    })
    .unwrap();
    assert_eq!(generate(&app, &body)["ok"]["text"], native.text.as_str());
}

#[test]
fn the_offline_provider_refuses_an_unknown_task() {
    let app = offline_app();
    let mut body = chapter_request(1);
    body["messages"][0]["content"] = json!("Task: limerick@1");
    let answer = generate(&app, &body);
    assert_eq!(answer["err"]["kind"], "invalid-request");
    assert!(
        answer["err"]["detail"]
            .as_str()
            .unwrap()
            .contains("limerick@1")
    );
}

#[test]
fn the_probe_rejects_a_malformed_request() {
    let app = offline_app();
    let response = app.post_json("/generate", &json!({"model": "m"}));
    assert_eq!(response.status, 400);
    assert_eq!(response.json()["error"], "bad-request");
}
