//! LLM providers behind `fabula:llm/text-generation`, driven through the llm-probe fixture
//! (`tests/fixtures/apps/llm`): provider-openai against a fake OpenAI-compatible server in
//! this process (retries, timeouts, error classification, usage), and provider-offline
//! (determinism, agreement with the native crate).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use fabula_tests::{TestApp, TestAppBuilder, repo_root};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

// --- the fake OpenAI-compatible server -------------------------------------------------

/// One scripted answer.
#[derive(Clone)]
enum Reply {
    /// A status, an optional `Retry-After`, a body.
    Http {
        status: u16,
        retry_after: Option<&'static str>,
        body: String,
    },
    /// Waits, then answers.
    Slow { delay: Duration, then: Box<Reply> },
}

fn http(status: u16, body: &str) -> Reply {
    Reply::Http {
        status,
        retry_after: None,
        body: body.to_owned(),
    }
}

/// A normal completion with usage.
fn ok_reply(text: &str) -> Reply {
    http(
        200,
        &json!({
            "id": "chatcmpl-1", "object": "chat.completion", "model": "served-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49}
        })
        .to_string(),
    )
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    authorization: Option<String>,
    body: Value,
    at: Instant,
}

/// Answers request `i` with `script[i]` (the last entry repeats) and records every request.
struct FakeServer {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeServer {
    fn start(script: Vec<Reply>) -> FakeServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let script = Arc::new(script);
        let log = seen.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    let stream = tokio::select! {
                        accepted = listener.accept() => match accepted {
                            Ok((stream, _)) => stream,
                            Err(_) => continue,
                        },
                        _ = &mut stopped => return,
                    };
                    let (script, log) = (script.clone(), log.clone());
                    tokio::spawn(async move {
                        let service =
                            service_fn(move |req| answer(req, script.clone(), log.clone()));
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        FakeServer {
            addr,
            seen,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn answer(
    req: hyper::Request<Incoming>,
    script: Arc<Vec<Reply>>,
    log: Arc<Mutex<Vec<Seen>>>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let authorization = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let index = {
        let mut log = log.lock().unwrap();
        log.push(Seen {
            method,
            path,
            authorization,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            at: Instant::now(),
        });
        log.len() - 1
    };
    let mut reply = script[index.min(script.len() - 1)].clone();
    loop {
        match reply {
            Reply::Slow { delay, then } => {
                tokio::time::sleep(delay).await;
                reply = *then;
            }
            Reply::Http {
                status,
                retry_after,
                body,
            } => {
                let mut response = hyper::Response::builder()
                    .status(status)
                    .header("content-type", "application/json");
                if let Some(value) = retry_after {
                    response = response.header("retry-after", value);
                }
                return Ok(response
                    .body(Full::new(Bytes::from(body)))
                    .expect("response"));
            }
        }
    }
}

// --- the probe -------------------------------------------------------------------------

/// The probe app with provider-openai pointed at `server`, plus extra variables.
fn openai_app(server: &FakeServer, variables: &[(&str, &str)]) -> TestApp {
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
    let server = FakeServer::start(vec![ok_reply("Three chapters.")]);
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
    let seen = server.seen();
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
    let server = FakeServer::start(vec![
        Reply::Http {
            status: 429,
            retry_after: Some("1"),
            body: r#"{"error":{"message":"slow down","type":"rate_limit_exceeded"}}"#.into(),
        },
        ok_reply("after the wait"),
    ]);
    let app = openai_app(&server, &[]);
    let answer = generate(&app, &request_body());
    assert_eq!(answer["ok"]["text"], "after the wait");
    assert_eq!(answer["ok"]["attempts"], 2);
    let seen = server.seen();
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
    let server = FakeServer::start(vec![Reply::Http {
        status: 429,
        retry_after: Some("120"),
        body: "{}".into(),
    }]);
    let app = openai_app(&server, &[("llm_retry_max_delay_ms", "5000")]);
    let answer = generate(&app, &request_body());
    assert_eq!(
        answer,
        json!({"err": {"kind": "rate-limited", "detail": 120_000}})
    );
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn a_server_error_is_retried_then_succeeds() {
    let server = FakeServer::start(vec![
        http(500, r#"{"error":{"message":"boom"}}"#),
        ok_reply("recovered"),
    ]);
    let app = openai_app(&server, &[]);
    let answer = generate(&app, &request_body());
    assert_eq!(answer["ok"]["text"], "recovered");
    assert_eq!(answer["ok"]["attempts"], 2);
    assert_eq!(server.seen().len(), 2);
}

#[test]
fn persistent_server_errors_end_unavailable_after_the_retries() {
    let server = FakeServer::start(vec![http(503, "overloaded")]);
    let app = openai_app(&server, &[("llm_max_retries", "2")]);
    let answer = generate(&app, &request_body());
    assert_eq!(answer["err"]["kind"], "unavailable");
    assert!(answer["err"]["detail"].as_str().unwrap().contains("503"));
    assert_eq!(server.seen().len(), 3, "one attempt and two retries");
}

#[test]
fn a_timeout_is_retried() {
    let server = FakeServer::start(vec![
        Reply::Slow {
            delay: Duration::from_secs(5),
            then: Box::new(ok_reply("too late")),
        },
        ok_reply("in time"),
    ]);
    let app = openai_app(&server, &[("llm_timeout_ms", "500")]);
    let started = Instant::now();
    let answer = generate(&app, &request_body());
    assert_eq!(answer["ok"]["text"], "in time");
    assert_eq!(answer["ok"]["attempts"], 2);
    assert_eq!(server.seen().len(), 2);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_malformed_body_is_retried() {
    let server = FakeServer::start(vec![
        http(200, r#"{"choices": [{"message": {"content": "cut off"#),
        http(200, r#"{"choices": null}"#),
        ok_reply("whole"),
    ]);
    let app = openai_app(&server, &[]);
    let answer = generate(&app, &request_body());
    assert_eq!(answer["ok"]["text"], "whole");
    assert_eq!(answer["ok"]["attempts"], 3);
    assert_eq!(server.seen().len(), 3);
}

#[test]
fn a_bad_request_is_never_retried() {
    let server = FakeServer::start(vec![
        http(
            400,
            r#"{"error":{"message":"unknown field 'foo'","type":"invalid_request_error"}}"#,
        ),
        ok_reply("must not be reached"),
    ]);
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
    assert_eq!(server.seen().len(), 1, "exactly one request");
}

#[test]
fn refused_credentials_are_an_auth_error() {
    let server = FakeServer::start(vec![
        http(401, r#"{"error":{"message":"Incorrect API key provided"}}"#),
        ok_reply("must not be reached"),
    ]);
    let app = openai_app(&server, &[]);
    let answer = generate(&app, &request_body());
    assert_eq!(answer["err"]["kind"], "auth");
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn a_context_length_complaint_is_context_too_long() {
    let server = FakeServer::start(vec![http(
        400,
        r#"{"error":{"message":"This model's maximum context length is 8192 tokens","code":"context_length_exceeded"}}"#,
    )]);
    let app = openai_app(&server, &[]);
    let answer = generate(&app, &request_body());
    assert_eq!(answer["err"]["kind"], "context-too-long");
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn missing_usage_is_estimated() {
    let text = "Twenty characters!!!";
    let server = FakeServer::start(vec![http(
        200,
        &json!({"choices": [{"message": {"content": text}, "finish_reason": "length"}]})
            .to_string(),
    )]);
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
