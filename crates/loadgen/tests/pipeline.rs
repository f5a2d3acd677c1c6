//! `pipeline::measure_all` against a fake Fabula API in this process: tenants, API keys,
//! stories, generations and jobs that write one chapter every 10 ms.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use fabula_loadgen::pipeline::measure::Polling;
use fabula_loadgen::pipeline::{self, PipelineConfig, PipelineError};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

const ADMIN: &str = "admin-secret";
const KEY: &str = "fab_test_key";
/// The fake writes one chapter per this much time.
const CHAPTER_TIME: Duration = Duration::from_millis(10);
/// Jobs with this many chapters fail after their first chapter.
const FAILING_CHAPTERS: u64 = 3;

/// A generation the fake has started.
struct Job {
    chapters: u64,
    started: Instant,
}

/// What the fake has seen and started.
#[derive(Default)]
struct State {
    stories: Vec<Value>,
    generations: Vec<Value>,
    jobs: Vec<Job>,
    tenant_tiers: Vec<String>,
}

type Shared = Arc<Mutex<State>>;

fn reply(status: StatusCode, body: Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
}

fn job_json(id: usize, job: &Job) -> Value {
    let elapsed = job.started.elapsed();
    let done = (elapsed.as_millis() / CHAPTER_TIME.as_millis()) as u64;
    let (status, done) = if job.chapters == FAILING_CHAPTERS && done >= 1 {
        ("failed", 1)
    } else if done >= job.chapters {
        ("completed", job.chapters)
    } else {
        ("running", done)
    };
    let mut body = json!({
        "id": format!("job-{id}"),
        "status": status,
        "progress": {"chapters_done": done, "chapters_total": job.chapters},
    });
    if status == "failed" {
        body["error"] = json!({"step": "chapter:2", "code": "unavailable"});
    }
    if status == "completed" {
        body["timings"] = json!({"total_ms": elapsed.as_millis() as u64});
    }
    body
}

async fn handle(state: Shared, request: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
    let auth = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let bytes = request.into_body().collect().await.unwrap().to_bytes();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let as_admin = auth == format!("Bearer {ADMIN}");
    let as_user = auth == format!("Bearer {KEY}");
    let unauthorized = || reply(StatusCode::UNAUTHORIZED, json!({"error": "unauthorized"}));
    let mut state = state.lock().unwrap();
    match (&method, segments.as_slice()) {
        (&Method::POST, ["api", "v1", "tenants"]) if as_admin => {
            state
                .tenant_tiers
                .push(body["tier"].as_str().unwrap_or_default().to_owned());
            reply(StatusCode::CREATED, json!({"id": "tenant-1"}))
        }
        (&Method::POST, ["api", "v1", "api-keys"]) if as_admin => {
            assert_eq!(body["tenant_id"], "tenant-1");
            assert_eq!(body["role"], "user");
            reply(StatusCode::CREATED, json!({"key": KEY}))
        }
        (&Method::POST, ["api", "v1", "stories"]) if as_user => {
            state.stories.push(body);
            let id = format!("story-{}", state.stories.len());
            reply(StatusCode::CREATED, json!({"id": id}))
        }
        (&Method::POST, ["api", "v1", "stories", story, "generations"]) if as_user => {
            assert_eq!(*story, format!("story-{}", state.stories.len()));
            let chapters = body["chapters"].as_u64().unwrap();
            state.generations.push(body);
            state.jobs.push(Job {
                chapters,
                started: Instant::now(),
            });
            let id = state.jobs.len() - 1;
            reply(
                StatusCode::ACCEPTED,
                json!({"id": format!("job-{id}"), "status": "queued"}),
            )
        }
        (&Method::GET, ["api", "v1", "jobs", id]) if as_user => {
            let index: usize = id.trim_start_matches("job-").parse().unwrap();
            reply(StatusCode::OK, job_json(index, &state.jobs[index]))
        }
        _ if !(as_admin || as_user) => unauthorized(),
        _ => reply(StatusCode::NOT_FOUND, json!({"error": "not found"})),
    }
}

async fn start_fake() -> (SocketAddr, Shared) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = Shared::default();
    let shared = Arc::clone(&state);
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let state = Arc::clone(&shared);
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let state = Arc::clone(&state);
                    async move { Ok::<_, Infallible>(handle(state, request).await) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, state)
}

fn config(chapter_counts: Vec<u32>, runs: u32) -> PipelineConfig {
    PipelineConfig {
        fabula: PathBuf::from("unused"),
        chapter_counts,
        runs,
        words_per_chapter: 400,
        polling: Polling {
            every: Duration::from_millis(2),
            limit: Duration::from_secs(10),
        },
        sweep_every: None,
        command_line: "test".into(),
    }
}

#[tokio::test]
async fn measures_every_run_in_order() {
    let (addr, state) = start_fake().await;
    let results = pipeline::measure_all(addr, ADMIN, &config(vec![2, 4], 2))
        .await
        .unwrap();

    let shape: Vec<(u32, u64)> = results
        .iter()
        .map(|r| (r.spec.chapters, r.spec.seed))
        .collect();
    assert_eq!(shape, [(2, 1), (2, 2), (4, 1), (4, 2)]);
    for r in &results {
        let least = CHAPTER_TIME * r.spec.chapters;
        assert!(r.end_to_end >= least, "{r:?}");
        let first = r.first_chapter.expect("the fake reports progress");
        assert!(first >= CHAPTER_TIME && first <= r.end_to_end, "{r:?}");
        assert!(
            r.job_timings.as_ref().unwrap()["total_ms"].is_u64(),
            "{r:?}"
        );
    }
    assert_eq!(results[3].job_id, "job-3");

    let state = state.lock().unwrap();
    assert_eq!(state.tenant_tiers, ["enterprise"]);
    let story = &state.stories[2];
    assert_eq!(story["genre"], "fantasy");
    assert_eq!(story["chapter_count"], 4);
    assert_eq!(story["target_words"], 1600);
    // 2 × 400 words is below the stories API's minimum book length.
    assert_eq!(state.stories[0]["target_words"], 1000);
    assert!(story["title"].as_str().is_some() && story["premise"].as_str().is_some());
    assert_eq!(
        state.generations[3],
        json!({"chapters": 4, "words_per_chapter": 400, "seed": 2})
    );
}

#[tokio::test]
async fn a_failed_job_fails_the_benchmark_with_its_body() {
    let (addr, _state) = start_fake().await;
    let err = pipeline::measure_all(addr, ADMIN, &config(vec![2, 3, 4], 1))
        .await
        .unwrap_err();
    match &err {
        PipelineError::JobEnded { id, status, body } => {
            assert_eq!((id.as_str(), status.as_str()), ("job-1", "failed"));
            assert!(body.contains("chapter:2"), "{body}");
        }
        other => panic!("expected a failed job, got {other}"),
    }
}

#[tokio::test]
async fn a_wrong_operator_token_is_reported() {
    let (addr, _state) = start_fake().await;
    let err = pipeline::measure_all(addr, "wrong", &config(vec![2], 1))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("POST /api/v1/tenants"), "{err}");
    assert!(err.contains("401"), "{err}");
}

#[tokio::test]
async fn a_job_over_the_limit_times_out() {
    let (addr, _state) = start_fake().await;
    let mut slow = config(vec![50], 1);
    slow.polling.limit = Duration::from_millis(60);
    let err = pipeline::measure_all(addr, ADMIN, &slow).await.unwrap_err();
    assert!(
        matches!(&err, PipelineError::JobTimeout { id, .. } if id == "job-0"),
        "{err}"
    );
    assert!(err.to_string().contains("running"), "{err}");
}
